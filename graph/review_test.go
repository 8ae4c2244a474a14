package graph_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
	"kpiflow/kpi"
	"kpiflow/workflow"
)

// Review cycles open once per team and cadence point, however many
// schedulers run; missed points are caught up; a manager decides the items
// and completes the cycle, and an adjustment becomes a target revision.
func TestReviewCycles(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})

		// East, East1 and West review monthly: on 15 December (New York)
		// each opens the cycle of 1 December, once, whatever the schedulers.
		at := utc("2026-12-15T17:00:00Z")
		svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return at })
		var wg sync.WaitGroup
		opened := make([]int, 5)
		for i := range opened {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, at)
				if err != nil {
					t.Error(err)
				}
				opened[i] = n
			}()
		}
		wg.Wait()
		total := 0
		for _, n := range opened {
			total += n
		}
		if c := s.Client.ReviewCycle.Query().CountX(apitest.Sys()); total != 3 || c != 3 {
			t.Fatalf("concurrent schedulers opened %v (%d cycles), want 3 cycles once", opened, c)
		}
		east := s.Client.ReviewCycle.Query().Where(reviewcycle.TeamID(w.east.ID)).OnlyX(apitest.Sys())
		if !east.Point.Equal(utc("2026-12-01T05:00:00Z")) || !east.DueAt.Equal(utc("2027-01-01T05:00:00Z")) {
			t.Errorf("East's cycle: point %v due %v", east.Point, east.DueAt)
		}
		items := s.Client.ReviewItem.Query().Where(reviewitem.CycleID(east.ID)).AllX(apitest.Sys())
		if len(items) != 1 || string(items[0].TargetID) != p.ID || items[0].SuggestionReason == "" {
			t.Fatalf("East's items: %+v", items)
		}

		// Completing needs every item decided.
		complete := `mutation($id: ID!) { completeReview(input: {cycleId: $id}) { cycle { status } } }`
		mgr.MustFail(t, "INVALID_TRANSITION", complete, map[string]any{"id": east.ID})
		rep.MustFail(t, "FORBIDDEN", `mutation($id: ID!) { decideReviewItem(input: {itemId: $id, decision: KEEP}) { item { id } } }`,
			map[string]any{"id": items[0].ID})
		mgr.MustFail(t, "BAD_USER_INPUT", `mutation($id: ID!) { decideReviewItem(input: {itemId: $id, decision: ADJUST, value: "2", reasonCode: MARKET_CHANGE}) { item { id } } }`,
			map[string]any{"id": items[0].ID})
		mgr.MustQuery(t, `mutation($id: ID!) { decideReviewItem(input: {itemId: $id, decision: ADJUST, value: "2",
			reasonCode: MARKET_CHANGE, comment: "the holiday freeze"}) { item { decision } } }`, map[string]any{"id": items[0].ID}, nil)
		var done struct {
			CompleteReview struct{ Cycle struct{ Status string } }
		}
		mgr.MustQuery(t, complete, map[string]any{"id": east.ID}, &done)
		if done.CompleteReview.Cycle.Status != "COMPLETED" {
			t.Errorf("completed: %+v", done)
		}
		adjusted := w.s.Client.Target.GetX(apitest.Sys(), items[0].TargetID)
		if adjusted.Value != 2 || adjusted.Version != p.Version+2 {
			t.Errorf("after the review the target is %v at version %d", adjusted.Value, adjusted.Version)
		}

		// A scheduler that was off through January opens what it missed,
		// once: 1 January and 1 February.
		later := utc("2027-02-10T17:00:00Z")
		catchUp := workflow.NewServiceAt(svc.Engine, func() time.Time { return later })
		for i := 0; i < 2; i++ {
			n, err := catchUp.OpenReviews(apitest.Sys(), s.Client, w.org.ID, later)
			if err != nil || n != []int{6, 0}[i] {
				t.Fatalf("catch-up pass %d opened %d: %v", i, n, err)
			}
		}
	})
}

