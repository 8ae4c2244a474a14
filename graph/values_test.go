package graph_test

import (
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/money"
)

// valueShape is a KPIValue with every field selected.
const valueShape = `{ unit value money { amount currency } number display }`

// Every unit's value reads in one shape, with its display string for the
// organization's currency: the same record in USD, JPY (no decimals), KWD
// (three) and EUR. Counted by hand from newKPIWorld's record, East in
// FY2027 Q1, with one more meeting of 1,440 minutes.
func TestKPIValueDisplay(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		s.Client.Meeting.Create().SetOwnerID(w.r1.ID).SetKind(meeting.KindDemo).SetStatus(meeting.StatusHeld).
			SetScheduledAt(utc("2026-04-01T15:00:00Z")).SetDurationMinutes(1440).SaveX(apitest.Sys())
		// A count of more than a thousand: the minutes of held meetings.
		s.As(t, w.adm).MustQuery(t, `mutation { createKPI(input: {key: "MEETING_MINUTES", name: "Meeting minutes", unit: COUNT,
			direction: HIGHER_IS_BETTER, definition: {aggregate: {source: MEETINGS, function: SUM, field: DURATION_MINUTES,
			filter: {meetingStatuses: [HELD]}}}}) { kpi { id } } }`, nil, nil)

		read := func(as string) map[string]valueJSON {
			var r struct {
				Scorecard struct {
					Results []struct {
						Kpi    struct{ Key string }
						Actual *valueJSON
					}
				}
			}
			who := w.mE
			if as == "r1" {
				who = w.r1
			}
			scope := map[string]any{"teamID": w.east.ID}
			if as == "r1" {
				scope = map[string]any{"userID": w.r1.ID}
			}
			s.As(t, who).MustQuery(t, `query($scope: ScopeInput!) { scorecard(scope: $scope, period: {label: "FY2027 Q1"}) {
				results { kpi { key } actual `+valueShape+` } } }`, map[string]any{"scope": scope}, &r)
			out := map[string]valueJSON{}
			for _, res := range r.Scorecard.Results {
				if res.Actual != nil {
					out[res.Kpi.Key] = *res.Actual
				}
			}
			return out
		}
		check := func(what string, got valueJSON, unit, value, display string, number float64) {
			t.Helper()
			if got.Unit != unit || got.Value != value || got.Display != display || got.Number != number {
				t.Errorf("%s = %+v, want %s %s %q %v", what, got, unit, value, display, number)
			}
			if (unit == "MONEY") != (got.Money != nil) || got.Money != nil && got.Money.Amount != value {
				t.Errorf("%s: money %+v beside value %s", what, got.Money, value)
			}
		}
		east := read("mE")
		check("MEETINGS_HELD", east["MEETINGS_HELD"], "COUNT", "7", "7", 7)
		check("MEETING_MINUTES", east["MEETING_MINUTES"], "COUNT", "1650", "1,650", 1650) // 30+60+45+30 + 20+25 + 1440
		check("REVENUE_WON", east["REVENUE_WON"], "MONEY", "22000.50", "$22,000.50", 22000.5)
		check("AVERAGE_DEAL_SIZE", east["AVERAGE_DEAL_SIZE"], "MONEY", "7333.50", "$7,333.50", 7333.5)
		// (31.5 + 30 + 45.5) / 3 days: 6 decimals, displayed to one.
		check("SALES_CYCLE_LENGTH", east["SALES_CYCLE_LENGTH"], "DAYS", "35.666667", "35.7 days", 35.666667)
		check("WIN_RATE", east["WIN_RATE"], "PERCENT", "75", "75.0 %", 75)
		r1 := read("r1")
		check("r1 WIN_RATE", r1["WIN_RATE"], "PERCENT", "66.6667", "66.7 %", 66.6667) // 2 of 3: 4 decimals
		check("r1 SALES_CYCLE_LENGTH", r1["SALES_CYCLE_LENGTH"], "DAYS", "30.75", "30.8 days", 30.75)

		// The same minor units in other currencies.
		for _, c := range []struct{ currency, revenue, revenueDisplay, avg, avgDisplay string }{
			{"JPY", "2200050", "¥2,200,050", "733350", "¥733,350"},
			{"KWD", "2200.050", "KWD 2,200.050", "733.350", "KWD 733.350"},
			{"EUR", "22000.50", "€22,000.50", "7333.50", "€7,333.50"},
			{"CHF", "22000.50", "CHF 22,000.50", "7333.50", "CHF 7,333.50"},
		} {
			s.Client.Organization.UpdateOne(w.org).SetCurrency(c.currency).ExecX(apitest.Sys())
			got := read("mE")
			for key, want := range map[string][2]string{"REVENUE_WON": {c.revenue, c.revenueDisplay}, "AVERAGE_DEAL_SIZE": {c.avg, c.avgDisplay}} {
				v := got[key]
				if v.Value != want[0] || v.Display != want[1] || v.Money == nil || v.Money.Currency != c.currency || v.Money.Amount != want[0] {
					t.Errorf("%s in %s = %+v, want %s %q", key, c.currency, v, want[0], want[1])
				}
			}
		}
	})
}

