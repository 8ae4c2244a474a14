package graph_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

// kpiWorld is a hand-built record whose KPI values are worked out by hand
// below. Acme's fiscal year starts in February, in New York time:
// FY2027 Q1 is [2026-02-01 05:00 UTC, 2026-05-01 04:00 UTC) (EST, then EDT).
//
//	team East ─ sub-team East1; team West
//	r1 (East), r2 (East1), r3 (West); manager mE manages East; admin
type kpiWorld struct {
	s                   *apitest.Server
	org                 *ent.Organization
	east, east1, west   *ent.Team
	r1, r2, r3, mE, adm *ent.User
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func newKPIWorld(t testing.TB, s *apitest.Server) *kpiWorld {
	t.Helper()
	sys := apitest.Sys()
	w := &kpiWorld{s: s}
	w.org = s.Client.Organization.Create().SetName("Acme").SetCurrency("USD").
		SetTimezone("America/New_York").SetFiscalYearStartMonth(2).SaveX(sys)
	w.east = s.Team(t, w.org, "East", "")
	w.east1 = s.Team(t, w.org, "East1", w.east.ID)
	w.west = s.Team(t, w.org, "West", "")
	w.r1 = s.User(t, w.org, "r1@acme.test", user.RoleRep, w.east)
	w.r2 = s.User(t, w.org, "r2@acme.test", user.RoleRep, w.east1)
	w.r3 = s.User(t, w.org, "r3@acme.test", user.RoleRep, w.west)
	w.mE = s.User(t, w.org, "me@acme.test", user.RoleManager, nil)
	w.adm = s.User(t, w.org, "admin@acme.test", user.RoleAdmin, nil)
	s.Manage(t, w.mE, w.east)

	type d struct {
		owner          *ent.User
		stage          deal.Stage
		minor          int64
		opened, closed string
	}
	var deals []pulid.ID
	for _, x := range []d{
		{w.r1, deal.StageWon, 1_000_000, "2026-01-10T00:00:00Z", "2026-02-10T12:00:00Z"}, // d1: Q1, 31.5 days
		{w.r1, deal.StageWon, 500_000, "2026-02-01T05:00:00Z", "2026-03-03T05:00:00Z"},   // d2: Q1, 30 days
		{w.r1, deal.StageLost, 200_000, "2026-02-02T00:00:00Z", "2026-03-01T00:00:00Z"},  // d3: lost in Q1
		{w.r2, deal.StageWon, 700_050, "2026-03-01T00:00:00Z", "2026-04-15T12:00:00Z"},   // d4: Q1, 45.5 days, sub-team
		{w.r1, deal.StageWon, 300_000, "2026-04-01T00:00:00Z", "2026-05-01T04:00:00Z"},   // d5: the first instant of Q2
		{w.r3, deal.StageWon, 100_000, "2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z"},   // d6: West, Q1, 28 days
		{w.r1, deal.StageProspecting, 900_000, "2026-03-10T00:00:00Z", ""},               // d7: open
		{w.r1, deal.StageWon, 50_000, "2026-01-02T00:00:00Z", "2026-02-01T04:30:00Z"},    // d8: 23:30 on Jan 31 in New York: FY2026
	} {
		c := s.Client.Deal.Create().SetOwnerID(x.owner.ID).SetName("d").SetCustomerName("c").
			SetAmount(x.minor).SetStage(x.stage).SetOpenedAt(utc(x.opened))
		if x.closed != "" {
			c.SetClosedAt(utc(x.closed))
		}
		deals = append(deals, c.SaveX(sys).ID)
	}
	type m struct {
		owner  *ent.User
		kind   meeting.Kind
		status meeting.Status
		at     string
		min    int
		deal   int // d1 … d8, 0 for none
	}
	for _, x := range []m{
		{w.r1, meeting.KindDiscovery, meeting.StatusHeld, "2026-02-03T15:00:00Z", 30, 1}, // won deal
		{w.r1, meeting.KindDemo, meeting.StatusHeld, "2026-02-20T15:00:00Z", 60, 3},      // lost deal
		{w.r1, meeting.KindDemo, meeting.StatusHeld, "2026-03-20T15:00:00Z", 45, 7},      // open deal
		{w.r1, meeting.KindProposal, meeting.StatusHeld, "2026-04-20T15:00:00Z", 30, 0},
		{w.r1, meeting.KindDemo, meeting.StatusCancelled, "2026-03-05T15:00:00Z", 30, 2}, // not held
		{w.r1, meeting.KindFollowUp, meeting.StatusNoShow, "2026-03-06T15:00:00Z", 30, 0},
		{w.r1, meeting.KindDemo, meeting.StatusHeld, "2026-05-01T04:00:00Z", 30, 5}, // Q2
		{w.r2, meeting.KindDemo, meeting.StatusHeld, "2026-03-02T15:00:00Z", 20, 4}, // won deal
		{w.r2, meeting.KindNegotiation, meeting.StatusHeld, "2026-04-02T15:00:00Z", 25, 0},
		{w.r3, meeting.KindDemo, meeting.StatusHeld, "2026-02-25T15:00:00Z", 40, 6}, // won deal
	} {
		c := s.Client.Meeting.Create().SetOwnerID(x.owner.ID).SetKind(x.kind).SetStatus(x.status).
			SetScheduledAt(utc(x.at)).SetDurationMinutes(x.min)
		if x.deal > 0 {
			c.SetDealID(deals[x.deal-1])
		}
		c.SaveX(sys)
	}
	return w
}

const scorecardQuery = `query($scope: ScopeInput!, $period: PeriodInput!) {
  scorecard(scope: $scope, period: $period) {
    period { label startsAt endsAt }
    results { kpi { key } sampleSize lowConfidence target { __typename } attainment pace status
      actual { unit value money { amount currency } number display } }
  }
}`

type resultJSON struct {
	Kpi           struct{ Key string }
	SampleSize    int
	LowConfidence bool
	Target        any
	Attainment    any
	Pace          any
	Status        any
	Actual        *valueJSON
}

// valueJSON is a KPIValue.
type valueJSON struct {
	Unit    string
	Value   string
	Money   *struct{ Amount, Currency string }
	Number  float64
	Display string
}

// show renders a value for comparison: "3", "USD 22000.50", "35.6667d",
// "75%", or "-" for none.
func (r resultJSON) show() string {
	a := r.Actual
	if a == nil {
		return "-"
	}
	f, _ := strconv.ParseFloat(a.Value, 64)
	switch a.Unit {
	case "COUNT":
		return a.Value
	case "MONEY":
		if a.Money == nil || a.Money.Amount != a.Value {
			return "? money " + a.Value
		}
		return a.Money.Currency + " " + a.Money.Amount
	case "DAYS":
		return fmt.Sprintf("%.4fd", f)
	case "PERCENT":
		return fmt.Sprintf("%.4f%%", f)
	}
	return "?"
}

type scorecardJSON struct {
	Scorecard struct {
		Period struct {
			Label, StartsAt, EndsAt string
		}
		Results []resultJSON
	}
}

func (w *kpiWorld) scorecard(t *testing.T, as *ent.User, scope map[string]any, period map[string]any) scorecardJSON {
	t.Helper()
	var r scorecardJSON
	w.s.As(t, as).MustQuery(t, scorecardQuery, map[string]any{"scope": scope, "period": period}, &r)
	return r
}

// values renders a scorecard as "KEY=value[~]" (~ for low confidence).
func (sc scorecardJSON) values() map[string]string {
	out := map[string]string{}
	for _, r := range sc.Scorecard.Results {
		v := r.show()
		if r.LowConfidence {
			v += "~"
		}
		out[r.Kpi.Key] = v
	}
	return out
}

func checkValues(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s = %s, want %s", what, k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d KPIs %v, want %d", what, len(got), got, len(want))
	}
}

