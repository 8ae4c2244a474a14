package graph_test

import (
	"encoding/json"
	"fmt"
	"sort"
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

// world is two organizations with a team tree, their people and their
// record, every object named so that expectations read as names.
//
//	Acme:   region R (manager mR) ─┬─ team A (manager mA) ── squad A1
//	                               └─ team B (manager mB)
//	        admin; reps repA, repA2 (A), repA1 (A1), repB (B)
//	        deals dealA, dealA1, dealB, dealMA (mA's own, counted toward A)
//	        meetings meetA, meetA1, meetB
//	Globex: team G; adminG, repG; dealG, meetG
type world struct {
	s     *apitest.Server
	ids   map[string]pulid.ID // name → ID
	names map[pulid.ID]string // ID → name
	users map[string]*ent.User
}

func newWorld(t *testing.T, s *apitest.Server) *world {
	t.Helper()
	w := &world{s: s, ids: map[string]pulid.ID{}, names: map[pulid.ID]string{}, users: map[string]*ent.User{}}
	name := func(n string, id pulid.ID) {
		w.ids[n], w.names[id] = id, n
	}
	acme := s.Org(t, "Acme", "USD")
	globex := s.Org(t, "Globex", "EUR")
	name("Acme", acme.ID)
	name("Globex", globex.ID)
	teams := map[string]*ent.Team{}
	for _, tm := range []struct{ name, parent string }{{"R", ""}, {"A", "R"}, {"B", "R"}, {"A1", "A"}} {
		teams[tm.name] = s.Team(t, acme, tm.name, w.ids[tm.parent])
		name(tm.name, teams[tm.name].ID)
	}
	teams["G"] = s.Team(t, globex, "G", "")
	name("G", teams["G"].ID)
	for _, u := range []struct {
		name string
		org  *ent.Organization
		role user.Role
		team string
	}{
		{"admin", acme, user.RoleAdmin, ""}, {"mR", acme, user.RoleManager, ""}, {"mA", acme, user.RoleManager, ""},
		{"mB", acme, user.RoleManager, ""}, {"repA", acme, user.RoleRep, "A"}, {"repA2", acme, user.RoleRep, "A"},
		{"repA1", acme, user.RoleRep, "A1"}, {"repB", acme, user.RoleRep, "B"},
		{"adminG", globex, user.RoleAdmin, ""}, {"repG", globex, user.RoleRep, "G"},
	} {
		w.users[u.name] = s.User(t, u.org, u.name+"@example.test", u.role, teams[u.team])
		name(u.name, w.users[u.name].ID)
	}
	s.Manage(t, w.users["mR"], teams["R"])
	s.Manage(t, w.users["mA"], teams["A"])
	s.Manage(t, w.users["mB"], teams["B"])
	opened := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, d := range []struct{ name, owner, team string }{
		{"dealA", "repA", "A"}, {"dealA1", "repA1", "A1"}, {"dealB", "repB", "B"}, {"dealMA", "mA", "A"}, {"dealG", "repG", "G"},
	} {
		dl := s.Client.Deal.Create().SetOwnerID(w.ids[d.owner]).SetTeamID(w.ids[d.team]).
			SetName(d.name).SetCustomerName("C").SetAmount(100).SetOpenedAt(opened).SaveX(apitest.Sys())
		name(d.name, dl.ID)
	}
	for _, m := range []struct{ name, owner, deal string }{
		{"meetA", "repA", "dealA"}, {"meetA1", "repA1", "dealA1"}, {"meetB", "repB", "dealB"}, {"meetG", "repG", "dealG"},
	} {
		mt := s.Client.Meeting.Create().SetOwnerID(w.ids[m.owner]).SetDealID(w.ids[m.deal]).SetKind(meeting.KindDemo).
			SetScheduledAt(opened.Add(24 * time.Hour)).SetStatus(meeting.StatusHeld).SaveX(apitest.Sys())
		name(m.name, mt.ID)
	}
	return w
}

// sees lists, per viewer, exactly what they may read, by type.
var sees = map[string]map[string]string{
	"admin": {
		"Organization": "Acme", "Team": "A A1 B R",
		"User":    "admin mA mB mR repA repA1 repA2 repB",
		"Deal":    "dealA dealA1 dealB dealMA",
		"Meeting": "meetA meetA1 meetB",
	},
	"mR": {
		"Organization": "Acme", "Team": "A A1 B R",
		"User":    "mA mB mR repA repA1 repA2 repB",
		"Deal":    "dealA dealA1 dealB dealMA",
		"Meeting": "meetA meetA1 meetB",
	},
	"mA": {
		"Organization": "Acme", "Team": "A A1",
		"User":    "mA repA repA1 repA2",
		"Deal":    "dealA dealA1 dealMA",
		"Meeting": "meetA meetA1",
	},
	"mB": {
		"Organization": "Acme", "Team": "B",
		"User":    "mB repB",
		"Deal":    "dealB",
		"Meeting": "meetB",
	},
	"repA": {
		"Organization": "Acme", "Team": "A",
		"User":    "mA mR repA repA2", // and the managers of their team and the region above it
		"Deal":    "dealA",
		"Meeting": "meetA",
	},
	"repB": {
		"Organization": "Acme", "Team": "B",
		"User":    "mB mR repB",
		"Deal":    "dealB",
		"Meeting": "meetB",
	},
	"adminG": {
		"Organization": "Globex", "Team": "G",
		"User":    "adminG repG",
		"Deal":    "dealG",
		"Meeting": "meetG",
	},
}

var connections = map[string]string{
	"Organization": "organizations", "Team": "teams", "User": "users", "Deal": "deals", "Meeting": "meetings",
}

func (w *world) nameList(ids []string) string {
	var n []string
	for _, id := range ids {
		name, ok := w.names[pulid.ID(id)]
		if !ok {
			name = "?" + id
		}
		n = append(n, name)
	}
	sort.Strings(n)
	return strings.Join(n, " ")
}

// collectIDs returns every "id" value anywhere in a JSON document.
func collectIDs(raw json.RawMessage) []string {
	var v any
	_ = json.Unmarshal(raw, &v)
	var ids []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "id" {
					ids = append(ids, s)
				} else {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return ids
}

func TestAuthorizationMatrix(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		for viewerName, want := range sees {
			as := s.As(t, w.users[viewerName])
			visible := map[string]bool{}
			for _, names := range want {
				for _, n := range strings.Fields(names) {
					visible[n] = true
				}
			}
			t.Run(viewerName, func(t *testing.T) {
				// Every list shows exactly what the viewer may see.
				for typ, field := range connections {
					var r map[string]struct {
						Edges []struct{ Node struct{ ID string } }
					}
					as.MustQuery(t, fmt.Sprintf(`{ %s(first: 500) { edges { node { id } } } }`, field), nil, &r)
					var ids []string
					for _, e := range r[field].Edges {
						ids = append(ids, e.Node.ID)
					}
					if got := w.nameList(ids); got != want[typ] {
						t.Errorf("%s: %s = [%s], want [%s]", viewerName, field, got, want[typ])
					}
				}

				// node(id:) resolves what the viewer may see, and everything
				// else is NOT_FOUND, exactly like an ID that does not exist.
				var all []string
				for name, id := range w.ids {
					all = append(all, string(id))
					r := as.Query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
					switch {
					case visible[name] && len(r.Errors) > 0:
						t.Errorf("%s: node(%s): %s", viewerName, name, r.RawBody)
					case !visible[name] && (len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND"):
						t.Errorf("%s: node(%s) must be NOT_FOUND: %s", viewerName, name, r.RawBody)
					}
				}

				// nodes(ids:) never returns what the viewer may not see.
				r := as.Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": all})
				for _, id := range collectIDs(r.Data) {
					if !visible[w.names[pulid.ID(id)]] {
						t.Errorf("%s: nodes(ids:) leaks %s", viewerName, w.names[pulid.ID(id)])
					}
				}
				for _, e := range r.Errors {
					if e.Code() != "NOT_FOUND" {
						t.Errorf("%s: nodes(ids:) error %+v", viewerName, e)
					}
				}

				// Nested edges never lead out of the viewer's reach.
				for _, q := range []string{
					`{ teams { edges { node { id parent { id } children { edges { node { id } } }
						members(first: 20) { edges { node { id deals(first: 20) { edges { node { id } } } meetings(first: 20) { edges { node { id } } } } } }
						managers { edges { node { id } } } deals { edges { node { id owner { id } } } } } } } }`,
					`{ deals { edges { node { id owner { id team { id } } team { id parent { id } } meetings { edges { node { id } } } organization { id } } } } }`,
					`{ meetings { edges { node { id owner { id managedTeams { edges { node { id } } } } deal { id } } } } }`,
					`{ users { edges { node { id team { id members { edges { node { id } } } } managedTeams { edges { node { id } } } } } } }`,
					`{ viewer { id team { id deals { edges { node { id } } } members { edges { node { id } } } } } }`,
				} {
					r := as.Query(t, q, nil)
					for _, id := range collectIDs(r.Data) {
						if !visible[w.names[pulid.ID(id)]] {
							t.Errorf("%s: %s leaks %s", viewerName, strings.Join(strings.Fields(q), " ")[:40], w.names[pulid.ID(id)])
						}
					}
					for _, e := range r.Errors {
						if e.Code() != "NOT_FOUND" {
							t.Errorf("%s: nested query error %+v", viewerName, e)
						}
					}
				}
			})
		}
	})
}

func TestWhoMayRecordWhat(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		as := func(name string) *apitest.Server { return s.As(t, w.users[name]) }
		newDeal := func(owner string) map[string]any {
			return map[string]any{"input": map[string]any{
				"ownerID": w.ids[owner], "name": "New", "customerName": "C", "amount": "10.00"}}
		}
		newMeeting := func(owner, dealName string) map[string]any {
			in := map[string]any{"ownerID": w.ids[owner], "kind": "DEMO", "scheduledAt": "2026-02-01T10:00:00Z"}
			if dealName != "" {
				in["dealID"] = w.ids[dealName]
			}
			return map[string]any{"input": in}
		}
		ok := func(srv *apitest.Server, q string, vars map[string]any) {
			t.Helper()
			srv.MustQuery(t, q, vars, nil)
		}
		fail := func(code string, srv *apitest.Server, q string, vars map[string]any) {
			t.Helper()
			before := s.Client.Deal.Query().CountX(apitest.Sys()) + s.Client.Meeting.Query().CountX(apitest.Sys())
			srv.MustFail(t, code, q, vars)
			if after := s.Client.Deal.Query().CountX(apitest.Sys()) + s.Client.Meeting.Query().CountX(apitest.Sys()); after != before {
				t.Errorf("a refused mutation changed the record: %d → %d rows", before, after)
			}
		}

		// A rep records their own deals and meetings, and nobody else's.
		ok(as("repA"), createDeal, newDeal("repA"))
		ok(as("repA"), createMeeting, newMeeting("repA", "dealA"))
		fail("FORBIDDEN", as("repA"), createDeal, newDeal("repA2"))               // a teammate: visible, not theirs
		fail("NOT_FOUND", as("repA"), createDeal, newDeal("repB"))                // out of sight: no such user
		fail("NOT_FOUND", as("repA"), createDeal, newDeal("repG"))                // another organization
		fail("NOT_FOUND", as("repA"), createMeeting, newMeeting("repA", "dealB")) // a deal out of sight
		fail("NOT_FOUND", as("repA"), updateDeal, map[string]any{"input": map[string]any{"id": w.ids["dealB"], "name": "x"}})
		fail("NOT_FOUND", as("repA"), updateMeeting, map[string]any{"input": map[string]any{"id": w.ids["meetB"], "status": "CANCELLED"}})
		fail("FORBIDDEN", as("repA"), updateDeal, map[string]any{"input": map[string]any{"id": w.ids["dealA"], "ownerID": w.ids["repA2"]}})
		fail("NOT_FOUND", as("repA"), createDeal, map[string]any{"input": map[string]any{ // a team out of sight
			"ownerID": w.ids["repA"], "teamID": w.ids["B"], "name": "x", "customerName": "C", "amount": "1"}})

		// A manager records for the members of the teams they manage.
		ok(as("mA"), createDeal, newDeal("repA1"))
		ok(as("mA"), createMeeting, newMeeting("repA", "dealA"))
		ok(as("mA"), updateDeal, map[string]any{"input": map[string]any{"id": w.ids["dealA1"], "stage": "QUALIFIED"}})
		fail("NOT_FOUND", as("mA"), createDeal, newDeal("repB"))
		fail("NOT_FOUND", as("mA"), updateDeal, map[string]any{"input": map[string]any{"id": w.ids["dealB"], "stage": "QUALIFIED"}})
		ok(as("mR"), createDeal, newDeal("repB"))

		// An admin records for anyone of the organization, not of another.
		ok(as("admin"), createDeal, newDeal("repB"))
		fail("NOT_FOUND", as("admin"), createDeal, newDeal("repG"))
		fail("NOT_FOUND", as("adminG"), updateDeal, map[string]any{"input": map[string]any{"id": w.ids["dealA"], "name": "x"}})
		if d := s.Client.Deal.GetX(apitest.Sys(), w.ids["dealA"]); d.Name != "dealA" || d.OwnerID != w.ids["repA"] {
			t.Errorf("dealA changed: %+v", d)
		}
		if n := s.Client.Deal.Query().Where(deal.OwnerID(w.ids["repA2"])).CountX(apitest.Sys()); n != 0 {
			t.Errorf("repA2 owns %d deals", n)
		}
	})
}