// A value is exact where a Float is not: a sum of more than 2⁵³ minor
// units reads to the cent, though its number rounds.
func TestKPIValueExactBeyondFloat(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		// West's Q1: d6 (1,000.00), then 10 deals of the largest amount and
		// one of a cent: 10 × 999,999,999,999,999 + 100,000 + 1 minor units.
		for i := 0; i < 11; i++ {
			amount := int64(money.MaxMinor)
			if i == 10 {
				amount = 1
			}
			s.Client.Deal.Create().SetOwnerID(w.r3.ID).SetName("big").SetCustomerName("c").SetAmount(amount).
				SetStage(deal.StageWon).SetOpenedAt(utc("2026-02-20T00:00:00Z")).SetClosedAt(utc("2026-03-20T00:00:00Z")).
				SaveX(apitest.Sys())
		}
		const want = "100000000000999.91" // 10,000,000,000,099,991 minor units: odd, above 2⁵³, no float64 has it
		var r struct {
			Scorecard struct {
				Results []struct {
					Kpi    struct{ Key string }
					Actual valueJSON
				}
			}
		}
		s.As(t, w.adm).MustQuery(t, `query($team: ID!) { scorecard(scope: {teamID: $team}, period: {label: "FY2027 Q1"}) {
			results { kpi { key } actual `+valueShape+` } } }`, map[string]any{"team": w.west.ID}, &r)
		found := false
		for _, res := range r.Scorecard.Results {
			if res.Kpi.Key != "REVENUE_WON" {
				continue
			}
			found = true
			a := res.Actual
			if a.Value != want || a.Money == nil || a.Money.Amount != want || a.Display != "$100,000,000,000,999.91" || a.Number != 100000000000999.91 {
				t.Errorf("REVENUE_WON = %+v, want %s", a, want)
			}
		}
		if !found {
			t.Error("no REVENUE_WON")
		}
	})
}

