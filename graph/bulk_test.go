package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

type importResult struct {
	Created, Updated, Unchanged int
	Committed                   bool
	Rejected                    []struct {
		Line       int
		ExternalID *string
		Field      *string
		Code       string
		Message    string
	}
}

func (r importResult) rejected() string {
	var out []string
	for _, e := range r.Rejected {
		f := ""
		if e.Field != nil {
			f = *e.Field
		}
		out = append(out, fmt.Sprintf("%d:%s:%s", e.Line, f, e.Code))
	}
	return strings.Join(out, " ")
}

const importDeals = `mutation($rows: [ImportDealRow!]!, $all: Boolean) { importDeals(input: {rows: $rows, allOrNothing: $all}) {
	created updated unchanged committed rejected { line externalId field code message } } }`

func doImport(t *testing.T, as *apitest.Server, mutation string, rows []map[string]any, all bool) importResult {
	t.Helper()
	var r map[string]importResult
	as.MustQuery(t, mutation, map[string]any{"rows": rows, "all": all}, &r)
	for _, v := range r {
		return v
	}
	t.Fatal("no result")
	return importResult{}
}

// importDeals creates new deals, updates known ones, leaves unchanged ones
// alone and never duplicates; bad rows are reported by line while the
// good ones are imported, or nothing is when all or nothing is asked for.
func TestImportDeals(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		admin := s.As(t, w.adm)
		row := func(id, owner, stage, amount, opened, closed string) map[string]any {
			r := map[string]any{"externalId": id, "ownerEmail": owner, "name": "Deal " + id, "customerName": "Initech",
				"amount": amount, "stage": stage, "openedAt": opened}
			if closed != "" {
				r["closedAt"] = closed
			}
			return r
		}
		west := row("crm-2", "r2@acme.test", "PROSPECTING", "800.00", "2026-10-05T00:00:00Z", "")
		west["team"] = "west"
		rows := []map[string]any{
			row("crm-1", "r1@acme.test", "WON", "1200.50", "2026-10-01T00:00:00Z", "2026-10-20T00:00:00Z"),
			west,
			row("crm-3", "nobody@acme.test", "PROSPECTING", "10", "2026-10-01T00:00:00Z", ""),
			row("crm-4", "r1@acme.test", "WON", "10", "2026-10-20T00:00:00Z", "2026-10-01T00:00:00Z"), // closed before opened
			row("crm-1", "r1@acme.test", "WON", "10", "2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"), // twice
			row("crm-6", "r1@acme.test", "PROSPECTING", "1.234", "2026-10-01T00:00:00Z", ""),          // a tenth of a cent
		}
		r := doImport(t, admin, importDeals, rows, false)
		if r.Created != 2 || r.Updated != 0 || !r.Committed ||
			r.rejected() != "3:ownerEmail:BAD_USER_INPUT 4:closedAt:BAD_USER_INPUT 5:externalId:BAD_USER_INPUT 6:amount:BAD_USER_INPUT" {
			t.Fatalf("first import: %+v (%s)", r, r.rejected())
		}
		deals := s.Client.Deal.Query().Where(deal.ExternalIDNotNil()).AllX(apitest.Sys())
		if len(deals) != 2 {
			t.Fatalf("%d deals imported, want 2", len(deals))
		}
		d2 := s.Client.Deal.Query().Where(deal.ExternalID("crm-2")).OnlyX(apitest.Sys())
		if d2.TeamID != w.west.ID || d2.Amount != 800_00 {
			t.Errorf("crm-2: team %s amount %d", d2.TeamID, d2.Amount)
		}

		// Again, with one amount changed: one update, one left alone.
		rows[1]["amount"] = "900.00"
		r = doImport(t, admin, importDeals, rows[:2], false)
		if r.Created != 0 || r.Updated != 1 || r.Unchanged != 1 || len(r.Rejected) != 0 {
			t.Fatalf("re-import: %+v", r)
		}
		if n := s.Client.Deal.Query().Where(deal.ExternalIDNotNil()).CountX(apitest.Sys()); n != 2 {
			t.Errorf("%d deals after the re-import, want 2", n)
		}

		// All or nothing: one bad row, nothing imported.
		r = doImport(t, admin, importDeals, []map[string]any{
			row("crm-7", "r1@acme.test", "PROSPECTING", "5", "2026-10-01T00:00:00Z", ""),
			row("crm-8", "nobody@acme.test", "PROSPECTING", "5", "2026-10-01T00:00:00Z", ""),
		}, true)
		if r.Committed || r.Created != 1 || r.rejected() != "2:ownerEmail:BAD_USER_INPUT" {
			t.Fatalf("all or nothing: %+v", r)
		}
		if s.Client.Deal.Query().Where(deal.ExternalID("crm-7")).ExistX(apitest.Sys()) {
			t.Error("all or nothing imported a row")
		}

		// A rep imports their own deals; a teammate's is refused, a user
		// out of reach is not found.
		mate := s.User(t, w.org, "mate@acme.test", user.RoleRep, w.east)
		r = doImport(t, s.As(t, w.r1), importDeals, []map[string]any{
			row("rep-1", "r1@acme.test", "PROSPECTING", "5", "2026-10-01T00:00:00Z", ""),
			row("rep-2", mate.Email, "PROSPECTING", "5", "2026-10-01T00:00:00Z", ""),
			row("rep-3", "r3@acme.test", "PROSPECTING", "5", "2026-10-01T00:00:00Z", ""),
		}, false)
		if r.Created != 1 || r.rejected() != "2::FORBIDDEN 3:ownerEmail:BAD_USER_INPUT" {
			t.Fatalf("a rep's import: %+v (%s)", r, r.rejected())
		}

		// At most 1000 rows a call.
		many := make([]map[string]any, 1001)
		for i := range many {
			many[i] = row(fmt.Sprintf("m-%d", i), "r1@acme.test", "PROSPECTING", "1", "2026-10-01T00:00:00Z", "")
		}
		admin.MustFail(t, "BAD_USER_INPUT", importDeals, map[string]any{"rows": many})
		if n := s.Client.Deal.Query().Where(deal.ExternalIDHasPrefix("m-")).CountX(apitest.Sys()); n != 0 {
			t.Errorf("a refused import wrote %d deals", n)
		}
	})
}

