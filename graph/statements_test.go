package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/enum"
	"kpiflow/workflow/realism"
)

// statementWorld is an organization of n reps in two teams, each rep with
// a deal won this quarter, a meeting held on it, and an approved target
// for this quarter with two events.
type statementWorld struct {
	s              *apitest.Server
	admin, manager *ent.User
}

func newStatementWorld(t *testing.T, s *apitest.Server, n int) *statementWorld {
	t.Helper()
	sys := apitest.Sys()
	org := s.Client.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("UTC").
		SetFiscalYearStartMonth(1).SaveX(sys)
	teams := []*ent.Team{s.Team(t, org, "East", ""), s.Team(t, org, "West", "")}
	w := &statementWorld{s: s,
		admin:   s.User(t, org, "admin@acme.test", user.RoleAdmin, nil),
		manager: s.User(t, org, "manager@acme.test", user.RoleManager, nil)}
	s.Manage(t, w.manager, teams...)
	dealsClosed := s.Client.KPI.Query().Where(kpi.OrganizationID(org.ID), kpi.Key("DEALS_CLOSED")).OnlyX(sys)
	// Q4 of the calendar year, which apitest.Now (28 November 2026) is in.
	qStart, qEnd := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	reps := make([]*ent.UserCreate, n)
	for i := range reps {
		reps[i] = s.Client.User.Create().SetOrganizationID(org.ID).SetEmail(fmt.Sprintf("rep%03d@acme.test", i)).
			SetName(fmt.Sprintf("Rep %d", i)).SetRole(user.RoleRep).SetPasswordHash("x").SetTeamID(teams[i%2].ID).
			SetHiredAt(time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC))
	}
	users := s.Client.User.CreateBulk(reps...).SaveX(sys)
	deals := make([]*ent.DealCreate, n)
	for i, u := range users {
		deals[i] = s.Client.Deal.Create().SetOwnerID(u.ID).SetName("d").SetCustomerName("c").SetAmount(100_00).
			SetStage("WON").SetOpenedAt(time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)).
			SetClosedAt(time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC))
	}
	ds := s.Client.Deal.CreateBulk(deals...).SaveX(sys)
	meetings := make([]*ent.MeetingCreate, n)
	targets := make([]*ent.TargetCreate, n)
	baseline := 1.5
	for i, u := range users {
		meetings[i] = s.Client.Meeting.Create().SetOwnerID(u.ID).SetDealID(ds[i].ID).SetKind("DEMO").
			SetScheduledAt(time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)).SetStatus("HELD")
		targets[i] = s.Client.Target.Create().SetOrganizationID(org.ID).SetKpiID(dealsClosed.ID).SetUserID(u.ID).
			SetScopeKey("user:" + string(u.ID)).SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(2026).
			SetPeriodIndex(4).SetPeriodStart(qStart).SetPeriodEnd(qEnd).SetValue(2).SetStatus(enum.StatusApproved).
			SetVersion(3).SetProposerID(u.ID).SetApproverID(w.manager.ID).
			SetAssessment(&realism.Assessment{Proposed: 2, Baseline: &baseline, Expected: &baseline, MarketFactor: 1,
				Band: realism.Stretch, Evidence: []realism.Evidence{{Period: "FY2026 Q3", Value: &baseline, Weight: 1}}})
	}
	s.Client.Meeting.CreateBulk(meetings...).ExecX(sys)
	ts := s.Client.Target.CreateBulk(targets...).SaveX(sys)
	events := make([]*ent.TargetEventCreate, 0, 2*n)
	for _, tg := range ts {
		events = append(events,
			s.Client.TargetEvent.Create().SetOrganizationID(org.ID).SetTargetID(tg.ID).SetActorID(tg.ProposerID).
				SetAction("SUBMIT").SetFromStatus("DRAFT").SetToStatus("PROPOSED").SetNewValue(2).SetVersion(2),
			s.Client.TargetEvent.Create().SetOrganizationID(org.ID).SetTargetID(tg.ID).SetActorID(w.manager.ID).
				SetAction("APPROVE").SetFromStatus("PROPOSED").SetToStatus("APPROVED").SetOldValue(2).SetNewValue(2).SetVersion(3))
	}
	s.Client.TargetEvent.CreateBulk(events...).ExecX(sys)
	// November's review of each team, with an item per target of its reps.
	cycles := map[pulid.ID]*ent.ReviewCycle{}
	for _, tm := range teams {
		cycles[tm.ID] = s.Client.ReviewCycle.Create().SetOrganizationID(org.ID).SetTeamID(tm.ID).
			SetCadence("MONTHLY").SetPoint(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)).
			SetDueAt(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)).SaveX(sys)
	}
	items := make([]*ent.ReviewItemCreate, n)
	for i, tg := range ts {
		items[i] = s.Client.ReviewItem.Create().SetOrganizationID(org.ID).SetCycleID(cycles[*users[i].TeamID].ID).
			SetTargetID(tg.ID).SetTargetValue(2).SetActualToDate(1).SetExpectedToDate(1.2).
			SetSuggestedAction("KEEP").SetSuggestionReason("on track").SetDecision("ADJUST").SetDecisionValue(3).
			SetDecisionReason("PERFORMANCE").SetDecisionComment("ahead")
	}
	s.Client.ReviewItem.CreateBulk(items...).ExecX(sys)
	return w
}

