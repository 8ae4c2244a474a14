package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

// salesFixture is one organization in USD with a team, a rep in it and a
// second organization whose objects the first's must not reach.
type salesFixture struct {
	org, otherOrg   *ent.Organization
	team, otherTeam *ent.Team
	admin, rep      *ent.User
	otherOrgUser    *ent.User
}

// newSalesFixture creates the fixture and makes s act as Acme's admin.
func newSalesFixture(t *testing.T, s *apitest.Server) salesFixture {
	t.Helper()
	var f salesFixture
	f.org = s.Org(t, "Acme", "USD")
	f.team = s.Team(t, f.org, "East", "")
	f.admin = s.User(t, f.org, "admin@acme.test", user.RoleAdmin, nil)
	f.rep = s.User(t, f.org, "Rep@Acme.test", user.RoleRep, f.team)
	f.otherOrg = s.Org(t, "Globex", "EUR")
	f.otherTeam = s.Team(t, f.otherOrg, "Globex Sales", "")
	f.otherOrgUser = s.User(t, f.otherOrg, "rep@globex.test", user.RoleRep, f.otherTeam)
	s.ActAs(t, f.admin)
	return f
}

const createDeal = `mutation($input: CreateDealInput!) {
  createDeal(input: $input) {
    deal { id name customerName stage openedAt closedAt cycleDays externalID
      amount { amount currency } team { id } owner { id email } organization { id } }
  }
}`

const updateDeal = `mutation($input: UpdateDealInput!) {
  updateDeal(input: $input) {
    deal { id stage openedAt closedAt cycleDays amount { amount currency } }
  }
}`

type dealJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	CustomerName string   `json:"customerName"`
	Stage        string   `json:"stage"`
	OpenedAt     string   `json:"openedAt"`
	ClosedAt     *string  `json:"closedAt"`
	CycleDays    *float64 `json:"cycleDays"`
	ExternalID   *string  `json:"externalID"`
	Amount       struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Team         struct{ ID string } `json:"team"`
	Owner        struct{ ID, Email string }
	Organization struct{ ID string } `json:"organization"`
}

func TestCreateAndUpdateDeal(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		var created struct{ CreateDeal struct{ Deal dealJSON } }
		s.MustQuery(t, createDeal, map[string]any{"input": map[string]any{
			"ownerID": f.rep.ID, "name": "Pilot", "customerName": "Initech",
			"amount": "12500.5", "openedAt": "2026-01-10T09:00:00Z", "externalID": "crm-1",
		}}, &created)
		d := created.CreateDeal.Deal
		if d.Amount.Amount != "12500.50" || d.Amount.Currency != "USD" {
			t.Errorf("amount = %+v, want 12500.50 USD", d.Amount)
		}
		if d.Stage != "PROSPECTING" || d.ClosedAt != nil || d.CycleDays != nil {
			t.Errorf("a new deal is open: stage %s, closedAt %v, cycleDays %v", d.Stage, d.ClosedAt, d.CycleDays)
		}
		if d.Team.ID != string(f.team.ID) || d.Organization.ID != string(f.org.ID) {
			t.Errorf("team %s org %s, want the owner's: %s %s", d.Team.ID, d.Organization.ID, f.team.ID, f.org.ID)
		}
		if d.Owner.Email != "rep@acme.test" {
			t.Errorf("owner email %q, want it lower-cased", d.Owner.Email)
		}
		stored, err := s.Client.Deal.Get(apitest.Sys(), pulid.ID(d.ID))
		if err != nil {
			t.Fatal(err)
		}
		if stored.Amount != 1250050 {
			t.Errorf("stored amount = %d minor units, want 1250050", stored.Amount)
		}

		// Winning the deal closes it and records the cycle length.
		var won struct{ UpdateDeal struct{ Deal dealJSON } }
		s.MustQuery(t, updateDeal, map[string]any{"input": map[string]any{
			"id": d.ID, "stage": "WON", "closedAt": "2026-02-19T21:00:00Z", "amount": "13000",
		}}, &won)
		w := won.UpdateDeal.Deal
		if w.ClosedAt == nil || *w.ClosedAt != "2026-02-19T21:00:00Z" {
			t.Errorf("closedAt = %v, want 2026-02-19T21:00:00Z", w.ClosedAt)
		}
		if w.CycleDays == nil || *w.CycleDays != 40.5 {
			t.Errorf("cycleDays = %v, want 40.5", w.CycleDays)
		}
		if w.Amount.Amount != "13000.00" {
			t.Errorf("amount = %s, want 13000.00", w.Amount.Amount)
		}

		// Reopening it clears the close.
		var reopened struct{ UpdateDeal struct{ Deal dealJSON } }
		s.MustQuery(t, updateDeal, map[string]any{"input": map[string]any{"id": d.ID, "stage": "NEGOTIATION"}}, &reopened)
		if r := reopened.UpdateDeal.Deal; r.ClosedAt != nil || r.CycleDays != nil {
			t.Errorf("reopened deal keeps closedAt %v cycleDays %v", r.ClosedAt, r.CycleDays)
		}

		// Closing without a closedAt closes it now.
		before := time.Now().Add(-time.Second)
		var lost struct{ UpdateDeal struct{ Deal dealJSON } }
		s.MustQuery(t, updateDeal, map[string]any{"input": map[string]any{"id": d.ID, "stage": "LOST"}}, &lost)
		closedAt, err := time.Parse(time.RFC3339Nano, *lost.UpdateDeal.Deal.ClosedAt)
		if err != nil || closedAt.Before(before) || closedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("closedAt = %v, want now", lost.UpdateDeal.Deal.ClosedAt)
		}
	})
}

