package graph_test

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/graph"
	"kpiflow/kpi"
	"kpiflow/money"
	"kpiflow/workflow"
)

// Sums of legal amounts never overflow: 9,300 won deals of the largest
// amount kpiflow takes add up to more than an int64 holds, and the team's
// scorecard, the team rollup and the trend show the exact sum and average
// on both databases (SQLite's SUM of integers fails on overflow).
func TestSumsOfLargestAmountsAreExact(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		const n = 9300
		// One deal through ent (its hooks set the team, the close and the
		// cycle), then its copies in one statement: 9,300 ent creates with
		// their hooks took half a minute under the race detector.
		first := s.Client.Deal.Create().SetOwnerID(w.r3.ID).SetName("mega").SetCustomerName("c").
			SetAmount(money.MaxMinor).SetStage(deal.StageWon).
			SetOpenedAt(utc("2026-02-20T00:00:00Z")).SetClosedAt(utc("2026-03-20T00:00:00Z")).SaveX(apitest.Sys())
		cols := make([]string, len(deal.Columns))
		for i, c := range deal.Columns {
			cols[i] = "d." + c
			if c == deal.FieldID {
				cols[i] = "d.id || '-' || CAST(k.i AS TEXT)"
			}
		}
		copies := fmt.Sprintf(`INSERT INTO deals (%s) WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %d)
			SELECT %s FROM deals d, k WHERE d.id = '%s'`, strings.Join(deal.Columns, ", "), n-1, strings.Join(cols, ", "), first.ID)
		if _, err := s.Store.DB.ExecContext(context.Background(), copies); err != nil {
			t.Fatal(err)
		}
		// Rows written past ent's hooks: their owner's rollups are
		// recomputed, as any such writer must.
		if err := s.Store.Rollups.TouchOwners(apitest.Sys(), s.Client, first.OrganizationID, first.OwnerID); err != nil {
			t.Fatal(err)
		}
		if c := s.Client.Deal.Query().Where(deal.Amount(money.MaxMinor)).CountX(apitest.Sys()); c != n {
			t.Fatalf("%d deals of the largest amount, want %d", c, n)
		}
		// West's Q1 also has d6, a won deal of 1,000.00.
		sum := new(big.Int).Mul(big.NewInt(n), big.NewInt(money.MaxMinor))
		sum.Add(sum, big.NewInt(100_000))
		if sum.IsInt64() {
			t.Fatal("the sum fits in an int64: the test proves nothing")
		}
		avg, rem := new(big.Int).QuoRem(sum, big.NewInt(n+1), new(big.Int))
		if rem.Lsh(rem, 1).Cmp(big.NewInt(n+1)) >= 0 {
			avg.Add(avg, big.NewInt(1))
		}
		wantSum, _ := money.FromMinorBig(sum, "USD")
		wantAvg, _ := money.FromMinorBig(avg, "USD")

		card := w.scorecard(t, w.adm, map[string]any{"teamID": w.west.ID}, map[string]any{"label": "FY2027 Q1"})
		got := card.values()
		// value is exact beyond 2⁵³ minor units; display groups it.
		for _, r := range card.Scorecard.Results {
			if r.Kpi.Key == "REVENUE_WON" && (r.Actual.Value != string(wantSum) || r.Actual.Display != "$"+money.Group(string(wantSum))) {
				t.Errorf("REVENUE_WON: value %s display %s; want %s", r.Actual.Value, r.Actual.Display, wantSum)
			}
		}
		if got["REVENUE_WON"] != "USD "+string(wantSum) || got["AVERAGE_DEAL_SIZE"] != "USD "+string(wantAvg) {
			t.Errorf("REVENUE_WON = %s, AVERAGE_DEAL_SIZE = %s; want USD %s and USD %s",
				got["REVENUE_WON"], got["AVERAGE_DEAL_SIZE"], wantSum, wantAvg)
		}
		// The organization's scorecard, a trend and a rollup run the same
		// sums through their own statements.
		// The organization's Q1 also has East's d1, d2 and d4: 22,000.50.
		orgSum, _ := money.FromMinorBig(new(big.Int).Add(sum, big.NewInt(2_200_050)), "USD")
		org := w.scorecard(t, w.adm, map[string]any{"organization": true}, map[string]any{"label": "FY2027 Q1"}).values()
		if org["REVENUE_WON"] != "USD "+string(orgSum) {
			t.Errorf("the organization's REVENUE_WON = %s, want USD %s", org["REVENUE_WON"], orgSum)
		}
		var trend struct {
			KpiTrend struct {
				Points []struct {
					Actual *struct {
						Value string
						Money struct{ Amount string } `json:"money"`
					}
				}
			}
		}
		s.As(t, w.adm).MustQuery(t, `query($kpi: ID!, $team: ID!) { kpiTrend(kpi: $kpi, scope: {teamID: $team},
			from: {label: "FY2027 Q1"}, to: {label: "FY2027 Q2"}, periodKind: QUARTER) {
			points { actual { value money { amount } } } } }`,
			map[string]any{"kpi": w.kpiID(t, "REVENUE_WON"), "team": w.west.ID}, &trend)
		if p := trend.KpiTrend.Points; len(p) != 2 || p[0].Actual == nil || p[0].Actual.Money.Amount != string(wantSum) || p[0].Actual.Value != string(wantSum) {
			t.Errorf("trend points: %+v", p)
		}
		var rollup struct {
			TeamRollup struct {
				Actual struct {
					Value string
					Money struct{ Amount string } `json:"money"`
				}
				Members []struct {
					Actual struct {
						Money struct{ Amount string } `json:"money"`
					}
				}
			}
		}
		s.As(t, w.adm).MustQuery(t, `query($kpi: ID!, $team: ID!) { teamRollup(kpi: $kpi, team: $team, period: {label: "FY2027 Q1"}) {
			actual { value money { amount } } members { actual { money { amount } } } } }`,
			map[string]any{"kpi": w.kpiID(t, "REVENUE_WON"), "team": w.west.ID}, &rollup)
		if r := rollup.TeamRollup; r.Actual.Money.Amount != string(wantSum) || r.Actual.Value != string(wantSum) || len(r.Members) != 1 || r.Members[0].Actual.Money.Amount != string(wantSum) {
			t.Errorf("rollup: %+v", r)
		}
	})
}

