package graph_test

import (
	"entgo.io/ent/dialect"

	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
)

// rollupWorld is an organization whose record a test writes at random.
type rollupWorld struct {
	// fast compares by quarter only (under the race detector, on SQLite).
	fast     bool
	s        *apitest.Server
	org      *ent.Organization
	admin    *ent.User
	as       *apitest.Server
	teams    []*ent.Team
	reps     []*ent.User
	deals    []pulid.ID
	meetings []pulid.ID
	imported int
	rnd      *rand.Rand
}

var (
	rollupStages   = []string{"PROSPECTING", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "WON", "LOST", "WON", "LOST"}
	rollupKinds    = []string{"DISCOVERY", "DEMO", "PROPOSAL", "NEGOTIATION", "FOLLOW_UP"}
	rollupStatuses = []string{"SCHEDULED", "HELD", "HELD", "CANCELLED", "NO_SHOW"}
)

// at is a random instant of 2025–2026 before the real clock, often close
// to a month's boundary in New York, where UTC and the organization's
// months differ.
func (w *rollupWorld) at() time.Time {
	ny, _ := time.LoadLocation("America/New_York")
	month := time.Date(2025, time.Month(1+w.rnd.Intn(22)), 1, 0, 0, 0, 0, ny)
	switch w.rnd.Intn(3) {
	case 0: // within hours of the month's start, either side
		return month.Add(time.Duration(w.rnd.Intn(12*60)-6*60) * time.Minute).UTC()
	default:
		return month.Add(time.Duration(w.rnd.Int63n(int64(28 * 24 * time.Hour)))).UTC().Truncate(time.Second)
	}
}

func (w *rollupWorld) pick(xs []string) string { return xs[w.rnd.Intn(len(xs))] }

func (w *rollupWorld) rep() *ent.User { return w.reps[w.rnd.Intn(len(w.reps))] }

func ts(t time.Time) string { return t.Format(time.RFC3339Nano) }

// dealFields returns a random stage with dates that the rules accept.
func (w *rollupWorld) dealFields() map[string]any {
	a, b := w.at(), w.at()
	if b.Before(a) {
		a, b = b, a
	}
	in := map[string]any{"stage": w.pick(rollupStages), "openedAt": ts(a)}
	if st := in["stage"]; st == "WON" || st == "LOST" {
		in["closedAt"] = ts(b)
	}
	return in
}

func (w *rollupWorld) amount() string {
	if w.rnd.Intn(10) == 0 {
		return "9999999999999.99" // money.MaxMinor
	}
	return fmt.Sprintf("%d.%02d", w.rnd.Intn(100000), w.rnd.Intn(100))
}

func (w *rollupWorld) meetingFields() map[string]any {
	in := map[string]any{"kind": w.pick(rollupKinds), "status": w.pick(rollupStatuses), "scheduledAt": ts(w.at()),
		"durationMinutes": 15 + w.rnd.Intn(120)}
	if in["status"] == "HELD" && w.rnd.Intn(2) == 0 {
		in["heldAt"] = ts(w.at())
	}
	return in
}

