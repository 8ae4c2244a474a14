package graph_test

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/user"
	"kpiflow/enum"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/money"
)

const updateOrg = `mutation($in: UpdateOrganizationInput!) { updateOrganization(input: $in) {
	organization { id name currency timezone fiscalYearStartMonth updatedAt } } }`

const readOrg = `{ viewer { organization { id name currency timezone fiscalYearStartMonth updatedAt } } }`

type orgJSON struct {
	ID, Name, Currency, Timezone, UpdatedAt string
	FiscalYearStartMonth                    int
}

func orgOf(t *testing.T, as *apitest.Server) orgJSON {
	t.Helper()
	var out struct {
		Viewer struct{ Organization orgJSON }
	}
	as.MustQuery(t, readOrg, nil, &out)
	return out.Viewer.Organization
}

// An ADMIN changes the organization's name, currency, time zone and fiscal
// year start, each alone, and the next request sees the change (periods
// included); the same values again change nothing; a manager and a rep are
// FORBIDDEN; bad values are BAD_USER_INPUT at their field and change
// nothing, even beside a good one.
func TestUpdateOrganization(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		team := s.Team(t, org, "East", "")
		admin := s.User(t, org, "admin@acme.test", user.RoleAdmin, nil)
		mgr := s.User(t, org, "manager@acme.test", user.RoleManager, nil)
		s.Manage(t, mgr, team)
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, team)
		a := s.As(t, admin)
		start := orgOf(t, a)

		for _, u := range []*ent.User{mgr, rep} {
			s.As(t, u).MustFail(t, "FORBIDDEN", updateOrg, map[string]any{"in": map[string]any{"name": "Mine"}})
		}
		if got := orgOf(t, a); got != start {
			t.Fatalf("after refusals: %+v, was %+v", got, start)
		}

		change := func(in map[string]any) orgJSON {
			t.Helper()
			var out struct {
				UpdateOrganization struct{ Organization orgJSON }
			}
			a.MustQuery(t, updateOrg, map[string]any{"in": in}, &out)
			if next := orgOf(t, a); next != out.UpdateOrganization.Organization {
				t.Fatalf("%v: the payload says %+v, the next request %+v", in, out.UpdateOrganization.Organization, next)
			}
			return out.UpdateOrganization.Organization
		}
		o := change(map[string]any{"name": "  Acme Inc.  "})
		if o.Name != "Acme Inc." || o.Currency != "USD" || o.Timezone != "UTC" || o.FiscalYearStartMonth != 1 {
			t.Errorf("renamed: %+v", o)
		}
		if o = change(map[string]any{"currency": "eur"}); o.Currency != "EUR" || o.Name != "Acme Inc." {
			t.Errorf("currency: %+v", o)
		}
		if o = change(map[string]any{"timezone": "Europe/Paris"}); o.Timezone != "Europe/Paris" {
			t.Errorf("time zone: %+v", o)
		}
		if o = change(map[string]any{"fiscalYearStartMonth": 4}); o.FiscalYearStartMonth != 4 {
			t.Errorf("fiscal year: %+v", o)
		}
		// The periods the next request computes are the new calendar's: 28
		// November 2026 is in the third quarter of the fiscal year from
		// April, which starts on 1 October at midnight in Paris.
		var sc struct {
			Scorecard struct {
				Period struct{ Label, StartsAt, EndsAt string }
			}
		}
		a.MustQuery(t, `{ scorecard(scope: {organization: true}, period: {kind: QUARTER}) { period { label startsAt endsAt } } }`, nil, &sc)
		if p := sc.Scorecard.Period; p.Label != "FY2027 Q3" || p.StartsAt != "2026-09-30T22:00:00Z" || p.EndsAt != "2026-12-31T23:00:00Z" {
			t.Errorf("this quarter after the change: %+v", p)
		}
		// All of it again, and nothing given: accepted, nothing changes.
		same := change(map[string]any{"name": "Acme Inc.", "currency": "EUR", "timezone": "Europe/Paris", "fiscalYearStartMonth": 4})
		if same != o {
			t.Errorf("the same values changed %+v into %+v", o, same)
		}
		if none := change(map[string]any{}); none != o {
			t.Errorf("no change changed %+v into %+v", o, none)
		}

		for _, c := range []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"name": "   "}, "name"},
			{map[string]any{"name": strings.Repeat("x", 201)}, "name"},
			{map[string]any{"name": strings.Repeat("é", 101)}, "name"}, // 202 bytes
			{map[string]any{"currency": "ABC"}, "currency"},
			{map[string]any{"currency": ""}, "currency"},
			{map[string]any{"timezone": "Local"}, "timezone"},
			{map[string]any{"timezone": ""}, "timezone"},
			{map[string]any{"timezone": "Mars/Olympus_Mons"}, "timezone"},
			{map[string]any{"fiscalYearStartMonth": 0}, "fiscalYearStartMonth"},
			{map[string]any{"fiscalYearStartMonth": 13}, "fiscalYearStartMonth"},
			// A good change beside a bad one is not made either.
			{map[string]any{"name": "Renamed", "timezone": "Nowhere/City"}, "timezone"},
			{map[string]any{"timezone": "Asia/Tokyo", "fiscalYearStartMonth": -1}, "fiscalYearStartMonth"},
		} {
			e := a.MustFail(t, "BAD_USER_INPUT", updateOrg, map[string]any{"in": c.in})
			if e.Extensions["field"] != c.field {
				t.Errorf("%v: field %v, want %s (%s)", c.in, e.Extensions["field"], c.field, e.Message)
			}
			if got := orgOf(t, a); got != o {
				t.Fatalf("%v changed the organization: %+v, was %+v", c.in, got, o)
			}
		}
	})
}

