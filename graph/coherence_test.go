package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/enum"
)

const coherenceFields = `coherence { ratio { id kpi { key } } numerator { kpi { key } } denominator { kpi { key } }
	implied { unit value display } difference tolerance coherent }`

type coherenceJSON struct {
	Ratio struct {
		ID  string
		Kpi struct{ Key string }
	}
	Numerator, Denominator struct{ Kpi struct{ Key string } }
	Implied                *valueJSON
	Difference             *float64
	Tolerance              float64
	Coherent               bool
}

func (c coherenceJSON) show() string {
	implied, diff := "-", "-"
	if c.Implied != nil {
		implied = c.Implied.Value
	}
	if c.Difference != nil {
		diff = fmt.Sprintf("%.4f", *c.Difference)
	}
	return fmt.Sprintf("%s=%s/%s implied %s diff %s coherent %v", c.Ratio.Kpi.Key, c.Numerator.Kpi.Key, c.Denominator.Kpi.Key, implied, diff, c.Coherent)
}

// A ratio KPI's target and its parts' targets, for one scope and period,
// are checked against each other in each one's assessment, read live: the
// parts found by their definitions (a custom ratio over built-ins, a
// built-in ratio over a custom part whose filter lists its stages in
// another order), money in major units, percentages × 100.
func TestCoherenceOfRatioTargetsWithTheirParts(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		admin := s.As(t, w.adm)
		create := `mutation($in: CreateKPIInput!) { createKPI(input: $in) { kpi { id } } }`
		for _, in := range []map[string]any{
			{"key": "REVENUE_PER_MEETING", "name": "Revenue per meeting", "unit": "MONEY", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{
					"numerator": map[string]any{"source": "DEALS", "function": "SUM", "field": "AMOUNT", "filter": map[string]any{"dealStages": []string{"WON"}}},
					"denominator": map[string]any{"source": "MEETINGS", "function": "COUNT", "date": "HELD_AT",
						"filter": map[string]any{"meetingStatuses": []string{"HELD"}}}}},
			{"key": "DEALS_DECIDED", "name": "Deals decided", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT",
					"filter": map[string]any{"dealStages": []string{"LOST", "WON"}}}}},
		} {
			admin.MustQuery(t, create, map[string]any{"in": in}, nil)
		}
		rep := s.As(t, w.r1)
		propose := func(key, value string) string {
			var out struct {
				ProposeTarget struct{ Target struct{ ID string } }
			}
			rep.MustQuery(t, `mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) { target { id } } }`,
				map[string]any{"in": map[string]any{"kpiID": w.kpiID(t, key), "userID": w.r1.ID,
					"period": map[string]any{"label": "FY2027 Q4"}, "value": value}}, &out)
			return out.ProposeTarget.Target.ID
		}
		ids := map[string]string{}
		for _, x := range [][2]string{
			{"REVENUE_WON", "1000000"}, {"DEALS_CLOSED", "10"}, {"AVERAGE_DEAL_SIZE", "50000"},
			{"MEETINGS_HELD", "200"}, {"REVENUE_PER_MEETING", "5100"},
			{"DEALS_DECIDED", "40"}, {"WIN_RATE", "25"},
			{"SALES_CYCLE_LENGTH", "30"},
		} {
			ids[x[0]] = propose(x[0], x[1])
		}
		// Another period's targets are another set.
		var other struct {
			ProposeTarget struct{ Target struct{ ID string } }
		}
		rep.MustQuery(t, `mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) { target { id } } }`,
			map[string]any{"in": map[string]any{"kpiID": w.kpiID(t, "AVERAGE_DEAL_SIZE"), "userID": w.r1.ID,
				"period": map[string]any{"label": "FY2028 Q1"}, "value": "100000"}}, &other)

		read := func() map[string][]string {
			var out struct {
				Targets struct {
					Edges []struct {
						Node struct {
							ID         string
							Kpi        struct{ Key string }
							Period     struct{ Label string }
							Assessment struct{ Coherence []coherenceJSON }
						}
					}
				}
			}
			rep.MustQuery(t, `{ targets(first: 50) { edges { node { id kpi { key } period { label } assessment { `+coherenceFields+` } } } } }`, nil, &out)
			got := map[string][]string{}
			for _, e := range out.Targets.Edges {
				key := e.Node.Kpi.Key + " " + e.Node.Period.Label
				got[key] = []string{}
				for _, c := range e.Node.Assessment.Coherence {
					if c.Tolerance != 0.05 {
						t.Errorf("tolerance %v", c.Tolerance)
					}
					got[key] = append(got[key], c.show())
				}
			}
			return got
		}
		ads := "AVERAGE_DEAL_SIZE=REVENUE_WON/DEALS_CLOSED implied 100000.00 diff -0.5000 coherent false"
		rpm := "REVENUE_PER_MEETING=REVENUE_WON/MEETINGS_HELD implied 5000.00 diff 0.0200 coherent true"
		wr := "WIN_RATE=DEALS_CLOSED/DEALS_DECIDED implied 25 diff 0.0000 coherent true"
		check := func(what string, want map[string][]string) {
			t.Helper()
			got := read()
			for k, v := range want {
				if fmt.Sprint(got[k]) != fmt.Sprint(v) {
					t.Errorf("%s: %s: coherence\n%v\nwant\n%v", what, k, got[k], v)
				}
			}
		}
		// The sets are ordered by the ratio target's ID, as proposed.
		check("proposed", map[string][]string{
			"REVENUE_WON FY2027 Q4":         {ads, rpm},
			"DEALS_CLOSED FY2027 Q4":        {ads, wr},
			"AVERAGE_DEAL_SIZE FY2027 Q4":   {ads},
			"MEETINGS_HELD FY2027 Q4":       {rpm},
			"REVENUE_PER_MEETING FY2027 Q4": {rpm},
			"DEALS_DECIDED FY2027 Q4":       {wr},
			"WIN_RATE FY2027 Q4":            {wr},
			"SALES_CYCLE_LENGTH FY2027 Q4":  {},
			"AVERAGE_DEAL_SIZE FY2028 Q1":   {},
		})
		// Read live: a withdrawn part leaves its sets; a changed value is
		// compared as it is now.
		w1 := s.As(t, w.r1)
		w1.MustQuery(t, `mutation($id: ID!) { withdrawTarget(input: {targetId: $id, expectedVersion: 2}) { target { status } } }`,
			map[string]any{"id": ids["MEETINGS_HELD"]}, nil)
		s.As(t, w.mE).MustQuery(t, `mutation($id: ID!) { approveTargetWithChanges(input: {targetId: $id, expectedVersion: 2,
			value: "98000", comment: "as revenue and deals imply"}) { target { status } } }`,
			map[string]any{"id": ids["AVERAGE_DEAL_SIZE"]}, nil)
		adsNow := "AVERAGE_DEAL_SIZE=REVENUE_WON/DEALS_CLOSED implied 100000.00 diff -0.0200 coherent true"
		check("withdrawn and changed", map[string][]string{
			"REVENUE_WON FY2027 Q4":         {adsNow},
			"DEALS_CLOSED FY2027 Q4":        {adsNow, wr},
			"REVENUE_PER_MEETING FY2027 Q4": {},
			"MEETINGS_HELD FY2027 Q4":       {},
		})
	})
}