// statements runs the query as the user and returns how many statements
// it made, and its data.
func (w *statementWorld) statements(t *testing.T, as *ent.User, query string) (int64, json.RawMessage) {
	t.Helper()
	c := w.s.As(t, as)
	c.MustQuery(t, query, nil, nil) // warm: the viewer's scope and the schema caches are per request anyway
	before := w.s.Store.Statements()
	r := c.Query(t, query, nil)
	n := w.s.Store.Statements() - before
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	return n, r.Data
}

const (
	recordTreeQuery = `{ teams(first: 2) { edges { node { name members(first: 250) { edges { node { email
		deals(first: 2) { edges { node { name amount { amount } meetings(first: 2) { edges { node { kind status } } } } } } } } } } } } }`
	targetListQuery = `{ targets(first: 500) { totalCount edges { node { id status kpi { key } user { email }
		value { value display } actual { value display } attainment
		assessment { band proposed { value } baseline { value } expected { value } evidence { value { value } } coherence { implied { value } coherent } }
		events(first: 5) { edges { node { action actor { email } oldValue { value } newValue { value } } } }
		revisions(first: 5) { totalCount } } } } }`
	reviewQuery = `{ reviewCycles(first: 10) { edges { node { team { name } items(first: 500) { totalCount edges { node {
		target { id } targetValue { value } decisionValue { value } decisionReason decisionComment } } } } } } }`
	managedTeamsQuery = `{ users(first: 500) { edges { node { email managedTeams(first: 5) { totalCount edges { node { name } } } } } } }`
)

