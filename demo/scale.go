package demo

// A scaled demo (Options.Deals or Options.Meetings > 0) is the default
// demo's organization grown for benchmarks: the cast joined by thousands of
// reps, with up to millions of deals and meetings.
//
// Nothing of that is held in memory at once. Each rep's year is generated
// from random streams of its own, seeded by the seed and the rep's index, so
// that reps can be generated one at a time, in order, and the data still
// depends on nothing but the Options. Every rep is generated twice: once to
// size the demo (how many reps give the deals asked for, and at which rates
// they give the meetings asked for), counting only, and once to write it.
//
// Teams and users go through ent and its hooks like the default demo's.
// Deals and meetings do not: their hooks make queries per row (tenancy
// checks), far too slow for millions of rows. They are written as raw
// multi-row INSERTs in the same transaction, with every column set the way
// the hooks would set it (dealRow, meetingRow), while the next reps are
// generated on another goroutine.

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/lib/pq"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/enum"
	kpiengine "kpiflow/kpi"
)

const (
	// teamSize and regionSize shape the organization beyond the cast: teams
	// of about teamSize reps under regions of about regionSize teams.
	teamSize   = 8
	regionSize = 6

	emailDomain = "demo.kpiflow.test"
)

// maxParams are the bind-parameter limits of the dialects: SQLite's
// SQLITE_MAX_VARIABLE_NUMBER and PostgreSQL's 16-bit parameter count. An
// INSERT takes as many rows as they allow: on SQLite, statements of 3,000
// rows load in 30% less time than statements of 500 (each statement
// journals the pages it changes), and on PostgreSQL in no more.
var maxParams = map[string]int{dialect.SQLite: 32766, dialect.Postgres: 65535}

// scale is a scaled demo, sized before anything is written.
type scale struct {
	seed    uint64
	now     time.Time
	loc     *time.Location
	dialect string
	staff   []personPlan
	// reps are all the reps, the cast's first.
	reps []repPlan
	// prospectFactor and keep are the generator's meeting rates (see
	// generator) that give about the meetings asked for.
	prospectFactor, keep float64
	// dealFactor scales the reps' deal rates (see generator).
	dealFactor float64
	// copyTx, when set (PostgreSQL), is the database/sql transaction of
	// the ent one the demo is written in: deals and meetings are written
	// with COPY through it rather than as INSERTs.
	copyTx *sql.Tx
	// deals is exact; meetings is the number expected.
	deals, meetings int
}

// newScale sizes a scaled demo: it generates reps until they have the deals
// asked for (or the meetings, when no deals are), counting their deals,
// their deals' meetings and their prospecting meetings at the default
// rates, and then sets the meeting rates.
func newScale(seed uint64, now time.Time, loc *time.Location, reps, deals, meetings int, d string) *scale {
	s := &scale{seed: seed, now: now, loc: loc, dialect: d, prospectFactor: 1, keep: 1, dealFactor: 1}
	var dealMeetings, prospects int
	// count generates reps until stop says enough, counting their deals
	// and meetings at the default meeting rates.
	count := func(stop func() bool) {
		g := s.generator()
		s.staff = g.staffPlans()
		s.reps, s.deals, dealMeetings, prospects = nil, 0, 0, 0
		for i := 0; !stop(); i++ {
			s.reps = append(s.reps, s.rep(g, i))
			g.activity(0)
			s.deals += len(g.deals)
			for _, m := range g.meetings {
				if m.deal >= 0 {
					dealMeetings++
				} else {
					prospects++
				}
			}
		}
	}
	switch {
	case reps > 0:
		// So many reps; with deals too, each rep's deal rate is scaled to
		// make about that many (their meetings follow their deals).
		count(func() bool { return len(s.reps) >= reps })
		if deals > 0 && s.deals > 0 {
			s.dealFactor = float64(deals) / float64(s.deals)
			count(func() bool { return len(s.reps) >= reps })
		}
	default:
		count(func() bool {
			return deals > 0 && s.deals >= deals || deals == 0 && dealMeetings+prospects >= meetings
		})
	}
	// The deals fix the number of reps. Fewer meetings than they have at
	// the default rates are fewer prospecting meetings and fewer of the
	// deals' meetings recorded, in proportion; more are more prospecting.
	// Either way the deals stay the same: they come from other streams.
	if all := dealMeetings + prospects; (deals > 0 || reps > 0) && meetings > 0 && all > 0 {
		switch {
		case meetings < all:
			s.keep = float64(meetings) / float64(all)
			s.prospectFactor = s.keep
		case prospects > 0:
			s.prospectFactor = float64(meetings-dealMeetings) / float64(prospects)
		}
	}
	s.meetings = int(math.Round(float64(dealMeetings)*s.keep + float64(prospects)*s.prospectFactor))
	return s
}