func TestScorecardValues(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		q1 := map[string]any{"label": "FY2027 Q1"}

		east := w.scorecard(t, w.mE, map[string]any{"teamID": w.east.ID}, q1)
		p := east.Scorecard.Period
		if p.Label != "FY2027 Q1" || p.StartsAt != "2026-02-01T05:00:00Z" || p.EndsAt != "2026-05-01T04:00:00Z" {
			t.Errorf("period = %+v", p)
		}
		for _, r := range east.Scorecard.Results {
			if r.Target != nil || r.Attainment != nil || r.Pace != nil || r.Status != nil {
				t.Errorf("%s has target fields before targets exist: %+v", r.Kpi.Key, r)
			}
		}
		// Team East with sub-team East1 (r1 and r2) in FY2027 Q1:
		// held meetings 4 + 2; won d1, d2, d4; lost d3; d5 is Q2 and d8 FY2026.
		// Of the 6 meetings held, those of a won deal: r1's of d1 and r2's of
		// d4 (r1's others: of lost d3, of open d7, of no deal).
		checkValues(t, "East", east.values(), map[string]string{
			"MEETINGS_HELD":           "6",
			"DEALS_CLOSED":            "3",
			"REVENUE_WON":             "USD 22000.50", // 10000 + 5000 + 7000.50
			"AVERAGE_DEAL_SIZE":       "USD 7333.50",  // 22000.50 / 3
			"SALES_CYCLE_LENGTH":      "35.6667d",     // (31.5 + 30 + 45.5) / 3
			"WIN_RATE":                "75.0000%~",    // 3 / 4, below the sample of 5
			"MEETING_CONVERSION_RATE": "33.3333%~",    // 2 / 6, below the sample of 10
		})

		// r1 alone: d1, d2 won; d3 lost; 4 meetings held in Q1.
		checkValues(t, "r1", w.scorecard(t, w.r1, map[string]any{"userID": w.r1.ID}, q1).values(), map[string]string{
			"MEETINGS_HELD":           "4",
			"DEALS_CLOSED":            "2",
			"REVENUE_WON":             "USD 15000.00",
			"AVERAGE_DEAL_SIZE":       "USD 7500.00~", // 2 deals, below the sample of 3
			"SALES_CYCLE_LENGTH":      "30.7500d~",
			"WIN_RATE":                "66.6667%~",
			"MEETING_CONVERSION_RATE": "25.0000%~", // the meeting of d1 of 4
		})

		// The organization adds West's d6 and r3's meeting.
		checkValues(t, "Acme", w.scorecard(t, w.adm, map[string]any{"organization": true}, q1).values(), map[string]string{
			"MEETINGS_HELD":           "7",
			"DEALS_CLOSED":            "4",
			"REVENUE_WON":             "USD 23000.50",
			"AVERAGE_DEAL_SIZE":       "USD 5750.13", // 23000.50 / 4 = 5750.125, half rounds away from zero
			"SALES_CYCLE_LENGTH":      "33.7500d",    // (31.5 + 30 + 45.5 + 28) / 4
			"WIN_RATE":                "80.0000%",    // 4 / 5
			"MEETING_CONVERSION_RATE": "42.8571%~",   // 3 / 7: with r3's meeting of won d6
		})

		// An empty period: counts are 0, averages and ratios are none.
		checkValues(t, "East FY2027 Q3", w.scorecard(t, w.mE, map[string]any{"teamID": w.east.ID},
			map[string]any{"kind": "QUARTER", "year": 2027, "index": 3}).values(), map[string]string{
			"MEETINGS_HELD": "0", "DEALS_CLOSED": "0", "REVENUE_WON": "USD 0.00",
			"AVERAGE_DEAL_SIZE": "-~", "SALES_CYCLE_LENGTH": "-~", "WIN_RATE": "-~", "MEETING_CONVERSION_RATE": "-~",
		})

		// d8 closed at 04:30 UTC on 1 February, 23:30 on 31 January in New
		// York: it is in FY2026's last month, not in FY2027's first.
		feb := w.scorecard(t, w.r1, map[string]any{"userID": w.r1.ID}, map[string]any{"label": "FY2027 M01"}).values()
		jan := w.scorecard(t, w.r1, map[string]any{"userID": w.r1.ID}, map[string]any{"label": "FY2026 M12"}).values()
		if feb["DEALS_CLOSED"] != "1" || jan["DEALS_CLOSED"] != "1" || jan["REVENUE_WON"] != "USD 500.00" {
			t.Errorf("month boundary in New York: FY2027 M01 %s, FY2026 M12 %s %s", feb["DEALS_CLOSED"], jan["DEALS_CLOSED"], jan["REVENUE_WON"])
		}
		// d5 closed at the first instant of Q2.
		q2 := w.scorecard(t, w.r1, map[string]any{"userID": w.r1.ID}, map[string]any{"label": "FY2027 Q2"}).values()
		if q2["DEALS_CLOSED"] != "1" || q2["MEETINGS_HELD"] != "1" {
			t.Errorf("FY2027 Q2 for r1: %v, want d5 and the meeting at the boundary", q2)
		}

		for _, bad := range []map[string]any{
			{"label": "FY2027 Q5"}, {"label": "2027 Q1"}, {"kind": "QUARTER", "index": 1}, {"label": "FY2027 Q1", "kind": "YEAR"},
		} {
			w.s.As(t, w.mE).MustFail(t, "BAD_USER_INPUT", scorecardQuery, map[string]any{"scope": map[string]any{"teamID": w.east.ID}, "period": bad})
		}
		w.s.As(t, w.mE).MustFail(t, "BAD_USER_INPUT", scorecardQuery, map[string]any{
			"scope": map[string]any{"teamID": w.east.ID, "userID": w.r1.ID}, "period": q1})
	})
}

