package kpi

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/hook"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/viewer"
)

// Rollups: the sums and counts of deals and meetings that every KPI
// aggregate reads, kept per (organization, team, owner, month in the
// organization's zone, record source, date field, stage, kind, status) in
// kpi_rollups, and per (organization, month, …) in kpi_org_rollups, so
// that a scorecard reads a few rollup rows instead of every record of its
// scope (docs/ARCHITECTURE.md, "Rollups").
//
// Every period of a fiscal calendar is a run of whole months of its zone,
// so month rows answer any MONTH, QUARTER or YEAR exactly. A write records
// which (source, organization, team, owner, month) its rows were in before
// and after it (hooks on deals, meetings and organizations); before its
// transaction commits, exactly those keys are recomputed from the records,
// set-based (DELETE, then INSERT … SELECT … GROUP BY), and the
// organization's rows are moved by the difference. One mechanism covers
// every kind of write: create, update, reopen, reassign, re-team, import,
// delete. Moving a user between teams rewrites no record (a record keeps
// the team it was credited to) and so no rollup.

// Rollup tables and their statements.
const (
	rollupTable    = "kpi_rollups"
	orgRollupTable = "kpi_org_rollups"
)

// Source codes in the rollup tables.
const (
	rollupDeals    = "D"
	rollupMeetings = "M"
)

// The measures of a rollup row: rows, and the sums of amounts, sales cycles
// and minutes. Amounts and cycles are summed in two halves (value / 2²⁵ and
// value % 2²⁵), as the engine sums them on SQLite, so that no sum of rows
// can overflow on either database; minutes (at most 1,440 a meeting) are
// summed whole.
var rollupMeasures = []string{"n", "amount_hi", "amount_lo", "cycle_n", "cycle_hi", "cycle_lo", "minutes"}

// rollupDims are the columns that key a rollup row within its month.
var rollupDims = []string{"source", "date_field", "month", "stage", "kind", "status"}

// RollupDDL returns the statements that create the rollup tables (each
// IF NOT EXISTS, so migrating runs them every time).
func RollupDDL(dialectName string) []string {
	text, big := "TEXT", "BIGINT"
	if dialectName == dialect.SQLite {
		big = "INTEGER"
	}
	measures := ""
	for _, m := range rollupMeasures {
		measures += ", " + m + " " + big + " NOT NULL DEFAULT 0"
	}
	dims := "source " + text + " NOT NULL, date_field " + text + " NOT NULL, month INTEGER NOT NULL, stage " + text +
		" NOT NULL, kind " + text + " NOT NULL, status " + text + " NOT NULL"
	return []string{
		"CREATE TABLE IF NOT EXISTS " + rollupTable + " (organization_id " + text + " NOT NULL, team_id " + text +
			" NOT NULL, owner_id " + text + " NOT NULL, " + dims + measures +
			", PRIMARY KEY (organization_id, owner_id, month, team_id, source, date_field, stage, kind, status))",
		"CREATE INDEX IF NOT EXISTS kpi_rollups_team ON " + rollupTable + " (team_id, month)",
		// Recomputing a key reads its owner's records in a month by each
		// date; ent's indexes serve closed_at and held_at.
		"CREATE INDEX IF NOT EXISTS deals_owner_opened ON deals (owner_id, opened_at)",
		"CREATE INDEX IF NOT EXISTS meetings_owner_scheduled ON meetings (owner_id, scheduled_at)",
		"CREATE TABLE IF NOT EXISTS " + orgRollupTable + " (organization_id " + text + " NOT NULL, " + dims + measures +
			", PRIMARY KEY (organization_id, month, source, date_field, stage, kind, status))",
	}
}

// rollupKey is one (source, organization, team, owner, month) whose rows a
// write touched; the team is "" for records of no team.
type rollupKey struct {
	source, org, team, owner string
	month                    int
}

// record is where a deal or meeting was for the rollups: its keys follow
// from its dates in the organization's zone.
type record struct {
	source, org, team, owner string
	dates                    []*time.Time
}

// staged is what a transaction's writes touched, recomputed at its commit.
type staged struct {
	records []record
	// deals whose stage changed (or that were deleted): their meetings'
	// rows move between stages of their deal.
	restaged []string
	// owners whose every row is recomputed (TouchOwners).
	owners map[string]map[string]bool // org → owner
	// orgs rebuilt whole (their time zone changed).
	rebuild map[string]bool
	// added are deals that did not exist before the transaction (an
	// import's new rows): their sums are added to their keys' rows, which
	// needs no read of the records, unless a key is recomputed anyway.
	added []*ent.Deal
}

func (s *staged) empty() bool {
	return len(s.records) == 0 && len(s.restaged) == 0 && len(s.owners) == 0 && len(s.rebuild) == 0 && len(s.added) == 0
}

// Rollups maintains the rollup tables for one database.
type Rollups struct {
	Dialect string
	mu      sync.Mutex
	pending map[any]*staged
}

// MaintainRollups installs the hooks that keep the rollups of the
// client's database exact, and returns the maintainer.
func MaintainRollups(client *ent.Client, dialectName string) *Rollups {
	r := &Rollups{Dialect: dialectName, pending: map[any]*staged{}}
	client.Deal.Use(r.dealHook)
	client.Meeting.Use(r.meetingHook)
	client.Organization.Use(hook.On(r.organizationHook, ent.OpUpdateOne|ent.OpUpdate))
	return r
}

// execQuerier is a transaction or a client.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// stage records what a mutation touched: in its transaction, applied at
// commit; without one, applied now.
func (r *Rollups) stage(ctx context.Context, m interface {
	Tx() (*ent.Tx, error)
	Client() *ent.Client
}, add func(*staged)) error {
	tx, err := m.Tx()
	if err != nil { // not in a transaction
		s := &staged{}
		add(s)
		return r.apply(ctx, m.Client(), s)
	}
	r.mu.Lock()
	s, ok := r.pending[tx.Key()]
	if !ok {
		s = &staged{}
		r.pending[tx.Key()] = s
	}
	add(s)
	r.mu.Unlock()
	if ok {
		return nil
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			r.mu.Lock()
			s := r.pending[tx.Key()]
			delete(r.pending, tx.Key())
			r.mu.Unlock()
			if s != nil {
				if err := r.apply(ctx, tx, s); err != nil {
					return err
				}
			}
			return next.Commit(ctx, tx)
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			r.mu.Lock()
			delete(r.pending, tx.Key())
			r.mu.Unlock()
			return next.Rollback(ctx, tx)
		})
	})
	return nil
}