// generator returns a generator for the scaled demo's reps, at the
// default meeting rates.
func (s *scale) generator() *generator {
	g := newGenerator(s.now, s.loc)
	g.hiredFirst = true
	g.dealFactor = s.dealFactor
	return g
}

// rep prepares g to generate rep i: it seeds the rep's streams, makes the
// rep up (or takes it from the cast) as the only rep of g, and empties g's
// deals and meetings. It returns the rep.
func (s *scale) rep(g *generator, i int) repPlan {
	g.r = rand.New(rand.NewPCG(streamSeed(s.seed, i, 0), streamSeed(s.seed, i, 1)))
	g.mr = rand.New(rand.NewPCG(streamSeed(s.seed, i, 2), streamSeed(s.seed, i, 3)))
	var spec repSpec
	if i < len(reps) {
		spec = reps[i]
	} else {
		spec = drawRep(g.r, i)
	}
	g.reps = append(g.reps[:0], g.newRep(spec))
	g.deals, g.meetings = g.deals[:0], g.meetings[:0]
	return g.reps[0]
}

// streamSeed derives a word of the seed of one of rep i's random streams.
// SplitMix64 scrambles it, so that neighbouring reps and seeds have
// unrelated streams.
func streamSeed(seed uint64, rep, word int) uint64 {
	return splitmix(seed ^ splitmix(uint64(rep)<<2|uint64(word)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// drawRep makes up rep i beyond the cast. Each is modelled on a member of
// the cast, so that tenures (a sixth of the reps are ramping) and skills
// are spread as in the default demo. The rep's team is set by the layout.
func drawRep(r *rand.Rand, i int) repSpec {
	like := reps[r.IntN(len(reps))]
	first, last := choose(r, firstNames), choose(r, lastNames)
	return repSpec{
		name:       first + " " + last,
		email:      personEmail(first, last, i+1),
		team:       -1,
		tenureDays: max(20, int(float64(like.tenureDays)*math.Exp(0.25*r.NormFloat64()))),
		skill:      clamp(like.skill+(r.Float64()-0.5)*0.2, 0.05, 0.95),
	}
}

// personEmail is the email of a person beyond the cast; n makes it unique.
func personEmail(first, last string, n int) string {
	return strings.ToLower(first) + "." + strings.ToLower(last) + "." + strconv.Itoa(n) + "@" + emailDomain
}

// write writes the scaled demo with c, a transactional client.
func (s *scale) write(ctx context.Context, c *ent.Client, passwordHash string, pr *progress) (*Summary, error) {
	// The reps beyond the cast fill teams in order, the teams regions:
	// extra reps in nTeams teams in nRegions regions, sizes balanced.
	extra := max(0, len(s.reps)-len(reps))
	nTeams := (extra + teamSize - 1) / teamSize
	nRegions := (nTeams + regionSize - 1) / regionSize
	pr.total = len(staff) + len(teams) + 2*(nRegions+nTeams) + len(s.reps) + s.deals + s.meetings

	sum, castTeams, err := writeCast(ctx, c, s.staff, passwordHash, pr)
	if err != nil {
		return nil, err
	}
	org := sum.Organization

	// A manager for each new region and team, regions first. Their names
	// come from a stream of their own, apart from the reps'.
	const managerStream = 0x6d616e61676572 // "manager"
	r := rand.New(rand.NewPCG(splitmix(s.seed^managerStream), splitmix(s.seed)))
	g := newGenerator(s.now, s.loc)
	managers := make([]*ent.UserCreate, nRegions+nTeams)
	for k := range managers {
		first, last := choose(r, firstNames), choose(r, lastNames)
		tenure := 2*365 + r.IntN(6*365)
		managers[k] = c.User.Create().
			SetOrganizationID(org.ID).
			SetEmail(personEmail(first, last, len(s.reps)+k+1)).
			SetName(first + " " + last).
			SetRole(user.RoleManager).
			SetPasswordHash(passwordHash).
			SetHiredAt(at(g.hireDay(tenure), 9, 0))
	}
	managerIDs, err := createUsers(ctx, c, managers, pr)
	if err != nil {
		return nil, fmt.Errorf("creating managers: %w", err)
	}
	sum.Users += len(managerIDs)

	names := make([]string, nRegions)
	regions := make([]*ent.TeamCreate, nRegions)
	for k := range regions {
		names[k] = regionName(k)
		regions[k] = c.Team.Create().
			SetOrganizationID(org.ID).
			SetName(names[k]).
			SetReviewCadence(enum.CadenceQuarterly).
			AddManagerIDs(managerIDs[k])
	}
	regionIDs, err := createTeams(ctx, c, regions, pr)
	if err != nil {
		return nil, fmt.Errorf("creating regions: %w", err)
	}
	cadences := []enum.ReviewCadence{enum.CadenceWeekly, enum.CadenceBiweekly, enum.CadenceMonthly}
	teamBuilders := make([]*ent.TeamCreate, nTeams)
	letter := 'A' // of the team in its region: "Pacific A", "Pacific B", …
	for t := range teamBuilders {
		k := t * nRegions / nTeams
		if t > 0 && k != (t-1)*nRegions/nTeams {
			letter = 'A'
		}
		teamBuilders[t] = c.Team.Create().
			SetOrganizationID(org.ID).
			SetName(names[k] + " " + string(letter)).
			SetReviewCadence(cadences[t%len(cadences)]).
			SetParentID(regionIDs[k]).
			AddManagerIDs(managerIDs[nRegions+t])
		letter++
	}
	teamIDs, err := createTeams(ctx, c, teamBuilders, pr)
	if err != nil {
		return nil, fmt.Errorf("creating teams: %w", err)
	}
	sum.Teams += nRegions + nTeams

	repTeams := make([]pulid.ID, len(s.reps))
	repBuilders := make([]*ent.UserCreate, len(s.reps))
	for i, rp := range s.reps {
		if i < len(reps) {
			repTeams[i] = castTeams[rp.team]
		} else {
			repTeams[i] = teamIDs[(i-len(reps))*nTeams/extra]
		}
		repBuilders[i] = c.User.Create().
			SetOrganizationID(org.ID).
			SetEmail(rp.email).
			SetName(rp.name).
			SetRole(user.RoleRep).
			SetTeamID(repTeams[i]).
			SetPasswordHash(passwordHash).
			SetHiredAt(rp.hiredAt)
	}
	repIDs, err := createUsers(ctx, c, repBuilders, pr)
	if err != nil {
		return nil, fmt.Errorf("creating reps: %w", err)
	}
	sum.Users += len(repIDs)

	if err := s.writeActivity(ctx, c, org.ID, repIDs, repTeams, sum, pr); err != nil {
		return nil, err
	}
	// The rows were copied in bulk, past ent's hooks: the KPI rollups are
	// computed from them once, in the same transaction.
	if err := kpiengine.RebuildOrganization(ctx, c, s.dialect, org.ID); err != nil {
		return nil, err
	}
	return sum, nil
}

// regionName names region k beyond North America; once the names run
// out, they come round again with a number ("Pacific 2").
func regionName(k int) string {
	name := regionNames[k%len(regionNames)]
	if k >= len(regionNames) {
		name += " " + strconv.Itoa(k/len(regionNames)+1)
	}
	return name
}

// createUsers saves the users in batches, through ent and its hooks, and
// returns their IDs in order.
func createUsers(ctx context.Context, c *ent.Client, bs []*ent.UserCreate, pr *progress) ([]pulid.ID, error) {
	ids := make([]pulid.ID, 0, len(bs))
	for lo := 0; lo < len(bs); lo += batchSize {
		us, err := c.User.CreateBulk(bs[lo:min(lo+batchSize, len(bs))]...).Save(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		pr.add(len(us))
	}
	return ids, nil
}

// createTeams saves the teams in batches, through ent and its hooks, and
// returns their IDs in order. A team's parent must be saved already.
func createTeams(ctx context.Context, c *ent.Client, bs []*ent.TeamCreate, pr *progress) ([]pulid.ID, error) {
	ids := make([]pulid.ID, 0, len(bs))
	for lo := 0; lo < len(bs); lo += batchSize {
		ts, err := c.Team.CreateBulk(bs[lo:min(lo+batchSize, len(bs))]...).Save(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			ids = append(ids, t.ID)
		}
		pr.add(len(ts))
	}
	return ids, nil
}

// stmt is an INSERT for the writer: the statement, its arguments and the
// rows it inserts into deals or meetings.
type stmt struct {
	query string
	args  []any
	deals bool
	rows  int
	// in made the statement: its table and columns, for COPY.
	in *inserter
}

// copyRows writes a statement's rows with COPY … FROM STDIN (lib/pq's
// CopyIn) in tx: several times faster than the INSERT for PostgreSQL to
// take in. The COPY ends with the batch, so that the next batch (the
// meetings of these deals) sees its rows.
func copyRows(ctx context.Context, tx *sql.Tx, st stmt) error {
	in := st.in
	cp, err := tx.PrepareContext(ctx, pq.CopyIn(in.table, in.names...))
	if err != nil {
		return err
	}
	defer cp.Close()
	row := make([]any, len(in.cols))
	for r := 0; r < st.rows; r++ {
		k := len(in.shared) + r*in.perRow
		for i, c := range in.cols {
			if c.shared > 0 {
				row[i] = in.shared[c.shared-1]
			} else {
				row[i] = st.args[k]
				k++
			}
		}
		if _, err := cp.ExecContext(ctx, row...); err != nil {
			return err
		}
	}
	if _, err := cp.ExecContext(ctx); err != nil {
		return err
	}
	return cp.Close()
}

// writeActivity generates the reps' deals and meetings on a goroutine of
// its own and writes them with c as they come: generating and writing take
// a core each.
func (s *scale) writeActivity(ctx context.Context, c *ent.Client, org pulid.ID, repIDs, repTeams []pulid.ID, sum *Summary, pr *progress) error {
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stmts := make(chan stmt, 4)
	var genErr error
	generated := make(chan struct{})
	go func() {
		defer close(generated)
		defer close(stmts)
		genErr = s.generate(genCtx, stmts, org, repIDs, repTeams)
	}()
	var err error
	for st := range stmts {
		if s.copyTx != nil {
			err = copyRows(ctx, s.copyTx, st)
		} else {
			_, err = c.ExecContext(ctx, st.query, st.args...)
		}
		if err != nil {
			what := "meetings"
			if st.deals {
				what = "deals"
			}
			err = fmt.Errorf("inserting %s: %w", what, err)
			break
		}
		if st.deals {
			sum.Deals += st.rows
		} else {
			sum.Meetings += st.rows
		}
		pr.add(st.rows)
	}
	cancel() // stops the generator if the writer failed
	<-generated
	if err != nil {
		return err
	}
	return genErr
}

// generate generates the reps' deals and meetings, in the order of the
// reps, and sends the INSERTs that write them to out.
func (s *scale) generate(ctx context.Context, out chan<- stmt, org pulid.ID, repIDs, repTeams []pulid.ID) error {
	// created_at and updated_at: one instant for all, as if imported at once.
	created := time.Now().UTC().Truncate(time.Microsecond)
	deals := newInserter(s.dialect, deal.Table, []column{
		{name: deal.FieldOrganizationID, shared: 1},
		{name: deal.FieldCreatedAt, shared: 2},
		{name: deal.FieldUpdatedAt, shared: 2},
		{name: deal.FieldID},
		{name: deal.FieldOwnerID},
		{name: deal.FieldTeamID},
		{name: deal.FieldName},
		{name: deal.FieldCustomerName},
		{name: deal.FieldAmount},
		{name: deal.FieldStage},
		{name: deal.FieldOpenedAt},
		{name: deal.FieldClosedAt},
		{name: deal.FieldCycleMicros},
	}, []any{string(org), created})
	meetings := newInserter(s.dialect, meeting.Table, []column{
		{name: meeting.FieldOrganizationID, shared: 1},
		{name: meeting.FieldCreatedAt, shared: 2},
		{name: meeting.FieldUpdatedAt, shared: 2},
		{name: meeting.FieldID},
		{name: meeting.FieldOwnerID},
		{name: meeting.FieldTeamID},
		{name: meeting.FieldDealID},
		{name: meeting.FieldKind},
		{name: meeting.FieldScheduledAt},
		{name: meeting.FieldDurationMinutes},
		{name: meeting.FieldStatus},
		{name: meeting.FieldHeldAt},
		{name: meeting.FieldNotes},
	}, []any{string(org), created})
	send := func(in *inserter) error {
		if in.rows == 0 {
			return nil
		}
		st := in.take()
		st.deals = in == deals
		select {
		case out <- st:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	g := s.generator()
	g.prospectFactor, g.keep = s.prospectFactor, s.keep
	now := s.now.UTC()
	var dealIDs []pulid.ID
	for i := range s.reps {
		s.rep(g, i)
		g.activity(0)
		dealIDs = dealIDs[:0]
		for _, d := range g.deals {
			id := pulid.New("deal")
			dealIDs = append(dealIDs, id)
			if err := dealRow(deals, id, repIDs[i], repTeams[i], d, now); err != nil {
				return err
			}
			if deals.full() {
				if err := send(deals); err != nil {
					return err
				}
			}
		}
		for _, m := range g.meetings {
			var dealID pulid.ID
			if m.deal >= 0 {
				dealID = dealIDs[m.deal]
			}
			if err := meetingRow(meetings, pulid.New("meet"), repIDs[i], repTeams[i], dealID, m, now); err != nil {
				return err
			}
			if meetings.full() {
				// The meetings' deals go first, for the foreign keys.
				if err := send(deals); err != nil {
					return err
				}
				if err := send(meetings); err != nil {
					return err
				}
			}
		}
	}
	if err := send(deals); err != nil {
		return err
	}
	return send(meetings)
}

// dealRow adds deal d to in, with the columns the deal hooks would set
// (ent/schema/rules.go): the team is the owner's, closed_at is set exactly
// when the deal is WON or LOST and lies between opened_at and now, and
// cycle_micros is the microseconds between them. The generator
// guarantees all of it; dealRow checks, as no hook will.
func dealRow(in *inserter, id, owner, team pulid.ID, d dealPlan, now time.Time) error {
	opened := dbTime(d.opened)
	var closedAt, cycle any // NULL while the deal is open
	closed := d.stage == deal.StageWon || d.stage == deal.StageLost
	switch {
	case opened.After(now):
		return fmt.Errorf("deal %s opened at %v, after now", id, opened)
	case closed != !d.closed.IsZero():
		return fmt.Errorf("deal %s is %s with closing time %v", id, d.stage, d.closed)
	case closed:
		t := dbTime(d.closed)
		if t.Before(opened) || t.After(now) {
			return fmt.Errorf("deal %s opened at %v is closed at %v", id, opened, t)
		}
		closedAt, cycle = t, t.Sub(opened).Microseconds()
	}
	in.add(string(id), string(owner), string(team), d.name, d.customer, d.amount, string(d.stage), opened, closedAt, cycle)
	return nil
}

// meetingRow adds meeting m to in, with the columns the meeting hooks would
// set: the team is the owner's, held_at is the scheduled time exactly when
// the meeting was HELD, and not after now. dealID is "" for a meeting of no
// deal.
func meetingRow(in *inserter, id, owner, team, dealID pulid.ID, m meetingPlan, now time.Time) error {
	scheduled := dbTime(m.scheduled)
	var dealArg, heldAt, notes any // NULL unless set
	if dealID != "" {
		dealArg = string(dealID)
	}
	if m.status == meeting.StatusHeld {
		if scheduled.After(now) {
			return fmt.Errorf("meeting %s held at %v, after now", id, scheduled)
		}
		heldAt = scheduled
	}
	if m.notes != "" {
		notes = m.notes
	}
	in.add(string(id), string(owner), string(team), dealArg, string(m.kind), scheduled, int64(m.minutes), string(m.status), heldAt, notes)
	return nil
}

// dbTime is t as the schema's time hook stores it: in UTC, to the
// microsecond PostgreSQL keeps.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// inserter accumulates rows for multi-row INSERTs into one table. The
// values every row shares (the organization, the creation time) are bound
// once, as the first parameters of each statement: SQLite's ?NNN and
// PostgreSQL's $N placeholders may be repeated.
type inserter struct {
	dialect string
	table   string
	names   []string // of the columns
	prefix  string   // INSERT INTO … VALUES
	cols    []column
	shared  []any
	perRow  int
	maxRows int
	// fullQuery is the statement for maxRows rows, which most are.
	fullQuery string
	args      []any
	rows      int
}

// column is a column of an inserter: shared is the 1-based index of its
// shared value, or 0 for a value of each row.
type column struct {
	name   string
	shared int
}

func newInserter(d, table string, cols []column, shared []any) *inserter {
	in := &inserter{dialect: d, table: table, cols: cols, shared: shared}
	names := make([]string, len(cols))
	for i, c := range cols {
		in.names = append(in.names, c.name)
		names[i] = `"` + c.name + `"`
		if c.shared == 0 {
			in.perRow++
		}
	}
	in.prefix = `INSERT INTO "` + table + `" (` + strings.Join(names, ", ") + `) VALUES `
	in.maxRows = (maxParams[d] - len(shared)) / in.perRow
	in.fullQuery = in.query(in.maxRows)
	in.reset()
	return in
}

// add adds a row: the values of the columns that are not shared, in order.
func (in *inserter) add(values ...any) {
	if len(values) != in.perRow {
		panic(fmt.Sprintf("demo: %d values for %d columns", len(values), in.perRow))
	}
	in.args = append(in.args, values...)
	in.rows++
}

// full reports whether the next row would not fit in one statement.
func (in *inserter) full() bool { return in.rows >= in.maxRows }

// take returns the statement for the rows added since the last take.
func (in *inserter) take() stmt {
	q := in.fullQuery
	if in.rows != in.maxRows {
		q = in.query(in.rows)
	}
	st := stmt{query: q, args: in.args, rows: in.rows, in: in}
	in.reset()
	return st
}

func (in *inserter) reset() {
	in.args = append(make([]any, 0, len(in.shared)+in.maxRows*in.perRow), in.shared...)
	in.rows = 0
}

// query builds the statement for n rows.
func (in *inserter) query(n int) string {
	var b strings.Builder
	b.Grow(len(in.prefix) + n*len(in.cols)*8)
	b.WriteString(in.prefix)
	p := len(in.shared)
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i, c := range in.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			switch {
			case in.dialect == dialect.Postgres:
				arg := c.shared
				if arg == 0 {
					p++
					arg = p
				}
				b.WriteString("$" + strconv.Itoa(arg))
			case c.shared > 0:
				b.WriteString("?" + strconv.Itoa(c.shared))
			default:
				// A plain ? takes the number after the largest so far, so
				// it numbers the row's values from len(shared)+1 on. ?NNN
				// would too, but SQLite looks up the name of each numbered
				// parameter by a linear scan when binding: quadratic time.
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// dialectOf returns the dialect of client's database: d if it is given,
// else what the database answers to.
func dialectOf(ctx context.Context, client *ent.Client, d string) (string, error) {
	switch d {
	case dialect.SQLite, dialect.Postgres:
		return d, nil
	case "":
	default:
		return "", fmt.Errorf("dialect %q is neither %q nor %q", d, dialect.SQLite, dialect.Postgres)
	}
	// Only SQLite has sqlite_version(). Asked outside a transaction, the
	// query fails harmlessly on PostgreSQL.
	for _, c := range []struct{ query, dialect string }{
		{"SELECT sqlite_version()", dialect.SQLite},
		{"SELECT current_setting('server_version')", dialect.Postgres},
	} {
		rows, err := client.QueryContext(ctx, c.query)
		if err != nil {
			continue
		}
		rows.Close()
		return c.dialect, nil
	}
	return "", fmt.Errorf("the database is neither SQLite nor PostgreSQL: give Options.Dialect")
}
