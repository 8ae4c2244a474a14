package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/target"
	"kpiflow/ent/user"
	"kpiflow/enum"
	"kpiflow/kpi"
	"kpiflow/workflow"
)

const assessmentFields = `band proposed { unit value display } baseline { value display } expected { value money { amount currency } }
	ratio bestEver { value } marketFactor teamMarketFactor marketFactorApplies
	evidence { period start end value { value number } weight }
	ramp { tenureMonths share scaled rampedAfterMonths peers fullyRampedMedian { value } baseline { value } }`

// The realism preview of a value is what submitting it stores: the same
// band, expected value and evidence; it writes nothing, and only someone
// who may propose for the scope may ask for it.
func TestAssessTargetPreviewsTheSubmittedAssessment(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		sys := apitest.Sys()
		s.Client.User.UpdateOne(w.r1).SetHiredAt(utc("2025-01-01T05:00:00Z")).ExecX(sys)
		newbie := s.User(t, w.org, "newbie@acme.test", user.RoleRep, w.east)
		s.Client.User.UpdateOne(newbie).SetHiredAt(utc("2026-09-15T04:00:00Z")).ExecX(sys)
		for _, c := range []struct {
			as    *ent.User
			scope map[string]any
			key   string
			value string
		}{
			{w.r1, map[string]any{"userID": w.r1.ID}, "DEALS_CLOSED", "2"},
			{w.r1, map[string]any{"userID": w.r1.ID}, "REVENUE_WON", "12500.50"},
			{w.r1, map[string]any{"userID": w.r1.ID}, "SALES_CYCLE_LENGTH", "20"},
			{newbie, map[string]any{"userID": newbie.ID}, "DEALS_CLOSED", "1"}, // a borrowed baseline
			{w.mE, map[string]any{"teamID": w.east.ID}, "DEALS_CLOSED", "3"},
		} {
			vars := map[string]any{"kpi": w.kpiID(t, c.key), "scope": c.scope, "value": c.value}
			events := s.Client.TargetEvent.Query().CountX(sys)
			targets := s.Client.Target.Query().CountX(sys)
			var preview struct{ AssessTarget json.RawMessage }
			s.As(t, c.as).MustQuery(t, `query($kpi: ID!, $scope: TargetScopeInput!, $value: Decimal!) {
				assessTarget(kpi: $kpi, scope: $scope, period: {label: "FY2027 Q4"}, value: $value) { `+assessmentFields+` } }`, vars, &preview)
			if s.Client.Target.Query().CountX(sys) != targets || s.Client.TargetEvent.Query().CountX(sys) != events {
				t.Errorf("%s: the preview wrote", c.key)
			}
			var proposed struct {
				ProposeTarget struct {
					Target struct{ Assessment json.RawMessage }
				}
			}
			in := map[string]any{"kpiID": vars["kpi"], "period": map[string]any{"label": "FY2027 Q4"}, "value": c.value}
			for k, v := range c.scope {
				in[k] = v
			}
			s.As(t, c.as).MustQuery(t, `mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) {
				target { assessment { `+assessmentFields+` } } } }`, map[string]any{"in": in}, &proposed)
			if !bytes.Equal(preview.AssessTarget, proposed.ProposeTarget.Target.Assessment) {
				t.Errorf("%s %s: the preview\n%s\nis not the assessment submitted\n%s", c.as.Email, c.key, preview.AssessTarget, proposed.ProposeTarget.Target.Assessment)
			}
		}
		// Authorization and input are those of proposing.
		q := `query($kpi: ID!, $scope: TargetScopeInput!, $period: PeriodInput!, $value: Decimal!) {
			assessTarget(kpi: $kpi, scope: $scope, period: $period, value: $value) { band } }`
		dc := w.kpiID(t, "DEALS_CLOSED")
		q4 := map[string]any{"label": "FY2027 Q4"}
		s.As(t, w.r3).MustFail(t, "NOT_FOUND", q, map[string]any{"kpi": dc, "scope": map[string]any{"userID": w.r1.ID}, "period": q4, "value": "1"})
		s.As(t, w.r1).MustFail(t, "FORBIDDEN", q, map[string]any{"kpi": dc, "scope": map[string]any{"teamID": w.east.ID}, "period": q4, "value": "1"})
		for _, c := range []struct {
			field string
			vars  map[string]any
		}{
			{"value", map[string]any{"kpi": dc, "scope": map[string]any{"userID": w.r1.ID}, "period": q4, "value": "1.5"}},
			{"value", map[string]any{"kpi": dc, "scope": map[string]any{"userID": w.r1.ID}, "period": q4, "value": "-1"}},
			{"value", map[string]any{"kpi": w.kpiID(t, "WIN_RATE"), "scope": map[string]any{"userID": w.r1.ID}, "period": q4, "value": "101"}},
			{"period", map[string]any{"kpi": dc, "scope": map[string]any{"userID": w.r1.ID}, "period": map[string]any{"label": "FY2027 Q1"}, "value": "1"}},
			{"scope", map[string]any{"kpi": dc, "scope": map[string]any{}, "period": q4, "value": "1"}},
		} {
			e := s.As(t, w.r1).MustFail(t, "BAD_USER_INPUT", q, c.vars)
			if e.Extensions["field"] != c.field {
				t.Errorf("%v: field %v, want %s", c.vars, e.Extensions["field"], c.field)
			}
		}
	})
}