func TestCustomKPIs(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		admin := s.As(t, w.adm)
		create := `mutation($in: CreateKPIInput!) { createKPI(input: $in) { kpi { id key unit builtin enabled
			definition { aggregate { source function field date filter { dealStages meetingKinds meetingStatuses amountMin { amount } amountMax { amount } } }
			numerator { source } denominator { source } } } } }`
		for _, in := range []map[string]any{
			{"key": "ENTERPRISE_WINS", "name": "Enterprise wins", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT",
					"filter": map[string]any{"dealStages": []string{"WON"}, "amountMin": "6000.00"}}}},
			{"key": "DEMOS_HELD", "name": "Demos held", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "MEETINGS", "function": "COUNT",
					"filter": map[string]any{"meetingKinds": []string{"DEMO"}, "meetingStatuses": []string{"HELD"}}}}},
			{"key": "DEALS_OPENED", "name": "Deals opened", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT", "date": "OPENED_AT"}}},
			{"key": "MEETING_MINUTES", "name": "Minutes in meetings", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "MEETINGS", "function": "SUM", "field": "DURATION_MINUTES",
					"filter": map[string]any{"meetingStatuses": []string{"HELD"}}}}},
			{"key": "LOST_VALUE", "name": "Value lost", "unit": "MONEY", "direction": "LOWER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "SUM", "field": "AMOUNT",
					"filter": map[string]any{"dealStages": []string{"LOST"}}}}},
			{"key": "AVG_SMALL_DEAL", "name": "Average small win", "unit": "MONEY", "direction": "HIGHER_IS_BETTER", "minSample": 1,
				"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "AVG", "field": "AMOUNT",
					"filter": map[string]any{"dealStages": []string{"WON"}, "amountMax": "6000.00"}}}},
			{"key": "DEMO_WIN_RATE", "name": "Wins per demo", "unit": "PERCENT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{
					"numerator":   map[string]any{"source": "DEALS", "function": "COUNT", "filter": map[string]any{"dealStages": []string{"WON"}}},
					"denominator": map[string]any{"source": "MEETINGS", "function": "COUNT", "filter": map[string]any{"meetingKinds": []string{"DEMO"}, "meetingStatuses": []string{"HELD"}}},
				}},
			{"key": "DEMO_CONVERSION", "name": "Demos that won their deal", "unit": "PERCENT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{
					"numerator": map[string]any{"source": "MEETINGS", "function": "COUNT",
						"filter": map[string]any{"meetingKinds": []string{"DEMO"}, "meetingStatuses": []string{"HELD"}, "dealStages": []string{"WON"}}},
					"denominator": map[string]any{"source": "MEETINGS", "function": "COUNT", "filter": map[string]any{"meetingKinds": []string{"DEMO"}, "meetingStatuses": []string{"HELD"}}},
				}},
		} {
			admin.MustQuery(t, create, map[string]any{"in": in}, nil)
		}
		got := w.scorecard(t, w.mE, map[string]any{"teamID": w.east.ID}, map[string]any{"label": "FY2027 Q1"}).values()
		// East in Q1: wins of 6000.00 or more are d1 and d4; demos held are
		// r1's two and r2's one; deals opened in Q1 (from 1 Feb 00:00 in New
		// York) are d2 (05:00 UTC on 1 Feb), d3, d4, d5 and d7, while d1 and
		// d8 opened in January; the minutes of held meetings are
		// 30+60+45+30+20+25; the value lost is d3's; the only small win is
		// d2 (5000.00); three wins per three demos, with no minimum sample;
		// of the three demos held, one is of a won deal (r2's of d4; r1's
		// are of lost d3 and open d7).
		for k, want := range map[string]string{
			"ENTERPRISE_WINS": "2", "DEMOS_HELD": "3", "DEALS_OPENED": "5", "MEETING_MINUTES": "210",
			"LOST_VALUE": "USD 2000.00", "AVG_SMALL_DEAL": "USD 5000.00", "DEMO_WIN_RATE": "100.0000%",
			"DEMO_CONVERSION": "33.3333%",
		} {
			if got[k] != want {
				t.Errorf("%s = %s, want %s", k, got[k], want)
			}
		}

		// Invalid definitions change nothing.
		for _, tc := range []struct {
			name, field string
			def         map[string]any
			unit        string
		}{
			{"a SUM over meetings of an amount", "definition.aggregate.field",
				map[string]any{"aggregate": map[string]any{"source": "MEETINGS", "function": "SUM", "field": "AMOUNT"}}, "MONEY"},
			{"a ratio of itself", "definition.denominator",
				map[string]any{"numerator": map[string]any{"source": "DEALS", "function": "COUNT"}, "denominator": map[string]any{"source": "DEALS", "function": "COUNT"}}, "PERCENT"},

			{"a count in money", "unit",
				map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT"}}, "MONEY"},
			{"a COUNT of a field", "definition.aggregate.field",
				map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT", "field": "AMOUNT"}}, "COUNT"},
			{"meetings by their closing date", "definition.aggregate.date",
				map[string]any{"aggregate": map[string]any{"source": "MEETINGS", "function": "COUNT", "date": "CLOSED_AT"}}, "COUNT"},
			{"an inverted amount range", "definition.aggregate.filter.amountMax",
				map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT", "filter": map[string]any{"amountMin": "10", "amountMax": "5"}}}, "COUNT"},
			{"neither aggregate nor ratio", "definition", map[string]any{}, "COUNT"},
		} {
			e := admin.MustFail(t, "BAD_USER_INPUT", create, map[string]any{"in": map[string]any{
				"key": "BROKEN", "name": "x", "unit": tc.unit, "direction": "HIGHER_IS_BETTER", "definition": tc.def}})
			if e.Extensions["field"] != tc.field {
				t.Errorf("%s: field %v, want %s (%s)", tc.name, e.Extensions["field"], tc.field, e.Message)
			}
		}
		for _, key := range []string{"lower_case", "X", "WIN_RATE"} {
			r := admin.Query(t, create, map[string]any{"in": map[string]any{"key": key, "name": "x", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
				"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT"}}}})
			if len(r.Errors) != 1 || (r.Errors[0].Code() != "BAD_USER_INPUT" && r.Errors[0].Code() != "CONFLICT") {
				t.Errorf("key %q: %s", key, r.RawBody)
			}
		}
		if r := admin.Query(t, create, map[string]any{"in": map[string]any{"key": "BAD_STAGE", "name": "x", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
			"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT", "filter": map[string]any{"dealStages": []string{"SIGNED"}}}}}}); len(r.Errors) == 0 {
			t.Error("an unknown deal stage was accepted")
		}
		// Every filter of KPIFilterInput, on a source it does not apply to,
		// is refused naming it; on the other source it is accepted. The
		// filters are read from the served schema: a new one needs a line.
		var filterType struct {
			Type struct{ InputFields []struct{ Name string } } `json:"__type"`
		}
		admin.MustQuery(t, `{ __type(name: "KPIFilterInput") { inputFields { name } } }`, nil, &filterType)
		filters := map[string]struct {
			value   any
			sources []string // the sources it filters
		}{
			"dealStages":      {[]string{"WON"}, []string{"DEALS", "MEETINGS"}},
			"meetingKinds":    {[]string{"DEMO"}, []string{"MEETINGS"}},
			"meetingStatuses": {[]string{"HELD"}, []string{"MEETINGS"}},
			"amountMin":       {"10.00", []string{"DEALS"}},
			"amountMax":       {"10.00", []string{"DEALS"}},
		}
		if len(filterType.Type.InputFields) != len(filters) {
			t.Errorf("KPIFilterInput has %d fields, the test knows %d", len(filterType.Type.InputFields), len(filters))
		}
		valid := 0
		for _, f := range filterType.Type.InputFields {
			c, ok := filters[f.Name]
			if !ok {
				t.Errorf("KPIFilterInput.%s: which sources does it filter?", f.Name)
				continue
			}
			for _, src := range []string{"DEALS", "MEETINGS"} {
				in := map[string]any{"key": "FILTER_" + strings.ToUpper(f.Name) + "_" + src, "name": "x", "unit": "COUNT", "direction": "HIGHER_IS_BETTER",
					"definition": map[string]any{"aggregate": map[string]any{"source": src, "function": "COUNT", "filter": map[string]any{f.Name: c.value}}}}
				if slices.Contains(c.sources, src) {
					admin.MustQuery(t, create, map[string]any{"in": in}, nil)
					valid++
					continue
				}
				e := admin.MustFail(t, "BAD_USER_INPUT", create, map[string]any{"in": in})
				if want := "definition.aggregate.filter." + f.Name; e.Extensions["field"] != want {
					t.Errorf("%s on %s: field %v, want %s (%s)", f.Name, src, e.Extensions["field"], want, e.Message)
				}
			}
		}
		if n := s.Client.KPI.Query().CountX(apitest.Sys()); n != 7+8+valid {
			t.Errorf("%d KPIs, want the 7 built-ins and the %d custom ones", n, 8+valid)
		}
		s.As(t, w.mE).MustFail(t, "FORBIDDEN", create, map[string]any{"in": map[string]any{"key": "MINE", "name": "x", "unit": "COUNT",
			"direction": "HIGHER_IS_BETTER", "definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT"}}}})
	})
}

