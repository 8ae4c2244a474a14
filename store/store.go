// Package store opens kpiflow's database: the embedded SQLite file by
// default, or PostgreSQL for a postgres:// URL (DESIGN.md §11), and migrates
// its schema.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // PostgreSQL driver
	_ "modernc.org/sqlite" // pure-Go SQLite driver

	"kpiflow/ent"
	_ "kpiflow/ent/runtime" // schema hooks and defaults
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
	// statements counts the statements the client has sent.
	statements *atomic.Int64
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
		db, err = sql.Open("postgres", rawURL)
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
			db, err = sql.Open("sqlite", dsn)
		}
		if err == nil && strings.Contains(dsn, ":memory:") {
			db.SetMaxOpenConns(1) // each connection would see its own empty database
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
	client := ent.NewClient(ent.Driver(countingDriver{driver, n}))
	return &Store{Client: client, DB: db, Dialect: drv, URL: rawURL, statements: n}, nil
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
	if err := s.Client.Schema.Create(ctx); err != nil {
		return err
	}
	if err := s.clearUngradedTracks(ctx); err != nil {
		return err
	}
	return s.backfillCycles(ctx)
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
	return s.Client.Schema.WriteTo(ctx, w)
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