func TestMoneyFollowsTheOrganizationsCurrency(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Nippon", "JPY")
		team := s.Team(t, org, "Tokyo", "")
		rep := s.User(t, org, "rep@nippon.test", user.RoleRep, team)
		s.ActAs(t, rep)
		var created struct{ CreateDeal struct{ Deal dealJSON } }
		s.MustQuery(t, createDeal, map[string]any{"input": map[string]any{
			"ownerID": rep.ID, "name": "Yen deal", "customerName": "K.K.", "amount": "1500000",
		}}, &created)
		if a := created.CreateDeal.Deal.Amount; a.Amount != "1500000" || a.Currency != "JPY" {
			t.Errorf("amount = %+v, want 1500000 JPY (no decimals)", a)
		}
		e := s.MustFail(t, "BAD_USER_INPUT", createDeal, map[string]any{"input": map[string]any{
			"ownerID": rep.ID, "name": "Half a yen", "customerName": "K.K.", "amount": "10.5",
		}})
		if e.Extensions["field"] != "amount" {
			t.Errorf("field = %v, want amount", e.Extensions["field"])
		}
	})
}

func TestDealValidation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		future := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
		valid := func(changes map[string]any) map[string]any {
			in := map[string]any{
				"ownerID": f.rep.ID, "name": "Deal", "customerName": "Customer",
				"amount": "100.00", "openedAt": "2026-03-01T00:00:00Z",
			}
			for k, v := range changes {
				in[k] = v
			}
			return map[string]any{"input": in}
		}
		for _, tc := range []struct {
			name  string
			vars  map[string]any
			field string
		}{
			{"negative amount", valid(map[string]any{"amount": "-1.00"}), "amount"},
			{"too many decimals", valid(map[string]any{"amount": "1.001"}), "amount"},
			{"amount beyond int64", valid(map[string]any{"amount": "999999999999999999999"}), "amount"},
			{"closedAt on an open deal", valid(map[string]any{"closedAt": "2026-03-02T00:00:00Z"}), "closedAt"},
			{"closed before opened", valid(map[string]any{"stage": "WON", "closedAt": "2026-02-01T00:00:00Z"}), "closedAt"},
			{"closed in the future", valid(map[string]any{"stage": "WON", "closedAt": future}), "closedAt"},
			{"opened in the future", valid(map[string]any{"openedAt": future}), "openedAt"},
			{"empty name", valid(map[string]any{"name": ""}), "name"},
			{"empty customer", valid(map[string]any{"customerName": ""}), "customerName"},
			{"unknown owner", valid(map[string]any{"ownerID": "user_01J00000000000000000000000"}), "ownerID"},
			{"team of another organization", valid(map[string]any{"teamID": f.otherTeam.ID}), "teamID"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code := "BAD_USER_INPUT"
				if strings.HasSuffix(tc.field, "ID") {
					code = "NOT_FOUND" // a reference to no object the viewer may link
				}
				e := s.MustFail(t, code, createDeal, tc.vars)
				if e.Extensions["field"] != tc.field {
					t.Errorf("field = %v, want %s (%s)", e.Extensions["field"], tc.field, e.Message)
				}
				if n := s.Client.Deal.Query().CountX(apitest.Sys()); n != 0 {
					t.Errorf("%d deals stored after a refused create", n)
				}
			})
		}

		// An update that breaks a rule changes nothing.
		d := s.Client.Deal.Create().SetOwnerID(f.rep.ID).SetName("D").SetCustomerName("C").SetAmount(500).
			SetOpenedAt(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)).SaveX(apitest.Sys())
		s.MustFail(t, "BAD_USER_INPUT", updateDeal, map[string]any{"input": map[string]any{
			"id": d.ID, "stage": "WON", "closedAt": "2026-01-01T00:00:00Z", "amount": "7.00"}})
		after := s.Client.Deal.GetX(apitest.Sys(), d.ID)
		if after.Stage != d.Stage || after.ClosedAt != nil || after.Amount != 500 {
			t.Errorf("refused update changed the deal: %+v", after)
		}
		s.MustFail(t, "NOT_FOUND", updateDeal, map[string]any{"input": map[string]any{
			"id": "deal_01J00000000000000000000000", "name": "x"}})
	})
}