// TouchOwners has every rollup row of the owners recomputed when the
// transaction of ctx commits (at once without one): for writers that
// change records without ent's mutations (a COPY of imported rows, say).
// Writes through ent need no call; their hooks record what they touch.
func (r *Rollups) TouchOwners(ctx context.Context, client *ent.Client, org pulid.ID, owners ...pulid.ID) error {
	add := func(s *staged) {
		if s.owners == nil {
			s.owners = map[string]map[string]bool{}
		}
		if s.owners[string(org)] == nil {
			s.owners[string(org)] = map[string]bool{}
		}
		for _, o := range owners {
			s.owners[string(org)][string(o)] = true
		}
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		s := &staged{}
		add(s)
		return r.apply(ctx, client, s)
	}
	return r.stage(ctx, txMutation{tx}, add)
}

type txMutation struct{ tx *ent.Tx }

func (t txMutation) Tx() (*ent.Tx, error) { return t.tx, nil }
func (t txMutation) Client() *ent.Client  { return t.tx.Client() }

func teamOf(id *pulid.ID) string {
	if id == nil {
		return ""
	}
	return string(*id)
}

func dealRecord(d *ent.Deal) record {
	return record{source: rollupDeals, org: string(d.OrganizationID), team: string(d.TeamID), owner: string(d.OwnerID),
		dates: []*time.Time{&d.OpenedAt, d.ClosedAt}}
}

func meetingRecord(m *ent.Meeting) record {
	return record{source: rollupMeetings, org: string(m.OrganizationID), team: teamOf(m.TeamID), owner: string(m.OwnerID),
		dates: []*time.Time{&m.ScheduledAt, m.HeldAt}}
}

// dealCounts reports whether two versions of a deal count the same way.
func dealCounts(a, b *ent.Deal) bool {
	return a.OrganizationID == b.OrganizationID && a.OwnerID == b.OwnerID && a.TeamID == b.TeamID &&
		a.Stage == b.Stage && a.Amount == b.Amount && a.OpenedAt.Equal(b.OpenedAt) && sameTime(a.ClosedAt, b.ClosedAt) &&
		sameInt(a.CycleMicros, b.CycleMicros)
}

func meetingCounts(a, b *ent.Meeting) bool {
	return a.OrganizationID == b.OrganizationID && a.OwnerID == b.OwnerID && teamOf(a.TeamID) == teamOf(b.TeamID) &&
		teamOf(a.DealID) == teamOf(b.DealID) && a.Kind == b.Kind && a.Status == b.Status &&
		a.ScheduledAt.Equal(b.ScheduledAt) && sameTime(a.HeldAt, b.HeldAt) && a.DurationMinutes == b.DurationMinutes
}