// moneyInputs are the cases of TestMoneyInputsAreBounded: for each Decimal
// input field of the schema (Type.field), an operation that gives it an
// amount, as the admin of newKPIWorld. The test fails when the schema has
// a Decimal input with no case here.
var moneyInputs = map[string]func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User){
	"CreateDealInput.amount": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		return `mutation($a: Decimal!, $o: ID!) { createDeal(input: {name: "n", customerName: "c", amount: $a, ownerID: $o,
			openedAt: "2026-11-01T00:00:00Z"}) { deal { id } } }`, map[string]any{"a": amount, "o": w.r1.ID}, w.adm
	},
	"UpdateDealInput.amount": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		d := w.s.Client.Deal.Query().Where(deal.OrganizationID(w.org.ID)).FirstX(apitest.Sys())
		return `mutation($a: Decimal!, $id: ID!) { updateDeal(input: {id: $id, amount: $a}) { deal { id } } }`,
			map[string]any{"a": amount, "id": d.ID}, w.adm
	},
	"ImportDealRow.amount": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		// An import reports a bad row in its result, not as an error.
		return `mutation($a: Decimal!) { importDeals(input: {allOrNothing: true, rows: [{externalId: "x1", ownerEmail: "r1@acme.test",
			name: "n", customerName: "c", amount: $a, stage: WON, openedAt: "2026-11-01T00:00:00Z", closedAt: "2026-11-02T00:00:00Z"}]}) {
			created rejected { code } } }`, map[string]any{"a": amount}, w.adm
	},
	"KPIFilterInput.amountMin": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		q, v := customKPI("amountMin", amount)
		return q, v, w.adm
	},
	"KPIFilterInput.amountMax": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		q, v := customKPI("amountMax", amount)
		return q, v, w.adm
	},
	"CreateTargetDraftInput.value": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		return `mutation($in: CreateTargetDraftInput!) { createTargetDraft(input: $in) { target { id } } }`,
			map[string]any{"in": map[string]any{"kpiID": w.kpiID(t, "REVENUE_WON"), "userID": w.r1.ID,
				"period": map[string]any{"label": q4}, "value": amount}}, w.adm
	},
	"UpdateTargetDraftInput.value": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		d := w.revenueTarget(t, "createTargetDraft")
		return `mutation($in: UpdateTargetDraftInput!) { updateTargetDraft(input: $in) { target { id } } }`,
			map[string]any{"in": map[string]any{"targetId": d.ID, "expectedVersion": d.Version, "value": amount}}, nextOwner[w]
	},
	"TargetValueDecisionInput.value": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		p := w.revenueTarget(t, "proposeTarget")
		return `mutation($in: TargetValueDecisionInput!) { approveTargetWithChanges(input: $in) { target { id } } }`,
			map[string]any{"in": map[string]any{"targetId": p.ID, "expectedVersion": p.Version, "value": amount, "comment": "c"}}, w.adm
	},
	"TargetAdjustmentInput.value": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		p := w.revenueTarget(t, "proposeTarget")
		var r map[string]struct{ Target targetJSON }
		w.s.As(t, w.adm).MustQuery(t, `mutation($in: TargetDecisionInput!) { approveTarget(input: $in) { target { id version } } }`,
			map[string]any{"in": map[string]any{"targetId": p.ID, "expectedVersion": p.Version}}, &r)
		a := r["approveTarget"].Target
		return `mutation($in: TargetAdjustmentInput!) { requestTargetAdjustment(input: $in) { target { id } } }`,
			map[string]any{"in": map[string]any{"targetId": a.ID, "expectedVersion": a.Version, "value": amount,
				"reasonCode": "MARKET_CHANGE", "comment": "c"}}, nextOwner[w]
	},
	"DecideReviewItemInput.value": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		p := w.revenueTarget(t, "proposeTarget")
		w.do(t, w.s.As(t, w.adm), "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
		at := utc("2026-12-15T17:00:00Z")
		if nextOwner[w] == w.r2 { // the second call: the next monthly review
			at = utc("2027-01-15T17:00:00Z")
		}
		svc := workflow.NewServiceAt(kpi.Engine{DB: w.s.Client, Dialect: w.s.Store.Dialect}, func() time.Time { return at })
		if _, err := svc.OpenReviews(apitest.Sys(), w.s.Client, w.org.ID, at); err != nil {
			t.Fatal(err)
		}
		item := w.s.Client.ReviewItem.Query().Where(reviewitem.TargetID(pulid.ID(p.ID)), reviewitem.DecisionIsNil()).FirstX(apitest.Sys())
		return `mutation($in: DecideReviewItemInput!) { decideReviewItem(input: $in) { item { id } } }`,
			map[string]any{"in": map[string]any{"itemId": item.ID, "decision": "ADJUST", "value": amount,
				"reasonCode": "MARKET_CHANGE", "comment": "c"}}, w.adm
	},
	"AllocationOverrideInput.value": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		// East's target for the fourth quarter, of the largest amount, drafted
		// once; r1 is East's one rep, so an override of the whole is valid.
		tt, ok := eastTarget[w]
		if !ok {
			max, _ := money.FromMinor(money.MaxMinor, "USD")
			tt = w.do(t, w.s.As(t, w.mE), "createTargetDraft", map[string]any{"kpiID": w.kpiID(t, "REVENUE_WON"), "teamID": w.east.ID,
				"period": map[string]any{"label": q4}, "value": string(max)}).ID
			eastTarget[w] = tt
		}
		return `mutation($in: AllocateTeamTargetInput!) { allocateTeamTarget(input: $in) { shares { value { value } } } }`,
			map[string]any{"in": map[string]any{"targetId": tt, "method": "EQUAL", "overrides": []any{
				map[string]any{"userID": w.r1.ID, "value": amount}}}}, w.mE
	},
	"GivenRatioInput.value": func(w *kpiWorld, t *testing.T, amount string) (string, map[string]any, *ent.User) {
		// An average deal size given to work backwards with.
		return `query($kpi: ID!, $user: ID!, $ratios: [GivenRatioInput!]) { whatItTakes(kpi: $kpi, scope: {userID: $user},
			period: {label: "` + q4 + `"}, value: "1000", ratios: $ratios) { requirements { required { value } } } }`,
			map[string]any{"kpi": w.kpiID(t, "REVENUE_WON"), "user": w.r1.ID,
				"ratios": []any{map[string]any{"kpi": w.kpiID(t, "AVERAGE_DEAL_SIZE"), "value": amount}}}, w.r1
	},
}