// A preview is cheap enough to ask for at each keystroke: a fixed number
// of statements, however much history there is.
func TestAssessTargetStatements(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			for _, n := range []int{10, 500} {
				w := newStatementWorld(t, apitest.NewServer(t, b), n)
				rep := w.s.Client.User.Query().Where(user.RoleEQ(user.RoleRep)).FirstX(apitest.Sys())
				k := w.s.Client.KPI.Query().Where(entkpi.Key("DEALS_CLOSED")).OnlyX(apitest.Sys())
				got, data := w.statements(t, rep, fmt.Sprintf(`{ assessTarget(kpi: "%s", scope: {userID: "%s"},
					period: {kind: QUARTER, year: 2027, index: 1}, value: "2") { band expected { value } evidence { value { value } } } }`, k.ID, rep.ID))
				// The session and the viewer's scope (with the
				// organization and its settings), the KPI, the rep (for the check
				// that the viewer may propose, and for the history's hire
				// date), the history (one statement for the deals of all
				// four quarters), and the market factor of the rep's team
				// with the team (for its parent); then what the value takes:
				// the organization's KPIs and the history of their parts
				// (one statement each for deals and meetings).
				if want := int64(10); got != want {
					t.Errorf("%d reps: %d statements, want %d: %s", n, got, want, data)
				}
			}
		})
	}
}

// A review item shows the adjustment its target waits on, beside the
// suggestion, for a whole cycle in the statements of one.
func TestReviewItemsShowPendingAdjustments(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			counts := map[int]int64{}
			for _, n := range []int{10, 500} {
				w := newStatementWorld(t, apitest.NewServer(t, b), n)
				sys := apitest.Sys()
				org := w.manager.OrganizationID
				// Every third target waits on a request to lower it to 1.
				ts := w.s.Client.Target.Query().Order(ent.Asc(target.FieldID)).AllX(sys)
				waiting := 0
				for i, tg := range ts {
					if i%3 == 0 {
						w.s.Client.Target.UpdateOne(tg).SetPendingValue(1).SetPendingReason(enum.ReasonMarketChange).
							SetPendingComment("a customer went under").ExecX(sys)
						waiting++
					}
				}
				svc := workflow.NewServiceAt(kpi.Engine{DB: w.s.Client, Dialect: w.s.Store.Dialect}, func() time.Time { return apitest.Now })
				if _, err := svc.OpenReviews(sys, w.s.Client, org, apitest.Now); err != nil {
					t.Fatal(err)
				}
				if c := w.s.Client.ReviewCycle.Query().Where(reviewcycle.OrganizationID(org)).CountX(sys); c != 2 {
					t.Fatalf("%d cycles, want East's and West's", c)
				}
				got, data := w.statements(t, w.manager, `{ reviewCycles(first: 5) { edges { node { items(first: 500) { edges { node { suggestedAction
					suggestedValue { value } targetValue { value }
					pendingAdjustment { value { value } reasonCode comment } } } } } } } }`)
				counts[n] = got
				var r struct {
					ReviewCycles struct {
						Edges []struct {
							Node struct {
								Items struct {
									Edges []struct {
										Node struct {
											SuggestedAction   string
											TargetValue       struct{ Value string }
											PendingAdjustment *struct {
												Value      struct{ Value string }
												ReasonCode string
												Comment    *string
											}
										}
									}
								}
							}
						}
					}
				}
				if err := json.Unmarshal(data, &r); err != nil {
					t.Fatal(err)
				}
				items, shown := 0, 0
				for _, e := range r.ReviewCycles.Edges {
					for _, ie := range e.Node.Items.Edges {
						it := ie.Node
						items++
						if p := it.PendingAdjustment; p != nil {
							shown++
							if p.Value.Value != "1" || p.ReasonCode != "MARKET_CHANGE" || p.Comment == nil || *p.Comment != "a customer went under" || it.SuggestedAction == "" {
								t.Errorf("item: %+v", it)
							}
						}
					}
				}
				if items != n || shown != waiting {
					t.Errorf("%d reps: %d items, %d with a pending adjustment; want %d and %d", n, items, shown, n, waiting)
				}
			}
			// As many for 500 reps as for 10: the items' targets (KPI and
			// pending adjustment, for every field at once) in one statement
			// for the whole list, their KPI in one.
			if counts[10] != counts[500] || counts[500] != 6 {
				t.Errorf("statements: %d for 10 reps, %d for 500; want 6 for both", counts[10], counts[500])
			}
		})
	}
}