// The coherence of a list of targets costs the same statements whatever
// the list's length: the list's scopes and periods, their open targets and
// those targets' KPIs, once for the list.
func TestCoherenceStatementsDoNotGrowWithTargets(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			counts := map[int]int64{}
			for _, n := range []int{4, 60} {
				w := newStatementWorld(t, apitest.NewServer(t, b), n)
				s, sys := w.s, apitest.Sys()
				dc := s.Client.Target.Query().AllX(sys)
				var more []*ent.TargetCreate
				for _, key := range []string{"REVENUE_WON", "AVERAGE_DEAL_SIZE"} {
					k := s.Client.KPI.Query().Where(entkpi.Key(key)).OnlyX(sys)
					value := 400_00.0 // 2 deals of 200.00: coherent
					if key == "AVERAGE_DEAL_SIZE" {
						value = 250_00 // 25% above
					}
					for _, d := range dc {
						more = append(more, s.Client.Target.Create().SetOrganizationID(d.OrganizationID).SetKpiID(k.ID).
							SetUserID(*d.UserID).SetScopeKey(d.ScopeKey).SetPeriodKind(d.PeriodKind).SetPeriodYear(d.PeriodYear).
							SetPeriodIndex(d.PeriodIndex).SetPeriodStart(d.PeriodStart).SetPeriodEnd(d.PeriodEnd).SetValue(value).
							SetStatus(enum.StatusProposed).SetVersion(2).SetProposerID(d.ProposerID).SetAssessment(d.Assessment))
					}
				}
				s.Client.Target.CreateBulk(more...).ExecX(sys)
				q := `{ targets(first: 500) { totalCount edges { node { id kpi { key } assessment { band whatItTakes { name } ` + coherenceFields + ` } } } } }`
				stmts, data := w.statements(t, w.manager, q)
				counts[n] = stmts
				var out struct {
					Targets struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								Assessment struct {
									Coherence   []coherenceJSON
									WhatItTakes []struct{ Name string }
								}
							}
						}
					}
				}
				if err := json.Unmarshal(data, &out); err != nil {
					t.Fatal(err)
				}
				want := "AVERAGE_DEAL_SIZE=REVENUE_WON/DEALS_CLOSED implied 200.00 diff 0.2500 coherent false"
				for _, e := range out.Targets.Edges {
					if len(e.Node.Assessment.WhatItTakes) != 0 {
						t.Fatalf("an assessment stored without what it takes reads %+v", e.Node.Assessment.WhatItTakes)
					}
					if c := e.Node.Assessment.Coherence; len(c) != 1 || c[0].show() != want {
						t.Fatalf("%d reps: a target's coherence %+v, want [%s]", n, c, want)
					}
				}
				if out.Targets.TotalCount != 3*n || len(out.Targets.Edges) != 3*n {
					t.Fatalf("%d targets listed, want %d", len(out.Targets.Edges), 3*n)
				}
			}
			t.Logf("statements: %v", counts)
			// The organization's currency comes with the viewer.
			if counts[4] != counts[60] || counts[60] != 7 {
				t.Errorf("statements %v; want 7 for both", counts)
			}
		})
	}
}