func TestAFailedMutationRollsBackTheWholeOperation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		r := s.Query(t, `mutation($ok: CreateDealInput!, $bad: CreateDealInput!) {
			a: createDeal(input: $ok) { deal { id } }
			b: createDeal(input: $bad) { deal { id } }
		}`, map[string]any{
			"ok":  map[string]any{"ownerID": f.rep.ID, "name": "Fine", "customerName": "C", "amount": "1"},
			"bad": map[string]any{"ownerID": f.rep.ID, "name": "Bad", "customerName": "C", "amount": "-1"},
		})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("want one BAD_USER_INPUT, got %s", r.RawBody)
		}
		if n := s.Client.Deal.Query().CountX(apitest.Sys()); n != 0 {
			t.Errorf("%d deals stored: the first mutation of a failed operation was kept", n)
		}
	})
}

const createMeeting = `mutation($input: CreateMeetingInput!) {
  createMeeting(input: $input) { meeting { id kind status scheduledAt heldAt durationMinutes deal { id } owner { id } } }
}`

const updateMeeting = `mutation($input: UpdateMeetingInput!) {
  updateMeeting(input: $input) { meeting { id status heldAt } }
}`

type meetingJSON struct {
	ID              string  `json:"id"`
	Kind            string  `json:"kind"`
	Status          string  `json:"status"`
	ScheduledAt     string  `json:"scheduledAt"`
	HeldAt          *string `json:"heldAt"`
	DurationMinutes int     `json:"durationMinutes"`
	Deal            *struct{ ID string }
}

func TestMeetings(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		ctx := apitest.Sys()
		d := s.Client.Deal.Create().SetOwnerID(f.rep.ID).SetName("D").SetCustomerName("C").SetAmount(1).SaveX(ctx)
		otherDeal := s.Client.Deal.Create().SetOwnerID(f.otherOrgUser.ID).SetName("D").SetCustomerName("C").SetAmount(1).SaveX(ctx)

		var held struct{ CreateMeeting struct{ Meeting meetingJSON } }
		s.MustQuery(t, createMeeting, map[string]any{"input": map[string]any{
			"ownerID": f.rep.ID, "dealID": d.ID, "kind": "DEMO", "status": "HELD",
			"scheduledAt": "2026-04-02T15:00:00Z",
		}}, &held)
		m := held.CreateMeeting.Meeting
		if m.HeldAt == nil || *m.HeldAt != "2026-04-02T15:00:00Z" {
			t.Errorf("heldAt = %v, want the scheduled time", m.HeldAt)
		}
		if m.DurationMinutes != 30 || m.Deal == nil || m.Deal.ID != string(d.ID) {
			t.Errorf("meeting = %+v, want 30 minutes on deal %s", m, d.ID)
		}

		var cancelled struct{ UpdateMeeting struct{ Meeting meetingJSON } }
		s.MustQuery(t, updateMeeting, map[string]any{"input": map[string]any{"id": m.ID, "status": "CANCELLED"}}, &cancelled)
		if c := cancelled.UpdateMeeting.Meeting; c.Status != "CANCELLED" || c.HeldAt != nil {
			t.Errorf("cancelled meeting = %+v, want no heldAt", c)
		}

		future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		base := func(changes map[string]any) map[string]any {
			in := map[string]any{"ownerID": f.rep.ID, "kind": "DISCOVERY", "scheduledAt": "2026-04-01T10:00:00Z"}
			for k, v := range changes {
				in[k] = v
			}
			return map[string]any{"input": in}
		}
		for _, tc := range []struct {
			name  string
			vars  map[string]any
			field string
		}{
			{"heldAt without HELD", base(map[string]any{"heldAt": "2026-04-01T10:00:00Z"}), "heldAt"},
			{"held in the future", base(map[string]any{"status": "HELD", "scheduledAt": future}), "heldAt"},
			{"zero minutes", base(map[string]any{"durationMinutes": 0}), "durationMinutes"},
			{"longer than a day", base(map[string]any{"durationMinutes": 1441}), "durationMinutes"},
			{"deal of another organization", base(map[string]any{"dealID": otherDeal.ID}), "dealID"},
			{"unknown owner", base(map[string]any{"ownerID": "user_01J00000000000000000000000"}), "ownerID"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := s.Client.Meeting.Query().CountX(ctx)
				code := "BAD_USER_INPUT"
				if strings.HasSuffix(tc.field, "ID") {
					code = "NOT_FOUND" // a reference to no object the viewer may link
				}
				e := s.MustFail(t, code, createMeeting, tc.vars)
				if e.Extensions["field"] != tc.field {
					t.Errorf("field = %v, want %s (%s)", e.Extensions["field"], tc.field, e.Message)
				}
				if after := s.Client.Meeting.Query().CountX(ctx); after != before {
					t.Errorf("meetings %d → %d after a refused create", before, after)
				}
			})
		}
		s.MustFail(t, "BAD_USER_INPUT", updateMeeting, map[string]any{"input": map[string]any{
			"id": m.ID, "status": "HELD", "heldAt": future}})
		if got := s.Client.Meeting.GetX(ctx, pulid.ID(m.ID)); got.HeldAt != nil {
			t.Errorf("refused update set heldAt %v", got.HeldAt)
		}
	})
}

