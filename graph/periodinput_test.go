package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/graph"
	"kpiflow/kpi"
)

// Every PeriodInput of the API takes a kind alone for the current period
// of that kind (in the organization's fiscal calendar, now) and an offset
// from it, with no round trip to find the period first. The uses are the
// served schema's: a use without a case here fails the test.
func TestPeriodKindAloneIsTheCurrentOne(t *testing.T) {
	schema := graph.PublicSchema()
	var uses []string
	for _, def := range schema.Types {
		for _, f := range def.Fields {
			if f.Type.Name() == "PeriodInput" {
				uses = append(uses, def.Name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if a.Type.Name() == "PeriodInput" {
					uses = append(uses, def.Name+"."+f.Name+"("+a.Name+")")
				}
			}
		}
	}
	slices.Sort(uses)
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep, rep2, mgr := s.As(t, w.r1), s.As(t, w.r2), s.As(t, w.mE)
		kpiID := w.kpiID(t, "DEALS_CLOSED")
		// Each case runs an operation with $p and returns the label of the
		// period it resolved.
		label := func(as *apitest.Server, q string, p map[string]any, path ...string) string {
			t.Helper()
			var out any
			as.MustQuery(t, q, map[string]any{"p": p, "kpi": kpiID, "user": w.r1.ID, "user2": w.r2.ID, "team": w.east.ID}, &out)
			for _, k := range path {
				switch o := out.(type) {
				case map[string]any:
					out = o[k]
				case []any:
					out = o[0].(map[string]any)[k]
				}
			}
			l, _ := out.(string)
			return l
		}
		cases := map[string]func(p map[string]any) string{
			"Query.scorecard(period)": func(p map[string]any) string {
				return label(rep, `query($p: PeriodInput!, $user: ID!) { scorecard(scope: {userID: $user}, period: $p) { period { label } } }`,
					p, "scorecard", "period", "label")
			},
			"Query.kpiTrend(from)": func(p map[string]any) string {
				return label(rep, `query($p: PeriodInput!, $user: ID!, $kpi: ID!) { kpiTrend(scope: {userID: $user}, kpi: $kpi, from: $p, to: {kind: YEAR, offset: 1}, periodKind: QUARTER) { points { period { label } } } }`,
					p, "kpiTrend", "points", "period", "label")
			},
			"Query.kpiTrend(to)": func(p map[string]any) string {
				var out struct {
					KpiTrend struct {
						Points []struct{ Period struct{ Label string } }
					}
				}
				rep.MustQuery(t, `query($p: PeriodInput!, $user: ID!, $kpi: ID!) { kpiTrend(scope: {userID: $user}, kpi: $kpi, from: {kind: YEAR, offset: -1}, to: $p, periodKind: QUARTER) { points { period { label } } } }`,
					map[string]any{"p": p, "user": w.r1.ID, "kpi": kpiID}, &out)
				pts := out.KpiTrend.Points
				return pts[len(pts)-1].Period.Label
			},
			"Query.teamRollup(period)": func(p map[string]any) string {
				return label(mgr, `query($p: PeriodInput!, $team: ID!, $kpi: ID!) { teamRollup(team: $team, kpi: $kpi, period: $p) { period { label } } }`,
					p, "teamRollup", "period", "label")
			},
			"Query.assessTarget(period)": func(p map[string]any) string {
				return label(rep, `query($p: PeriodInput!, $user: ID!, $kpi: ID!) { assessTarget(kpi: $kpi, scope: {userID: $user}, period: $p, value: "3") { period { label } } }`,
					p, "assessTarget", "period", "label")
			},
			"Query.whatItTakes(period)": func(p map[string]any) string {
				return label(rep, `query($p: PeriodInput!, $user: ID!, $kpi: ID!) { whatItTakes(kpi: $kpi, scope: {userID: $user}, period: $p, value: "3") { period { label } } }`,
					p, "whatItTakes", "period", "label")
			},
			"Query.suggestTarget(period)": func(p map[string]any) string {
				return label(rep, `query($p: PeriodInput!, $user: ID!, $kpi: ID!) { suggestTarget(kpi: $kpi, scope: {userID: $user}, period: $p) { period { label } } }`,
					p, "suggestTarget", "period", "label")
			},
			"CreateTargetDraftInput.period": func(p map[string]any) string {
				a := label(rep, `mutation($p: PeriodInput!, $user: ID!, $kpi: ID!) { createTargetDraft(input: {kpiID: $kpi, userID: $user, period: $p, value: "3"}) { target { period { label } } } }`,
					p, "createTargetDraft", "target", "period", "label")
				b := label(rep2, `mutation($p: PeriodInput!, $user2: ID!, $kpi: ID!) { proposeTarget(input: {kpiID: $kpi, userID: $user2, period: $p, value: "3"}) { target { period { label } } } }`,
					p, "proposeTarget", "target", "period", "label")
				if a != b {
					return a + " / " + b
				}
				return a
			},
			"SetMarketFactorInput.period": func(p map[string]any) string {
				return label(mgr, `mutation($p: PeriodInput!, $team: ID!) { setMarketFactor(input: {teamID: $team, period: $p, factor: 1.1}) { period { label } } }`,
					p, "setMarketFactor", "period", "label")
			},
		}
		for _, u := range uses {
			if cases[u] == nil {
				t.Errorf("%s takes a PeriodInput: add its case", u)
			}
		}
		if len(uses) != len(cases) {
			t.Errorf("uses %v, cases %d", uses, len(cases))
		}
		cal, err := kpi.NewCalendar(w.org.FiscalYearStartMonth, w.org.Timezone)
		if err != nil {
			t.Fatal(err)
		}
		now := cal.PeriodAt(kpi.PeriodQuarter, apitest.Now)
		next, _ := cal.Shift(now, 1)
		for _, u := range uses {
			run := cases[u]
			if run == nil {
				continue
			}
			if got := run(map[string]any{"kind": "QUARTER"}); got != now.Label() {
				t.Errorf("%s {kind: QUARTER}: %s, want %s", u, got, now.Label())
			}
			if got := run(map[string]any{"kind": "QUARTER", "offset": 1}); got != next.Label() {
				t.Errorf("%s {kind: QUARTER, offset: 1}: %s, want %s", u, got, next.Label())
			}
		}

		// The offset: from the current period with a kind alone, from the
		// period given otherwise; within ±MaxPeriodOffset.
		sc := func(p map[string]any) string { return cases["Query.scorecard(period)"](p) }
		prev, _ := cal.Shift(now, -1)
		thisMonth := cal.PeriodAt(kpi.PeriodMonth, apitest.Now)
		thisYear := cal.PeriodAt(kpi.PeriodYear, apitest.Now)
		lastYear, _ := cal.Shift(thisYear, -1)
		for p, want := range map[string]string{
			`{"kind": "QUARTER", "offset": -1}`:                           prev.Label(),
			`{"kind": "QUARTER", "offset": 0}`:                            now.Label(),
			`{"kind": "MONTH"}`:                                           thisMonth.Label(),
			`{"kind": "YEAR", "offset": -1}`:                              lastYear.Label(),
			`{"kind": "QUARTER", "year": 2027, "index": 1, "offset": -1}`: "FY2026 Q4",
			`{"kind": "QUARTER", "year": 2027, "index": 4, "offset": 5}`:  "FY2029 Q1",
			`{"kind": "MONTH", "year": 2027, "index": 1, "offset": -13}`:  "FY2025 M12",
			`{"label": "FY2027 Q1", "offset": -4}`:                        "FY2026 Q1",
			`{"label": "FY2027", "offset": 2}`:                            "FY2029",
			`{"kind": "MONTH", "year": 2027, "offset": 1200}`:             "FY2127 M01",
		} {
			var in map[string]any
			if err := json.Unmarshal([]byte(p), &in); err != nil {
				t.Fatal(err)
			}
			if got := sc(in); got != want {
				t.Errorf("%s: %s, want %s", p, got, want)
			}
		}
		for _, p := range []string{
			`{"kind": "QUARTER", "offset": 1201}`, `{"kind": "QUARTER", "offset": -1201}`,
			`{"kind": "QUARTER", "offset": 2147483647}`, `{"kind": "YEAR", "year": 1900, "offset": -1}`,
			`{"kind": "QUARTER", "index": 2}`, `{"offset": -1}`,
		} {
			e := rep.MustFail(t, "BAD_USER_INPUT", `query($p: PeriodInput!, $user: ID!) { scorecard(scope: {userID: $user}, period: $p) { period { label } } }`,
				map[string]any{"p": json.RawMessage(p), "user": w.r1.ID})
			if f := fmt.Sprint(e.Extensions["field"]); !strings.HasPrefix(f, "period") {
				t.Errorf("%s: field %s: %s", p, f, e.Message)
			}
		}
	})
}