func sameTime(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
func sameInt(a, b *int64) bool      { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// recordMutation is what the hooks of deals and meetings read of their
// mutations.
type recordMutation interface {
	ent.Mutation
	Tx() (*ent.Tx, error)
	Client() *ent.Client
	IDs(ctx context.Context) ([]pulid.ID, error)
}

// recordChange is how a record source's hook reads its rows: old gives
// the row an UpdateOne changes as it was (from the mutation's old
// values), load reads rows by ID, counts tells whether two versions count
// the same way, and staged records the versions before and after.
type recordChange[T any] struct {
	old    func(ctx context.Context) (T, error)
	load   func(ctx context.Context, ids []pulid.ID) ([]T, error)
	id     func(T) pulid.ID
	counts func(a, b T) bool
	staged func(s *staged, before []T, after *T)
}

// recordHook stages the rollup keys a write of records changes: the
// versions before (an UpdateOne's old values; the rows a bulk update or
// delete touches) and after (the row written, or a bulk update's rows read
// again). A write that changes nothing counted stages nothing.
func recordHook[T any](ctx context.Context, r *Rollups, m recordMutation, next ent.Mutator, c recordChange[T]) (ent.Value, error) {
	var before []T
	switch {
	case m.Op().Is(ent.OpUpdateOne):
		old, err := c.old(ctx)
		if err != nil {
			return nil, err
		}
		before = []T{old}
	case m.Op().Is(ent.OpDelete | ent.OpDeleteOne | ent.OpUpdate):
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		if before, err = c.load(viewer.System(ctx), ids); err != nil {
			return nil, err
		}
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return v, err
	}
	var after *T
	if x, ok := v.(T); ok {
		after = &x
	}
	if len(before) == 1 && after != nil && c.counts(before[0], *after) {
		return v, nil // nothing counted changed (a rename, say)
	}
	if m.Op().Is(ent.OpUpdate) {
		// Rows updated in bulk: read them again.
		ids := make([]pulid.ID, len(before))
		for i, x := range before {
			ids[i] = c.id(x)
		}
		now, err := c.load(viewer.System(ctx), ids)
		if err != nil {
			return v, err
		}
		before = append(before, now...)
	}
	return v, r.stage(ctx, m, func(s *staged) { c.staged(s, before, after) })
}

func (r *Rollups) dealHook(next ent.Mutator) ent.Mutator {
	return hook.DealFunc(func(ctx context.Context, m *ent.DealMutation) (ent.Value, error) {
		return recordHook(ctx, r, m, next, recordChange[*ent.Deal]{
			old: func(ctx context.Context) (*ent.Deal, error) {
				id, _ := m.ID()
				old := &ent.Deal{ID: id}
				var err error
				if old.OrganizationID, err = m.OldOrganizationID(ctx); err != nil {
					return nil, err
				}
				old.OwnerID, _ = m.OldOwnerID(ctx)
				old.TeamID, _ = m.OldTeamID(ctx)
				old.Stage, _ = m.OldStage(ctx)
				old.Amount, _ = m.OldAmount(ctx)
				old.OpenedAt, _ = m.OldOpenedAt(ctx)
				old.ClosedAt, _ = m.OldClosedAt(ctx)
				old.CycleMicros, _ = m.OldCycleMicros(ctx)
				return old, nil
			},
			load: func(ctx context.Context, ids []pulid.ID) ([]*ent.Deal, error) {
				return m.Client().Deal.Query().Where(deal.IDIn(ids...)).All(ctx)
			},
			id:     func(d *ent.Deal) pulid.ID { return d.ID },
			counts: dealCounts,
			staged: func(s *staged, before []*ent.Deal, after **ent.Deal) {
				for _, d := range before {
					s.records = append(s.records, dealRecord(d))
					if after == nil || d.Stage != (*after).Stage {
						s.restaged = append(s.restaged, string(d.ID))
					}
				}
				if after != nil {
					s.records = append(s.records, dealRecord(*after))
				}
			},
		})
	})
}

func (r *Rollups) meetingHook(next ent.Mutator) ent.Mutator {
	return hook.MeetingFunc(func(ctx context.Context, m *ent.MeetingMutation) (ent.Value, error) {
		return recordHook(ctx, r, m, next, recordChange[*ent.Meeting]{
			old: func(ctx context.Context) (*ent.Meeting, error) {
				id, _ := m.ID()
				old := &ent.Meeting{ID: id}
				var err error
				if old.OrganizationID, err = m.OldOrganizationID(ctx); err != nil {
					return nil, err
				}
				old.OwnerID, _ = m.OldOwnerID(ctx)
				old.TeamID, _ = m.OldTeamID(ctx)
				old.DealID, _ = m.OldDealID(ctx)
				old.Kind, _ = m.OldKind(ctx)
				old.Status, _ = m.OldStatus(ctx)
				old.ScheduledAt, _ = m.OldScheduledAt(ctx)
				old.HeldAt, _ = m.OldHeldAt(ctx)
				old.DurationMinutes, _ = m.OldDurationMinutes(ctx)
				return old, nil
			},
			load: func(ctx context.Context, ids []pulid.ID) ([]*ent.Meeting, error) {
				return m.Client().Meeting.Query().Where(meeting.IDIn(ids...)).All(ctx)
			},
			id:     func(x *ent.Meeting) pulid.ID { return x.ID },
			counts: meetingCounts,
			staged: func(s *staged, before []*ent.Meeting, after **ent.Meeting) {
				for _, x := range before {
					s.records = append(s.records, meetingRecord(x))
				}
				if after != nil {
					s.records = append(s.records, meetingRecord(*after))
				}
			},
		})
	})
}

// organizationHook rebuilds an organization's rollups when its time zone
// changes: its months move.
func (r *Rollups) organizationHook(next ent.Mutator) ent.Mutator {
	return hook.OrganizationFunc(func(ctx context.Context, m *ent.OrganizationMutation) (ent.Value, error) {
		if _, ok := m.Timezone(); !ok {
			return next.Mutate(ctx, m)
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		return v, r.stage(ctx, m, func(s *staged) {
			if s.rebuild == nil {
				s.rebuild = map[string]bool{}
			}
			for _, id := range ids {
				s.rebuild[string(id)] = true
			}
		})
	})
}

// apply brings the rollups of what s touched up to date, in q (the
// transaction about to commit). On PostgreSQL it first takes a lock per
// organization for the rest of the transaction, so that concurrent writers
// of one organization apply one after another, each reading the records
// as committed before it: rows of READ COMMITTED statements, rows another
// writer applied included.
func (r *Rollups) apply(ctx context.Context, q execQuerier, s *staged) error {
	if s.empty() {
		return nil
	}
	orgs := map[string]bool{}
	for _, rec := range s.records {
		orgs[rec.org] = true
	}
	for org := range s.owners {
		orgs[org] = true
	}
	for org := range s.rebuild {
		orgs[org] = true
	}
	for _, d := range s.added {
		orgs[string(d.OrganizationID)] = true
	}
	if len(s.restaged) > 0 && len(orgs) == 0 {
		return nil
	}
	list := make([]string, 0, len(orgs))
	for org := range orgs {
		list = append(list, org)
	}
	sort.Strings(list)
	if err := r.lock(ctx, q, list); err != nil {
		return err
	}
	zones, err := r.zones(ctx, q, list)
	if err != nil {
		return err
	}
	keys := map[rollupKey]bool{}
	addRecord := func(rec record) {
		loc := zones[rec.org]
		if loc == nil {
			return // a record of no organization is counted nowhere
		}
		for _, d := range rec.dates {
			if d != nil {
				keys[rollupKey{source: rec.source, org: rec.org, team: rec.team, owner: rec.owner, month: monthOf(d.In(loc))}] = true
			}
		}
	}
	for _, rec := range s.records {
		if !s.rebuild[rec.org] {
			addRecord(rec)
		}
	}
	if len(s.restaged) > 0 {
		recs, err := r.meetingsOfDeals(ctx, q, s.restaged)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if !s.rebuild[rec.org] {
				addRecord(rec)
			}
		}
	}
	for org, owners := range s.owners {
		if s.rebuild[org] {
			continue
		}
		recs, err := r.recordsOfOwners(ctx, q, org, owners)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			addRecord(rec)
		}
	}
	for org := range s.rebuild {
		if err := r.rebuild(ctx, q, org, zones[org]); err != nil {
			return err
		}
	}
	if err := r.add(ctx, q, s, keys, zones); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	sorted := make([]rollupKey, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.org != b.org {
			return a.org < b.org
		}
		if a.owner != b.owner {
			return a.owner < b.owner
		}
		if a.month != b.month {
			return a.month < b.month
		}
		if a.team != b.team {
			return a.team < b.team
		}
		return a.source < b.source
	})
	for len(sorted) > 0 {
		n := min(len(sorted), maxKeysPerStatement)
		if err := r.recompute(ctx, q, sorted[:n], zones); err != nil {
			return err
		}
		sorted = sorted[n:]
	}
	return nil
}