// A sales cycle keeps the precision times are stored with (microseconds):
// a deal's cycleDays and the SALES_CYCLE_LENGTH of its scope are exact, not
// truncated to whole seconds; deals written before cycles were kept in
// microseconds get theirs from their times when the database migrates.
func TestSalesCyclesKeepMicroseconds(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		var created struct{ CreateDeal struct{ Deal dealJSON } }
		s.MustQuery(t, createDeal, map[string]any{"input": map[string]any{
			"ownerID": f.rep.ID, "name": "Precise", "customerName": "Initech", "amount": "1",
			"openedAt": "2026-01-01T00:00:00.000001Z",
		}}, &created)
		var won struct{ UpdateDeal struct{ Deal dealJSON } }
		s.MustQuery(t, updateDeal, map[string]any{"input": map[string]any{
			"id": created.CreateDeal.Deal.ID, "stage": "WON", "closedAt": "2026-04-02T01:33:24Z",
		}}, &won)
		// 91 days, 1 h 33 min 23.999999 s: 7,867,973,999,999 µs.
		const micros = 91*86_400_000_000 + 5_603_999_999
		want := float64(micros) / 86_400_000_000
		if d := won.UpdateDeal.Deal.CycleDays; d == nil || *d != want {
			t.Errorf("cycleDays = %v, want %v (truncated to seconds it would be %v)", d, want, float64(micros/1_000_000)/86400)
		}
		stored := s.Client.Deal.GetX(apitest.Sys(), pulid.ID(created.CreateDeal.Deal.ID))
		if stored.CycleMicros == nil || *stored.CycleMicros != micros {
			t.Errorf("stored cycle = %v µs, want %d", stored.CycleMicros, int64(micros))
		}
		// The rep's only deal closed in the second quarter of 2026 (Acme's
		// year is the calendar year): its cycle is the average.
		var sc struct {
			Scorecard struct {
				Results []struct {
					Kpi    struct{ Key string }
					Actual *struct {
						Value  string
						Number float64
					}
				}
			}
		}
		s.MustQuery(t, `query($u: ID!) { scorecard(scope: {userID: $u}, period: {kind: QUARTER, year: 2026, index: 2}) {
			results { kpi { key } actual { value number } } } }`, map[string]any{"u": f.rep.ID}, &sc)
		found := false
		for _, r := range sc.Scorecard.Results {
			if r.Kpi.Key == "SALES_CYCLE_LENGTH" {
				found = true
				// KPI values of days keep 6 decimals (86.4 ms): truncated to
				// seconds the average would be 91.06485.
				if r.Actual == nil || r.Actual.Value != "91.064861" || r.Actual.Number != 91.064861 {
					t.Errorf("SALES_CYCLE_LENGTH = %+v, want 91.064861 days (%v)", r.Actual, want)
				}
			}
		}
		if !found {
			t.Error("no SALES_CYCLE_LENGTH in the scorecard")
		}
		// A deal of before: no cycle stored; migrating gives it its own.
		if _, err := s.Store.DB.ExecContext(context.Background(), "UPDATE deals SET cycle_micros = NULL"); err != nil {
			t.Fatal(err)
		}
		if err := s.Store.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		stored = s.Client.Deal.GetX(apitest.Sys(), pulid.ID(created.CreateDeal.Deal.ID))
		if stored.CycleMicros == nil || *stored.CycleMicros != micros {
			t.Errorf("backfilled cycle = %v µs, want %d", stored.CycleMicros, int64(micros))
		}
	})
}
