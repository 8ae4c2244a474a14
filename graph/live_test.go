package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"kpiflow/apitest"
	"kpiflow/ent"
)

// subscribe connects as the user and starts a subscription with id "1".
func subscribe(t *testing.T, s *apitest.Server, u *ent.User, query string, vars map[string]any) *websocket.Conn {
	t.Helper()
	var init map[string]any
	if u != nil {
		init = map[string]any{"Authorization": "Bearer " + s.Session(t, u).AccessToken}
	}
	c, err := dialGraphQL(t, s, "", init)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := wsRead(t, c); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v %v", m, err)
	}
	if err := wsjson.Write(context.Background(), c, wsMessage{ID: "1", Type: "subscribe",
		Payload: map[string]any{"query": query, "variables": vars}}); err != nil {
		t.Fatal(err)
	}
	return c
}

// next reads the subscription's next message and decodes its data into out.
func next(t *testing.T, c *websocket.Conn, out any) wsMessage {
	t.Helper()
	m, err := wsRead(t, c)
	if err != nil {
		t.Fatalf("waiting for a message: %v", err)
	}
	if m.Type != "next" {
		return m
	}
	b, _ := json.Marshal(m.Payload["data"])
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	if m.Payload["errors"] != nil {
		t.Fatalf("errors: %v", toJSON(m.Payload["errors"]))
	}
	return m
}

type eventMsg struct {
	TargetEvents struct {
		Action   string
		ToStatus string
		Version  int
		Target   struct{ ID string }
	}
}

type inboxMsg struct {
	InboxChanged struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				ID          string
				Reason      string
				Target      *struct{ ID string }
				ReviewCycle *struct{ ID string }
			}
		}
	}
}

const (
	eventsSub = `subscription($t: ID) { targetEvents(targetId: $t) { action toStatus version target { id } } }`
	inboxSub  = `subscription { inboxChanged { totalCount edges { node { id reason target { id } reviewCycle { id } } } } }`
)

// Subscribers hear of the events on the targets they may see, and of
// nothing else; the inbox follows proposals and decisions.
func TestSubscriptions(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		testSubscriptions(t, w, s, s)
	})
}

// A subscriber on one replica hears of a change made on another: the
// notices travel through PostgreSQL (NOTIFY in the writing transaction,
// LISTEN on every replica).
func TestSubscriptionsAcrossReplicas(t *testing.T) {
	ran := false
	for _, b := range apitest.Backends(t) {
		if b.Name != "postgres" {
			continue // SQLite is one process: its notices stay in it
		}
		ran = true
		t.Run(b.Name, func(t *testing.T) {
			a := apitest.NewServer(t, b)
			w := newKPIWorld(t, a)
			testSubscriptions(t, w, a, a.Replica(t))
		})
	}
	if !ran {
		t.Log("no PostgreSQL: only SQLite's in-process delivery was tested (make test runs PostgreSQL)")
	}
}

// testSubscriptions subscribes on a and makes the changes on b.
func testSubscriptions(t *testing.T, w *kpiWorld, a, b *apitest.Server) {
	kpiID := w.kpiID(t, "DEALS_CLOSED")
	mgrEvents := subscribe(t, a, w.mE, eventsSub, nil)
	outsiderEvents := subscribe(t, a, w.r3, eventsSub, nil)
	mgrInbox := subscribe(t, a, w.mE, inboxSub, nil)
	var in inboxMsg
	if next(t, mgrInbox, &in); in.InboxChanged.TotalCount != 0 {
		t.Fatalf("the manager's first inbox: %+v", in)
	}

	// r1 (East) proposes: the manager of East hears of it, r3 (West) not.
	rep, mgr := b.As(t, w.r1), b.As(t, w.mE)
	p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": kpiID, "userID": w.r1.ID,
		"period": map[string]any{"label": q4}, "value": "3"})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(a.Logs())
		}
	})
	var seen []string
	for len(seen) < 2 {
		var e eventMsg
		if m := next(t, mgrEvents, &e); m.Type != "next" {
			t.Fatalf("the manager's events: %+v", m)
		}
		if e.TargetEvents.Target.ID != p.ID {
			t.Fatalf("an event of another target: %+v", e)
		}
		seen = append(seen, e.TargetEvents.Action+":"+e.TargetEvents.ToStatus)
	}
	if strings.Join(seen, " ") != "CREATE_DRAFT:DRAFT SUBMIT:PROPOSED" {
		t.Errorf("the manager heard, in order: %v", seen)
	}
	if next(t, mgrInbox, &in); in.InboxChanged.TotalCount != 1 || in.InboxChanged.Edges[0].Node.Reason != "DECIDE_PROPOSAL" ||
		in.InboxChanged.Edges[0].Node.Target.ID != p.ID {
		t.Fatalf("the manager's inbox after the proposal: %+v", in)
	}

	// The approval reaches the manager's events, and empties the inbox.
	w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
	var e eventMsg
	if next(t, mgrEvents, &e); e.TargetEvents.ToStatus != "APPROVED" || e.TargetEvents.Version != p.Version+1 {
		t.Fatalf("the approval: %+v", e)
	}
	if next(t, mgrInbox, &in); in.InboxChanged.TotalCount != 0 {
		t.Fatalf("the manager's inbox after the approval: %+v", in)
	}

	// r3's first event is of r3's own target: none of r1's reached them.
	own := w.do(t, b.As(t, w.r3), "createTargetDraft", map[string]any{"kpiID": kpiID, "userID": w.r3.ID,
		"period": map[string]any{"label": q4}, "value": "4"})
	if next(t, outsiderEvents, &e); e.TargetEvents.Target.ID != own.ID || e.TargetEvents.ToStatus != "DRAFT" {
		t.Fatalf("the outsider heard: %+v", e)
	}

	// One target's events only.
	one := subscribe(t, a, w.r1, eventsSub, map[string]any{"t": p.ID})
	other := w.do(t, rep, "createTargetDraft", map[string]any{"kpiID": w.kpiID(t, "WIN_RATE"), "userID": w.r1.ID,
		"period": map[string]any{"label": q4}, "value": "40"})
	w.do(t, rep, "requestTargetAdjustment", map[string]any{"targetId": p.ID, "expectedVersion": p.Version + 1,
		"value": "4", "reasonCode": "MARKET_CHANGE", "comment": "a new territory"})
	if next(t, one, &e); e.TargetEvents.Target.ID != p.ID || e.TargetEvents.Action == "" {
		t.Fatalf("the subscriber to %s heard of %s (the draft was %s): %+v", p.ID, e.TargetEvents.Target.ID, other.ID, e)
	}
}

// Subscriptions need a token, and a target in reach.
func TestSubscriptionRefusals(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		for _, q := range []string{eventsSub, inboxSub} {
			c := subscribe(t, s, nil, q, nil)
			m, err := wsRead(t, c)
			if err != nil || !strings.Contains(toJSON(m), "UNAUTHENTICATED") {
				t.Errorf("an anonymous subscription was not refused as UNAUTHENTICATED: %s", toJSON(m))
			}
		}
		p := w.do(t, s.As(t, w.r3), "createTargetDraft", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"),
			"userID": w.r3.ID, "period": map[string]any{"label": q4}, "value": "4"})
		c := subscribe(t, s, w.r1, eventsSub, map[string]any{"t": p.ID})
		if m, err := wsRead(t, c); err != nil || !strings.Contains(toJSON(m), "NOT_FOUND") {
			t.Errorf("a subscription to another's target: %s %v", toJSON(m), err)
		}
	})
}
