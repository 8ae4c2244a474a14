// Package store opens kpiflow's database: the embedded SQLite file by
// default, or PostgreSQL for a postgres:// URL (DESIGN.md §11), and migrates
// its schema.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/lib/pq"  // PostgreSQL driver
	"modernc.org/sqlite" // pure-Go SQLite driver

	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	_ "kpiflow/ent/runtime" // schema hooks and defaults
	"kpiflow/ent/schema/pulid"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
)

// DefaultURL is the embedded database used when no URL is configured.
const DefaultURL = "sqlite:./data/kpiflow.db"

// Store is an open database.
type Store struct {
	Client  *ent.Client
	DB      *sql.DB
	Dialect string
	// URL is the database's URL, as given to Open (with the default filled
	// in): what a PostgreSQL listener connects to.
	URL string
	// Rollups keeps the KPI rollups of the database exact (kpi.Rollups):
	// its hooks are installed on Client.
	Rollups *kpi.Rollups
	// statements counts the statements the client has sent.
	statements *atomic.Int64
	// types memoizes the column types of the rows ent reads, on
	// PostgreSQL (count.go).
	types *typeMemo
}

// Statements returns how many statements the client has sent so far.
func (s *Store) Statements() int64 { return s.statements.Load() }

// Open opens the database at rawURL: "postgres://…" or "postgresql://…"
// for PostgreSQL; "sqlite:PATH" (or "sqlite::memory:") for SQLite. An
// empty URL means DefaultURL. A new SQLite file is created, in an existing
// directory: only the default's directory (./data) is created too, so that
// a mistyped path is an error rather than a new tree of directories.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	return open(ctx, rawURL, false)
}

// ErrNoDatabase is OpenExisting's error for a SQLite file that does not
// exist.
var ErrNoDatabase = errors.New("the database does not exist yet")

// OpenExisting opens the database at rawURL to read it: a SQLite file is
// opened read-only and never created (ErrNoDatabase when it is missing).
func OpenExisting(ctx context.Context, rawURL string) (*Store, error) {
	return open(ctx, rawURL, true)
}

func open(ctx context.Context, rawURL string, existing bool) (*Store, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	var (
		db  *sql.DB
		drv string
		err error
	)
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		drv = dialect.Postgres
		var conn *pq.Connector
		if conn, err = pq.NewConnector(rawURL); err != nil {
			return nil, fmt.Errorf("connecting to the database: %w", err)
		}
		// Each connection keeps its statements prepared (prepared.go).
		db = sql.OpenDB(preparedConnector{base: conn, size: StatementCache})
		if err == nil {
			db.SetMaxOpenConns(20)
			db.SetMaxIdleConns(10)
			db.SetConnMaxIdleTime(5 * time.Minute)
		}
	case strings.HasPrefix(rawURL, "sqlite:"):
		drv = dialect.SQLite
		var dsn string
		path := strings.TrimPrefix(rawURL, "sqlite:")
		dsn, err = sqliteDSN(path, existing)
		if err == nil {
			// Each connection keeps its statements prepared (prepared.go).
			db = sql.OpenDB(preparedConnector{base: sqliteConnector{drv: &sqlite.Driver{}, dsn: dsn}, size: StatementCache})
			if strings.Contains(dsn, ":memory:") {
				db.SetMaxOpenConns(1) // each connection would see its own empty database
			} else {
				// database/sql keeps 2 idle connections by default: under
				// more concurrent requests the others were closed after each
				// use, and a new SQLite connection reads the schema and the
				// planner's statistics again.
				db.SetMaxIdleConns(16)
				db.SetConnMaxIdleTime(5 * time.Minute)
			}
		}
	default:
		return nil, fmt.Errorf("database URL must start with postgres://, postgresql:// or sqlite:")
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		if drv == dialect.SQLite {
			return nil, fmt.Errorf("opening the SQLite database %s: %w", strings.TrimPrefix(rawURL, "sqlite:"), err)
		}
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	var driver dialect.Driver = entsql.OpenDB(drv, db)
	if drv == dialect.SQLite {
		driver = utcDriver{entsql.OpenDB(drv, db)}
	}
	n := new(atomic.Int64)
	var types *typeMemo
	if drv == dialect.Postgres {
		types = new(typeMemo)
	}
	client := ent.NewClient(ent.Driver(countingDriver{driver, n, types}))
	rollups := kpi.MaintainRollups(client, drv)
	return &Store{Client: client, DB: db, Dialect: drv, URL: rawURL, Rollups: rollups, statements: n, types: types}, nil
}