func TestEnableAndDisableKPIs(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		var list struct {
			Kpis struct {
				Edges []struct {
					Node struct {
						ID, Key string
						Builtin bool
					}
				}
			}
		}
		s.As(t, w.r1).MustQuery(t, `{ kpis(orderBy: [{field: POSITION}]) { edges { node { id key builtin } } } }`, nil, &list)
		var keys []string
		ids := map[string]pulid.ID{}
		for _, e := range list.Kpis.Edges {
			keys = append(keys, e.Node.Key)
			ids[e.Node.Key] = pulid.ID(e.Node.ID)
		}
		if got := strings.Join(keys, " "); got != "MEETINGS_HELD DEALS_CLOSED REVENUE_WON AVERAGE_DEAL_SIZE SALES_CYCLE_LENGTH WIN_RATE MEETING_CONVERSION_RATE" {
			t.Errorf("built-in KPIs = %s", got)
		}
		update := `mutation($in: UpdateKPIInput!) { updateKPI(input: $in) { kpi { key enabled } } }`
		s.As(t, w.adm).MustQuery(t, update, map[string]any{"in": map[string]any{"id": ids["WIN_RATE"], "enabled": false}}, nil)
		got := w.scorecard(t, w.r1, map[string]any{"userID": w.r1.ID}, map[string]any{"label": "FY2027 Q1"}).values()
		if _, shown := got["WIN_RATE"]; shown || len(got) != 6 {
			t.Errorf("a disabled KPI is on the scorecard: %v", got)
		}
		s.As(t, w.adm).MustFail(t, "BAD_USER_INPUT", update, map[string]any{"in": map[string]any{"id": ids["WIN_RATE"],
			"definition": map[string]any{"aggregate": map[string]any{"source": "DEALS", "function": "COUNT"}}}})
		s.As(t, w.adm).MustFail(t, "BAD_USER_INPUT", update, map[string]any{"in": map[string]any{"id": ids["WIN_RATE"], "minSample": -1}})
		s.As(t, w.mE).MustFail(t, "FORBIDDEN", update, map[string]any{"in": map[string]any{"id": ids["WIN_RATE"], "enabled": true}})
	})
}

