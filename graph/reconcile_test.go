package graph_test

import (
	"fmt"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
)

const reconcileQuery = `query($team: ID!, $kpi: ID!) { teamRollup(team: $team, kpi: $kpi, period: {label: "FY2027 Q1"}) {
  reconciliation { teamTarget { id } approved { value } proposed { value } drafts { value } gap { value }
    coverage openCoverage covered tolerance subTeamsSum { value } subTeamsCoverage
    members { user { email } target { id status } share historicalShare }
    subTeams { team { name } target { id } share } } } }`

type reconciliationJSON struct {
	TeamRollup struct {
		Reconciliation *struct {
			TeamTarget                      *struct{ ID string }
			Approved, Proposed, Drafts, Gap *struct{ Value string }
			SubTeamsSum                     struct{ Value string }
			Coverage, OpenCoverage          *float64
			SubTeamsCoverage                *float64
			Covered                         *bool
			Tolerance                       float64
			Members                         []struct {
				User            struct{ Email string }
				Target          *struct{ ID, Status string }
				Share           *float64
				HistoricalShare *float64
			}
			SubTeams []struct {
				Team   struct{ Name string }
				Target *struct{ ID string }
				Share  *float64
			}
		}
	}
}

func f(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *p)
}

func (w *planWorld) reasons(t *testing.T, as *ent.User, of pulid.ID) []string {
	t.Helper()
	var inbox struct {
		Inbox struct {
			Edges []struct {
				Node struct {
					Reason string
					Target struct{ ID string }
				}
			}
		}
	}
	w.s.As(t, as).MustQuery(t, `{ inbox(first: 50) { edges { node { reason target { id } } } } }`, nil, &inbox)
	var out []string
	for _, e := range inbox.Inbox.Edges {
		if e.Node.Target.ID == string(of) {
			out = append(out, e.Node.Reason+" "+e.Node.Target.ID)
		}
	}
	return out
}