// sqliteDSN builds the driver's DSN for a file (or ":memory:") with the
// settings kpiflow relies on: foreign keys enforced, WAL for concurrent
// readers, a busy timeout instead of immediate SQLITE_BUSY errors, and
// write transactions that take the write lock when they begin, so that two
// transactions never deadlock upgrading a read lock.
func sqliteDSN(path string, existing bool) (string, error) {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	if path == ":memory:" || path == "" {
		return "file::memory:?" + q.Encode(), nil
	}
	if existing {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: %w", path, ErrNoDatabase)
		}
		q.Set("mode", "ro")
		return "file:" + path + "?" + q.Encode(), nil
	}
	q.Add("_pragma", "journal_mode(WAL)")
	dir := filepath.Dir(path)
	if filepath.Clean(dir) == filepath.Dir(strings.TrimPrefix(DefaultURL, "sqlite:")) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("creating the database directory %s: %w", dir, err)
		}
	} else if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return "", fmt.Errorf("the directory %s of the SQLite database %s does not exist: create it first", dir, path)
	}
	return "file:" + path + "?" + q.Encode(), nil
}

var migrating sync.Mutex

// Migrate brings the database schema up to date with the ent schema, then
// fills what a new column needs from the rows already there.
func (s *Store) Migrate(ctx context.Context) error {
	// ent's migration writes to its package-level table definitions
	// (migrate.Tables) as it runs, so two at once in one process (tests
	// that run in parallel) would race: one at a time.
	migrating.Lock()
	defer migrating.Unlock()
	if err := s.schema(func() error {
		return s.Client.Schema.Create(ctx, schema.WithApplyHook(s.backfillMeetingTeams))
	}); err != nil {
		return err
	}
	if err := s.indexManagers(ctx); err != nil {
		return err
	}
	if err := s.clearUngradedTracks(ctx); err != nil {
		return err
	}
	if err := s.backfillCycles(ctx); err != nil {
		return err
	}
	if err := s.retireBuiltins(ctx); err != nil {
		return err
	}
	return s.migrateRollups(ctx)
}

// migrateRollups creates the KPI rollup tables, and fills them from the
// records when they are new (a database of before them).
func (s *Store) migrateRollups(ctx context.Context) error {
	had, err := s.hasColumn(ctx, entsql.OpenDB(s.Dialect, s.DB), "kpi_rollups", "organization_id")
	if err != nil {
		return err
	}
	for _, stmt := range kpi.RollupDDL(s.Dialect) {
		if _, err := s.DB.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating the KPI rollups: %w", err)
		}
	}
	if had {
		return nil
	}
	_, err = s.Rollups.RebuildAll(ctx, s.Client)
	return err
}