func TestTrendAndRollup(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		ids := map[string]pulid.ID{}
		for _, k := range s.Client.KPI.Query().AllX(apitest.Sys()) {
			ids[k.Key] = k.ID
		}
		var tr struct {
			KpiTrend struct {
				Kpi    struct{ Key string }
				Points []struct {
					Period        struct{ Label string }
					Actual        *struct{ Value string }
					SampleSize    int
					LowConfidence bool
				}
			}
		}
		trend := `query($scope: ScopeInput!, $kpi: ID!, $from: PeriodInput!, $to: PeriodInput!, $kind: PeriodKind!) {
			kpiTrend(scope: $scope, kpi: $kpi, from: $from, to: $to, periodKind: $kind) {
				kpi { key } points { period { label } actual { value } sampleSize lowConfidence } } }`
		s.As(t, w.mE).MustQuery(t, trend, map[string]any{"scope": map[string]any{"teamID": w.east.ID}, "kpi": ids["DEALS_CLOSED"],
			"from": map[string]any{"label": "FY2026 M12"}, "to": map[string]any{"label": "FY2027 M04"}, "kind": "MONTH"}, &tr)
		var got []string
		for _, p := range tr.KpiTrend.Points {
			got = append(got, p.Period.Label+"="+p.Actual.Value)
		}
		// East's wins by month: d8 in January (FY2026 M12), d1 February, d2
		// March, d4 April, d5 in May (FY2027 M04).
		if s := strings.Join(got, " "); s != "FY2026 M12=1 FY2027 M01=1 FY2027 M02=1 FY2027 M03=1 FY2027 M04=1" {
			t.Errorf("trend = %s", s)
		}
		s.As(t, w.mE).MustFail(t, "BAD_USER_INPUT", trend, map[string]any{"scope": map[string]any{"teamID": w.east.ID}, "kpi": ids["DEALS_CLOSED"],
			"from": map[string]any{"label": "FY2027 M04"}, "to": map[string]any{"label": "FY2026 M12"}, "kind": "MONTH"})
		s.As(t, w.mE).MustFail(t, "BAD_USER_INPUT", trend, map[string]any{"scope": map[string]any{"teamID": w.east.ID}, "kpi": ids["DEALS_CLOSED"],
			"from": map[string]any{"label": "FY2000"}, "to": map[string]any{"label": "FY2027"}, "kind": "MONTH"})

		var ru struct {
			TeamRollup struct {
				Actual   *struct{ Value string }
				Additive bool
				Members  []struct {
					User   struct{ Email string }
					Actual *struct{ Value string }
				}
			}
		}
		rollup := `query($team: ID!, $kpi: ID!, $period: PeriodInput!) { teamRollup(team: $team, kpi: $kpi, period: $period) {
			actual { value } additive
			target { __typename } membersTargetSum { __typename }
			members { user { email } actual { value } } } }`
		s.As(t, w.mE).MustQuery(t, rollup, map[string]any{"team": w.east.ID, "kpi": ids["DEALS_CLOSED"], "period": map[string]any{"label": "FY2027 Q1"}}, &ru)
		var members []string
		for _, m := range ru.TeamRollup.Members {
			v := "-"
			if m.Actual != nil {
				v = m.Actual.Value
			}
			members = append(members, m.User.Email+"="+v)
		}
		if ru.TeamRollup.Actual.Value != "3" || !ru.TeamRollup.Additive || strings.Join(members, " ") != "r1@acme.test=2 r2@acme.test=1" {
			t.Errorf("rollup: team %s additive %v members %v", ru.TeamRollup.Actual.Value, ru.TeamRollup.Additive, members)
		}
		s.As(t, w.mE).MustQuery(t, rollup, map[string]any{"team": w.east.ID, "kpi": ids["WIN_RATE"], "period": map[string]any{"label": "FY2027 Q1"}}, &ru)
		if ru.TeamRollup.Additive {
			t.Error("a ratio is marked additive")
		}

		// Who may read what.
		rep := s.As(t, w.r1)
		rep.MustQuery(t, scorecardQuery, map[string]any{"scope": map[string]any{"teamID": w.east.ID}, "period": map[string]any{"label": "FY2027 Q1"}}, nil)
		rep.MustFail(t, "NOT_FOUND", scorecardQuery, map[string]any{"scope": map[string]any{"userID": w.r3.ID}, "period": map[string]any{"label": "FY2027 Q1"}})
		rep.MustFail(t, "NOT_FOUND", scorecardQuery, map[string]any{"scope": map[string]any{"teamID": w.west.ID}, "period": map[string]any{"label": "FY2027 Q1"}})
		rep.MustFail(t, "FORBIDDEN", scorecardQuery, map[string]any{"scope": map[string]any{"organization": true}, "period": map[string]any{"label": "FY2027 Q1"}})
		rep.MustFail(t, "FORBIDDEN", rollup, map[string]any{"team": w.east.ID, "kpi": ids["DEALS_CLOSED"], "period": map[string]any{"label": "FY2027 Q1"}})
		s.As(t, w.mE).MustFail(t, "NOT_FOUND", rollup, map[string]any{"team": w.west.ID, "kpi": ids["DEALS_CLOSED"], "period": map[string]any{"label": "FY2027 Q1"}})
		s.As(t, w.mE).MustFail(t, "NOT_FOUND", scorecardQuery, map[string]any{"scope": map[string]any{"userID": w.r3.ID}, "period": map[string]any{"label": "FY2027 Q1"}})
	})
}