// A realism assessment speaks the KPI's unit, money in major units: a
// proposal of 12,500.00 reads "12500.00", not 1250000. r1's revenue won by
// quarter, oldest first: FY2026 Q4 500.00 (d8), FY2027 Q1 15,000.00 (d1,
// d2), Q2 3,000.00 (d5), Q3 nothing; baseline (500 × 1 + 15,000 × 2 +
// 3,000 × 3 + 0 × 4) / 10 = 3,950.00, expected the same (no market factor),
// best ever 15,000.00.
func TestAssessmentValuesInMajorUnits(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		const assessment = `assessment { proposed ` + valueShape + ` baseline ` + valueShape + ` expected ` + valueShape + `
			bestEver ` + valueShape + ` ratio evidence { period value ` + valueShape + ` weight } }`
		type assessmentJSON struct {
			Proposed, Baseline, Expected, BestEver *valueJSON
			Ratio                                  float64
			Evidence                               []struct {
				Period string
				Value  *valueJSON
				Weight float64
			}
		}
		check := func(what string, a assessmentJSON, proposed bool) {
			t.Helper()
			money := func(name string, v *valueJSON, amount, display string) {
				t.Helper()
				if v == nil || v.Unit != "MONEY" || v.Value != amount || v.Display != display || v.Money == nil ||
					v.Money.Amount != amount || v.Money.Currency != "USD" {
					t.Errorf("%s: %s = %+v, want %s", what, name, v, amount)
				}
			}
			if proposed {
				money("proposed", a.Proposed, "12500.00", "$12,500.00")
				if a.Ratio < 3.1645 || a.Ratio > 3.1646 { // 12,500 / 3,950: a ratio, unit-less
					t.Errorf("%s: ratio %v", what, a.Ratio)
				}
			}
			money("baseline", a.Baseline, "3950.00", "$3,950.00")
			money("expected", a.Expected, "3950.00", "$3,950.00")
			money("bestEver", a.BestEver, "15000.00", "$15,000.00")
			var got []string
			for _, e := range a.Evidence {
				v := "-"
				if e.Value != nil {
					v = e.Value.Value + " " + e.Value.Display
				}
				got = append(got, e.Period+"="+v)
			}
			if s := strings.Join(got, ", "); s != "FY2026 Q4=500.00 $500.00, FY2027 Q1=15000.00 $15,000.00, FY2027 Q2=3000.00 $3,000.00, FY2027 Q3=0.00 $0.00" {
				t.Errorf("%s: evidence %s", what, s)
			}
		}
		revenue := w.kpiID(t, "REVENUE_WON")
		var p struct {
			ProposeTarget struct {
				Target struct {
					Value      valueJSON
					Assessment assessmentJSON
				}
			}
		}
		s.As(t, w.r1).MustQuery(t, `mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) { target {
			value `+valueShape+` `+assessment+` } } }`, map[string]any{"in": map[string]any{"kpiID": revenue, "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "12500.00"}}, &p)
		if v := p.ProposeTarget.Target.Value; v.Value != "12500.00" || v.Display != "$12,500.00" || v.Number != 12500 {
			t.Errorf("value %+v", v)
		}
		check("the proposal", p.ProposeTarget.Target.Assessment, true)

		// The approver reads the same, through a list of targets.
		var l struct {
			Targets struct {
				Edges []struct {
					Node struct{ Assessment assessmentJSON }
				}
			}
		}
		s.As(t, w.mE).MustQuery(t, `{ targets(first: 10) { edges { node { `+assessment+` } } } }`, nil, &l)
		if len(l.Targets.Edges) != 1 {
			t.Fatalf("%d targets", len(l.Targets.Edges))
		}
		check("the approver's list", l.Targets.Edges[0].Node.Assessment, true)

		// A suggestion, before proposing: the same history.
		var sug struct {
			SuggestTarget struct {
				Suggested  *valueJSON
				Assessment assessmentJSON
			}
		}
		s.As(t, w.r1).MustQuery(t, `query($kpi: ID!, $user: ID!) { suggestTarget(kpi: $kpi, scope: {userID: $user}, period: {label: "FY2027 Q4"}) {
			suggested `+valueShape+` `+assessment+` } }`, map[string]any{"kpi": revenue, "user": w.r1.ID}, &sug)
		if v := sug.SuggestTarget.Suggested; v == nil || v.Value != "3950.00" {
			t.Errorf("suggested %+v", v)
		}
		check("the suggestion", sug.SuggestTarget.Assessment, false)
	})
}

// A ramping rep's borrowed median is in the KPI's unit too.
func TestRampMedianInMajorUnits(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		// As TestRampingRepBorrowsTheTeamsBaseline: r1, hired in October
		// 2025, is fully ramped from January 2026; their revenue in FY2027
		// Q1, Q2 and Q3 is 15,000.00 (d1, d2), 3,000.00 (d5) and 0, at
		// weights 2, 3 and 4: (30,000 + 9,000) / 9 = 4,333.33. The newbie,
		// in their third month, borrows 75% of it: 3,250.00.
		s.Client.User.UpdateOne(w.r1).SetHiredAt(utc("2025-10-15T04:00:00Z")).ExecX(apitest.Sys())
		newbie := s.User(t, w.org, "newbie@acme.test", "REP", w.east)
		s.Client.User.UpdateOne(newbie).SetHiredAt(utc("2026-09-15T04:00:00Z")).ExecX(apitest.Sys())
		var sug struct {
			SuggestTarget struct {
				Assessment struct {
					Ramp *struct {
						Share                       float64
						FullyRampedMedian, Baseline valueJSON
					}
				}
			}
		}
		s.As(t, newbie).MustQuery(t, `query($kpi: ID!, $user: ID!) { suggestTarget(kpi: $kpi, scope: {userID: $user}, period: {label: "FY2027 Q4"}) {
			assessment { ramp { share fullyRampedMedian `+valueShape+` baseline `+valueShape+` } } } }`,
			map[string]any{"kpi": w.kpiID(t, "REVENUE_WON"), "user": newbie.ID}, &sug)
		r := sug.SuggestTarget.Assessment.Ramp
		if r == nil || r.Share != 0.75 || r.FullyRampedMedian.Value != "4333.33" || r.FullyRampedMedian.Display != "$4,333.33" ||
			r.FullyRampedMedian.Money == nil || r.Baseline.Value != "3250.00" || r.Baseline.Money == nil {
			t.Errorf("ramp %+v", r)
		}
	})
}

// A count is a Decimal, not a 32-bit Int: a target of five billion reads
// exactly, as do its events and its assessment.
func TestCountBeyondInt32(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		var p struct {
			ProposeTarget struct {
				Target struct {
					Value      valueJSON
					Assessment struct{ Proposed valueJSON }
					Revisions  struct {
						Edges []struct {
							Node struct{ Value valueJSON }
						}
					}
				}
			}
		}
		s.As(t, w.r1).MustQuery(t, `mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) { target {
			value `+valueShape+` assessment { proposed `+valueShape+` } revisions { edges { node { value `+valueShape+` } } } } } }`,
			map[string]any{"in": map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
				"period": map[string]any{"label": q4}, "value": "5000000000"}}, &p)
		tg := p.ProposeTarget.Target
		for what, v := range map[string]valueJSON{"value": tg.Value, "assessment": tg.Assessment.Proposed} {
			if v.Unit != "COUNT" || v.Value != "5000000000" || v.Display != "5,000,000,000" || v.Number != 5e9 || v.Money != nil {
				t.Errorf("%s = %+v", what, v)
			}
		}
		if len(tg.Revisions.Edges) != 1 || tg.Revisions.Edges[0].Node.Value.Value != "5000000000" {
			t.Errorf("revisions %+v", tg.Revisions)
		}
	})
}