// The fixed cost of a signed-in request is one statement: the user with
// their session and their reach (the teams they manage, with every level
// of sub-teams), read together; the viewer field shows that row without
// reading it again. So { viewer { id name } } costs one statement for a
// rep, an admin and a manager of a tree of teams alike.
func TestTrivialQueryStatements(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		region := s.Team(t, org, "Region", "")
		east := s.Team(t, org, "East", region.ID)
		squad := s.Team(t, org, "Squad", east.ID)
		manager := s.User(t, org, "manager@acme.test", user.RoleManager, nil)
		s.Manage(t, manager, region)
		for _, u := range []*ent.User{
			s.User(t, org, "rep@acme.test", user.RoleRep, squad),
			s.User(t, org, "admin@acme.test", user.RoleAdmin, nil),
			manager,
		} {
			c := s.As(t, u)
			before := s.Store.Statements()
			var out struct{ Viewer struct{ ID, Name string } }
			c.MustQuery(t, `{ viewer { id name } }`, nil, &out)
			if n := s.Store.Statements() - before; n != 1 {
				t.Errorf("%s: { viewer { id name } } made %d statements, want 1", u.Email, n)
			}
			if out.Viewer.ID != string(u.ID) || out.Viewer.Name != u.Name {
				t.Errorf("%s: the viewer is %+v", u.Email, out.Viewer)
			}
		}
		// The manager's reach came with that statement: the squad, two
		// levels below the team they manage, is within it.
		var out struct {
			Node struct{ Name string }
		}
		s.As(t, manager).MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Team { name } } }`, map[string]any{"id": squad.ID}, &out)
		if out.Node.Name != "Squad" {
			t.Errorf("the manager reads the squad as %+v", out.Node)
		}
	})
}

// Lists with nested edges make as many statements for 500 rows as for 10
// (DESIGN.md §12): entgql loads each level of edges in one statement, and
// the computed fields of targets (actual, attainment, values in the KPI's
// unit) are computed for the whole list at once. The counts are exact.
func TestStatementsDoNotGrowWithRows(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { statementsDoNotGrow(t, b) })
	}
}

func statementsDoNotGrow(t *testing.T, b apitest.Backend) {
	{
		small := newStatementWorld(t, apitest.NewServer(t, b), 10)
		large := newStatementWorld(t, apitest.NewServer(t, b), 500)
		for _, c := range []struct {
			name  string
			as    func(*statementWorld) *ent.User
			query string
			want  int64
		}{
			// One of them is the session check (the user with their session
			// and organization, whose currency the deals' amounts show); for
			// a manager it also gives the team of the viewer's scope.
			{"teams → members → deals → meetings", func(w *statementWorld) *ent.User { return w.admin }, recordTreeQuery, 5},
			// The targets' coherence: their scopes and periods, those open targets and their KPIs.
			{"targets → events, revisions, assessment, actual", func(w *statementWorld) *ent.User { return w.manager }, targetListQuery, 13},
			{"review cycles → items, their targets and values", func(w *statementWorld) *ent.User { return w.manager }, reviewQuery, 9},
			{"users → managed teams", func(w *statementWorld) *ent.User { return w.admin }, managedTeamsQuery, 4},
		} {
			n10, _ := small.statements(t, c.as(small), c.query)
			n500, data := large.statements(t, c.as(large), c.query)
			t.Logf("%s: %d statements for 10 rows, %d for 500", c.name, n10, n500)
			if n10 != n500 || n500 != c.want {
				t.Errorf("%s: %d statements for 10 rows, %d for 500; want %d for both", c.name, n10, n500, c.want)
			}
			if c.query == targetListQuery {
				var r struct {
					Targets struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								Actual     struct{ Value, Display string }
								Attainment float64
								Events     struct {
									Edges []struct {
										Node struct{ OldValue *struct{ Value string } }
									}
								}
							}
						}
					}
				}
				if err := json.Unmarshal(data, &r); err != nil {
					t.Fatal(err)
				}
				sum := 0
				for _, e := range r.Targets.Edges {
					if e.Node.Actual.Value != "1" || e.Node.Actual.Display != "1" || e.Node.Attainment != 0.5 || len(e.Node.Events.Edges) != 2 {
						t.Fatalf("a target computed in the batch: %+v", e.Node)
					}
					sum++
				}
				if r.Targets.TotalCount != 500 || sum != 500 {
					t.Errorf("%d targets, actuals summing to %d; want 500 and 500", r.Targets.TotalCount, sum)
				}
			}
		}
	}
}

// Planning makes as many statements for a team of 250 reps as for one of
// 5: an allocation reads the reps, their open targets and their history
// at once and writes the drafts, events and revisions in three bulk
// statements; a reconciliation reads the reps, sub-teams, targets and
// history at once; the inbox's planning items read the teams' targets,
// KPIs, reps and the reps' targets at once.
func TestPlanningStatementsDoNotGrow(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			sys := apitest.Sys()
			type world struct {
				*statementWorld
				east, teamTarget, revenue pulid.ID
			}
			mk := func(n int) world {
				w := newStatementWorld(t, apitest.NewServer(t, b), n)
				east := w.s.Client.Team.Query().Where(team.Name("East")).OnlyX(sys)
				rev := w.s.Client.KPI.Query().Where(kpi.Key("REVENUE_WON"), kpi.OrganizationID(east.OrganizationID)).OnlyX(sys)
				tt := w.s.Client.Target.Create().SetOrganizationID(east.OrganizationID).SetKpiID(rev.ID).SetTeamID(east.ID).
					SetScopeKey("team:" + string(east.ID)).SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(2026).SetPeriodIndex(4).
					SetPeriodStart(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)).SetPeriodEnd(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).
					SetValue(1_000_000).SetStatus(enum.StatusApproved).SetProposerID(w.admin.ID).SaveX(sys)
				return world{w, east.ID, tt.ID, rev.ID}
			}
			small, large := mk(10), mk(500)
			for _, c := range []struct {
				name  string
				query func(w world) string
				want  int64
			}{
				{"allocateTeamTarget, a dry run by history", func(w world) string {
					return fmt.Sprintf(`mutation { allocateTeamTarget(input: {targetId: %q, method: HISTORY, dryRun: true}) {
						appliedMethod shares { user { email } value { value } weight } } }`, w.teamTarget)
				}, 9},
				{"teamRollup → reconciliation", func(w world) string {
					return fmt.Sprintf(`{ teamRollup(team: %q, kpi: %q, period: {label: "FY2026 Q4"}) { reconciliation {
						teamTarget { id } approved { value } proposed { value } drafts { value } gap { value } coverage covered
						members { user { email } target { id } share historicalShare } subTeams { team { name } target { id } } } } }`,
						w.east, w.revenue)
				}, 14},
				{"inbox with planning items", func(w world) string {
					return `{ inbox(first: 500) { totalCount edges { node { reason target { id } } } } }`
				}, 9},
			} {
				n10, _ := small.statements(t, small.manager, c.query(small))
				n500, _ := large.statements(t, large.manager, c.query(large))
				t.Logf("%s: %d statements for 5 reps, %d for 250", c.name, n10, n500)
				if n10 != n500 || n500 != c.want {
					t.Errorf("%s: %d statements for 5 reps, %d for 250; want %d for both", c.name, n10, n500, c.want)
				}
			}
			// The allocation itself: its reads, then the drafts, events and revisions in one statement each.
			write := func(w world) int64 {
				c := w.s.As(t, w.manager)
				before := w.s.Store.Statements()
				c.MustQuery(t, fmt.Sprintf(`mutation { allocateTeamTarget(input: {targetId: %q, method: EQUAL}) {
					shares { target { id user { email } proposer { email } kpi { key } allocatedFrom { id } } } } }`, w.teamTarget), nil, nil)
				return w.s.Store.Statements() - before
			}
			// On PostgreSQL the transaction's live notices (one per target
			// event) are sent in one more statement, whatever their number
			// (package live).
			want := int64(11)
			if b.Name == "postgres" {
				want++
			}
			if n10, n500 := write(small), write(large); n10 != want || n500 != want {
				t.Errorf("allocateTeamTarget: %d statements for 5 reps, %d for 250; want %d for both", n10, n500, want)
			}
		})
	}
}

// A region's planning makes as many statements for 60 sub-teams as for 3:
// an allocation among sub-teams reads the sub-teams with their managers,
// the tree below them a level at a time, their open targets and their
// history (grouped by team) at once, and writes in three bulk statements
// (and one of notices on PostgreSQL); the region's reconciliation and its
// manager's inbox read the sub-teams' targets at once.
func TestSubTeamPlanningStatementsDoNotGrow(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			sys := apitest.Sys()
			type world struct {
				s                  *apitest.Server
				manager            *ent.User
				region, teamTarget pulid.ID
				revenue            pulid.ID
			}
			mk := func(n int) world {
				s := apitest.NewServer(t, b)
				org := s.Client.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("UTC").
					SetFiscalYearStartMonth(1).SaveX(sys)
				region := s.Team(t, org, "Region", "")
				manager := s.User(t, org, "region@acme.test", user.RoleManager, nil)
				s.Manage(t, manager, region)
				for i := 0; i < n; i++ {
					sub := s.Team(t, org, fmt.Sprintf("Team %02d", i), region.ID)
					below := s.Team(t, org, fmt.Sprintf("Team %02d-1", i), sub.ID)
					s.Manage(t, s.User(t, org, fmt.Sprintf("m%02d@acme.test", i), user.RoleManager, nil), sub)
					rep := s.User(t, org, fmt.Sprintf("r%02d@acme.test", i), user.RoleRep, below)
					s.Client.Deal.Create().SetOwnerID(rep.ID).SetTeamID(below.ID).SetName("d").SetCustomerName("c").
						SetAmount(int64(100_00 * (i + 1))).SetStage("WON").SetOpenedAt(time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)).
						SetClosedAt(time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)).ExecX(sys)
				}
				rev := s.Client.KPI.Query().Where(kpi.Key("REVENUE_WON"), kpi.OrganizationID(org.ID)).OnlyX(sys)
				tt := s.Client.Target.Create().SetOrganizationID(org.ID).SetKpiID(rev.ID).SetTeamID(region.ID).
					SetScopeKey("team:" + string(region.ID)).SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(2027).SetPeriodIndex(1).
					SetPeriodStart(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).SetPeriodEnd(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)).
					SetValue(1_000_000).SetStatus(enum.StatusApproved).SetProposerID(manager.ID).SaveX(sys)
				return world{s, manager, region.ID, tt.ID, rev.ID}
			}
			count := func(w world, query string) int64 {
				c := w.s.As(t, w.manager)
				c.MustQuery(t, `{ viewer { id } }`, nil, nil)
				before := w.s.Store.Statements()
				c.MustQuery(t, query, nil, nil)
				return w.s.Store.Statements() - before
			}
			small, large := mk(3), mk(60)
			notices := int64(0)
			if b.Name == "postgres" {
				notices = 1
			}
			for _, c := range []struct {
				name  string
				query func(w world) string
				want  int64
			}{
				{"allocateTeamTarget among sub-teams, a dry run by history", func(w world) string {
					return fmt.Sprintf(`mutation { allocateTeamTarget(input: {targetId: %q, method: HISTORY, among: SUB_TEAMS, dryRun: true}) {
						appliedMethod teamShares { team { name } value { value } weight } } }`, w.teamTarget)
				}, 12},
				{"teamRollup → the region's reconciliation", func(w world) string {
					return fmt.Sprintf(`{ teamRollup(team: %q, kpi: %q, period: {label: "FY2027 Q1"}) { reconciliation { basis
						approved { value } drafts { value } covered subTeams { team { name } target { id } share historicalShare } } } }`,
						w.region, w.revenue)
				}, 20},
				{"inbox with the region's planning items", func(w world) string {
					return `{ inbox(first: 500) { totalCount edges { node { reason target { id } } } } }`
				}, 10},
				{"allocateTeamTarget among sub-teams, written", func(w world) string {
					return fmt.Sprintf(`mutation { allocateTeamTarget(input: {targetId: %q, method: HISTORY, among: SUB_TEAMS}) {
						teamShares { target { id team { name } proposer { email } kpi { key } allocatedFrom { id } } } } }`, w.teamTarget)
				}, 16 + notices},
			} {
				n3, n60 := count(small, c.query(small)), count(large, c.query(large))
				t.Logf("%s: %d statements for 3 sub-teams, %d for 60", c.name, n3, n60)
				if n3 != n60 || n60 != c.want {
					t.Errorf("%s: %d statements for 3 sub-teams, %d for 60; want %d for both", c.name, n3, n60, c.want)
				}
			}
		})
	}
}