// The currency cannot change once money is stored in it (a deal, a
// target, a custom KPI with an amount filter), nor the fiscal year once
// anything is stored by fiscal period (a target, a review cycle, a market
// factor): FAILED_PRECONDITION at the field, nothing changed; before
// that, and for what does not hold money or periods, both may change.
func TestUpdateOrganizationPreconditions(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		sys := apitest.Sys()
		n := 0
		world := func() (*ent.Organization, *ent.Team, *ent.User, *apitest.Server) {
			n++
			org := s.Org(t, fmt.Sprintf("Org %d", n), "USD")
			team := s.Team(t, org, "East", "")
			admin := s.User(t, org, fmt.Sprintf("admin@org%d.test", n), user.RoleAdmin, nil)
			return org, team, admin, s.As(t, admin)
		}
		target := func(org *ent.Organization, u *ent.User) {
			k := s.Client.KPI.Query().Where(entkpi.OrganizationID(org.ID), entkpi.Key("DEALS_CLOSED")).OnlyX(sys)
			s.Client.Target.Create().SetOrganizationID(org.ID).SetKpiID(k.ID).SetUserID(u.ID).
				SetScopeKey("user:" + string(u.ID)).SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(2026).
				SetPeriodIndex(4).SetPeriodStart(utc("2026-10-01T00:00:00Z")).SetPeriodEnd(utc("2027-01-01T00:00:00Z")).
				SetValue(2).SetStatus(enum.StatusDraft).SetVersion(1).SetProposerID(u.ID).ExecX(sys)
		}
		amountKPI := func(org *ent.Organization, filtered bool) {
			var lo *int64
			key := "WON_COUNT"
			if filtered {
				v := int64(1_000_00)
				lo, key = &v, "BIG_WINS"
			}
			d := definition.Definition{Aggregate: &definition.Aggregate{Source: definition.Deals, Function: definition.CountOf,
				Filter: definition.Filter{DealStages: []string{"WON"}, AmountMin: lo}}}
			s.Client.KPI.Create().SetOrganizationID(org.ID).SetKey(key).SetName(key).SetUnit(definition.Count).
				SetDirection(definition.HigherIsBetter).SetDefinition(d).ExecX(sys)
		}
		for _, c := range []struct {
			what     string
			store    func(*ent.Organization, *ent.Team, *ent.User)
			currency bool // the currency is refused
			fiscal   bool // the fiscal year is refused
		}{
			{"nothing", func(*ent.Organization, *ent.Team, *ent.User) {}, false, false},
			{"a deal", func(org *ent.Organization, team *ent.Team, u *ent.User) {
				rep := s.User(t, org, "rep"+string(org.ID)+"@x.test", user.RoleRep, team)
				s.Client.Deal.Create().SetOwnerID(rep.ID).SetName("d").SetCustomerName("c").SetAmount(100).
					SetStage("PROSPECTING").SetOpenedAt(utc("2026-10-02T00:00:00Z")).ExecX(sys)
			}, true, false},
			{"a target", func(org *ent.Organization, _ *ent.Team, u *ent.User) { target(org, u) }, true, true},
			{"a custom KPI with an amount filter", func(org *ent.Organization, _ *ent.Team, _ *ent.User) { amountKPI(org, true) }, true, false},
			{"a custom KPI without one", func(org *ent.Organization, _ *ent.Team, _ *ent.User) { amountKPI(org, false) }, false, false},
			{"a review cycle", func(org *ent.Organization, team *ent.Team, _ *ent.User) {
				s.Client.ReviewCycle.Create().SetOrganizationID(org.ID).SetTeamID(team.ID).SetCadence("MONTHLY").
					SetPoint(utc("2026-11-01T00:00:00Z")).SetDueAt(utc("2026-12-01T00:00:00Z")).ExecX(sys)
			}, false, true},
			{"a market factor", func(org *ent.Organization, team *ent.Team, u *ent.User) {
				s.Client.MarketFactor.Create().SetOrganizationID(org.ID).SetTeamID(team.ID).SetSetByID(u.ID).
					SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(2026).SetPeriodIndex(4).SetFactor(1.1).ExecX(sys)
			}, false, true},
		} {
			org, team, admin, a := world()
			c.store(org, team, admin)
			try := func(field string, value any, refused bool) {
				t.Helper()
				before := orgOf(t, a)
				in := map[string]any{"in": map[string]any{field: value}}
				if !refused {
					a.MustQuery(t, updateOrg, in, nil)
					return
				}
				e := a.MustFail(t, "FAILED_PRECONDITION", updateOrg, in)
				if e.Extensions["field"] != field || !strings.Contains(e.Message, "cannot change once") {
					t.Errorf("%s: %s: %+v", c.what, field, e)
				}
				if got := orgOf(t, a); got != before {
					t.Errorf("%s: a refused %s changed the organization: %+v, was %+v", c.what, field, got, before)
				}
				// The same value is no change, and is accepted.
				same := map[string]any{"currency": before.Currency, "fiscalYearStartMonth": before.FiscalYearStartMonth}[field]
				a.MustQuery(t, updateOrg, map[string]any{"in": map[string]any{field: same}}, nil)
			}
			try("currency", "EUR", c.currency)
			try("fiscalYearStartMonth", 7, c.fiscal)
			// The name and the zone change whatever is stored.
			try("name", "Renamed "+c.what, false)
			try("timezone", "America/Chicago", false)
			after := orgOf(t, a)
			if after.Name != "Renamed "+c.what || after.Timezone != "America/Chicago" ||
				(after.Currency == "EUR") == c.currency || (after.FiscalYearStartMonth == 7) == c.fiscal {
				t.Errorf("%s: the organization is now %+v", c.what, after)
			}
		}
	})
}