// step makes one random write, of any kind a user or an import can make.
func (w *rollupWorld) step(t *testing.T) string {
	t.Helper()
	if w.as == nil {
		w.as = w.s.As(t, w.admin)
	}
	as := w.as
	switch op := w.rnd.Intn(12); {
	case op < 2 || len(w.deals) < 3:
		in := w.dealFields()
		in["name"], in["customerName"], in["amount"], in["ownerID"] = "d", "c", w.amount(), w.rep().ID
		if w.rnd.Intn(3) == 0 {
			in["teamID"] = w.teams[w.rnd.Intn(len(w.teams))].ID
		}
		var out struct {
			CreateDeal struct{ Deal struct{ ID pulid.ID } }
		}
		if res := as.Query(t, `mutation($in: CreateDealInput!) { createDeal(input: $in) { deal { id } } }`, map[string]any{"in": in}); len(res.Errors) == 0 {
			if err := json.Unmarshal(res.Data, &out); err != nil {
				t.Fatal(err)
			}
			w.deals = append(w.deals, out.CreateDeal.Deal.ID)
		} else if owner := in["ownerID"]; owner != nil && res.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("createDeal: %v\n%s", res.Errors, w.s.Logs())
		}
		return "create a deal"
	case op < 4:
		in := map[string]any{"id": w.deals[w.rnd.Intn(len(w.deals))]}
		what := ""
		switch w.rnd.Intn(5) {
		case 0:
			in["ownerID"], what = w.rep().ID, "reassign"
		case 1:
			in["teamID"], what = w.teams[w.rnd.Intn(len(w.teams))].ID, "re-team"
		case 2:
			in["amount"], what = w.amount(), "amount"
		case 3:
			in["stage"], what = w.pick([]string{"PROSPECTING", "QUALIFIED", "NEGOTIATION"}), "reopen" // clears closedAt
		default:
			for k, v := range w.dealFields() {
				in[k] = v
			}
			if in["closedAt"] == nil {
				in["clearClosedAt"] = true
			}
			what = "stage and dates"
		}
		if res := as.Query(t, `mutation($in: UpdateDealInput!) { updateDeal(input: $in) { deal { id } } }`, map[string]any{"in": in}); len(res.Errors) > 0 &&
			res.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("updateDeal (%s): %v", what, res.Errors)
		}
		return "update a deal: " + what
	case op < 6:
		in := w.meetingFields()
		in["ownerID"] = w.rep().ID
		if w.rnd.Intn(4) > 0 {
			in["dealID"] = w.deals[w.rnd.Intn(len(w.deals))]
		}
		var out struct {
			CreateMeeting struct{ Meeting struct{ ID pulid.ID } }
		}
		if res := as.Query(t, `mutation($in: CreateMeetingInput!) { createMeeting(input: $in) { meeting { id } } }`, map[string]any{"in": in}); len(res.Errors) == 0 {
			if err := json.Unmarshal(res.Data, &out); err != nil {
				t.Fatal(err)
			}
			w.meetings = append(w.meetings, out.CreateMeeting.Meeting.ID)
		} else if res.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("createMeeting: %v", res.Errors)
		}
		return "create a meeting"
	case op < 8 && len(w.meetings) > 0:
		in := map[string]any{"id": w.meetings[w.rnd.Intn(len(w.meetings))]}
		what := ""
		switch w.rnd.Intn(4) {
		case 0:
			in["ownerID"], what = w.rep().ID, "reassign"
		case 1:
			if w.rnd.Intn(2) == 0 {
				in["dealID"] = w.deals[w.rnd.Intn(len(w.deals))]
			} else {
				in["clearDeal"] = true
			}
			what = "deal"
		case 2:
			in["status"], what = w.pick(rollupStatuses), "status"
		default:
			for k, v := range w.meetingFields() {
				in[k] = v
			}
			what = "all"
		}
		if res := as.Query(t, `mutation($in: UpdateMeetingInput!) { updateMeeting(input: $in) { meeting { id } } }`, map[string]any{"in": in}); len(res.Errors) > 0 &&
			res.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("updateMeeting (%s): %v", what, res.Errors)
		}
		return "update a meeting: " + what
	case op < 9:
		u := w.rep()
		in := map[string]any{"id": u.ID}
		if w.rnd.Intn(5) == 0 {
			in["clearTeam"] = true
		} else {
			in["teamID"] = w.teams[w.rnd.Intn(len(w.teams))].ID
		}
		as.MustQuery(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { id } } }`, map[string]any{"in": in}, nil)
		return "move a rep between teams"
	case op < 10:
		// Re-imports of earlier rows update them.
		var rows []map[string]any
		for i := 0; i < 2+w.rnd.Intn(5); i++ {
			id := w.rnd.Intn(w.imported + 3)
			if id >= w.imported {
				id = w.imported
				w.imported++
			}
			r := w.dealFields()
			r["externalId"], r["ownerEmail"], r["name"], r["customerName"], r["amount"] = fmt.Sprintf("x%d", id), w.rep().Email, "i", "c", w.amount()
			if w.rnd.Intn(3) == 0 {
				r["team"] = w.teams[w.rnd.Intn(len(w.teams))].Name
			}
			rows = append(rows, r)
		}
		as.MustQuery(t, `mutation($in: ImportDealsInput!) { importDeals(input: $in) { created } }`, map[string]any{"in": map[string]any{"rows": rows}}, nil)
		return "import deals"
	case op < 11:
		var rows []map[string]any
		for i := 0; i < 2+w.rnd.Intn(5); i++ {
			r := w.meetingFields()
			r["externalId"], r["ownerEmail"] = fmt.Sprintf("m%d", w.rnd.Intn(12)), w.rep().Email
			if w.imported > 0 && w.rnd.Intn(2) == 0 {
				r["dealExternalId"] = fmt.Sprintf("x%d", w.rnd.Intn(w.imported))
			}
			rows = append(rows, r)
		}
		as.MustQuery(t, `mutation($in: ImportMeetingsInput!) { importMeetings(input: $in) { created } }`, map[string]any{"in": map[string]any{"rows": rows}}, nil)
		return "import meetings"
	default:
		// Writes of kpiflow's own code: several in one transaction, a
		// transaction rolled back, a deletion.
		sys := apitest.Sys()
		switch w.rnd.Intn(3) {
		case 0:
			tx, err := w.s.Client.Tx(sys)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				d := tx.Deal.GetX(sys, w.deals[w.rnd.Intn(len(w.deals))])
				tx.Deal.UpdateOne(d).SetAmount(d.Amount/2 + 1).SetOwnerID(w.rep().ID).ExecX(sys)
			}
			if w.rnd.Intn(2) == 0 {
				if err := tx.Rollback(); err != nil {
					t.Fatal(err)
				}
				return "a transaction of three writes, rolled back"
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			return "a transaction of three writes"
		case 1:
			if len(w.meetings) == 0 {
				return "nothing"
			}
			i := w.rnd.Intn(len(w.meetings))
			w.s.Client.Meeting.DeleteOneID(w.meetings[i]).ExecX(sys)
			w.meetings = append(w.meetings[:i], w.meetings[i+1:]...)
			return "delete a meeting"
		default:
			n := w.s.Client.Meeting.Delete().Where(meeting.OwnerID(w.rep().ID), meeting.StatusEQ(meeting.StatusCancelled)).ExecX(sys)
			ids := w.s.Client.Meeting.Query().IDsX(sys)
			w.meetings = ids
			return fmt.Sprintf("delete %d cancelled meetings", n)
		}
	}
}

// compare checks every scope's value of every KPI in every month, quarter
// and year read from the rollups against the records' own aggregate.
func (w *rollupWorld) compare(t *testing.T, when string) {
	t.Helper()
	ctx := apitest.Sys()
	org := w.s.Client.Organization.GetX(ctx, w.org.ID)
	cal, err := kpi.NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	var periods []kpi.Period
	kinds := []kpi.PeriodKind{kpi.PeriodMonth, kpi.PeriodQuarter, kpi.PeriodYear}
	if w.fast {
		kinds = kinds[1:2] // quarters: months summed, a quarter of the periods
	}
	for _, kind := range kinds {
		from, to := cal.PeriodAt(kind, time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)), cal.PeriodAt(kind, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		ps, err := cal.Range(kind, from, to)
		if err != nil {
			t.Fatal(err)
		}
		periods = append(periods, ps...)
	}
	kpis := kpi.EngineKPIs(w.s.Client.KPI.Query().AllX(ctx))
	raw := kpi.Engine{DB: w.s.Client, Dialect: w.s.Store.Dialect}
	rolled := kpi.Engine{DB: w.s.Client, Dialect: w.s.Store.Dialect, Rollups: true}
	scopes := []kpi.Scope{{Org: org.ID}}
	var owners []pulid.ID
	for _, u := range w.s.Client.User.Query().Where(user.OrganizationID(org.ID)).AllX(ctx) {
		scopes = append(scopes, kpi.Scope{Org: org.ID, Owner: u.ID})
		owners = append(owners, u.ID)
	}
	for _, tm := range w.teams {
		teams, err := kpi.Subtree(ctx, w.s.Client, tm.ID)
		if err != nil {
			t.Fatal(err)
		}
		scopes = append(scopes, kpi.Scope{Org: org.ID, Teams: teams})
	}
	same := func(what string, want, got map[string][]kpi.Value) {
		t.Helper()
		for _, k := range kpis {
			for i, p := range periods {
				a, b := want[k.Key][i], got[k.Key][i]
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Fatalf("after %s: %s, %s in %s: the records give %+v, the rollups %+v", when, what, k.Key, p.Label(), a, b)
				}
			}
		}
	}
	for _, sc := range scopes {
		want, err := raw.Compute(ctx, sc, kpis, periods)
		if err != nil {
			t.Fatal(err)
		}
		sc.Zone = cal.Location
		got, err := rolled.Compute(ctx, sc, kpis, periods)
		if err != nil {
			t.Fatal(err)
		}
		same(fmt.Sprintf("scope %+v", sc), want, got)
	}
	byOwner := kpi.Scope{Org: org.ID, Owners: owners}
	want, err := raw.ComputeByOwner(ctx, byOwner, kpis, periods)
	if err != nil {
		t.Fatal(err)
	}
	byOwner.Zone = cal.Location
	got, err := rolled.ComputeByOwner(ctx, byOwner, kpis, periods)
	if err != nil {
		t.Fatal(err)
	}
	empty := kpi.Empty(kpis, periods)
	for _, o := range owners {
		a, b := want[o], got[o]
		if a == nil {
			a = empty
		}
		if b == nil {
			b = empty
		}
		same("owner "+string(o), a, b)
	}
	v, err := w.s.Store.Rollups.Verify(ctx, w.s.Client)
	if err != nil {
		t.Fatal(err)
	}
	if v.Differences > 0 {
		t.Fatalf("after %s: the rollups differ from the records in %d rows: %s", when, v.Differences, strings.Join(v.Examples, "; "))
	}
}

// The rollups give exactly the records' own aggregates, for every KPI
// (built-in, and custom ones of every filter, date and function), scope
// (rep, team with sub-teams, organization, per owner) and period (months,
// quarters, years of a fiscal calendar in New York), after random writes
// of every kind: deals and meetings created, updated, reopened, reassigned,
// moved between teams, deleted, imported and re-imported, reps moved
// between teams, transactions committed and rolled back, and the
// organization's time zone changed.
func TestRollupsEqualTheRecords(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		ctx := apitest.Sys()
		org := s.Client.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("America/New_York").
			SetFiscalYearStartMonth(2).SaveX(ctx)
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		w := &rollupWorld{s: s, org: org, rnd: rand.New(rand.NewSource(seed))}
		w.admin = s.User(t, org, "admin@acme.test", user.RoleAdmin, nil)
		region := s.Team(t, org, "Region", "")
		w.teams = []*ent.Team{region, s.Team(t, org, "East", region.ID), s.Team(t, org, "West", region.ID), s.Team(t, org, "Solo", "")}
		for i := 0; i < 6; i++ {
			w.reps = append(w.reps, s.User(t, org, fmt.Sprintf("rep%d@acme.test", i), user.RoleRep, w.teams[i%len(w.teams)]))
		}
		lo, hi := int64(1_000_00), int64(50_000_00)
		for _, c := range []kpi.NewKPI{
			{Key: "OPENED_EARLY", Unit: definition.Count, Definition: definition.Definition{Aggregate: &definition.Aggregate{
				Source: definition.Deals, Function: definition.CountOf, Date: definition.OpenedAt,
				Filter: definition.Filter{DealStages: []string{"PROSPECTING", "QUALIFIED"}}}}},
			{Key: "MID_REVENUE", Unit: definition.Money, Definition: definition.Definition{Aggregate: &definition.Aggregate{
				Source: definition.Deals, Function: definition.SumOf, Field: definition.Amount,
				Filter: definition.Filter{DealStages: []string{"WON"}, AmountMin: &lo, AmountMax: &hi}}}},
			{Key: "LOST_AVERAGE", Unit: definition.Money, Definition: definition.Definition{Aggregate: &definition.Aggregate{
				Source: definition.Deals, Function: definition.AvgOf, Field: definition.Amount, Filter: definition.Filter{DealStages: []string{"LOST"}}}}},
			{Key: "CYCLE_ALL", Unit: definition.Days, Definition: definition.Definition{Aggregate: &definition.Aggregate{
				Source: definition.Deals, Function: definition.SumOf, Field: definition.CycleDays}}},
			{Key: "DEMOS_MISSED", Unit: definition.Count, Definition: definition.Definition{Aggregate: &definition.Aggregate{
				Source: definition.Meetings, Function: definition.CountOf, Date: definition.ScheduledAt,
				Filter: definition.Filter{MeetingKinds: []string{"DEMO", "PROPOSAL"}, MeetingStatuses: []string{"CANCELLED", "NO_SHOW"}}}}},
			{Key: "MINUTES_HELD", Unit: definition.Count, Definition: definition.Definition{Aggregate: &definition.Aggregate{
				Source: definition.Meetings, Function: definition.SumOf, Field: definition.DurationMinutes,
				Filter: definition.Filter{MeetingStatuses: []string{"HELD"}}}}},
			{Key: "LOST_MEETING_SHARE", Unit: definition.Percent, Definition: definition.Definition{
				Numerator: &definition.Aggregate{Source: definition.Meetings, Function: definition.CountOf, Date: definition.ScheduledAt,
					Filter: definition.Filter{DealStages: []string{"LOST", "NEGOTIATION"}}},
				Denominator: &definition.Aggregate{Source: definition.Meetings, Function: definition.CountOf, Date: definition.ScheduledAt}}},
			{Key: "BIG_WIN_RATE", Unit: definition.Percent, Definition: definition.Definition{
				Numerator:   &definition.Aggregate{Source: definition.Deals, Function: definition.CountOf, Filter: definition.Filter{DealStages: []string{"WON"}, AmountMin: &hi}},
				Denominator: &definition.Aggregate{Source: definition.Deals, Function: definition.CountOf, Filter: definition.Filter{DealStages: []string{"WON", "LOST"}}}}},
		} {
			c.Name, c.Direction = c.Key, definition.HigherIsBetter
			if err := c.Definition.Validate(c.Unit); err != nil {
				t.Fatalf("%s: %v", c.Key, err)
			}
			s.Client.KPI.Create().SetOrganizationID(org.ID).SetKey(c.Key).SetName(c.Name).SetUnit(c.Unit).
				SetDirection(c.Direction).SetDefinition(c.Definition).ExecX(ctx)
		}
		// The comparisons are the cost (every KPI, scope and period computed
		// from the records and from the rollups). Under the race detector
		// SQLite's engine, pure Go, is some thirty times slower: there the
		// run is the short one, compared by quarter after the zone change and
		// at the end only (PostgreSQL, whose engine is out of the process,
		// runs it whole; so does SQLite without the race detector, as in
		// make test-fast).
		steps, every := 150, 30
		if testing.Short() {
			steps = 60
		}
		fast := raceDetector && s.Store.Dialect == dialect.SQLite
		w.fast = fast
		if fast {
			steps, every = 60, 61
		}
		for i := 1; i <= steps; i++ {
			what := w.step(t)
			if i%every == 0 {
				w.compare(t, fmt.Sprintf("step %d (%s)", i, what))
			}
		}
		// The organization's zone changes: its months move.
		s.Client.Organization.UpdateOne(org).SetTimezone("Asia/Kolkata").ExecX(ctx)
		w.compare(t, "a change of time zone")
		w.s.Client.Deal.Delete().Where(deal.Not(deal.HasMeetings()), deal.StageEQ(deal.StageLost)).ExecX(ctx)
		w.deals = w.s.Client.Deal.Query().IDsX(ctx)
		if !fast {
			w.compare(t, "deleting the lost deals without meetings")
		}
		w.step(t)
		w.compare(t, "the last step")
	})
}

var _ = context.Background