// A trend costs the same statements for 2 periods as for 36, and a
// scorecard the same for one KPI as for every KPI: values are aggregated in
// one statement per record source.
func TestKPIStatementsDoNotGrowWithPeriodsOrKPIs(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		ids := map[string]pulid.ID{}
		for _, k := range s.Client.KPI.Query().AllX(apitest.Sys()) {
			ids[k.Key] = k.ID
		}
		trend := `query($scope: ScopeInput!, $kpi: ID!, $from: PeriodInput!, $to: PeriodInput!) {
			kpiTrend(scope: $scope, kpi: $kpi, from: $from, to: $to, periodKind: MONTH) { points { sampleSize } } }`
		statements := func(q string, vars map[string]any) int64 {
			as := s.As(t, w.mE)
			before := s.Store.Statements()
			as.MustQuery(t, q, vars, nil)
			return s.Store.Statements() - before
		}
		scope := map[string]any{"teamID": w.east.ID}
		short := statements(trend, map[string]any{"scope": scope, "kpi": ids["WIN_RATE"],
			"from": map[string]any{"label": "FY2027 M01"}, "to": map[string]any{"label": "FY2027 M02"}})
		long := statements(trend, map[string]any{"scope": scope, "kpi": ids["WIN_RATE"],
			"from": map[string]any{"label": "FY2025 M01"}, "to": map[string]any{"label": "FY2027 M12"}})
		if short != long {
			t.Errorf("a 2-month trend makes %d statements, a 36-month one %d", short, long)
		}
		all := statements(scorecardQuery, map[string]any{"scope": scope, "period": map[string]any{"label": "FY2027 Q1"}})
		// A team's scorecard: the viewer with their organization; the
		// enabled KPIs with the team's standing targets and whether the
		// viewer may read the team; the values of the team and its
		// sub-teams from the rollups.
		if all != 3 {
			t.Errorf("a team's scorecard makes %d statements, want 3", all)
		}
		for key := range ids {
			if key != "AVERAGE_DEAL_SIZE" {
				s.Client.KPI.UpdateOneID(ids[key]).SetEnabled(false).ExecX(apitest.Sys())
			}
		}
		// AVERAGE_DEAL_SIZE alone costs the same: the rollups of deals and
		// meetings are read in one statement (the currency of money values
		// is looked up once either way).
		one := statements(scorecardQuery, map[string]any{"scope": scope, "period": map[string]any{"label": "FY2027 Q1"}})
		if one != all {
			t.Errorf("a scorecard of 7 KPIs makes %d statements, of 1 deal KPI %d; want as many", all, one)
		}
	})
}