// The inbox brings a manager the reviews past due of the teams they
// manage, and a rep the adjustments made to their targets.
func TestInboxOverdueReviewsAndAdjustments(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
		// October's monthly reviews, due on 1 November: overdue at
		// apitest.Now (28 November).
		at := utc("2026-10-15T12:00:00Z")
		svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return at })
		if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, at); err != nil {
			t.Fatal(err)
		}
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		p = w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
		p = w.do(t, rep, "requestTargetAdjustment", map[string]any{"targetId": p.ID, "expectedVersion": p.Version,
			"value": "2", "reasonCode": "TEAM_CHANGE", "comment": "an account moved"})
		w.do(t, mgr, "approveTargetAdjustment", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})

		type inbox struct {
			Inbox struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Reason      string
						Target      *struct{ ID string }
						ReviewCycle *struct{ Team struct{ Name string } }
					}
				}
			}
		}
		query := `{ inbox { totalCount edges { node { reason target { id } reviewCycle { team { name } } } } } }`
		var m inbox
		mgr.MustQuery(t, query, nil, &m)
		var got []string
		for _, e := range m.Inbox.Edges {
			got = append(got, e.Node.Reason+":"+e.Node.ReviewCycle.Team.Name)
		}
		if strings.Join(got, " ") != "REVIEW_OVERDUE:East REVIEW_OVERDUE:East1" || m.Inbox.TotalCount != 2 {
			t.Errorf("the manager's inbox: %v", got)
		}
		var r inbox
		rep.MustQuery(t, query, nil, &r)
		if r.Inbox.TotalCount != 1 || r.Inbox.Edges[0].Node.Reason != "ADJUSTMENT_MADE" || r.Inbox.Edges[0].Node.Target.ID != p.ID {
			t.Errorf("the rep's inbox: %+v", r.Inbox)
		}
	})
}