// A change of time zone through the API moves every period's bounds: the
// rollups are rebuilt in the same transaction, so that every scope's
// values read from them equal the records' own aggregate in the new zone
// (the rollups' comparison), the served scorecard equals the raw aggregate
// of the new zone's quarter, and the targets' stored bounds are the new
// zone's.
func TestZoneChangeKeepsRollupsAndTargets(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		ctx := apitest.Sys()
		org := s.Client.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("America/New_York").
			SetFiscalYearStartMonth(2).SaveX(ctx)
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		w := &rollupWorld{s: s, org: org, rnd: rand.New(rand.NewSource(seed)), fast: raceDetector}
		w.admin = s.User(t, org, "admin@acme.test", user.RoleAdmin, nil)
		region := s.Team(t, org, "Region", "")
		w.teams = []*ent.Team{region, s.Team(t, org, "East", region.ID), s.Team(t, org, "West", "")}
		for i := 0; i < 4; i++ {
			w.reps = append(w.reps, s.User(t, org, fmt.Sprintf("rep%d@acme.test", i), user.RoleRep, w.teams[i%len(w.teams)]))
		}
		for i := 0; i < 40; i++ {
			w.step(t)
		}
		// A target of this quarter (FY2027 Q4: August to October in New York).
		oldCal, err := kpi.NewCalendar(2, "America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		q := oldCal.PeriodAt(kpi.PeriodQuarter, apitest.Now)
		k := s.Client.KPI.Query().Where(entkpi.OrganizationID(org.ID), entkpi.Key("DEALS_CLOSED")).OnlyX(ctx)
		tg := s.Client.Target.Create().SetOrganizationID(org.ID).SetKpiID(k.ID).SetUserID(w.reps[0].ID).
			SetScopeKey("user:" + string(w.reps[0].ID)).SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(q.Year).
			SetPeriodIndex(q.Index).SetPeriodStart(q.Start.UTC()).SetPeriodEnd(q.End.UTC()).
			SetValue(2).SetStatus(enum.StatusDraft).SetVersion(1).SetProposerID(w.reps[0].ID).SaveX(ctx)

		w.as.MustQuery(t, updateOrg, map[string]any{"in": map[string]any{"timezone": "Asia/Kolkata"}}, nil)
		w.compare(t, "a change of time zone through the API")

		cal, err := kpi.NewCalendar(2, "Asia/Kolkata")
		if err != nil {
			t.Fatal(err)
		}
		p := cal.PeriodAt(kpi.PeriodQuarter, apitest.Now)
		stored := s.Client.Target.GetX(ctx, tg.ID)
		if !stored.PeriodStart.Equal(p.Start) || !stored.PeriodEnd.Equal(p.End) || p.Start.Equal(q.Start) {
			t.Errorf("the target's bounds are [%s, %s), want the new zone's [%s, %s) (were [%s, %s))",
				stored.PeriodStart, stored.PeriodEnd, p.Start, p.End, q.Start, q.End)
		}
		var tj struct {
			Node struct {
				Period struct{ Label, StartsAt string }
			}
		}
		w.as.MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Target { period { label startsAt } } } }`, map[string]any{"id": tg.ID}, &tj)
		if tj.Node.Period.Label != p.Label() || tj.Node.Period.StartsAt != p.Start.UTC().Format(time.RFC3339) {
			t.Errorf("the target's period: %+v, want %s from %s", tj.Node.Period, p.Label(), p.Start.UTC())
		}

		// The served scorecard of the organization for last quarter, against
		// the records' own aggregate over the new zone's quarter.
		last := p.Prev()
		var sc struct {
			Scorecard struct {
				Period  struct{ StartsAt string }
				Results []struct {
					KPI        struct{ Key string }
					Actual     *struct{ Value string }
					SampleSize int
				}
			}
		}
		w.as.MustQuery(t, `query($l: String!) { scorecard(scope: {organization: true}, period: {label: $l}) { period { startsAt }
			results { kpi { key } actual { value } sampleSize } } }`, map[string]any{"l": last.Label()}, &sc)
		if sc.Scorecard.Period.StartsAt != last.Start.UTC().Format(time.RFC3339) {
			t.Errorf("the scorecard's quarter starts at %s, want %s", sc.Scorecard.Period.StartsAt, last.Start.UTC())
		}
		kpis := kpi.EngineKPIs(s.Client.KPI.Query().Where(entkpi.OrganizationID(org.ID)).AllX(ctx))
		raw, err := (kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}).Compute(ctx, kpi.Scope{Org: org.ID}, kpis, []kpi.Period{last})
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Scorecard.Results) == 0 {
			t.Fatal("no result")
		}
		for _, r := range sc.Scorecard.Results {
			var unit definition.Unit
			for _, k := range kpis {
				if k.Key == r.KPI.Key {
					unit = k.Unit
				}
			}
			v := raw[r.KPI.Key][0]
			if !v.Defined {
				if r.Actual != nil {
					t.Errorf("%s: %s, the records give none", r.KPI.Key, r.Actual.Value)
				}
				continue
			}
			if r.Actual == nil || int64(r.SampleSize) != v.Sample {
				t.Errorf("%s: %+v (sample %d), the records give %+v", r.KPI.Key, r.Actual, r.SampleSize, v)
				continue
			}
			switch unit {
			case definition.Count:
				if r.Actual.Value != strconv.FormatInt(v.Int, 10) {
					t.Errorf("%s: %s, the records give %d", r.KPI.Key, r.Actual.Value, v.Int)
				}
			case definition.Money:
				if want, _ := money.FromMinor(v.Int, "USD"); r.Actual.Value != string(want) {
					t.Errorf("%s: %s, the records give %s", r.KPI.Key, r.Actual.Value, want)
				}
			default:
				got, _ := strconv.ParseFloat(r.Actual.Value, 64)
				if math.Abs(got-v.Float) > 1e-4*math.Max(1, math.Abs(v.Float)) {
					t.Errorf("%s: %s, the records give %v", r.KPI.Key, r.Actual.Value, v.Float)
				}
			}
		}
	})
}