// maxKeysPerStatement keeps a statement's arguments (7 a key) well within
// what both databases accept.
const maxKeysPerStatement = 2000

// zones returns the organizations' time zones.
func (r *Rollups) zones(ctx context.Context, q execQuerier, orgs []string) (map[string]*time.Location, error) {
	b := &builder{dialect: r.Dialect}
	rows, err := q.QueryContext(ctx, "SELECT id, timezone FROM organizations WHERE "+b.in("id", orgs), b.args...)
	if err != nil {
		return nil, fmt.Errorf("kpi: rollups: %w", err)
	}
	defer rows.Close()
	out := map[string]*time.Location{}
	for rows.Next() {
		var id, tz string
		if err := rows.Scan(&id, &tz); err != nil {
			return nil, err
		}
		cal, err := NewCalendar(1, tz)
		if err != nil {
			return nil, fmt.Errorf("kpi: rollups of organization %s: %w", id, err)
		}
		out[id] = cal.Location
	}
	return out, rows.Err()
}

func scanRecords(rows *sql.Rows, source string) ([]record, error) {
	defer rows.Close()
	var out []record
	for rows.Next() {
		var org, team, owner string
		var a, b any
		if err := rows.Scan(&org, &team, &owner, &a, &b); err != nil {
			return nil, err
		}
		rec := record{source: source, org: org, team: team, owner: owner}
		for _, v := range []any{a, b} {
			t, err := timeOf(v)
			if err != nil {
				return nil, err
			}
			if t != nil {
				rec.dates = append(rec.dates, t)
			}
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// meetingsOfDeals returns where the meetings of the deals are.
func (r *Rollups) meetingsOfDeals(ctx context.Context, q execQuerier, deals []string) ([]record, error) {
	b := &builder{dialect: r.Dialect}
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT organization_id, COALESCE(team_id, ''), owner_id, scheduled_at, held_at FROM meetings WHERE "+
		b.in("deal_id", deals), b.args...)
	if err != nil {
		return nil, fmt.Errorf("kpi: rollups: %w", err)
	}
	return scanRecords(rows, rollupMeetings)
}

// recordsOfOwners returns where every record of the owners is.
func (r *Rollups) recordsOfOwners(ctx context.Context, q execQuerier, org string, owners map[string]bool) ([]record, error) {
	list := make([]string, 0, len(owners))
	for o := range owners {
		list = append(list, o)
	}
	var out []record
	for _, src := range []struct{ source, table, a, b string }{
		{rollupDeals, "deals", "opened_at", "closed_at"},
		{rollupMeetings, "meetings", "scheduled_at", "held_at"},
	} {
		b := &builder{dialect: r.Dialect}
		rows, err := q.QueryContext(ctx, "SELECT DISTINCT organization_id, COALESCE(team_id, ''), owner_id, "+src.a+", "+src.b+
			" FROM "+src.table+" WHERE organization_id = "+b.arg(org)+" AND "+b.in("owner_id", list), b.args...)
		if err != nil {
			return nil, fmt.Errorf("kpi: rollups: %w", err)
		}
		recs, err := scanRecords(rows, src.source)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// selectRows is the SELECT of the rollup rows of deals and meetings, by
// (organization, team, owner, month, source, date field, stage, kind,
// status), over the records that join the CTE k: k(g, t, o, m, s, e) names
// organization, team, owner, month and the month's bounds (keyed), or
// k(g, m, s, e) the months of one organization (whole).
func selectRows(keyed bool) string {
	var parts []string
	for _, src := range []struct {
		source, table, date, field, stage, kind, status, measures, join string
	}{
		{rollupDeals, "deals", "closed_at", "CLOSED_AT", "r.stage", "''", "''", dealMeasures, ""},
		{rollupDeals, "deals", "opened_at", "OPENED_AT", "r.stage", "''", "''", dealMeasures, ""},
		{rollupMeetings, "meetings", "held_at", "HELD_AT", "COALESCE(md.stage, '')", "r.kind", "r.status", meetingMeasures, " LEFT JOIN deals md ON md.id = r.deal_id"},
		{rollupMeetings, "meetings", "scheduled_at", "SCHEDULED_AT", "COALESCE(md.stage, '')", "r.kind", "r.status", meetingMeasures, " LEFT JOIN deals md ON md.id = r.deal_id"},
	} {
		// CROSS JOIN fixes SQLite's join order: for keys, each key's rows
		// by the owner's index; for a whole organization, each record's
		// month among the few months.
		team := "COALESCE(r.team_id, '')"
		group := "" // PostgreSQL refuses constants in GROUP BY
		if src.source == rollupMeetings {
			group = ", " + src.kind + ", " + src.status
		}
		from := " FROM " + src.table + " r CROSS JOIN k"
		where := "r.organization_id = k.g AND r." + src.date + " >= k.s AND r." + src.date + " < k.e"
		if keyed {
			from = " FROM k CROSS JOIN " + src.table + " r"
			where = "k.c = '" + src.source + "' AND r.organization_id = k.g AND r.owner_id = k.o AND " + team + " = k.t AND " +
				"r." + src.date + " >= k.s AND r." + src.date + " < k.e"
		}
		parts = append(parts, "SELECT r.organization_id, "+team+", r.owner_id, '"+src.source+"', '"+src.field+"', k.m, "+
			src.stage+", "+src.kind+", "+src.status+", "+src.measures+
			from+src.join+" WHERE "+where+
			" GROUP BY r.organization_id, "+team+", r.owner_id, k.m, "+src.stage+group)
	}
	return strings.Join(parts, " UNION ALL ")
}

var (
	split        = strconv.Itoa(splitSum)
	dealMeasures = "COUNT(*), SUM(r.amount / " + split + "), SUM(r.amount % " + split + "), COUNT(r.cycle_micros), " +
		"COALESCE(SUM(r.cycle_micros / " + split + "), 0), COALESCE(SUM(r.cycle_micros % " + split + "), 0), 0"
	meetingMeasures = "COUNT(*), 0, 0, 0, 0, 0, SUM(r.duration_minutes)"
)

func rollupColumns() string {
	return "organization_id, team_id, owner_id, " + strings.Join(rollupDims, ", ") + ", " + strings.Join(rollupMeasures, ", ")
}

// keysCTE writes the CTE k of the keys, with their months' bounds.
func (r *Rollups) keysCTE(b *builder, keys []rollupKey, zones map[string]*time.Location) string {
	rows := make([]string, len(keys))
	for i, k := range keys {
		loc := zones[k.org]
		s, e := monthStart(k.month, loc).UTC(), monthStart(k.month+1, loc).UTC()
		rows[i] = "(" + b.arg(k.source) + ", " + b.arg(k.org) + ", " + b.arg(k.team) + ", " + b.arg(k.owner) + ", " +
			r.castInt(b.arg(k.month)) + ", " + r.castTime(b.arg(s)) + ", " + r.castTime(b.arg(e)) + ")"
	}
	return "WITH k(c, g, t, o, m, s, e) AS (VALUES " + strings.Join(rows, ", ") + ") "
}

func (r *Rollups) castTime(ph string) string {
	if r.Dialect == dialect.Postgres {
		return "CAST(" + ph + " AS TIMESTAMPTZ)"
	}
	return ph
}

func (r *Rollups) castInt(ph string) string { return "CAST(" + ph + " AS INTEGER)" }

// castBig casts a placeholder to a 64-bit integer (INTEGER is 32 bits on
// PostgreSQL, 64 on SQLite).
func (r *Rollups) castBig(ph string) string {
	if r.Dialect == dialect.Postgres {
		return "CAST(" + ph + " AS BIGINT)"
	}
	return "CAST(" + ph + " AS INTEGER)"
}

// orgDelta moves the organization rows by the rows of the keys, times
// sign: before the keys are recomputed, their rows are taken out (-1);
// after, put back (+1).
func (r *Rollups) orgDelta(ctx context.Context, q execQuerier, keys []rollupKey, zones map[string]*time.Location, sign string) error {
	b := &builder{dialect: r.Dialect}
	sums := make([]string, len(rollupMeasures))
	set := make([]string, len(rollupMeasures))
	for i, m := range rollupMeasures {
		sums[i] = sign + "SUM(x." + m + ")"
		set[i] = m + " = " + orgRollupTable + "." + m + " + excluded." + m
	}
	stmt := r.keysCTE(b, keys, zones) + "INSERT INTO " + orgRollupTable + " (organization_id, " + strings.Join(rollupDims, ", ") +
		", " + strings.Join(rollupMeasures, ", ") + ") SELECT x.organization_id, x." + strings.Join(rollupDims, ", x.") + ", " +
		strings.Join(sums, ", ") + " FROM " + rollupTable + " x WHERE " + keyMatch("x") +
		" GROUP BY x.organization_id, x." + strings.Join(rollupDims, ", x.") +
		" ON CONFLICT (organization_id, month, source, date_field, stage, kind, status) DO UPDATE SET " + strings.Join(set, ", ")
	if _, err := q.ExecContext(ctx, stmt, b.args...); err != nil {
		return fmt.Errorf("kpi: rollups of the organization: %w", err)
	}
	return nil
}

// keyMatch is the condition of a rollup row (alias x) being of a key of k.
// The IN conditions let the primary key (organization_id, owner_id, …)
// find the rows, which the EXISTS then matches exactly: alone, it would be
// evaluated for every row of the table.
func keyMatch(x string) string {
	return x + ".organization_id IN (SELECT g FROM k) AND " + x + ".owner_id IN (SELECT o FROM k) AND " +
		"EXISTS (SELECT 1 FROM k WHERE k.c = " + x + ".source AND k.g = " + x + ".organization_id AND k.o = " + x +
		".owner_id AND k.t = " + x + ".team_id AND k.m = " + x + ".month)"
}

// recompute replaces the rollup rows of the keys with the records' sums,
// and moves the organizations' rows by the difference.
func (r *Rollups) recompute(ctx context.Context, q execQuerier, keys []rollupKey, zones map[string]*time.Location) error {
	if err := r.orgDelta(ctx, q, keys, zones, "-"); err != nil {
		return err
	}
	b := &builder{dialect: r.Dialect}
	if _, err := q.ExecContext(ctx, r.keysCTE(b, keys, zones)+"DELETE FROM "+rollupTable+" WHERE "+keyMatch(rollupTable), b.args...); err != nil {
		return fmt.Errorf("kpi: rollups: %w", err)
	}
	b = &builder{dialect: r.Dialect}
	if _, err := q.ExecContext(ctx, r.keysCTE(b, keys, zones)+"INSERT INTO "+rollupTable+" ("+rollupColumns()+") "+selectRows(true), b.args...); err != nil {
		return fmt.Errorf("kpi: rollups: %w", err)
	}
	return r.orgDelta(ctx, q, keys, zones, "")
}

// monthsCTE writes the CTE k(g, m, s, e) of the months of an organization
// from first to last (month numbers).
func (r *Rollups) monthsCTE(b *builder, org string, first, last int, loc *time.Location) string {
	var rows []string
	g := b.arg(org)
	for m := first; m <= last; m++ {
		rows = append(rows, "("+g+", "+r.castInt(b.arg(m))+", "+r.castTime(b.arg(monthStart(m, loc).UTC()))+", "+
			r.castTime(b.arg(monthStart(m+1, loc).UTC()))+")")
	}
	return "WITH k(g, m, s, e) AS (VALUES " + strings.Join(rows, ", ") + ") "
}

// span returns the first and last month (in loc) of any date of the
// organization's records, ok false when it has none.
func (r *Rollups) span(ctx context.Context, q execQuerier, org string, loc *time.Location) (first, last int, ok bool, err error) {
	b := &builder{dialect: r.Dialect}
	g := b.arg(org)
	rows, err := q.QueryContext(ctx, "SELECT MIN(opened_at), MAX(opened_at), MIN(closed_at), MAX(closed_at) FROM deals WHERE organization_id = "+g+
		" UNION ALL SELECT MIN(scheduled_at), MAX(scheduled_at), MIN(held_at), MAX(held_at) FROM meetings WHERE organization_id = "+g, b.args...)
	if err != nil {
		return 0, 0, false, fmt.Errorf("kpi: rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		cells := make([]any, 4)
		if err := rows.Scan(&cells[0], &cells[1], &cells[2], &cells[3]); err != nil {
			return 0, 0, false, err
		}
		for _, c := range cells {
			t, err := timeOf(c)
			if err != nil {
				return 0, 0, false, err
			}
			if t == nil {
				continue
			}
			m := monthOf(t.In(loc))
			if !ok || m < first {
				first = m
			}
			if !ok || m > last {
				last = m
			}
			ok = true
		}
	}
	return first, last, ok, rows.Err()
}

// computed returns the rollup rows of the organization computed from its
// records, by the statement q runs: what the tables should hold.
func (r *Rollups) rebuildSelect(ctx context.Context, q execQuerier, org string, loc *time.Location) (string, []any, bool, error) {
	first, last, ok, err := r.span(ctx, q, org, loc)
	if err != nil || !ok {
		return "", nil, ok, err
	}
	b := &builder{dialect: r.Dialect}
	return r.monthsCTE(b, org, first, last, loc) + selectRows(false), b.args, true, nil
}

// rebuild recomputes every rollup row of the organization.
func (r *Rollups) rebuild(ctx context.Context, q execQuerier, org string, loc *time.Location) error {
	for _, t := range []string{rollupTable, orgRollupTable} {
		if _, err := q.ExecContext(ctx, "DELETE FROM "+t+" WHERE organization_id = "+(&builder{dialect: r.Dialect}).arg(org), org); err != nil {
			return fmt.Errorf("kpi: rebuilding rollups: %w", err)
		}
	}
	if loc == nil {
		return nil
	}
	sel, args, ok, err := r.rebuildSelect(ctx, q, org, loc)
	if err != nil || !ok {
		return err
	}
	// Rebuilding a large organization sends its months in one statement:
	// at most a few thousand, whatever the number of records.
	if _, err := q.ExecContext(ctx, "INSERT INTO "+rollupTable+" ("+rollupColumns()+") "+sel, args...); err != nil {
		return fmt.Errorf("kpi: rebuilding rollups: %w", err)
	}
	b := &builder{dialect: r.Dialect}
	sums := make([]string, len(rollupMeasures))
	for i, m := range rollupMeasures {
		sums[i] = "SUM(" + m + ")"
	}
	if _, err := q.ExecContext(ctx, "INSERT INTO "+orgRollupTable+" (organization_id, "+strings.Join(rollupDims, ", ")+", "+
		strings.Join(rollupMeasures, ", ")+") SELECT organization_id, "+strings.Join(rollupDims, ", ")+", "+strings.Join(sums, ", ")+
		" FROM "+rollupTable+" WHERE organization_id = "+b.arg(org)+" GROUP BY organization_id, "+strings.Join(rollupDims, ", "), b.args...); err != nil {
		return fmt.Errorf("kpi: rebuilding rollups: %w", err)
	}
	return nil
}

// timeOf reads a time the database returned: a time, or on SQLite the
// text it keeps times as when a column's type is lost (MIN, MAX).
func timeOf(v any) (*time.Time, error) {
	var text string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		return &v, nil
	case []byte:
		text = string(v)
	case string:
		text = v
	default:
		return nil, fmt.Errorf("kpi: unexpected %T for a time", v)
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, text); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("kpi: %q is not a time", text)
}

// RebuildOrganization recomputes the organization's rollups from its
// records in q (a transaction, or a client): for writers that bypass ent's
// mutations, such as the demo's bulk copy.
func RebuildOrganization(ctx context.Context, q execQuerier, dialectName string, org pulid.ID) error {
	r := &Rollups{Dialect: dialectName}
	zones, err := r.zones(ctx, q, []string{string(org)})
	if err != nil {
		return err
	}
	if err := r.lock(ctx, q, []string{string(org)}); err != nil {
		return err
	}
	return r.rebuild(ctx, q, string(org), zones[string(org)])
}

// RebuildAll recomputes every organization's rollups from its records,
// one transaction per organization, and returns how many it rebuilt.
func (r *Rollups) RebuildAll(ctx context.Context, client *ent.Client) (int, error) {
	zones, err := r.allZones(ctx, client)
	if err != nil {
		return 0, err
	}
	for _, z := range zones {
		tx, err := client.Tx(ctx)
		if err != nil {
			return 0, err
		}
		if err := r.lock(ctx, tx, []string{z.org}); err != nil {
			return 0, errors.Join(err, tx.Rollback())
		}
		if err := r.rebuild(ctx, tx, z.org, z.loc); err != nil {
			return 0, errors.Join(err, tx.Rollback())
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return len(zones), nil
}

type orgZone struct {
	org string
	loc *time.Location
}

func (r *Rollups) allZones(ctx context.Context, q execQuerier) ([]orgZone, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, timezone FROM organizations ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("kpi: rollups: %w", err)
	}
	defer rows.Close()
	var out []orgZone
	for rows.Next() {
		var id, tz string
		if err := rows.Scan(&id, &tz); err != nil {
			return nil, err
		}
		cal, err := NewCalendar(1, tz)
		if err != nil {
			return nil, fmt.Errorf("kpi: rollups of organization %s: %w", id, err)
		}
		out = append(out, orgZone{id, cal.Location})
	}
	return out, rows.Err()
}

// lock takes the organizations' rollup locks for the rest of the
// transaction (PostgreSQL; SQLite has one writer at a time anyway).
func (r *Rollups) lock(ctx context.Context, q execQuerier, orgs []string) error {
	if r.Dialect != dialect.Postgres || len(orgs) == 0 {
		return nil
	}
	b := &builder{dialect: r.Dialect}
	ph := make([]string, len(orgs))
	for i, org := range orgs {
		ph[i] = "(" + b.arg(org) + ")"
	}
	// In the organizations' order, so that two writers never wait for
	// each other's locks.
	if _, err := q.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(o)) FROM (VALUES "+
		strings.Join(ph, ", ")+") AS v(o) ORDER BY o", b.args...); err != nil {
		return fmt.Errorf("kpi: locking rollups: %w", err)
	}
	return nil
}

// Verification is what Verify found.
type Verification struct {
	Organizations int
	// Rows counts the rollup rows the records call for (per owner).
	Rows int
	// Differences counts the rows that differ from what the records call
	// for (missing, extra or with other sums), of both tables; Examples
	// describes the first few.
	Differences int
	Examples    []string
}

// Verify compares every organization's rollups with sums computed anew
// from its records, changing nothing.
func (r *Rollups) Verify(ctx context.Context, q execQuerier) (*Verification, error) {
	zones, err := r.allZones(ctx, q)
	if err != nil {
		return nil, err
	}
	v := &Verification{Organizations: len(zones)}
	differ := func(org, table, key, want, got string) {
		v.Differences++
		if len(v.Examples) < 10 {
			v.Examples = append(v.Examples, fmt.Sprintf("organization %s, %s %s: want %s, have %s", org, table, key, want, got))
		}
	}
	for _, z := range zones {
		want := map[string][]*big.Int{}
		sel, args, ok, err := r.rebuildSelect(ctx, q, z.org, z.loc)
		if err != nil {
			return nil, err
		}
		if ok {
			if want, err = readRollupRows(ctx, q, sel, args, 3); err != nil {
				return nil, err
			}
		}
		v.Rows += len(want)
		b := &builder{dialect: r.Dialect}
		have, err := readRollupRows(ctx, q, "SELECT "+rollupColumns()+" FROM "+rollupTable+" WHERE organization_id = "+b.arg(z.org), b.args, 3)
		if err != nil {
			return nil, err
		}
		compareRows(want, have, func(key, w, h string) { differ(z.org, rollupTable, key, w, h) })
		// The organization's rows are the sums of its owners' rows.
		wantOrg := map[string][]*big.Int{}
		for key, ms := range want {
			cols := strings.Split(key, "|")
			k := strings.Join(append([]string{cols[0]}, cols[3:]...), "|") // without the team and owner
			sum := wantOrg[k]
			if sum == nil {
				sum = make([]*big.Int, len(ms))
				for i := range sum {
					sum[i] = new(big.Int)
				}
				wantOrg[k] = sum
			}
			for i, m := range ms {
				sum[i].Add(sum[i], m)
			}
		}
		b = &builder{dialect: r.Dialect}
		haveOrg, err := readRollupRows(ctx, q, "SELECT organization_id, "+strings.Join(rollupDims, ", ")+", "+strings.Join(rollupMeasures, ", ")+
			" FROM "+orgRollupTable+" WHERE organization_id = "+b.arg(z.org), b.args, 1)
		if err != nil {
			return nil, err
		}
		compareRows(wantOrg, haveOrg, func(key, w, h string) { differ(z.org, orgRollupTable, key, w, h) })
	}
	return v, nil
}

// readRollupRows reads rollup rows (keys columns of IDs, then the
// dimensions and the measures) by their key, joined with "|"; rows whose
// measures are all zero are left out (they count nothing).
func readRollupRows(ctx context.Context, q execQuerier, query string, args []any, ids int) (map[string][]*big.Int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("kpi: rollups: %w", err)
	}
	defer rows.Close()
	out := map[string][]*big.Int{}
	width := ids + len(rollupDims) + len(rollupMeasures)
	for rows.Next() {
		cells := make([]any, width)
		ptrs := make([]any, width)
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		key := make([]string, ids+len(rollupDims))
		for i := range key {
			key[i] = asString(cells[i])
		}
		ms := make([]*big.Int, len(rollupMeasures))
		zero := true
		for i := range ms {
			s, err := asSum(cells[len(key)+i])
			if err != nil {
				return nil, err
			}
			ms[i] = s.total()
			zero = zero && ms[i].Sign() == 0
		}
		if !zero {
			out[strings.Join(key, "|")] = ms
		}
	}
	return out, rows.Err()
}

func compareRows(want, have map[string][]*big.Int, differ func(key, want, have string)) {
	show := func(ms []*big.Int) string {
		if ms == nil {
			return "no row"
		}
		parts := make([]string, len(ms))
		for i, m := range ms {
			parts[i] = rollupMeasures[i] + "=" + m.String()
		}
		return strings.Join(parts, " ")
	}
	keys := make([]string, 0, len(want)+len(have))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, h := want[k], have[k]
		same := w != nil && h != nil
		for i := 0; same && i < len(w); i++ {
			same = w[i].Cmp(h[i]) == 0
		}
		if !same {
			differ(k, show(w), show(h))
		}
	}
}

// Written is what a writer that stores records without ent's mutations
// (package bulk: a COPY or a multi-row INSERT, a set-based UPDATE) wrote in
// its transaction: each new record, each changed one as it was and as it
// is, so that ApplyWritten recomputes the rollup rows both versions count in.
type Written struct {
	NewDeals        []*ent.Deal
	ChangedDeals    [][2]*ent.Deal // old, new
	NewMeetings     []*ent.Meeting
	ChangedMeetings [][2]*ent.Meeting // old, new
}

// ApplyWritten recomputes, now and in the transaction q belongs to, the
// rollup rows of what w wrote (the rows were written before the call), as
// the hooks of ent's mutations have theirs recomputed at commit: the keys
// of each record's old and new versions, and the meetings of a deal whose
// stage changed.
func ApplyWritten(ctx context.Context, q interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, dialectName string, w Written) error {
	s := &staged{}
	s.added = w.NewDeals
	for _, c := range w.ChangedDeals {
		s.records = append(s.records, dealRecord(c[0]), dealRecord(c[1]))
		if c[0].Stage != c[1].Stage {
			s.restaged = append(s.restaged, string(c[1].ID))
		}
	}
	for _, m := range w.NewMeetings {
		s.records = append(s.records, meetingRecord(m))
	}
	for _, c := range w.ChangedMeetings {
		s.records = append(s.records, meetingRecord(c[0]), meetingRecord(c[1]))
	}
	return (&Rollups{Dialect: dialectName}).apply(ctx, q, s)
}

// rollupRow is one row's measures, by its key and dimensions.
type rollupRow struct {
	org, team, owner, source, field string
	month                           int
	stage, kind, status             string
}

// add adds the sums of the added deals to their rows, and to their
// organizations' rows (an upsert each, whatever the number of deals), but
// for the keys recomputed from the records anyway (keys), whose new rows
// already count them, and the organizations rebuilt whole. The sums are
// those of selectRows: per date of the deal in the organization's zone, a
// row, the amount and the cycle in their two halves.
func (r *Rollups) add(ctx context.Context, q execQuerier, s *staged, keys map[rollupKey]bool, zones map[string]*time.Location) error {
	sums := map[rollupRow]*[7]int64{}
	var order []rollupRow
	for _, d := range s.added {
		org := string(d.OrganizationID)
		loc := zones[org]
		if loc == nil || s.rebuild[org] {
			continue
		}
		for _, at := range []struct {
			field string
			t     *time.Time
		}{{"OPENED_AT", &d.OpenedAt}, {"CLOSED_AT", d.ClosedAt}} {
			if at.t == nil {
				continue
			}
			month := monthOf(at.t.In(loc))
			if keys[rollupKey{source: rollupDeals, org: org, team: string(d.TeamID), owner: string(d.OwnerID), month: month}] {
				continue
			}
			k := rollupRow{org: org, team: string(d.TeamID), owner: string(d.OwnerID), source: rollupDeals, field: at.field,
				month: month, stage: string(d.Stage)}
			m := sums[k]
			if m == nil {
				m = &[7]int64{}
				sums[k] = m
				order = append(order, k)
			}
			m[0]++
			m[1] += d.Amount / splitSum
			m[2] += d.Amount % splitSum
			if d.CycleMicros != nil {
				m[3]++
				m[4] += *d.CycleMicros / splitSum
				m[5] += *d.CycleMicros % splitSum
			}
		}
	}
	if len(order) == 0 {
		return nil
	}
	set := func(table string) string {
		parts := make([]string, len(rollupMeasures))
		for i, m := range rollupMeasures {
			parts[i] = m + " = " + table + "." + m + " + excluded." + m
		}
		return strings.Join(parts, ", ")
	}
	// The organizations' rows: the same sums without team and owner.
	orgSums := map[rollupRow]*[7]int64{}
	var orgOrder []rollupRow
	for _, k := range order {
		ok := k
		ok.team, ok.owner = "", ""
		m := orgSums[ok]
		if m == nil {
			m = &[7]int64{}
			orgSums[ok] = m
			orgOrder = append(orgOrder, ok)
		}
		for i, v := range sums[k] {
			m[i] += v
		}
	}
	for start := 0; start < len(order); start += maxAddedRows {
		rows := order[start:min(start+maxAddedRows, len(order))]
		b := &builder{dialect: r.Dialect}
		vals := make([]string, len(rows))
		for i, k := range rows {
			m := sums[k]
			vals[i] = "(" + b.arg(k.org) + ", " + b.arg(k.team) + ", " + b.arg(k.owner) + ", " + b.arg(k.source) + ", " +
				b.arg(k.field) + ", " + r.castInt(b.arg(k.month)) + ", " + b.arg(k.stage) + ", " + b.arg(k.kind) + ", " + b.arg(k.status)
			for _, v := range m {
				vals[i] += ", " + r.castBig(b.arg(v))
			}
			vals[i] += ")"
		}
		stmt := "INSERT INTO " + rollupTable + " (" + rollupColumns() + ") VALUES " + strings.Join(vals, ", ") +
			" ON CONFLICT (organization_id, owner_id, month, team_id, source, date_field, stage, kind, status) DO UPDATE SET " + set(rollupTable)
		if _, err := q.ExecContext(ctx, stmt, b.args...); err != nil {
			return fmt.Errorf("kpi: rollups: %w", err)
		}
	}
	for start := 0; start < len(orgOrder); start += maxAddedRows {
		rows := orgOrder[start:min(start+maxAddedRows, len(orgOrder))]
		b := &builder{dialect: r.Dialect}
		vals := make([]string, len(rows))
		for i, k := range rows {
			vals[i] = "(" + b.arg(k.org) + ", " + b.arg(k.source) + ", " + b.arg(k.field) + ", " + r.castInt(b.arg(k.month)) + ", " +
				b.arg(k.stage) + ", " + b.arg(k.kind) + ", " + b.arg(k.status)
			for _, v := range orgSums[k] {
				vals[i] += ", " + r.castBig(b.arg(v))
			}
			vals[i] += ")"
		}
		stmt := "INSERT INTO " + orgRollupTable + " (organization_id, " + strings.Join(rollupDims, ", ") + ", " + strings.Join(rollupMeasures, ", ") +
			") VALUES " + strings.Join(vals, ", ") +
			" ON CONFLICT (organization_id, month, source, date_field, stage, kind, status) DO UPDATE SET " + set(orgRollupTable)
		if _, err := q.ExecContext(ctx, stmt, b.args...); err != nil {
			return fmt.Errorf("kpi: rollups of the organization: %w", err)
		}
	}
	return nil
}

// maxAddedRows keeps an upsert's arguments (16 a row) within what both
// databases accept: a batch of bulk.MaxRows deals, two dates each, is one
// statement.
const maxAddedRows = 2000
