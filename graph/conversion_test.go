package graph_test

import (
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

// The conversion rate a scorecard shows is the share of the meetings held
// whose deal was won, never above 100%, counted by hand (2026 Q3 of a
// calendar year in UTC), with the records written through the API:
//
//	x: one held meeting, of deal D1, then D1 and D2 (no meeting) won:
//	   two deals from one meeting, 1 of 1 = 100% (deals per meeting: 200).
//	y: held meetings of no deal, of lost D3, of open D4 and of won D5, a
//	   cancelled one of won D5: 1 of 4 = 25%.
func TestConversionRateThroughTheAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		sys := apitest.Sys()
		org := s.Client.Organization.Create().SetName("Acme").SetCurrency("USD").
			SetTimezone("UTC").SetFiscalYearStartMonth(1).SaveX(sys)
		team := s.Team(t, org, "East", "")
		x := s.User(t, org, "x@acme.test", user.RoleRep, team)
		y := s.User(t, org, "y@acme.test", user.RoleRep, team)
		mgr := s.User(t, org, "m@acme.test", user.RoleManager, nil)
		s.Manage(t, mgr, team)

		createDeal := func(as *ent.User, stage string) pulid.ID {
			var r struct {
				CreateDeal struct{ Deal struct{ ID pulid.ID } }
			}
			s.As(t, as).MustQuery(t, `mutation($in: CreateDealInput!) { createDeal(input: $in) { deal { id } } }`,
				map[string]any{"in": map[string]any{"name": "d", "customerName": "c", "amount": "10.00", "ownerID": as.ID,
					"openedAt": "2026-07-01T00:00:00Z"}}, &r)
			id := r.CreateDeal.Deal.ID
			in := map[string]any{"id": id, "stage": stage}
			if stage == "WON" || stage == "LOST" {
				in["closedAt"] = "2026-08-01T00:00:00Z"
			}
			if stage != "" {
				s.As(t, as).MustQuery(t, `mutation($in: UpdateDealInput!) { updateDeal(input: $in) { deal { id } } }`,
					map[string]any{"in": in}, nil)
			}
			return id
		}
		createMeeting := func(as *ent.User, status string, at string, dealID pulid.ID) {
			in := map[string]any{"ownerID": as.ID, "kind": "DEMO", "scheduledAt": at, "status": status}
			if dealID != "" {
				in["dealID"] = dealID
			}
			s.As(t, as).MustQuery(t, `mutation($in: CreateMeetingInput!) { createMeeting(input: $in) { meeting { id } } }`,
				map[string]any{"in": in}, nil)
		}
		d1 := createDeal(x, "")
		createMeeting(x, "HELD", "2026-07-02T10:00:00Z", d1)
		s.As(t, x).MustQuery(t, `mutation($in: UpdateDealInput!) { updateDeal(input: $in) { deal { id } } }`,
			map[string]any{"in": map[string]any{"id": d1, "stage": "WON", "closedAt": "2026-08-01T00:00:00Z"}}, nil)
		createDeal(x, "WON")
		d3, d4, d5 := createDeal(y, "LOST"), createDeal(y, "QUALIFIED"), createDeal(y, "WON")
		createMeeting(y, "HELD", "2026-07-03T10:00:00Z", "")
		createMeeting(y, "HELD", "2026-07-04T10:00:00Z", d3)
		createMeeting(y, "HELD", "2026-07-05T10:00:00Z", d4)
		createMeeting(y, "HELD", "2026-07-06T10:00:00Z", d5)
		createMeeting(y, "CANCELLED", "2026-07-07T10:00:00Z", d5)

		q3 := map[string]any{"label": "FY2026 Q3"}
		for _, tc := range []struct {
			what  string
			as    *ent.User
			scope map[string]any
			want  string
		}{
			{"x", x, map[string]any{"userID": x.ID}, "100.0000%~"},
			{"y", y, map[string]any{"userID": y.ID}, "25.0000%~"},
			{"East", mgr, map[string]any{"teamID": team.ID}, "40.0000%~"}, // 2 of 5
		} {
			var r scorecardJSON
			s.As(t, tc.as).MustQuery(t, scorecardQuery, map[string]any{"scope": tc.scope, "period": q3}, &r)
			if got := r.values()["MEETING_CONVERSION_RATE"]; got != tc.want {
				t.Errorf("%s: MEETING_CONVERSION_RATE = %s, want %s", tc.what, got, tc.want)
			}
			for _, res := range r.Scorecard.Results {
				if res.Actual != nil && res.Actual.Unit == "PERCENT" && (res.Actual.Number < 0 || res.Actual.Number > 100) {
					t.Errorf("%s: %s = %v%%", tc.what, res.Kpi.Key, res.Actual.Number)
				}
			}
		}
	})
}