// target.history gives, per review and at the close, the actual, what the
// value in force expected by then, and that value: the two lines of a
// chart. Review items are seen by those who see their target, only.
func TestTargetHistory(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
		// One deal won in the quarter (FY2027 Q4: 1 November to 1 February, New York).
		s.Client.Deal.Create().SetOwnerID(w.r1.ID).SetName("q4").SetCustomerName("c").SetAmount(100).
			SetStage("WON").SetOpenedAt(utc("2026-11-02T15:00:00Z")).SetClosedAt(utc("2026-11-20T15:00:00Z")).
			SaveX(apitest.Sys())
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})

		engine := kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}
		open := func(at string) {
			svc := workflow.NewServiceAt(engine, func() time.Time { return utc(at) })
			if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, utc(at)); err != nil {
				t.Fatal(err)
			}
		}
		open("2026-12-15T17:00:00Z") // the cycle of 1 December
		item := s.Client.ReviewItem.Query().Where(reviewitem.TargetID(pulid.ID(p.ID))).OnlyX(apitest.Sys())
		mgr.MustQuery(t, `mutation($id: ID!) { decideReviewItem(input: {itemId: $id, decision: ADJUST, value: "2",
			reasonCode: MARKET_CHANGE, comment: "the holiday freeze"}) { item { decision } } }`, map[string]any{"id": item.ID}, nil)
		open("2027-01-15T17:00:00Z") // 1 January: the value in force is now 2
		tx, err := s.Client.Tx(apitest.Sys())
		if err != nil {
			t.Fatal(err)
		}
		closer := workflow.NewServiceAt(engine, func() time.Time { return utc("2027-02-20T12:00:00Z") })
		if _, err := closer.ClosePeriods(ent.NewTxContext(apitest.Sys(), tx), tx.Client(), w.org.ID); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}

		var r struct {
			Node struct {
				Status  string
				History []struct {
					At                      string
					ReviewCycle             *struct{ Point string }
					Actual, Expected, Value *struct{ Value, Display string }
				}
			}
		}
		rep.MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Target { status history { at reviewCycle { point }
			actual { value } expected { value display } value { value } } } } }`,
			map[string]any{"id": p.ID}, &r)
		var got []string
		for _, h := range r.Node.History {
			cycle := "close"
			if h.ReviewCycle != nil {
				cycle = h.ReviewCycle.Point
			}
			got = append(got, fmt.Sprintf("%s %s actual=%s expected=%s (%s) value=%s", h.At, cycle, h.Actual.Value, h.Expected.Value, h.Expected.Display, h.Value.Value))
		}
		// Expected on 1 December: 3 × 30/92 of the quarter ≈ 0.98; on
		// 1 January: 2 × 61/92 ≈ 1.33 (a pro-rata count keeps 2 decimals).
		want := []string{
			"2026-12-01T05:00:00Z 2026-12-01T05:00:00Z actual=1 expected=0.98 (0.98) value=3",
			"2027-01-01T05:00:00Z 2027-01-01T05:00:00Z actual=1 expected=1.33 (1.33) value=2",
			"2027-02-01T05:00:00Z close actual=1 expected=2 (2) value=2",
		}
		if r.Node.Status != "CLOSED" || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("history (%s):\n%s\nwant:\n%s", r.Node.Status, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// The review item, with its numbers in the KPI's unit, to its
		// target's viewers; not to a rep of another team.
		itemQuery := `query($id: ID!) { node(id: $id) { ... on ReviewItem { targetValue { value }
			actual { value } expected { value } projection { unit value display } suggestedValue { value } suggestedAction } } }`
		var seen struct {
			Node *struct {
				TargetValue, Actual, Expected struct{ Value string }
				Projection                    *struct{ Unit, Value, Display string }
				SuggestedValue                *struct{ Value string }
				SuggestedAction               string
			}
		}
		mgr.MustQuery(t, itemQuery, map[string]any{"id": item.ID}, &seen)
		// On 1 December, 30 days and an hour (the end of daylight time) of
		// the quarter's 92 gone: the one win projects to 92/30.04 ≈ 3.06,
		// 102% of the target: KEEP, no value.
		if n := seen.Node; n == nil || n.TargetValue.Value != "3" || n.Actual.Value != "1" || n.Expected.Value != "0.98" ||
			n.Projection == nil || *n.Projection != (struct{ Unit, Value, Display string }{"COUNT", "3.06", "3.06"}) ||
			n.SuggestedValue != nil || n.SuggestedAction != "KEEP" {
			t.Errorf("the manager's view of the item: %+v (projection %+v)", seen.Node, seen.Node.Projection)
		}
		// Out of reach is not found, as everywhere.
		s.As(t, w.r3).MustFail(t, "NOT_FOUND", itemQuery, map[string]any{"id": item.ID})

		// Review cycles are listed to those who see their team: East's
		// manager sees East's and East1's, a rep of West West's only.
		teamsOf := func(as *apitest.Server) string {
			var r struct {
				ReviewCycles struct {
					Edges []struct {
						Node struct{ Team struct{ Name string } }
					}
				}
			}
			as.MustQuery(t, `{ reviewCycles(first: 50) { edges { node { team { name } } } } }`, nil, &r)
			seen := map[string]bool{}
			for _, e := range r.ReviewCycles.Edges {
				seen[e.Node.Team.Name] = true
			}
			var names []string
			for _, n := range []string{"East", "East1", "West"} {
				if seen[n] {
					names = append(names, n)
				}
			}
			return strings.Join(names, " ")
		}
		if got := teamsOf(mgr); got != "East East1" {
			t.Errorf("East's manager lists the cycles of %q", got)
		}
		if got := teamsOf(s.As(t, w.r3)); got != "West" {
			t.Errorf("a rep of West lists the cycles of %q", got)
		}
	})
}

// An item is decided once: of 50 concurrent decisions (KEEP and ADJUST to
// different values, by two managers) exactly one wins, with exactly one
// effect on the target, one event and one revision when it adjusts, and
// the item's decision says what happened to the target; a later
// decision is refused.
func TestConcurrentReviewDecisionsHaveOneEffect(t *testing.T) {
	for _, mix := range []string{"adjust", "mixed"} {
		t.Run(mix, func(t *testing.T) {
			apitest.Each(t, func(t *testing.T, s *apitest.Server) {
				w := newKPIWorld(t, s)
				rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
				p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
					"period": map[string]any{"label": q4}, "value": "5"})
				w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
				at := utc("2026-12-15T17:00:00Z")
				svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return at })
				if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, at); err != nil {
					t.Fatal(err)
				}
				item := s.Client.ReviewItem.Query().Where(reviewitem.TargetID(pulid.ID(p.ID))).OnlyX(apitest.Sys())
				before := s.Client.Target.GetX(apitest.Sys(), pulid.ID(p.ID))
				events := s.Client.TargetEvent.Query().CountX(apitest.Sys())
				revisions := s.Client.TargetRevision.Query().CountX(apitest.Sys())

				deciders := []*apitest.Server{mgr, s.As(t, w.adm)}
				const decide = `mutation($in: DecideReviewItemInput!) { decideReviewItem(input: $in) { item { decision } } }`
				n := 50
				outcomes := make([]string, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						in := map[string]any{"itemId": item.ID, "decision": "ADJUST", "value": fmt.Sprint(6 + i),
							"reasonCode": "MARKET_CHANGE", "comment": "decision " + fmt.Sprint(i)}
						if mix == "mixed" && i%2 == 0 {
							in = map[string]any{"itemId": item.ID, "decision": "KEEP"}
						}
						r := deciders[i%2].Query(t, decide, map[string]any{"in": in})
						if len(r.Errors) == 0 {
							outcomes[i] = "OK"
						} else {
							outcomes[i] = r.Errors[0].Code()
						}
					}()
				}
				wg.Wait()
				won := -1
				for i, o := range outcomes {
					switch o {
					case "OK":
						if won >= 0 {
							t.Errorf("decisions %d and %d both won", won, i)
						}
						won = i
					case "INVALID_TRANSITION":
					default:
						t.Errorf("decision %d: unexpected outcome %s", i, o)
					}
				}
				if won < 0 {
					t.Fatalf("no decision won: %v", outcomes)
				}
				after := s.Client.Target.GetX(apitest.Sys(), pulid.ID(p.ID))
				decided := s.Client.ReviewItem.GetX(apitest.Sys(), item.ID)
				newEvents := s.Client.TargetEvent.Query().CountX(apitest.Sys()) - events
				newRevisions := s.Client.TargetRevision.Query().CountX(apitest.Sys()) - revisions
				if mix == "mixed" && won%2 == 0 { // KEEP won
					if decided.Decision == nil || *decided.Decision != enum.DecisionKeep ||
						after.Value != before.Value || after.Version != before.Version || newEvents != 0 || newRevisions != 0 {
						t.Errorf("KEEP won, but the item says %v and the target went %v → %v (v%d → v%d), %d events, %d revisions",
							decided.Decision, before.Value, after.Value, before.Version, after.Version, newEvents, newRevisions)
					}
				} else {
					if decided.Decision == nil || *decided.Decision != enum.DecisionAdjust ||
						after.Value != float64(6+won) || after.Version != before.Version+1 || newEvents != 1 || newRevisions != 1 {
						t.Errorf("ADJUST to %d won, but the item says %v and the target went %v → %v (v%d → v%d), %d events, %d revisions",
							6+won, decided.Decision, before.Value, after.Value, before.Version, after.Version, newEvents, newRevisions)
					}
				}
				// Sequentially too: a decided item takes no other decision.
				mgr.MustFail(t, "INVALID_TRANSITION", decide, map[string]any{"in": map[string]any{"itemId": item.ID, "decision": "KEEP"}})
				mgr.MustFail(t, "INVALID_TRANSITION", decide, map[string]any{"in": map[string]any{"itemId": item.ID, "decision": "ADJUST",
					"value": "9", "reasonCode": "MARKET_CHANGE", "comment": "again"}})
				if again := s.Client.Target.GetX(apitest.Sys(), pulid.ID(p.ID)); again.Version != after.Version {
					t.Errorf("a refused decision changed the target: v%d → v%d", after.Version, again.Version)
				}
			})
		})
	}
}

// A review covers what its team's managers decide: their members' targets
// and their sub-teams' team targets (a team's target is decided above it);
// a root team's own target, decided by an ADMIN, is in its own review.
func TestReviewsCoverWhatTheirManagersDecide(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		mgr, adm := s.As(t, w.mE), s.As(t, w.adm)
		deals := w.kpiID(t, "DEALS_CLOSED")
		approved := func(proposer, decider *apitest.Server, scope map[string]any) string {
			in := map[string]any{"kpiID": deals, "period": map[string]any{"label": q4}, "value": "3"}
			for k, v := range scope {
				in[k] = v
			}
			p := w.do(t, proposer, "proposeTarget", in)
			w.do(t, decider, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
			return p.ID
		}
		r1 := approved(s.As(t, w.r1), mgr, map[string]any{"userID": w.r1.ID})
		r2 := approved(s.As(t, w.r2), mgr, map[string]any{"userID": w.r2.ID})
		east1 := approved(mgr, adm, map[string]any{"teamID": w.east1.ID})
		east := approved(mgr, adm, map[string]any{"teamID": w.east.ID})

		at := utc("2026-12-15T17:00:00Z")
		svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return at })
		if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, at); err != nil {
			t.Fatal(err)
		}
		items := func(team pulid.ID) string {
			c := s.Client.ReviewCycle.Query().Where(reviewcycle.TeamID(team)).OnlyX(apitest.Sys())
			var ids []string
			for _, it := range s.Client.ReviewItem.Query().Where(reviewitem.CycleID(c.ID)).AllX(apitest.Sys()) {
				ids = append(ids, map[string]string{r1: "r1", r2: "r2", east1: "East1", east: "East"}[string(it.TargetID)])
			}
			sortStrings(ids)
			return strings.Join(ids, " ")
		}
		for team, want := range map[pulid.ID]string{w.east.ID: "East East1 r1", w.east1.ID: "r2", w.west.ID: ""} {
			if got := items(team); got != want {
				t.Errorf("the review of %s has the targets of %q, want %q", team, got, want)
			}
		}
	})
}