// eastTarget is the team target AllocationOverrideInput's case drafted.
var eastTarget = map[*kpiWorld]string{}

func customKPI(field, amount string) (string, map[string]any) {
	return `mutation($in: CreateKPIInput!) { createKPI(input: $in) { kpi { id } } }`,
		map[string]any{"in": map[string]any{"key": "BIG_WINS", "name": "Big wins", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
			"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT",
				"filter": map[string]any{"dealStages": []string{"WON"}, field: amount}}}}}
}

// nextOwner is the rep whose target revenueTarget made last.
var nextOwner = map[*kpiWorld]*ent.User{}

// revenueTarget has a rep draft or propose their REVENUE_WON target for
// the fourth quarter: r1 the first time, r2 the next (one open target a
// KPI and period each).
func (w *kpiWorld) revenueTarget(t *testing.T, how string) targetJSON {
	t.Helper()
	rep := w.r1
	if nextOwner[w] == w.r1 {
		rep = w.r2
	}
	nextOwner[w] = rep
	return w.do(t, w.s.As(t, rep), how, map[string]any{"kpiID": w.kpiID(t, "REVENUE_WON"), "userID": rep.ID,
		"period": map[string]any{"label": q4}, "value": "1000.00"})
}

// Every money input of the schema (every input field of type Decimal)
// takes the largest amount and refuses one minor unit more with
// BAD_USER_INPUT, changing nothing.
func TestMoneyInputsAreBounded(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: graph.SDL()})
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, def := range schema.Types {
		if def.Kind != ast.InputObject {
			continue
		}
		for _, f := range def.Fields {
			if f.Type.Name() == "Decimal" {
				fields = append(fields, def.Name+"."+f.Name)
			}
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		if _, ok := moneyInputs[f]; !ok {
			t.Errorf("the Decimal input %s has no case in moneyInputs", f)
		}
	}
	max, _ := money.FromMinor(money.MaxMinor, "USD")
	over := "10000000000000.00"
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		for _, f := range fields {
			cases := moneyInputs[f]
			if cases == nil {
				continue
			}
			t.Run(f, func(t *testing.T) {
				w := newKPIWorld(t, s)
				q, vars, actor := cases(w, t, over)
				as := s.As(t, actor)
				counts := func() [4]int {
					sys := apitest.Sys()
					return [4]int{s.Client.Deal.Query().CountX(sys), s.Client.KPI.Query().CountX(sys),
						s.Client.Target.Query().CountX(sys), s.Client.TargetRevision.Query().CountX(sys)}
				}
				before := counts()
				if f == "ImportDealRow.amount" {
					var r struct {
						ImportDeals struct {
							Created  int
							Rejected []struct{ Code string }
						}
					}
					as.MustQuery(t, q, vars, &r)
					if r.ImportDeals.Created != 0 || len(r.ImportDeals.Rejected) != 1 || r.ImportDeals.Rejected[0].Code != "BAD_USER_INPUT" {
						t.Errorf("importing %s: %+v", over, r)
					}
				} else {
					as.MustFail(t, "BAD_USER_INPUT", q, vars)
				}
				if after := counts(); after != before {
					t.Errorf("a refused %s changed something: %v → %v", f, before, after)
				}
				q, vars, actor = cases(w, t, string(max))
				s.As(t, actor).MustQuery(t, q, vars, nil)
			})
		}
	})
}
