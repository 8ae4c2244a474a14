package bulk_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"kpiflow/access"
	"kpiflow/apitest"
	"kpiflow/bulk"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/viewer"
)

// world is one database with the organization the imports write to, and
// another organization beside it.
type world struct {
	s          *apitest.Server
	org, other *ent.Organization
	users      map[string]*ent.User
}

func newWorld(t *testing.T, b apitest.Backend) *world {
	s := apitest.NewServer(t, b)
	w := &world{s: s, users: map[string]*ent.User{}}
	w.org = s.Org(t, "Acme", "USD")
	w.other = s.Org(t, "Other", "USD")
	east := s.Team(t, w.org, "East", "")
	central := s.Team(t, w.org, "Central", east.ID)
	west := s.Team(t, w.org, "West", "")
	otherEast := s.Team(t, w.other, "East", "")
	for _, u := range []struct {
		email string
		role  user.Role
		team  *ent.Team
		org   *ent.Organization
	}{
		{"adm@acme.test", user.RoleAdmin, nil, w.org},
		{"mgr@acme.test", user.RoleManager, east, w.org},
		{"r1@acme.test", user.RoleRep, east, w.org},
		{"r2@acme.test", user.RoleRep, east, w.org},
		{"c1@acme.test", user.RoleRep, central, w.org},
		{"r3@acme.test", user.RoleRep, west, w.org},
		{"nt@acme.test", user.RoleRep, nil, w.org},
		{"x1@other.test", user.RoleRep, otherEast, w.other},
	} {
		w.users[u.email] = s.User(t, u.org, u.email, u.role, u.team)
	}
	s.Manage(t, w.users["mgr@acme.test"], east)
	sys := apitest.Sys()
	at := func(s string) time.Time { return must(time.Parse(time.RFC3339, s)) }
	closed := at("2026-09-20T00:00:00Z")
	preR1 := s.Client.Deal.Create().SetOrganizationID(w.org.ID).SetExternalID("pre-r1").SetOwnerID(w.users["r1@acme.test"].ID).
		SetName("Pre").SetCustomerName("Initech").SetAmount(500_00).SetStage(deal.StageWon).
		SetOpenedAt(at("2026-09-01T00:00:00Z")).SetClosedAt(closed).SaveX(sys)
	s.Client.Deal.Create().SetOrganizationID(w.org.ID).SetExternalID("pre-r3").SetOwnerID(w.users["r3@acme.test"].ID).
		SetName("Pre").SetCustomerName("Initech").SetAmount(700_00).SetStage(deal.StageProspecting).
		SetOpenedAt(at("2026-09-01T00:00:00Z")).ExecX(sys)
	for _, ext := range []string{"pre-r1", "x-only"} {
		s.Client.Deal.Create().SetOrganizationID(w.other.ID).SetExternalID(ext).SetOwnerID(w.users["x1@other.test"].ID).
			SetName("Other").SetCustomerName("Hooli").SetAmount(1).SetStage(deal.StageProspecting).
			SetOpenedAt(at("2026-09-01T00:00:00Z")).ExecX(sys)
	}
	s.Client.Meeting.Create().SetOrganizationID(w.org.ID).SetExternalID("mpre-r1").SetOwnerID(w.users["r1@acme.test"].ID).
		SetDealID(preR1.ID).SetKind(meeting.KindDemo).SetScheduledAt(at("2026-09-10T15:00:00Z")).
		SetStatus(meeting.StatusHeld).ExecX(sys)
	s.Client.Meeting.Create().SetOrganizationID(w.org.ID).SetExternalID("mpre-r3").SetOwnerID(w.users["r3@acme.test"].ID).
		SetKind(meeting.KindDiscovery).SetScheduledAt(at("2026-09-10T15:00:00Z")).ExecX(sys)
	return w
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// as is a context acting as the user of that email, or as the system
// (the import command) for "".
func (w *world) as(email string) context.Context {
	if email == "" {
		return viewer.System(context.Background())
	}
	u := w.users[email]
	return viewer.NewContext(context.Background(), viewer.New(u.ID, u.OrganizationID, u.Role, access.LoadScope(w.s.Client, u.ID)))
}

// path is an import of deals or meetings: the batch path or the
// reference.
type path struct {
	deals    func(ctx context.Context, client *ent.Client, d string, org *ent.Organization, rows []bulk.Deal, all bool) (*bulk.Result, error)
	meetings func(ctx context.Context, client *ent.Client, d string, org *ent.Organization, rows []bulk.Meeting, all bool) (*bulk.Result, error)
}

var (
	batchPath = path{bulk.ImportDeals, bulk.ImportMeetings}
	perRow    = path{
		func(ctx context.Context, c *ent.Client, _ string, org *ent.Organization, rows []bulk.Deal, all bool) (*bulk.Result, error) {
			return referenceDeals(ctx, c, org, rows, all)
		},
		func(ctx context.Context, c *ent.Client, _ string, org *ent.Organization, rows []bulk.Meeting, all bool) (*bulk.Result, error) {
			return referenceMeetings(ctx, c, org, rows, all)
		},
	}
)

// run imports deals or meetings as who, in a transaction of their own.
func (w *world) run(t *testing.T, im path, who string, deals []bulk.Deal, meetings []bulk.Meeting, all bool) *bulk.Result {
	t.Helper()
	ctx := w.as(who)
	tx, err := w.s.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	txCtx := ent.NewTxContext(ctx, tx)
	var res *bulk.Result
	if deals != nil {
		res, err = im.deals(txCtx, tx.Client(), w.s.Store.Dialect, w.org, deals, all)
	} else {
		res, err = im.meetings(txCtx, tx.Client(), w.s.Store.Dialect, w.org, meetings, all)
	}
	if err != nil {
		_ = tx.Rollback()
		t.Fatalf("import as %q: %v", who, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return res
}

// snapshot is every deal and meeting of both organizations, by what
// identifies them (external ID, owner's email, team's name), so that two
// databases compare; closings and holdings of about now (defaulted by the
// rules at the moment of the import) read "now".
func (w *world) snapshot(t *testing.T) []string {
	t.Helper()
	sys := apitest.Sys()
	now := time.Now()
	when := func(p *time.Time) string {
		switch {
		case p == nil:
			return "-"
		case p.Sub(now).Abs() < time.Minute:
			return "now"
		}
		return p.UTC().Format(time.RFC3339Nano)
	}
	var out []string
	for _, d := range w.s.Client.Deal.Query().WithOwner().WithTeam().WithOrganization().AllX(sys) {
		cycle := "-"
		if d.CycleMicros != nil {
			cycle = fmt.Sprint(*d.CycleMicros)
			if when(d.ClosedAt) == "now" {
				cycle = "≈"
			}
		}
		out = append(out, fmt.Sprintf("deal %s %s owner=%s team=%s %q %q %d %s opened=%s closed=%s cycle=%s",
			d.Edges.Organization.Name, *d.ExternalID, d.Edges.Owner.Email, d.Edges.Team.Name, d.Name, d.CustomerName,
			d.Amount, d.Stage, d.OpenedAt.UTC().Format(time.RFC3339Nano), when(d.ClosedAt), cycle))
	}
	for _, m := range w.s.Client.Meeting.Query().WithOwner().WithTeam().WithDeal().WithOrganization().AllX(sys) {
		team, dl := "-", "-"
		if m.Edges.Team != nil {
			team = m.Edges.Team.Name
		}
		if m.Edges.Deal != nil {
			dl = *m.Edges.Deal.ExternalID
		}
		out = append(out, fmt.Sprintf("meeting %s %s owner=%s team=%s deal=%s %s %s %dmin %s held=%s %q",
			m.Edges.Organization.Name, *m.ExternalID, m.Edges.Owner.Email, team, dl, m.Kind,
			m.ScheduledAt.UTC().Format(time.RFC3339Nano), m.DurationMinutes, m.Status, when(m.HeldAt), m.Notes))
	}
	sort.Strings(out)
	return out
}

func summary(r *bulk.Result) string {
	var out []string
	for _, e := range r.Rejected {
		out = append(out, fmt.Sprintf("%d:%s:%s", e.Line, e.Field, e.Code))
	}
	return fmt.Sprintf("%d created, %d updated, %d unchanged, committed %v; %s",
		r.Created, r.Updated, r.Unchanged, r.Committed, strings.Join(out, " "))
}

// step is one import of the scenario.
type step struct {
	name     string
	who      string // "" for the system (the import command)
	deals    []bulk.Deal
	meetings []bulk.Meeting
	all      bool
	// move, when set, runs before the import on both databases.
	move func(t *testing.T, w *world)
	// want, when set, is the summary the rules demand.
	want string
}

var (
	past   = "2026-10-01T00:00:00Z"
	future = time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339)
)

func at(s string) time.Time { return must(time.Parse(time.RFC3339Nano, s)) }

// dl is a deal row: owner by the part of the email before @acme.test,
// closed when closed is not "".
func dl(ext, owner, team, stage, amount, opened, closed string) bulk.Deal {
	d := bulk.Deal{ExternalID: ext, OwnerEmail: owner, Team: team, Name: "Deal " + ext, CustomerName: "Initech",
		Amount: amount, Stage: deal.Stage(stage), OpenedAt: at(opened)}
	if !strings.Contains(owner, "@") {
		d.OwnerEmail = owner + "@acme.test"
	}
	if closed != "" {
		t := at(closed)
		d.ClosedAt = &t
	}
	return d
}

func with(d bulk.Deal, f func(*bulk.Deal)) bulk.Deal { f(&d); return d }

// mt is a meeting row.
func mt(ext, owner, dealExt, status, scheduled string) bulk.Meeting {
	m := bulk.Meeting{ExternalID: ext, OwnerEmail: owner, DealExternalID: dealExt, Kind: meeting.KindDemo,
		Status: meeting.Status(status), ScheduledAt: at(scheduled)}
	if !strings.Contains(owner, "@") {
		m.OwnerEmail = owner + "@acme.test"
	}
	return m
}

func withM(m bulk.Meeting, f func(*bulk.Meeting)) bulk.Meeting { f(&m); return m }

func lines[T any](rows []T, set func(*T, int)) []T {
	for i := range rows {
		set(&rows[i], i+1)
	}
	return rows
}

func dealRows(rows ...bulk.Deal) []bulk.Deal {
	return lines(rows, func(d *bulk.Deal, n int) { d.Line = n })
}

func meetingRows(rows ...bulk.Meeting) []bulk.Meeting {
	return lines(rows, func(m *bulk.Meeting, n int) { m.Line = n })
}

func scenario() []step {
	const won, open, lost = "WON", "PROSPECTING", "LOST"
	nanos := "2026-10-01T10:00:00.123456789Z"
	return []step{
		{name: "admin: every kind of row", who: "adm@acme.test", deals: dealRows(
			dl("a-1", "r1", "", won, "1200.50", past, "2026-10-20T00:00:00Z"),
			dl("a-2", "r2", "west", open, "800", "2026-10-05T00:00:00Z", ""),
			dl("a-3", "nobody", "", open, "1", past, ""),
			dl("a-4", "x1@other.test", "", open, "1", past, ""),
			dl("a-5", "r1", "", won, "1", "2026-10-20T00:00:00Z", "2026-10-01T00:00:00Z"),
			dl("a-6", "r1", "", open, "1", past, "2026-10-02T00:00:00Z"),
			dl("a-7", "r1", "", open, "1", future, ""),
			dl("a-8", "r1", "", won, "1", past, future),
			dl("a-1", "r1", "", won, "1", past, "2026-10-02T00:00:00Z"),
			dl("", "r1", "", open, "1", past, ""),
			dl(strings.Repeat("x", 201), "r1", "", open, "1", past, ""),
			dl("a-12", "r1", "", open, "12x", past, ""),
			dl("a-13", "r1", "", open, "-5", past, ""),
			dl("a-14", "r1", "", open, "1.234", past, ""),
			dl("a-15", "r1", "", open, "99999999999999999", past, ""),
			dl("a-16", "r1", "nowhere", open, "1", past, ""),
			dl("a-17", "nt", "", open, "1", past, ""),
			dl("a-18", "nt", "east", open, "1", past, ""),
			with(dl("a-19", "r1", "", open, "1", past, ""), func(d *bulk.Deal) { d.Name = "" }),
			with(dl("a-20", "r1", "", open, "1", past, ""), func(d *bulk.Deal) { d.Name = strings.Repeat("n", 201) }),
			with(dl("a-21", "r1", "", open, "1", past, ""), func(d *bulk.Deal) { d.CustomerName = "" }),
			dl("a-22", "r1", "", won, "1", past, ""),
			dl("a-23", "R1@ACME.TEST ", " EAST ", open, "1", past, ""),
			with(dl("pre-r1", "r1", "", won, "500", "2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z"), func(d *bulk.Deal) { d.Name = "Pre" }),
			with(dl("pre-r3", "r3", "", open, "750", "2026-09-01T00:00:00Z", ""), func(d *bulk.Deal) { d.Name = "Pre" }),
			dl("x-only", "r1", "", open, "1", past, ""),
			dl("a-27", "r1", "", open, "1", nanos, ""),
			with(dl("a-28", "r1", "", won, "1", "2026-10-20T00:00:00Z", "2026-10-01T00:00:00Z"), func(d *bulk.Deal) { d.Name = "" }),
			dl("a-29", "nt", "", open, "bad", past, ""),
		), want: "7 created, 1 updated, 1 unchanged, committed true; 3:ownerEmail:BAD_USER_INPUT 4:ownerEmail:BAD_USER_INPUT " +
			"5:closedAt:BAD_USER_INPUT 6:closedAt:BAD_USER_INPUT 7:openedAt:BAD_USER_INPUT 8:closedAt:BAD_USER_INPUT " +
			"9:externalId:BAD_USER_INPUT 10:externalId:BAD_USER_INPUT 11:externalId:BAD_USER_INPUT 12:amount:BAD_USER_INPUT " +
			"13:amount:BAD_USER_INPUT 14:amount:BAD_USER_INPUT 15:amount:BAD_USER_INPUT 16:team:BAD_USER_INPUT 17:team:BAD_USER_INPUT " +
			"19:name:BAD_USER_INPUT 20:name:BAD_USER_INPUT 21:customerName:BAD_USER_INPUT 28:closedAt:BAD_USER_INPUT 29:amount:BAD_USER_INPUT"},
		{name: "admin: again, closing and reopening", who: "adm@acme.test", deals: dealRows(
			dl("a-1", "r1", "", lost, "1200.50", past, ""),
			dl("a-2", "r2", "west", won, "800", "2026-10-05T00:00:00Z", ""),
			dl("a-22", "r1", "", open, "1", past, ""),
			dl("a-27", "r1", "", open, "1", nanos, ""),
			dl("a-23", "r1", "east", open, "1", past, ""),
		), want: "0 created, 3 updated, 2 unchanged, committed true; "},
		{name: "manager: their teams and sub-teams", who: "mgr@acme.test", deals: dealRows(
			dl("m-1", "mgr", "", open, "1", past, ""),
			dl("m-2", "r1", "", open, "1", past, ""),
			dl("m-3", "c1", "", open, "1", past, ""),
			dl("m-4", "r3", "", open, "1", past, ""),
			dl("m-5", "r1", "west", open, "1", past, ""),
			dl("pre-r3", "r1", "", open, "1", past, ""),
			dl("m-7", "adm", "", open, "1", past, ""),
			dl("a-2", "r1", "", open, "1", past, ""),
			dl("a-1", "r2", "", lost, "1200.50", past, ""),
			dl("m-10", "r1", "central", open, "1", past, ""),
			dl("m-11", "c1", "east", open, "1", past, ""),
		)},
		{name: "rep: their own only", who: "r1@acme.test", deals: dealRows(
			dl("r-1", "r1", "", open, "1", past, ""),
			dl("r-2", "r2", "", open, "1", past, ""),
			dl("r-3", "r3", "", open, "1", past, ""),
			dl("r-4", "r1", "central", open, "1", past, ""),
			with(dl("pre-r1", "r1", "", won, "500", "2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z"), func(d *bulk.Deal) { d.Name = "Renamed" }),
			dl("m-2", "r2", "", open, "1", past, ""),
			dl("a-1", "r1", "", lost, "1200.50", past, ""),
			dl("r-8", "r1", "east", open, "1", past, ""),
			dl("r-9", "mgr", "", open, "1", past, ""),
		), want: "2 created, 1 updated, 0 unchanged, committed true; 2::FORBIDDEN 3:ownerEmail:BAD_USER_INPUT " +
			"4::FORBIDDEN 6::FORBIDDEN 7::CONFLICT 9::FORBIDDEN"},
		{name: "the import command (the system)", who: "", deals: dealRows(
			dl("s-1", "r3", "central", open, "1", past, ""),
			dl("s-2", "nt", "", open, "1", past, ""),
			with(dl("pre-r3", "r3", "", open, "750", "2026-09-01T00:00:00Z", ""), func(d *bulk.Deal) { d.Name = "Pre" }),
			dl("pre-r1", "r2", "", won, "500", "2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z"),
		), want: "1 created, 1 updated, 1 unchanged, committed true; 2:team:BAD_USER_INPUT"},
		{name: "all or nothing, a row bad", who: "adm@acme.test", all: true, deals: dealRows(
			dl("n-1", "r1", "", open, "1", past, ""),
			dl("n-2", "nobody", "", open, "1", past, ""),
		), want: "1 created, 0 updated, 0 unchanged, committed false; 2:ownerEmail:BAD_USER_INPUT"},
		{name: "all or nothing, all good", who: "adm@acme.test", all: true, deals: dealRows(
			dl("n-3", "r1", "", open, "1", past, ""),
		), want: "1 created, 0 updated, 0 unchanged, committed true; "},

		{name: "admin: every kind of meeting", who: "adm@acme.test", meetings: meetingRows(
			mt("mt-1", "r1", "a-1", "HELD", "2026-10-03T15:00:00Z"),
			mt("mt-2", "r1", "nope", "", "2026-10-03T15:00:00Z"),
			withM(mt("mt-3", "r1", "", "", "2026-10-04T15:00:00Z"), func(m *bulk.Meeting) {
				m.Kind, m.DurationMinutes, m.Notes = meeting.KindDiscovery, 45, "first call"
			}),
			withM(mt("mt-4", "r1", "", "SCHEDULED", "2026-10-04T15:00:00Z"), func(m *bulk.Meeting) { t := at(past); m.HeldAt = &t }),
			withM(mt("mt-5", "r1", "", "HELD", "2026-10-04T15:00:00Z"), func(m *bulk.Meeting) { t := at(future); m.HeldAt = &t }),
			mt("mt-6", "r1", "", "HELD", future),
			withM(mt("mt-7", "r1", "", "", "2026-10-04T15:00:00Z"), func(m *bulk.Meeting) { m.DurationMinutes = 2000 }),
			withM(mt("mt-8", "r1", "", "", "2026-10-04T15:00:00Z"), func(m *bulk.Meeting) { m.Notes = strings.Repeat("n", 20001) }),
			mt("mt-9", "nt", "", "SCHEDULED", "2026-10-04T15:00:00Z"),
			mt("mt-1", "r1", "", "", "2026-10-04T15:00:00Z"),
			mt("mt-11", "nobody", "", "", "2026-10-04T15:00:00Z"),
			mt("mpre-r1", "r1", "pre-r1", "HELD", "2026-09-10T15:00:00Z"),
			mt("mt-13", "r1", "pre-r3", "", "2026-10-04T15:00:00Z"),
			mt("mt-14", "r1", "", "CANCELLED", "2026-10-04T15:00:00.5Z"),
			mt("x-only", "r1", "", "", "2026-10-04T15:00:00Z"),
		), want: "6 created, 0 updated, 1 unchanged, committed true; 2:dealExternalId:BAD_USER_INPUT 4:heldAt:BAD_USER_INPUT " +
			"5:heldAt:BAD_USER_INPUT 6:heldAt:BAD_USER_INPUT 7:durationMinutes:BAD_USER_INPUT 8:notes:BAD_USER_INPUT " +
			"10:externalId:BAD_USER_INPUT 11:ownerEmail:BAD_USER_INPUT"},
		{name: "admin: after r1 moved to West", who: "adm@acme.test", move: func(t *testing.T, w *world) {
			west := w.s.Client.Team.Query().Where().AllX(apitest.Sys())
			for _, tm := range west {
				if tm.Name == "West" {
					w.s.Client.User.UpdateOne(w.users["r1@acme.test"]).SetTeamID(tm.ID).ExecX(apitest.Sys())
				}
			}
		}, meetings: meetingRows(
			withM(mt("mt-1", "r1", "a-1", "HELD", "2026-10-03T15:00:00Z"), func(m *bulk.Meeting) { m.Notes = "corrected" }),
			withM(mt("mt-3", "r1", "", "HELD", "2026-10-04T15:00:00Z"), func(m *bulk.Meeting) {
				m.Kind, m.DurationMinutes, m.Notes = meeting.KindDiscovery, 45, "first call"
			}),
			mt("mt-15", "r1", "", "HELD", "2026-10-05T15:00:00Z"),
			mt("mt-14", "r2", "", "CANCELLED", "2026-10-04T15:00:00.5Z"),
			withM(mt("mt-9", "nt", "", "HELD", "2026-10-04T15:00:00Z"), func(m *bulk.Meeting) { t := at("2026-10-04T16:00:00Z"); m.HeldAt = &t }),
			mt("mt-13", "r1", "", "", "2026-10-04T15:00:00Z"),
		), want: "1 created, 5 updated, 0 unchanged, committed true; "},
		{name: "rep: meetings", who: "r2@acme.test", meetings: meetingRows(
			mt("mt-16", "r2", "", "", "2026-10-04T15:00:00Z"),
			mt("mt-17", "r1", "", "", "2026-10-04T15:00:00Z"),
			mt("mt-18", "mgr", "", "", "2026-10-04T15:00:00Z"),
			mt("mpre-r3", "r2", "", "", "2026-10-04T15:00:00Z"),
			mt("mt-19", "r2", "a-1", "", "2026-10-04T15:00:00Z"),
			mt("mt-20", "r2", "pre-r1", "", "2026-10-04T15:00:00Z"),
			mt("mt-14", "r2", "", "HELD", "2026-10-04T15:00:00.5Z"),
		)},
		{name: "manager: meetings", who: "mgr@acme.test", meetings: meetingRows(
			mt("mt-21", "c1", "", "", "2026-10-04T15:00:00Z"),
			mt("mt-3", "r1", "", "HELD", "2026-10-04T15:00:00Z"),
			withM(mt("mt-1", "r1", "a-1", "HELD", "2026-10-03T15:00:00Z"), func(m *bulk.Meeting) { m.Notes = "again" }),
			mt("mt-22", "r3", "", "", "2026-10-04T15:00:00Z"),
			mt("mt-14", "c1", "", "HELD", "2026-10-04T15:00:00.5Z"),
		)},
		{name: "the import command: meetings", who: "", all: true, meetings: meetingRows(
			mt("mt-23", "r3", "pre-r3", "HELD", "2026-10-04T15:00:00Z"),
			mt("mpre-r3", "r3", "", "HELD", "2026-09-10T15:00:00Z"),
		)},
	}
}

// TestBatchAsPerRow imports the same rows, batch after batch, through the
// set-based batch path into one database and through the reference (one
// row at a time through ent, hooks and privacy applied by ent) into
// another: valid and invalid rows of every kind, duplicates within a
// batch, existing external IDs (the viewer's and out of their sight),
// other organizations' owners and records, a rep importing for someone
// else, a manager beyond their teams, all or nothing. Both must give the
// same counts, the same rejections (every one coded, never INTERNAL) and
// the same records.
func TestBatchAsPerRow(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			batch, ref := newWorld(t, b), newWorld(t, b)
			if got, want := batch.snapshot(t), ref.snapshot(t); !reflect.DeepEqual(got, want) {
				t.Fatalf("the worlds differ before the imports:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			coded := map[errcode.Code]bool{errcode.BadUserInput: true, errcode.Forbidden: true, errcode.NotFound: true, errcode.Conflict: true}
			for _, st := range scenario() {
				if st.move != nil {
					st.move(t, batch)
					st.move(t, ref)
				}
				got := batch.run(t, batchPath, st.who, st.deals, st.meetings, st.all)
				want := ref.run(t, perRow, st.who, st.deals, st.meetings, st.all)
				if got.Rejected == nil {
					got.Rejected = []bulk.RowError{}
				}
				if want.Rejected == nil {
					want.Rejected = []bulk.RowError{}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: the batch path gave\n%s\n%+v\nthe reference\n%s\n%+v", st.name, summary(got), got.Rejected, summary(want), want.Rejected)
				}
				if st.want != "" && summary(got) != st.want {
					t.Errorf("%s: %s\nwant %s", st.name, summary(got), st.want)
				}
				for _, e := range got.Rejected {
					if !coded[e.Code] || e.Message == "" {
						t.Errorf("%s: line %d: %s %q", st.name, e.Line, e.Code, e.Message)
					}
				}
				if g, w := batch.snapshot(t), ref.snapshot(t); !reflect.DeepEqual(g, w) {
					t.Errorf("%s: the records differ:\n%s", st.name, diff(g, w))
				}
			}
		})
	}
}

func diff(got, want []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var out []string
	for _, x := range got {
		if !w[x] {
			out = append(out, "batch only:     "+x)
		}
	}
	for _, x := range want {
		if !g[x] {
			out = append(out, "reference only: "+x)
		}
	}
	return strings.Join(out, "\n")
}

// TestBatchStatements: a batch costs the same statements whatever its
// size: one lookup of the owners, one of the records by external ID, one
// of the teams, one of the external IDs out of sight, one INSERT and one
// UPDATE, then its rollups.
func TestBatchStatements(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			counts := map[int]int64{}
			for _, n := range []int{3, 300} {
				rows := make([]bulk.Deal, 0, n+1)
				for i := range n {
					rows = append(rows, dl(fmt.Sprintf("st-%d-%d", n, i), "r1", "", "PROSPECTING", "1", past, ""))
				}
				rows = append(rows, dl("pre-r1", "r1", "", "WON", fmt.Sprint(n), "2026-09-01T00:00:00Z", "2026-09-20T00:00:00Z"))
				before := w.s.Store.Statements()
				r := w.run(t, batchPath, "adm@acme.test", dealRows(rows...), nil, false)
				counts[n] = w.s.Store.Statements() - before
				if r.Created != n || r.Updated != 1 {
					t.Fatalf("%d rows: %s", n, summary(r))
				}
			}
			// The transaction's BEGIN and COMMIT are not statements. Then
			// the batch's KPI rollups (kpi.ApplyWritten): the organizations'
			// zones; the changed deal's rows recomputed and the
			// organization's totals moved (4); the new deals' sums added to
			// their rows and to the organization's (2); on PostgreSQL one
			// more, the lock that orders the organization's writers.
			want := int64(6 + 7)
			if b.Name == "postgres" {
				want++
			}
			if counts[3] != counts[300] || counts[3] != want {
				t.Errorf("statements per batch: %v, want %d for every size", counts, want)
			}
		})
	}
}
