package graph_test

import (
	"strconv"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

const historyRollupQuery = `query($team: ID!, $kpi: ID!, $period: PeriodInput!) { teamRollup(team: $team, kpi: $kpi, period: $period) {
  additive
  actual { unit value }
  members { user { email } actual { unit value } } } }`

type historyRollup struct {
	TeamRollup struct {
		Additive bool
		Actual   *valueJSON
		Members  []struct {
			User   struct{ Email string }
			Actual *valueJSON
		}
	}
}

// showValue renders a value: "3", "3000.00", "-" for none.
func showValue(v *valueJSON) string {
	if v == nil {
		return "-"
	}
	return v.Value
}

// numberOf is an additive value as a number (0 for none).
func numberOf(t *testing.T, v *valueJSON) float64 {
	t.Helper()
	if v == nil {
		return 0
	}
	f, err := strconv.ParseFloat(v.Value, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// History does not move with people (DESIGN.md §3): a rep moved from East
// to Central in the middle of the third quarter keeps their earlier
// meetings and deals in East, and counts toward Central from the move.
// Every figure is counted by hand from the record below. Acme's year is
// the calendar year, in UTC.
//
//	East: a, b (no records), m and n until the move; Central: m and n
//	after it.
//	Before the move: m holds meetings on 10 and 20 July and schedules one
//	for 5 September; m wins a 1,000.00 deal on 25 July; a holds a meeting
//	on 12 July and wins 2,000.00 on 1 August; n holds a meeting on 14 July
//	(and has no deals).
//	After the move: m holds meetings on 20 August and 1 September, marks
//	the scheduled one HELD, and wins 500.00 on 2 September.
func TestHistoryStaysWithTheTeam(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		sys := apitest.Sys()
		org := s.Client.Organization.Create().SetName("Acme").SetCurrency("USD").
			SetTimezone("UTC").SetFiscalYearStartMonth(1).SaveX(sys)
		east := s.Team(t, org, "East", "")
		central := s.Team(t, org, "Central", "")
		a := s.User(t, org, "a@acme.test", user.RoleRep, east)
		s.User(t, org, "b@acme.test", user.RoleRep, east)
		m := s.User(t, org, "m@acme.test", user.RoleRep, east)
		n := s.User(t, org, "n@acme.test", user.RoleRep, east)
		mE := s.User(t, org, "me@acme.test", user.RoleManager, nil)
		mC := s.User(t, org, "mc@acme.test", user.RoleManager, nil)
		admin := s.User(t, org, "admin@acme.test", user.RoleAdmin, nil)
		s.Manage(t, mE, east)
		s.Manage(t, mC, central)

		held := func(owner *ent.User, at string) *ent.Meeting {
			return s.Client.Meeting.Create().SetOwnerID(owner.ID).SetKind(meeting.KindDemo).
				SetStatus(meeting.StatusHeld).SetScheduledAt(utc(at)).SaveX(sys)
		}
		won := func(owner *ent.User, minor int64, closed string) {
			s.Client.Deal.Create().SetOwnerID(owner.ID).SetName("d").SetCustomerName("c").SetAmount(minor).
				SetStage(deal.StageWon).SetOpenedAt(utc("2026-06-01T00:00:00Z")).SetClosedAt(utc(closed)).SaveX(sys)
		}
		early := held(m, "2026-07-10T10:00:00Z")
		held(m, "2026-07-20T10:00:00Z")
		scheduled := s.Client.Meeting.Create().SetOwnerID(m.ID).SetKind(meeting.KindDemo).
			SetScheduledAt(utc("2026-09-05T10:00:00Z")).SaveX(sys)
		won(m, 100_000, "2026-07-25T10:00:00Z")
		held(a, "2026-07-12T10:00:00Z")
		held(n, "2026-07-14T10:00:00Z")
		won(a, 200_000, "2026-08-01T10:00:00Z")

		// The move, through the API.
		as := s.As(t, s.User(t, org, "root@acme.test", user.RoleAdmin, nil))
		for _, u := range []*ent.User{m, n} {
			as.MustQuery(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { id } } }`,
				map[string]any{"in": map[string]any{"id": u.ID, "teamID": central.ID}}, nil)
		}

		held(m, "2026-08-20T10:00:00Z")
		held(m, "2026-09-01T10:00:00Z")
		won(m, 50_000, "2026-09-02T10:00:00Z")
		// The meeting scheduled in East is held after the move: it was held
		// for Central. A later change of an East meeting keeps it in East.
		mine := s.As(t, m)
		mine.MustQuery(t, updateMeeting, map[string]any{"input": map[string]any{"id": scheduled.ID, "status": "HELD"}}, nil)
		mine.MustQuery(t, updateMeeting, map[string]any{"input": map[string]any{"id": early.ID, "notes": "after the move", "durationMinutes": 45}}, nil)
		for id, want := range map[pulid.ID]pulid.ID{early.ID: east.ID, scheduled.ID: central.ID} {
			if got := s.Client.Meeting.GetX(sys, id).TeamID; got == nil || *got != want {
				t.Errorf("meeting %s counts toward %v, want %s", id, got, want)
			}
		}

		// East's manager reads the meetings held for East, those of the
		// reps who have moved on included, and not the ones held for
		// Central since.
		var list struct {
			Meetings struct{ TotalCount int }
		}
		s.As(t, mE).MustQuery(t, `{ meetings { totalCount } }`, nil, &list)
		if list.Meetings.TotalCount != 4 {
			t.Errorf("East's manager lists %d meetings, want the 4 held for East", list.Meetings.TotalCount)
		}

		kpis := map[string]pulid.ID{}
		for _, k := range s.Client.KPI.Query().AllX(sys) {
			kpis[k.Key] = k.ID
		}
		q3 := map[string]any{"label": "FY2026 Q3"}
		scorecard := func(as *ent.User, scope map[string]any) map[string]string {
			var r scorecardJSON
			s.As(t, as).MustQuery(t, scorecardQuery, map[string]any{"scope": scope, "period": q3}, &r)
			return r.values()
		}
		// Team scorecards read the stored team: East keeps m's two July
		// meetings and July deal; Central has m's three meetings held after
		// the move and the September deal. The organization has them all.
		for _, tc := range []struct {
			what  string
			as    *ent.User
			scope map[string]any
			want  map[string]string
		}{
			{"East", mE, map[string]any{"teamID": east.ID}, map[string]string{"MEETINGS_HELD": "4", "DEALS_CLOSED": "2", "REVENUE_WON": "USD 3000.00"}},
			{"Central", mC, map[string]any{"teamID": central.ID}, map[string]string{"MEETINGS_HELD": "3", "DEALS_CLOSED": "1", "REVENUE_WON": "USD 500.00"}},
			{"Acme", admin, map[string]any{"organization": true}, map[string]string{"MEETINGS_HELD": "7", "DEALS_CLOSED": "3", "REVENUE_WON": "USD 3500.00"}},
			{"m", m, map[string]any{"userID": m.ID}, map[string]string{"MEETINGS_HELD": "5", "DEALS_CLOSED": "2", "REVENUE_WON": "USD 1500.00"}},
		} {
			got := scorecard(tc.as, tc.scope)
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s: %s = %s, want %s", tc.what, k, got[k], want)
				}
			}
		}

		// Rollups list whoever has records in the team in the period, the
		// moved rep included, beside its current members (b, with none);
		// the team's value of every additive KPI is the sum of its members'.
		rollup := func(as *ent.User, team *ent.Team, key string, period map[string]any) historyRollup {
			var r historyRollup
			s.As(t, as).MustQuery(t, historyRollupQuery, map[string]any{"team": team.ID, "kpi": kpis[key], "period": period}, &r)
			return r
		}
		for _, tc := range []struct {
			as      *ent.User
			team    *ent.Team
			key     string
			period  map[string]any
			total   string
			members map[string]string // email → value ("-" for none)
		}{
			{mE, east, "MEETINGS_HELD", q3, "4", map[string]string{"a@acme.test": "1", "b@acme.test": "0", "m@acme.test": "2", "n@acme.test": "1"}},
			{mE, east, "DEALS_CLOSED", q3, "2", map[string]string{"a@acme.test": "1", "b@acme.test": "0", "m@acme.test": "1", "n@acme.test": "0"}},
			{mE, east, "REVENUE_WON", q3, "3000.00", map[string]string{"a@acme.test": "2000.00", "b@acme.test": "0.00", "m@acme.test": "1000.00", "n@acme.test": "0.00"}},
			{mC, central, "MEETINGS_HELD", q3, "3", map[string]string{"m@acme.test": "3", "n@acme.test": "0"}},
			{mC, central, "REVENUE_WON", q3, "500.00", map[string]string{"m@acme.test": "500.00", "n@acme.test": "0.00"}},
			// In the fourth quarter m has no records in East: only its
			// current members are listed.
			{mE, east, "MEETINGS_HELD", map[string]any{"label": "FY2026 Q4"}, "0", map[string]string{"a@acme.test": "0", "b@acme.test": "0"}},
		} {
			r := rollup(tc.as, tc.team, tc.key, tc.period)
			if got := showValue(r.TeamRollup.Actual); got != tc.total {
				t.Errorf("%s %s %v: team %s, want %s", tc.team.Name, tc.key, tc.period, got, tc.total)
			}
			got := map[string]string{}
			for _, mv := range r.TeamRollup.Members {
				got[mv.User.Email] = showValue(mv.Actual)
			}
			if len(got) != len(tc.members) {
				t.Errorf("%s %s %v: members %v, want %v", tc.team.Name, tc.key, tc.period, got, tc.members)
			}
			for e, want := range tc.members {
				if got[e] != want {
					t.Errorf("%s %s %v: %s = %s, want %s", tc.team.Name, tc.key, tc.period, e, got[e], want)
				}
			}
		}

		// Every additive KPI, enumerated from the organization's KPIs: each
		// team's value is exactly the sum of its members'.
		for _, k := range s.Client.KPI.Query().AllX(sys) {
			if !k.Definition.Additive() {
				continue
			}
			for _, tc := range []struct {
				as   *ent.User
				team *ent.Team
			}{{mE, east}, {mC, central}} {
				r := rollup(tc.as, tc.team, k.Key, q3)
				if !r.TeamRollup.Additive {
					t.Errorf("%s is additive, the rollup says not", k.Key)
				}
				total, sum := numberOf(t, r.TeamRollup.Actual), 0.0
				for _, mv := range r.TeamRollup.Members {
					sum += numberOf(t, mv.Actual)
				}
				if total != sum {
					t.Errorf("%s %s: team %v, members' sum %v", tc.team.Name, k.Key, total, sum)
				}
			}
		}
	})
}