// retireBuiltins keeps every built-in KPI whose key now has another
// definition (definition.Retired) under its new key and name, as a custom
// KPI: its ID, targets and definition stay, so that no target silently
// changes meaning (a target of 40 "conversion" set on deals per meeting is
// still one on deals per meeting), and the organization may disable it.
// The key's new built-in is added beside it (kpi.EnsureBuiltins), in the
// same transaction. A KPI already retired, or of the new definition, is left
// alone, so it runs once per KPI. The new key gets a numeric suffix where
// the organization already uses it.
func (s *Store) retireBuiltins(ctx context.Context) error {
	ph := func(n int) string {
		if s.Dialect == dialect.Postgres {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	for _, r := range definition.Retired {
		rows, err := s.DB.QueryContext(ctx, "SELECT id, organization_id, definition FROM "+entkpi.Table+` WHERE "key" = `+ph(1)+" AND builtin = "+ph(2), r.Key, true)
		if err != nil {
			return fmt.Errorf("retiring %s: %w", r.Key, err)
		}
		type row struct{ id, org string }
		var old []row
		for rows.Next() {
			var id, org string
			var raw []byte
			if err := rows.Scan(&id, &org, &raw); err != nil {
				rows.Close()
				return fmt.Errorf("retiring %s: %w", r.Key, err)
			}
			var d definition.Definition
			if err := json.Unmarshal(raw, &d); err != nil {
				rows.Close()
				return fmt.Errorf("retiring %s: the definition of %s: %w", r.Key, id, err)
			}
			if reflect.DeepEqual(d, r.Definition) {
				old = append(old, row{id, org})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range old {
			if err := s.retire(ctx, ph, r, o.id, o.org); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) retire(ctx context.Context, ph func(int) string, r definition.RetiredBuiltin, id, org string) error {
	tx, err := s.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	c := tx.Client()
	key := r.NewKey
	for i := 2; ; i++ {
		rows, err := c.QueryContext(ctx, "SELECT COUNT(*) FROM "+entkpi.Table+" WHERE organization_id = "+ph(1)+` AND "key" = `+ph(2), org, key)
		if err != nil {
			return fmt.Errorf("retiring %s: %w", r.Key, err)
		}
		n := 0
		if rows.Next() {
			err = rows.Scan(&n)
		}
		rows.Close()
		if err != nil {
			return fmt.Errorf("retiring %s: %w", r.Key, err)
		}
		if n == 0 {
			break
		}
		key = fmt.Sprintf("%s_%d", r.NewKey, i)
	}
	// The key is immutable for every writer but this migration.
	_, err = c.ExecContext(ctx, "UPDATE "+entkpi.Table+` SET "key" = `+ph(1)+", name = "+ph(2)+", description = "+ph(3)+", builtin = "+ph(4)+
		", updated_at = "+ph(5)+" WHERE id = "+ph(6)+` AND "key" = `+ph(7),
		key, r.NewName, r.NewDescription, false, time.Now().UTC().Truncate(time.Microsecond), id, r.Key)
	if err != nil {
		return fmt.Errorf("retiring %s: %w", r.Key, err)
	}
	// The key's new built-in, in the same transaction: the organization is
	// never without it.
	if err := kpi.EnsureBuiltins(ctx, c, pulid.ID(org)); err != nil {
		return err
	}
	return tx.Commit()
}

// backfillMeetingTeams gives the meetings written before meetings.team_id
// existed the team they counted toward until then, their owner's team at
// the time of the migration, so that migrating changes no value; from then
// on a meeting keeps its team when its owner moves (ent/schema/rules.go).
// It runs in the migration's transaction, only when that transaction adds
// the column, so it happens exactly once: a later migration never stamps a
// meeting with a team its owner joined since (a meeting of an owner of no
// team keeps none).
func (s *Store) backfillMeetingTeams(next schema.Applier) schema.Applier {
	return schema.ApplyFunc(func(ctx context.Context, tx dialect.ExecQuerier, plan *migrate.Plan) error {
		had, err := s.hasColumn(ctx, tx, "meetings", "team_id")
		if err != nil {
			return err
		}
		if err := next.Apply(ctx, tx, plan); err != nil {
			return err
		}
		if had {
			return nil
		}
		err = tx.Exec(ctx, `UPDATE meetings SET team_id =
			(SELECT u.team_id FROM users u WHERE u.id = meetings.owner_id)
			WHERE team_id IS NULL`, []any{}, nil)
		if err != nil {
			return fmt.Errorf("backfilling the teams of meetings: %w", err)
		}
		return nil
	})
}

// hasColumn reports whether the table has the column (false when there is
// no such table yet).
func (s *Store) hasColumn(ctx context.Context, q dialect.ExecQuerier, table, column string) (bool, error) {
	query := `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`
	if s.Dialect == dialect.Postgres {
		query = `SELECT COUNT(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`
	}
	var rows entsql.Rows
	if err := q.Query(ctx, query, []any{table, column}, &rows); err != nil {
		return false, fmt.Errorf("inspecting %s.%s: %w", table, column, err)
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, err
		}
	}
	return n > 0, rows.Err()
}

// indexManagers indexes the teams' managers by user: every signed-in
// request reads the teams its viewer manages (package auth, with the
// session check), and the join table's primary key (team_id, user_id)
// serves lookups by team only. ent declares no index on an edge's join
// table, and its migration leaves alone the indexes it does not declare.
func (s *Store) indexManagers(ctx context.Context) error {
	_, err := s.DB.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS team_managers_user_id ON team_managers (user_id)`)
	return err
}

// clearUngradedTracks makes the track of review items written when it was
// a string, empty for a target that could not be graded, none: the
// enumeration it is now has no empty value.
func (s *Store) clearUngradedTracks(ctx context.Context) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE review_items SET track = NULL WHERE track = ''`)
	return err
}

// backfillCycles computes deals.cycle_micros, the sales cycle in
// microseconds, for closed deals written before it replaced the whole
// seconds of cycle_seconds: from opened_at and closed_at, exactly.
func (s *Store) backfillCycles(ctx context.Context) error {
	if s.Dialect == dialect.Postgres {
		_, err := s.DB.ExecContext(ctx, `UPDATE deals SET cycle_micros =
			(EXTRACT(EPOCH FROM closed_at) * 1000000)::bigint - (EXTRACT(EPOCH FROM opened_at) * 1000000)::bigint
			WHERE closed_at IS NOT NULL AND cycle_micros IS NULL`)
		return err
	}
	// SQLite keeps times as text: they are read and subtracted in Go, a
	// batch at a time.
	for {
		rows, err := s.DB.QueryContext(ctx, `SELECT id, opened_at, closed_at FROM deals
			WHERE closed_at IS NOT NULL AND cycle_micros IS NULL LIMIT 1000`)
		if err != nil {
			return err
		}
		type cycle struct {
			id     string
			micros int64
		}
		var batch []cycle
		for rows.Next() {
			var id string
			var opened, closed time.Time
			if err := rows.Scan(&id, &opened, &closed); err != nil {
				rows.Close()
				return fmt.Errorf("backfilling sales cycles: %w", err)
			}
			batch = append(batch, cycle{id, closed.Sub(opened).Microseconds()})
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(batch) == 0 {
			return err
		}
		tx, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, c := range batch {
			if _, err := tx.ExecContext(ctx, `UPDATE deals SET cycle_micros = ? WHERE id = ?`, c.micros, c.id); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
}

// PrintMigration writes the SQL that Migrate would run, without running it.
func (s *Store) PrintMigration(ctx context.Context, w io.Writer) error {
	return s.schema(func() error { return s.Client.Schema.WriteTo(ctx, w) })
}

// schema runs f, a use of ent's migration, which reads the *sql.Rows of
// its queries itself: the rows are left as database/sql made them
// meanwhile (count.go).
func (s *Store) schema(f func() error) error {
	if s.types != nil {
		s.types.migrating.Add(1)
		defer s.types.migrating.Add(-1)
	}
	return f()
}

// Analyze refreshes the planner's statistics, after a bulk load: without
// them SQLite may scan an organization's deals through the wrong index
// (measured: 50 times slower for a team's scorecard over 50,000 deals).
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.DB.ExecContext(ctx, "ANALYZE")
	return err
}

// Optimize lets SQLite refresh its statistics where they are stale, as its
// documentation advises on start-up; PostgreSQL's autovacuum does this by
// itself.
func (s *Store) Optimize(ctx context.Context) error {
	if s.Dialect != dialect.SQLite {
		return nil
	}
	_, err := s.DB.ExecContext(ctx, "PRAGMA optimize=0x10002")
	return err
}

// Ping reports whether the database can be reached.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error { return s.Client.Close() }
