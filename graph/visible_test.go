package graph_test

import (
	"encoding/json"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/user"
	"kpiflow/kpi"
	"kpiflow/workflow"
)

type person struct {
	Name string
	Role string
}

// People who act on a viewer's targets are visible to the viewer: whoever
// decided it (approver, the actors of its events, the authors of its
// revisions), decided its review item and completed the review; and the
// managers of the viewer's team and of the teams above it. Nobody else
// becomes visible: not a manager of a team below, not to a rep elsewhere.
func TestPeopleWhoActOnYourTargetsAreVisible(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		m1 := s.User(t, w.org, "m1@acme.test", user.RoleManager, nil)
		s.Manage(t, m1, w.east1)
		rep, rep2, rep3, adm := s.As(t, w.r1), s.As(t, w.r2), s.As(t, w.r3), s.As(t, w.adm)

		// The admin, out of the rep's reach until now, decides the rep's target.
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		w.do(t, adm, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
		at := utc("2026-12-15T17:00:00Z")
		svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return at })
		if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, at); err != nil {
			t.Fatal(err)
		}
		cycle := s.Client.ReviewCycle.Query().Where(reviewcycle.TeamID(w.east.ID)).OnlyX(apitest.Sys())
		item := s.Client.ReviewItem.Query().Where(reviewitem.CycleID(cycle.ID)).OnlyX(apitest.Sys())
		adm.MustQuery(t, `mutation($id: ID!) { decideReviewItem(input: {itemId: $id, decision: KEEP}) { item { id } } }`,
			map[string]any{"id": item.ID}, nil)
		adm.MustQuery(t, `mutation($id: ID!) { completeReview(input: {cycleId: $id}) { cycle { id } } }`,
			map[string]any{"id": cycle.ID}, nil)

		admin := person{w.adm.Name, "ADMIN"}
		var tg struct {
			Node struct {
				Approver *person
				Events   struct {
					Edges []struct{ Node struct{ Actor *person } }
				}
				Revisions struct {
					Edges []struct{ Node struct{ Author *person } }
				}
			}
		}
		rep.MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Target { approver { name role }
			events(first: 10) { edges { node { actor { name role } } } }
			revisions(first: 10) { edges { node { author { name role } } } } } } }`, map[string]any{"id": p.ID}, &tg)
		if a := tg.Node.Approver; a == nil || *a != admin {
			t.Errorf("the approver: %+v", a)
		}
		actors := map[person]bool{}
		for _, e := range tg.Node.Events.Edges {
			if e.Node.Actor == nil {
				t.Errorf("an event without its actor")
				continue
			}
			actors[*e.Node.Actor] = true
		}
		if !actors[admin] || !actors[person{w.r1.Name, "REP"}] {
			t.Errorf("the actors: %v", actors)
		}
		for _, e := range tg.Node.Revisions.Edges {
			if e.Node.Author == nil {
				t.Errorf("a revision without its author")
			}
		}

		var rc struct {
			Node struct {
				CompletedBy *person
				Items       struct {
					Edges []struct {
						Node struct{ DecidedBy *person }
					}
				}
			}
		}
		rep.MustQuery(t, `query($id: ID!) { node(id: $id) { ... on ReviewCycle { completedBy { name role } items(first: 10) { edges { node { decidedBy { name role } } } } } } }`,
			map[string]any{"id": cycle.ID}, &rc)
		if c := rc.Node.CompletedBy; c == nil || *c != admin {
			t.Errorf("the review's completer: %+v", c)
		}
		if it := rc.Node.Items.Edges; len(it) != 1 || it[0].Node.DecidedBy == nil || *it[0].Node.DecidedBy != admin {
			t.Errorf("the review items: %+v", it)
		}

		// The managers of the rep's team, and of the teams above it.
		var me struct {
			Viewer struct {
				Team struct {
					Managers struct{ Edges []struct{ Node person } }
				}
			}
		}
		rep2.MustQuery(t, `{ viewer { team { managers(first: 10) { edges { node { name role } } } } } }`, nil, &me)
		if m := me.Viewer.Team.Managers.Edges; len(m) != 1 || m[0].Node != (person{m1.Name, "MANAGER"}) {
			t.Errorf("the managers of East1, to its rep: %+v", m)
		}
		visible := func(as *apitest.Server, id string) bool {
			var r struct{ Node *struct{ ID string } }
			res := as.Query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			if len(res.Errors) > 0 {
				return false
			}
			if err := json.Unmarshal(res.Data, &r); err != nil {
				t.Fatal(err)
			}
			return r.Node != nil
		}
		for _, c := range []struct {
			who  string
			as   *apitest.Server
			id   string
			want bool
		}{
			{"East1's rep, East's manager above", rep2, string(w.mE.ID), true},
			{"East1's rep, its manager", rep2, string(m1.ID), true},
			{"East's rep, the manager of East1 below", rep, string(m1.ID), false},
			{"West's rep, East's manager", rep3, string(w.mE.ID), false},
			{"West's rep, the admin who acted on East's targets", rep3, string(w.adm.ID), false},
			{"East's rep, the admin who acted on their target", rep, string(w.adm.ID), true},
		} {
			if got := visible(c.as, c.id); got != c.want {
				t.Errorf("%s: visible %v, want %v", c.who, got, c.want)
			}
		}
	})
}
