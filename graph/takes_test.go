package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
)

const takesQuery = `query($kpi: ID!, $scope: TargetScopeInput!, $value: Decimal!) {
	whatItTakes(kpi: $kpi, scope: $scope, period: {label: "FY2027 Q4"}, value: $value) {
		kpi { key } period { label } value { value } history { label }
		requirements { kpi { key } name via { key } relation from historicalRatio { value } required { value }
			best { value } typical { value } exceedsBest } } }`

type takesJSON struct {
	WhatItTakes struct {
		Kpi          struct{ Key string }
		Period       struct{ Label string }
		Value        valueJSON
		History      []struct{ Label string }
		Requirements []struct {
			Kpi                       *struct{ Key string }
			Name, From, Relation      string
			Via                       *struct{ Key string }
			HistoricalRatio, Required *valueJSON
			Best, Typical             *valueJSON
			ExceedsBest               bool
		}
	}
}

func (r takesJSON) show() []string {
	v := func(x *valueJSON) string {
		if x == nil {
			return "-"
		}
		return x.Value
	}
	var out []string
	for _, q := range r.WhatItTakes.Requirements {
		key := "-"
		if q.Kpi != nil {
			key = q.Kpi.Key
		}
		via := q.Relation
		if via == "" && q.Via != nil {
			via = q.Via.Key
		}
		out = append(out, fmt.Sprintf("%s(%s) via %s from %s: ratio %s required %s best %s typical %s exceeds %v",
			q.Name, key, via, q.From, v(q.HistoricalRatio), v(q.Required), v(q.Best), v(q.Typical), q.ExceedsBest))
	}
	return out
}