// A team's reconciliation, counted by hand: a team target of 1,000.00;
// its reps' targets 300.00 approved, 200.00 proposed, 100.00 drafted and
// none; history 300.00 : 0 : 100.00 : 0; one sub-team's target of 400.00
// and one without. The manager sees the team target in the inbox while
// the approved targets cover less than it or more than the tolerance
// above it.
func TestTeamTargetReconciliation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 4)
		south := s.Team(t, w.org, "Sales South", w.team.ID)
		revenue := w.kpi(t, "REVENUE_WON")
		reps := byID(w.reps)
		w.won(t, reps[0], 300_00)
		w.won(t, reps[2], 100_00)
		tt := w.target(t, revenue, nil, &w.team.ID, 100_000, enum.StatusApproved)
		r0 := w.target(t, revenue, &reps[0].ID, nil, 300_00, enum.StatusApproved)
		w.target(t, revenue, &reps[1].ID, nil, 200_00, enum.StatusProposed)
		w.target(t, revenue, &reps[2].ID, nil, 100_00, enum.StatusDraft)
		w.target(t, revenue, &reps[3].ID, nil, 900_00, enum.StatusWithdrawn) // not open: not counted
		north := w.target(t, revenue, nil, &w.sub.ID, 400_00, enum.StatusApproved)
		vars := map[string]any{"team": w.team.ID, "kpi": revenue.ID}
		var got reconciliationJSON
		s.As(t, w.manager).MustQuery(t, reconcileQuery, vars, &got)
		r := got.TeamRollup.Reconciliation
		if r == nil || r.TeamTarget == nil || r.TeamTarget.ID != string(tt.ID) {
			t.Fatalf("reconciliation: %+v", r)
		}
		sums := fmt.Sprintf("%s %s %s gap %s coverage %s open %s covered %v tolerance %v subteams %s %s",
			r.Approved.Value, r.Proposed.Value, r.Drafts.Value, r.Gap.Value, f(r.Coverage), f(r.OpenCoverage), *r.Covered,
			r.Tolerance, r.SubTeamsSum.Value, f(r.SubTeamsCoverage))
		if want := "300.00 200.00 100.00 gap 700.00 coverage 0.3 open 0.6 covered false tolerance 0.1 subteams 400.00 0.4"; sums != want {
			t.Errorf("sums:\n got %s\nwant %s", sums, want)
		}
		var members []string
		for _, m := range r.Members {
			st := "-"
			if m.Target != nil {
				st = m.Target.Status
			}
			members = append(members, fmt.Sprintf("%s %s %s %s", m.User.Email, st, f(m.Share), f(m.HistoricalShare)))
		}
		want := fmt.Sprint([]string{
			reps[0].Email + " APPROVED 0.3 0.75", reps[1].Email + " PROPOSED 0.2 0", reps[2].Email + " DRAFT 0.1 0.25", reps[3].Email + " - - 0"})
		if fmt.Sprint(members) != want {
			t.Errorf("members:\n got %v\nwant %v", members, want)
		}
		subs := map[string]string{}
		for _, st := range r.SubTeams {
			id := "-"
			if st.Target != nil {
				id = st.Target.ID
			}
			subs[st.Team.Name] = id + " " + f(st.Share)
		}
		if subs["Sales North"] != string(north.ID)+" 0.4" || subs[south.Name] != "- -" || len(subs) != 2 {
			t.Errorf("sub-teams: %v", subs)
		}
		uncovered := "TEAM_TARGET_UNCOVERED " + string(tt.ID)
		if got := w.reasons(t, w.manager, tt.ID); fmt.Sprint(got) != fmt.Sprint([]string{uncovered}) {
			t.Errorf("the manager's inbox at 30%%: %v, want %v", got, uncovered)
		}
		// Covered from 1,000.00 up to 1,100.00 (the tolerance of 10%), not above.
		for _, c := range []struct {
			approved  float64
			gap       string
			covered   bool
			tolerance *float64
		}{
			{100_000, "0.00", true, nil}, {110_000, "-100.00", true, nil}, {110_001, "-100.01", false, nil},
			{110_001, "-100.01", true, ptr(0.2)},
		} {
			s.Client.Target.UpdateOne(r0).SetValue(c.approved).ExecX(apitest.Sys())
			if c.tolerance != nil {
				s.As(t, w.adm).MustQuery(t, `mutation($t: Float!) { updateOrganizationSettings(input: {reconciliationTolerance: $t}) {
					organization { settings { reconciliationTolerance } } } }`, map[string]any{"t": *c.tolerance}, nil)
			}
			s.As(t, w.manager).MustQuery(t, reconcileQuery, vars, &got)
			r := got.TeamRollup.Reconciliation
			if r.Gap.Value != c.gap || *r.Covered != c.covered {
				t.Errorf("approved %v: gap %s covered %v, want %s %v", c.approved, r.Gap.Value, *r.Covered, c.gap, c.covered)
			}
			inbox := w.reasons(t, w.manager, tt.ID)
			if (len(inbox) == 0) != c.covered {
				t.Errorf("approved %v: the manager's inbox %v", c.approved, inbox)
			}
		}
		// The sub-team's target, which its rep's targets do not cover, is
		// in the inbox of the parent's manager too (they manage it).
		if got := w.reasons(t, w.manager, north.ID); fmt.Sprint(got) != fmt.Sprint([]string{"TEAM_TARGET_UNCOVERED " + string(north.ID)}) {
			t.Errorf("the sub-team's target in the manager's inbox: %v", got)
		}
		// A KPI that does not add up has no reconciliation.
		s.As(t, w.manager).MustQuery(t, reconcileQuery, map[string]any{"team": w.team.ID, "kpi": w.kpi(t, "WIN_RATE").ID}, &got)
		if got.TeamRollup.Reconciliation != nil {
			t.Errorf("WIN_RATE's reconciliation: %+v", got.TeamRollup.Reconciliation)
		}
	})
}

func ptr[T any](v T) *T { return &v }
