package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
	"kpiflow/kpi"
)

// trendSelection is what both a scorecard result's trend and kpiTrend are
// read with below: the same KPI, scope and periods must give the same
// objects, ids included.
const trendSelection = `id kpi { key } points { id period { label } actual { value } target { value } sampleSize lowConfidence }`

type trendJSON struct {
	ID     string
	Kpi    struct{ Key string }
	Points []struct {
		ID     string
		Period struct{ Label string }
		Actual *struct{ Value string }
		Target *struct{ Value string }
	}
}

// line is a trend as "label=actual/target" for each point, "-" for none.
func (t trendJSON) line() string {
	var out []string
	for _, p := range t.Points {
		a, g := "-", "-"
		if p.Actual != nil {
			a = p.Actual.Value
		}
		if p.Target != nil {
			g = p.Target.Value
		}
		out = append(out, p.Period.Label+"="+a+"/"+g)
	}
	return strings.Join(out, " ")
}

// kpiIDs are Acme's KPIs by key.
func (w *kpiWorld) kpiIDs() map[string]pulid.ID {
	ids := map[string]pulid.ID{}
	for _, k := range w.s.Client.KPI.Query().AllX(apitest.Sys()) {
		ids[k.Key] = k.ID
	}
	return ids
}

// addTarget inserts a user's (or a team's) target for a KPI in a period of
// Acme's calendar (fiscal years from February, in New York).
func (w *kpiWorld) addTarget(t *testing.T, kpiID, userID, teamID pulid.ID, kind enum.PeriodKind, year, index int,
	value float64, status enum.TargetStatus) pulid.ID {
	t.Helper()
	cal, err := kpi.NewCalendar(2, "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cal.Period(kind, year, index)
	if err != nil {
		t.Fatal(err)
	}
	c := w.s.Client.Target.Create().SetOrganizationID(w.org.ID).SetKpiID(kpiID).
		SetPeriodKind(kind).SetPeriodYear(year).SetPeriodIndex(index).SetPeriodStart(p.Start).SetPeriodEnd(p.End).
		SetValue(value).SetStatus(status).SetProposerID(w.r1.ID)
	if userID != "" {
		c.SetUserID(userID).SetScopeKey("user:" + string(userID))
	} else {
		c.SetTeamID(teamID).SetScopeKey("team:" + string(teamID))
	}
	return c.SaveX(apitest.Sys()).ID
}

// A scorecard's results carry their trend: the same points as kpiTrend
// for the scope, the KPI and the periods up to the scorecard's, with the
// scope's approved (else closed) target in each, for every KPI at the cost
// of one trend.
func TestScorecardTrend(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		sys := apitest.Sys()
		ids := w.kpiIDs()
		target := func(userID, teamID pulid.ID, month int, value float64, status enum.TargetStatus) {
			year := 2027
			if month == 12 {
				year = 2026
			}
			w.addTarget(t, ids["DEALS_CLOSED"], userID, teamID, enum.PeriodMonth, year, month, value, status)
		}
		// r1's targets for deals closed by month: proposed only in M01 (no
		// line), approved in M02, closed in M03; East's own in M04.
		target(w.r1.ID, "", 1, 9, enum.StatusProposed)
		target(w.r1.ID, "", 2, 3, enum.StatusApproved)
		target(w.r1.ID, "", 3, 2, enum.StatusClosed)
		target("", w.east.ID, 4, 4, enum.StatusApproved)

		card := `query($scope: ScopeInput!, $period: PeriodInput!) { scorecard(scope: $scope, period: $period) {
			results { id kpi { id key } trend(periods: 5) { ` + trendSelection + ` } } } }`
		kpiTrend := `query($scope: ScopeInput!, $kpi: ID!) { kpiTrend(scope: $scope, kpi: $kpi, from: {label: "FY2026 M12"},
			to: {label: "FY2027 M04"}, periodKind: MONTH) { ` + trendSelection + ` } }`
		type cardJSON struct {
			Scorecard struct {
				Results []struct {
					ID  string
					Kpi struct {
						ID  pulid.ID
						Key string
					}
					Trend trendJSON
				}
			}
		}
		lines := func(as *apitest.Server, scope map[string]any) map[string]string {
			t.Helper()
			var c cardJSON
			as.MustQuery(t, card, map[string]any{"scope": scope, "period": map[string]any{"label": "FY2027 M04"}}, &c)
			if len(c.Scorecard.Results) != len(ids) {
				t.Fatalf("%d results, want %d", len(c.Scorecard.Results), len(ids))
			}
			out := map[string]string{}
			for _, r := range c.Scorecard.Results {
				var one struct{ KpiTrend trendJSON }
				as.MustQuery(t, kpiTrend, map[string]any{"scope": scope, "kpi": r.Kpi.ID}, &one)
				got, _ := json.Marshal(r.Trend)
				want, _ := json.Marshal(one.KpiTrend)
				if string(got) != string(want) {
					t.Errorf("%v %s: the scorecard's trend\n%s\nkpiTrend's\n%s", scope, r.Kpi.Key, got, want)
				}
				if len(r.Trend.Points) != 5 {
					t.Errorf("%v %s: %d points, want 5", scope, r.Kpi.Key, len(r.Trend.Points))
				}
				out[r.Kpi.Key] = r.Trend.line()
			}
			return out
		}
		east := lines(s.As(t, w.mE), map[string]any{"teamID": w.east.ID})
		// East's wins by month (TestTrendAndRollup), and its own target in M04.
		if got, want := east["DEALS_CLOSED"], "FY2026 M12=1/- FY2027 M01=1/- FY2027 M02=1/- FY2027 M03=1/- FY2027 M04=1/4"; got != want {
			t.Errorf("East's deals closed: %s, want %s", got, want)
		}
		r1 := lines(s.As(t, w.mE), map[string]any{"userID": w.r1.ID})
		// r1 won d8 (FY2026 M12), d1 (M01), d2 (M02) and d5 (M04).
		if got, want := r1["DEALS_CLOSED"], "FY2026 M12=1/- FY2027 M01=1/- FY2027 M02=1/3 FY2027 M03=0/2 FY2027 M04=1/-"; got != want {
			t.Errorf("r1's deals closed: %s, want %s", got, want)
		}
		// r1 held meetings on Feb 3 and 20 (M01), Mar 20 (M02), Apr 20
		// (M03) and at the first instant of May (M04).
		if got, want := r1["MEETINGS_HELD"], "FY2026 M12=0/- FY2027 M01=2/- FY2027 M02=1/- FY2027 M03=1/- FY2027 M04=1/-"; got != want {
			t.Errorf("r1's meetings held: %s, want %s", got, want)
		}
		// An organization has no targets: no point of any KPI has one.
		for key, line := range lines(s.As(t, w.adm), map[string]any{"organization": true}) {
			for _, point := range strings.Fields(line) {
				if strings.Contains(point, "=") && !strings.HasSuffix(point, "/-") {
					t.Errorf("the organization's %s shows a target: %s", key, line)
				}
			}
		}

		// The statements: a team's scorecard is 3; the trends of all its
		// KPIs add one computation and one read of targets, as for one KPI;
		// a second length (an alias) adds as much again.
		statements := func(q string) int64 {
			t.Helper()
			as := s.As(t, w.mE)
			before := s.Store.Statements()
			as.MustQuery(t, q, map[string]any{"scope": map[string]any{"teamID": w.east.ID}, "period": map[string]any{"label": "FY2027 M04"}}, nil)
			return s.Store.Statements() - before
		}
		plain := statements(scorecardQuery)
		withTrends := statements(card)
		twice := statements(`query($scope: ScopeInput!, $period: PeriodInput!) { scorecard(scope: $scope, period: $period) {
			results { a: trend(periods: 3) { id } b: trend(periods: 12) { id } c: trend(periods: 3) { points { id } } } } }`)
		if plain != 3 || withTrends != plain+2 || twice != plain+4 {
			t.Errorf("statements: scorecard %d, with every KPI's trend %d, with two lengths %d; want 3, 5, 7", plain, withTrends, twice)
		}
		for key, id := range ids {
			if key != "DEALS_CLOSED" {
				s.Client.KPI.UpdateOneID(id).SetEnabled(false).ExecX(sys)
			}
		}
		if one := statements(card); one != withTrends {
			t.Errorf("the trends of one KPI make %d statements, of %d KPIs %d", one, len(ids), withTrends)
		}
		for _, id := range ids {
			s.Client.KPI.UpdateOneID(id).SetEnabled(true).ExecX(sys)
		}

		// The length is bounded (each result's trend fails on its own, as
		// any field does).
		for _, n := range []int{0, -1, 37} {
			r := s.As(t, w.mE).Query(t, `query($scope: ScopeInput!, $n: Int) { scorecard(scope: $scope, period: {label: "FY2027 M04"}) {
				results { trend(periods: $n) { id } } } }`, map[string]any{"scope": map[string]any{"teamID": w.east.ID}, "n": n})
			if len(r.Errors) != len(ids) || string(r.Data) != "null" {
				t.Fatalf("periods %d: want an error per result and no data, got %s", n, r.RawBody)
			}
			for _, e := range r.Errors {
				if e.Code() != "BAD_USER_INPUT" || !strings.Contains(e.Message, "1 to 36") || e.Extensions["field"] != "periods" {
					t.Errorf("periods %d: %s", n, r.RawBody)
				}
			}
		}

		// A result found by its id has its trend.
		var c cardJSON
		s.As(t, w.mE).MustQuery(t, card, map[string]any{"scope": map[string]any{"userID": w.r1.ID}, "period": map[string]any{"label": "FY2027 M04"}}, &c)
		for _, r := range c.Scorecard.Results {
			if r.Kpi.Key != "DEALS_CLOSED" {
				continue
			}
			var n struct {
				Node struct{ Trend trendJSON }
			}
			s.As(t, w.mE).MustQuery(t, `query($id: ID!) { node(id: $id) { ... on KPIResult { trend(periods: 5) { `+trendSelection+` } } } }`,
				map[string]any{"id": r.ID}, &n)
			if got, want := n.Node.Trend.line(), r.Trend.line(); got != want || n.Node.Trend.ID != r.Trend.ID {
				t.Errorf("node(id:)'s trend %s (%s), the scorecard's %s (%s)", got, n.Node.Trend.ID, want, r.Trend.ID)
			}
		}
	})
}