// What a value takes, worked backwards through the ratio KPIs over r1's
// last four completed quarters (FY2026 Q4 to FY2027 Q3), by quarter:
// deals won 1, 2, 1, 0 (Σ 4); revenue 500.00, 15,000.00, 3,000.00, 0
// (Σ 18,500.00); deals won or lost 1, 3, 1, 0 (Σ 5); meetings held 0, 4,
// 1, 0 (Σ 5), of which on a won deal 0, 1, 1, 0 (Σ 2). So: 4,625.00 a deal,
// an 80% win rate (4 ÷ 5), 80 wins per 100 meetings, 40% of meetings
// on a won deal. 100,000.00 of revenue ÷ 4,625.00 = 21.6, so 22 deals won;
// ÷ 0.8 = 27.5, so 28 decided and 28 meetings; × 0.4 = 11.2, so 12
// meetings on won deals. Best and typical (median) are over the quarters.
func TestWhatItTakesWorksBackwardsFromHistory(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep := s.As(t, w.r1)
		vars := map[string]any{"kpi": w.kpiID(t, "REVENUE_WON"), "scope": map[string]any{"userID": w.r1.ID}, "value": "100000"}
		var r takesJSON
		rep.MustQuery(t, takesQuery, vars, &r)
		// No ratio KPI relates meetings to deals closed: the meetings step
		// does, at 5 meetings held per 5 deals closed.
		want := []string{
			"DEALS_CLOSED(DEALS_CLOSED) via AVERAGE_DEAL_SIZE from REVENUE_WON: ratio 4625.00 required 22 best 2 typical 1 exceeds true",
			"WIN_RATE denominator(-) via WIN_RATE from DEALS_CLOSED: ratio 80 required 28 best 3 typical 1 exceeds true",
			"MEETINGS_HELD(MEETINGS_HELD) via meetings held per closed deal from WIN_RATE denominator: ratio 1 required 28 best 4 typical 0.5 exceeds true",
			"MEETING_CONVERSION_RATE numerator(-) via MEETING_CONVERSION_RATE from MEETINGS_HELD: ratio 40 required 12 best 1 typical 0.5 exceeds true",
		}
		if got := r.show(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("built-ins:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var labels []string
		for _, p := range r.WhatItTakes.History {
			labels = append(labels, p.Label)
		}
		if fmt.Sprint(labels) != "[FY2026 Q4 FY2027 Q1 FY2027 Q2 FY2027 Q3]" || r.WhatItTakes.Value.Value != "100000.00" {
			t.Errorf("history %v, value %s", labels, r.WhatItTakes.Value.Value)
		}
		// Custom KPIs: the win rate's denominator as a KPI of its own, and a
		// ratio of deals won to meetings held.
		admin := s.As(t, w.adm)
		create := `mutation($in: CreateKPIInput!) { createKPI(input: $in) { kpi { id } } }`
		for _, in := range []map[string]any{
			{"key": "DEALS_DECIDED", "name": "Deals decided", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT",
					"filter": map[string]any{"dealStages": []string{"LOST", "WON"}}}}},
			{"key": "WINS_PER_100_MEETINGS", "name": "Wins per 100 meetings", "unit": "PERCENT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{
					"numerator":   map[string]any{"source": "DEALS", "function": "COUNT", "filter": map[string]any{"dealStages": []string{"WON"}}},
					"denominator": map[string]any{"source": "MEETINGS", "function": "COUNT", "filter": map[string]any{"meetingStatuses": []string{"HELD"}}}}},
		} {
			admin.MustQuery(t, create, map[string]any{"in": in}, nil)
		}
		r = takesJSON{}
		rep.MustQuery(t, takesQuery, vars, &r)
		want = []string{
			"DEALS_CLOSED(DEALS_CLOSED) via AVERAGE_DEAL_SIZE from REVENUE_WON: ratio 4625.00 required 22 best 2 typical 1 exceeds true",
			"DEALS_DECIDED(DEALS_DECIDED) via WIN_RATE from DEALS_CLOSED: ratio 80 required 28 best 3 typical 1 exceeds true",
			"MEETINGS_HELD(MEETINGS_HELD) via WINS_PER_100_MEETINGS from DEALS_CLOSED: ratio 80 required 28 best 4 typical 0.5 exceeds true",
			"MEETING_CONVERSION_RATE numerator(-) via MEETING_CONVERSION_RATE from MEETINGS_HELD: ratio 40 required 12 best 1 typical 0.5 exceeds true",
		}
		if got := r.show(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("with custom KPIs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Submitting the value keeps these figures with its assessment, for
		// the approver; a target's old assessment without them reads none.
		var proposed struct {
			ProposeTarget struct {
				Target struct {
					Assessment struct {
						WhatItTakes json.RawMessage
					}
				}
			}
		}
		rep.MustQuery(t, `mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) { target { assessment {
			whatItTakes { kpi { key } name via { key } relation from historicalRatio { value } required { value }
				best { value } typical { value } exceedsBest } } } } }`,
			map[string]any{"in": map[string]any{"kpiID": vars["kpi"], "userID": w.r1.ID,
				"period": map[string]any{"label": "FY2027 Q4"}, "value": "100000"}}, &proposed)
		var stored takesJSON
		if err := json.Unmarshal([]byte(`{"whatItTakes":{"requirements":`+string(proposed.ProposeTarget.Target.Assessment.WhatItTakes)+`}}`), &stored); err != nil {
			t.Fatal(err)
		}
		if got := stored.show(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("stored with the assessment:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// From a count: 2 deals won is within the best quarter; 2 × 4,625.00,
		// 2 ÷ 0.8 = 2.5 → 3, 3 × 0.4 = 1.2 → 2.
		r = takesJSON{}
		rep.MustQuery(t, takesQuery, map[string]any{"kpi": w.kpiID(t, "DEALS_CLOSED"), "scope": vars["scope"], "value": "2"}, &r)
		want = []string{
			"REVENUE_WON(REVENUE_WON) via AVERAGE_DEAL_SIZE from DEALS_CLOSED: ratio 4625.00 required 9250.00 best 15000.00 typical 1750.00 exceeds false",
			"DEALS_DECIDED(DEALS_DECIDED) via WIN_RATE from DEALS_CLOSED: ratio 80 required 3 best 3 typical 1 exceeds false",
			"MEETINGS_HELD(MEETINGS_HELD) via WINS_PER_100_MEETINGS from DEALS_CLOSED: ratio 80 required 3 best 4 typical 0.5 exceeds false",
			"MEETING_CONVERSION_RATE numerator(-) via MEETING_CONVERSION_RATE from MEETINGS_HELD: ratio 40 required 2 best 1 typical 0.5 exceeds true",
		}
		if got := r.show(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("from deals:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// Bad input is refused with its code; nothing is computed for
		// someone out of sight.
		rep.MustFail(t, "BAD_USER_INPUT", takesQuery, map[string]any{"kpi": w.kpiID(t, "AVERAGE_DEAL_SIZE"), "scope": vars["scope"], "value": "5000"})
		rep.MustFail(t, "BAD_USER_INPUT", takesQuery, map[string]any{"kpi": vars["kpi"], "scope": vars["scope"], "value": "-1"})
		rep.MustFail(t, "BAD_USER_INPUT", takesQuery, map[string]any{"kpi": vars["kpi"], "scope": map[string]any{}, "value": "1"})
		s.As(t, w.r3).MustFail(t, "NOT_FOUND", takesQuery, vars)
		// A disabled KPI is not planned with.
		s.Client.KPI.Update().Where(entkpi.OrganizationID(w.org.ID), entkpi.Key("REVENUE_WON")).SetEnabled(false).ExecX(apitest.Sys())
		rep.MustFail(t, "BAD_USER_INPUT", takesQuery, vars)
	})
}

// What it takes costs the same statements for a team of 4 and of 60: the
// history of every aggregate in one statement per record source.
func TestWhatItTakesStatementsDoNotGrowWithTeam(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			counts := map[int]int64{}
			for _, n := range []int{4, 60} {
				w := newStatementWorld(t, apitest.NewServer(t, b), n)
				sys := apitest.Sys()
				east := w.s.Client.Team.Query().Where(team.Name("East")).OnlyX(sys)
				revenue := w.s.Client.KPI.Query().Where(entkpi.Key("REVENUE_WON")).OnlyX(sys)
				// Each rep won a deal of 100.00 in the last completed quarter.
				var deals []*ent.DealCreate
				for _, u := range w.s.Client.User.Query().Where(user.RoleEQ(user.RoleRep)).AllX(sys) {
					deals = append(deals, w.s.Client.Deal.Create().SetOwnerID(u.ID).SetName("d").SetCustomerName("c").
						SetAmount(100_00).SetStage("WON").SetOpenedAt(time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)).
						SetClosedAt(time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC)))
				}
				w.s.Client.Deal.CreateBulk(deals...).ExecX(sys)
				q := fmt.Sprintf(`{ whatItTakes(kpi: %q, scope: {teamID: %q}, period: {label: "FY2027 Q1"}, value: "5000") {
					requirements { name required { value } best { value } typical { value } exceedsBest } } }`, revenue.ID, east.ID)
				stmts, data := w.statements(t, w.manager, q)
				counts[n] = stmts
				// 50 deals of 100.00 for 5,000.00; the best quarter is the one with a deal per rep of the team.
				if want := fmt.Sprintf(`"name":"DEALS_CLOSED","required":{"value":"50"},"best":{"value":"%d"}`, n/2); !strings.Contains(string(data), want) {
					t.Errorf("%d reps: %s, want %s", n, data, want)
				}
			}
			if counts[4] != counts[60] || counts[60] != 7 {
				t.Errorf("statements %v; want 7 for both", counts)
			}
		})
	}
}
