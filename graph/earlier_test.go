package graph_test

import (
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
)

// A target's earlierTargets are its scope's approved and closed targets of
// the same KPI in earlier periods of its kind, newest first, read for a
// whole list of targets in one statement.
func TestEarlierTargets(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		ids := w.kpiIDs()
		made := map[string]pulid.ID{}
		target := func(name, kpiKey string, userID, teamID pulid.ID, kind enum.PeriodKind, year, index int, status enum.TargetStatus) {
			made[name] = w.addTarget(t, ids[kpiKey], userID, teamID, kind, year, index, float64(year*10+index), status)
		}
		q := enum.PeriodQuarter
		// r1's deals closed, quarter by quarter; the proposal of FY2027 Q1
		// is the one a manager decides.
		target("q1", "DEALS_CLOSED", w.r1.ID, "", q, 2026, 1, enum.StatusClosed)
		target("q2", "DEALS_CLOSED", w.r1.ID, "", q, 2026, 2, enum.StatusApproved)
		target("q3", "DEALS_CLOSED", w.r1.ID, "", q, 2026, 3, enum.StatusRejected)
		target("q3w", "DEALS_CLOSED", w.r1.ID, "", q, 2026, 3, enum.StatusWithdrawn)
		target("q4", "DEALS_CLOSED", w.r1.ID, "", q, 2026, 4, enum.StatusClosed)
		target("now", "DEALS_CLOSED", w.r1.ID, "", q, 2027, 1, enum.StatusProposed)
		target("next", "DEALS_CLOSED", w.r1.ID, "", q, 2027, 2, enum.StatusDraft)
		// Not the same scope, KPI or kind.
		target("winrate", "WIN_RATE", w.r1.ID, "", q, 2026, 4, enum.StatusClosed)
		target("month", "DEALS_CLOSED", w.r1.ID, "", enum.PeriodMonth, 2026, 12, enum.StatusClosed)
		target("r2q4", "DEALS_CLOSED", w.r2.ID, "", q, 2026, 4, enum.StatusClosed)
		target("r2now", "DEALS_CLOSED", w.r2.ID, "", q, 2027, 1, enum.StatusProposed)
		target("eastq4", "DEALS_CLOSED", "", w.east.ID, q, 2026, 4, enum.StatusApproved)
		target("eastnow", "DEALS_CLOSED", "", w.east.ID, q, 2027, 1, enum.StatusProposed)
		target("r3q4", "DEALS_CLOSED", w.r3.ID, "", q, 2026, 4, enum.StatusClosed)
		target("r3now", "DEALS_CLOSED", w.r3.ID, "", q, 2027, 1, enum.StatusProposed)
		name := map[pulid.ID]string{}
		for n, id := range made {
			name[id] = n
		}
		type earlier []struct{ ID pulid.ID }
		names := func(e earlier) string {
			var out []string
			for _, x := range e {
				out = append(out, name[x.ID])
			}
			return strings.Join(out, " ")
		}
		one := func(as *apitest.Server, id pulid.ID, first int) string {
			t.Helper()
			var r struct {
				Node struct{ EarlierTargets earlier }
			}
			as.MustQuery(t, `query($id: ID!, $n: Int) { node(id: $id) { ... on Target { earlierTargets(first: $n) { id } } } }`,
				map[string]any{"id": id, "n": first}, &r)
			return names(r.Node.EarlierTargets)
		}
		m := s.As(t, w.mE)
		for _, c := range []struct {
			of    string
			first int
			want  string
		}{
			{"now", 8, "q4 q2 q1"}, {"now", 2, "q4 q2"}, {"now", 1, "q4"}, {"q4", 8, "q2 q1"}, {"q1", 8, ""},
			{"next", 8, "q4 q2 q1"}, {"eastnow", 8, "eastq4"}, {"r2now", 8, "r2q4"}, {"month", 8, ""}, {"winrate", 8, ""},
		} {
			if got := one(m, made[c.of], c.first); got != c.want {
				t.Errorf("%s, first %d: %q, want %q", c.of, c.first, got, c.want)
			}
		}
		// The default is 8; the rep sees their own; a rep out of reach
		// sees nothing of it.
		var d struct {
			Node struct{ EarlierTargets earlier }
		}
		s.As(t, w.r1).MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Target { earlierTargets { id } } } }`, map[string]any{"id": made["now"]}, &d)
		if got := names(d.Node.EarlierTargets); got != "q4 q2 q1" {
			t.Errorf("r1's own: %q", got)
		}
		if got := one(s.As(t, w.r3), made["r3now"], 8); got != "r3q4" {
			t.Errorf("r3's own: %q", got)
		}
		for _, n := range []int{0, -1, 25} {
			e := m.MustFail(t, "BAD_USER_INPUT", `query($id: ID!, $n: Int) { node(id: $id) { ... on Target { earlierTargets(first: $n) { id } } } }`,
				map[string]any{"id": made["now"], "n": n})
			if e.Extensions["field"] != "first" || !strings.Contains(e.Message, "1 to 24") {
				t.Errorf("first %d: %v", n, e)
			}
		}

		// In a list, each target's earlier ones are those it has alone, and
		// the list costs one statement more whatever its length.
		list := `query($statuses: [TargetStatus!], $n: Int) { targets(first: 50, where: {statusIn: $statuses}) { edges { node { id
			earlierTargets(first: $n) { id earlierTargets(first: 1) { id } } } } } }`
		plain := `query($statuses: [TargetStatus!]) { targets(first: 50, where: {statusIn: $statuses}) { edges { node { id } } } }`
		var all struct {
			Targets struct {
				Edges []struct {
					Node struct {
						ID             pulid.ID
						EarlierTargets []struct {
							ID             pulid.ID
							EarlierTargets earlier
						}
					}
				}
			}
		}
		m.MustQuery(t, list, map[string]any{"n": 2}, &all)
		if len(all.Targets.Edges) < 10 {
			t.Fatalf("the manager lists %d targets", len(all.Targets.Edges))
		}
		for _, e := range all.Targets.Edges {
			var got []string
			for _, x := range e.Node.EarlierTargets {
				got = append(got, name[x.ID])
				if want := one(m, x.ID, 1); names(x.EarlierTargets) != want {
					t.Errorf("%s's earlier %s, in a list: %q, alone %q", name[e.Node.ID], name[x.ID], names(x.EarlierTargets), want)
				}
			}
			if want := one(m, e.Node.ID, 2); strings.Join(got, " ") != want {
				t.Errorf("%s in a list: %q, alone %q", name[e.Node.ID], strings.Join(got, " "), want)
			}
		}
		statements := func(q string, statuses []string) int64 {
			t.Helper()
			before := s.Store.Statements()
			m.MustQuery(t, q, map[string]any{"statuses": statuses, "n": 3}, nil)
			return s.Store.Statements() - before
		}
		few, many := []string{"PROPOSED"}, []string{"PROPOSED", "APPROVED", "CLOSED", "DRAFT", "REJECTED", "WITHDRAWN"}
		for _, st := range [][]string{few, many} {
			if with, without := statements(list, st), statements(plain, st); with != without+2 {
				t.Errorf("targets %v: %d statements with earlier targets (two levels), %d without; want 2 more", st, with, without)
			}
		}
		// Their actuals too are read once for all the lists.
		actuals := `query($statuses: [TargetStatus!], $n: Int) { targets(first: 50, where: {statusIn: $statuses}) { edges { node { id
			earlierTargets(first: $n) { id actual { value } earlierTargets(first: 1) { actual { value } } } } } } }`
		if a, b := statements(actuals, few), statements(actuals, many); a != b {
			t.Errorf("earlier targets with their actuals: %d statements for one target, %d for all", a, b)
		}
	})
}