const importMeetings = `mutation($rows: [ImportMeetingRow!]!, $all: Boolean) { importMeetings(input: {rows: $rows, allOrNothing: $all}) {
	created updated unchanged committed rejected { line externalId field code message } } }`

func TestImportMeetings(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		admin := s.As(t, w.adm)
		doImport(t, admin, importDeals, []map[string]any{{"externalId": "crm-1", "ownerEmail": "r1@acme.test", "name": "d",
			"customerName": "c", "amount": "1", "stage": "PROSPECTING", "openedAt": "2026-10-01T00:00:00Z"}}, false)
		rows := []map[string]any{
			{"externalId": "mtg-1", "ownerEmail": "r1@acme.test", "dealExternalId": "crm-1", "kind": "DEMO",
				"scheduledAt": "2026-10-03T15:00:00Z", "status": "HELD"},
			{"externalId": "mtg-2", "ownerEmail": "r1@acme.test", "dealExternalId": "crm-404", "kind": "DEMO",
				"scheduledAt": "2026-10-03T15:00:00Z"},
			{"externalId": "mtg-3", "ownerEmail": "r1@acme.test", "kind": "DISCOVERY", "scheduledAt": "2026-10-04T15:00:00Z",
				"durationMinutes": 45, "notes": "first call"},
		}
		r := doImport(t, admin, importMeetings, rows, false)
		if r.Created != 2 || r.rejected() != "2:dealExternalId:BAD_USER_INPUT" {
			t.Fatalf("import: %+v (%s)", r, r.rejected())
		}
		m1 := s.Client.Meeting.Query().Where(meeting.ExternalID("mtg-1")).WithDeal().OnlyX(apitest.Sys())
		if m1.Edges.Deal == nil || *m1.Edges.Deal.ExternalID != "crm-1" || m1.HeldAt == nil || !m1.HeldAt.Equal(m1.ScheduledAt) {
			t.Errorf("mtg-1: %+v", m1)
		}
		r = doImport(t, admin, importMeetings, []map[string]any{rows[0], rows[2]}, false)
		if r.Unchanged != 2 || r.Created+r.Updated != 0 {
			t.Errorf("re-import: %+v", r)
		}
		// History stays with the team: after r1 moves to West, an import
		// that changes the meeting held for East keeps it East's, and a
		// meeting first imported as held after the move is West's.
		admin.MustQuery(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { id } } }`,
			map[string]any{"in": map[string]any{"id": w.r1.ID, "teamID": w.west.ID}}, nil)
		changed := map[string]any{}
		for k, v := range rows[0] {
			changed[k] = v
		}
		changed["notes"] = "corrected"
		r = doImport(t, admin, importMeetings, []map[string]any{changed, {"externalId": "mtg-4", "ownerEmail": "r1@acme.test",
			"kind": "DEMO", "scheduledAt": "2026-10-05T15:00:00Z", "status": "HELD"}}, false)
		if r.Updated != 1 || r.Created != 1 {
			t.Errorf("import after the move: %+v (%s)", r, r.rejected())
		}
		for ext, want := range map[string]pulid.ID{"mtg-1": w.east.ID, "mtg-4": w.west.ID} {
			m := s.Client.Meeting.Query().Where(meeting.ExternalID(ext)).OnlyX(apitest.Sys())
			if m.TeamID == nil || *m.TeamID != want {
				t.Errorf("%s counts toward %v, want %s", ext, m.TeamID, want)
			}
		}
	})
}
