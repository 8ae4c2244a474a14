// Package live tells subscribed clients what changed, as it changes
// (DESIGN.md §8): a notice is published when a target event is recorded or
// a review cycle opens, is decided or completes, and only once the
// transaction that made the change has committed; a rolled-back change is
// never announced.
//
// With SQLite, notices are delivered in-process: a commit hook hands them
// to the subscriptions of this process. With PostgreSQL they travel through
// the database: the writing transaction sends NOTIFY (which PostgreSQL
// delivers at commit, and never on rollback) and every replica LISTENs, so
// a change made on one replica reaches subscribers on all of them.
//
// Notices carry identifiers only. A subscription loads what a notice names
// with its viewer's rights, so the privacy policies decide what each
// subscriber sees, as they do for queries.
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"kpiflow/ent"
	"kpiflow/ent/hook"
	"kpiflow/ent/schema/pulid"
)

// Kind is what a notice is about.
type Kind string

const (
	// TargetEvent: an event was recorded on a target (ID is the event's).
	TargetEvent Kind = "target_event"
	// Review: a review cycle opened, had an item decided, or completed
	// (ID is the cycle's).
	Review Kind = "review"
	// Resync: notices may have been lost (the replica's connection to
	// PostgreSQL was re-established); subscriptions should recompute what
	// they show. It concerns every organization.
	Resync Kind = "resync"
	// SessionsEnded: sessions of a user ended (logout, password change,
	// deactivation, role change, a stolen refresh token); ID is the
	// user's. Connections of the user look again at their session.
	SessionsEnded Kind = "sessions_ended"
)

// Notice says that something changed.
type Notice struct {
	Org  pulid.ID `json:"o,omitempty"`
	Kind Kind     `json:"k"`
	ID   pulid.ID `json:"i,omitempty"`
	// Target is the target of a TargetEvent notice.
	Target pulid.ID `json:"t,omitempty"`
}

// Channel is the PostgreSQL notification channel of the notices.
const Channel = "kpiflow_live"

// Buffer is how many notices a subscription may have waiting. A
// subscription that falls further behind is ended (its channel closed),
// rather than slowing the others or growing without bound; the client
// subscribes again.
const Buffer = 256

var (
	published = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kpiflow_live_notices_published_total",
		Help: "Notices of changes published for subscriptions, by kind.",
	}, []string{"kind"})
	subscriptions = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "kpiflow_live_subscriptions",
		Help: "Subscriptions to notices open in this process.",
	})
	overflowed = promauto.NewCounter(prometheus.CounterOpts{
		Name: "kpiflow_live_subscriptions_overflowed_total",
		Help: "Subscriptions ended because they fell too far behind.",
	})
)

// Hub publishes the notices of one database and delivers them to the
// subscriptions of this process.
type Hub struct {
	client *ent.Client
	pg     bool
	url    string
	logger *slog.Logger

	mu       sync.Mutex
	subs     map[*Subscription]struct{}
	watches  map[*UserWatch]struct{}
	staged   map[any][]Notice // by transaction (ent.Tx.Key), until it ends
	listener *pq.Listener
	done     chan struct{}
}

// New returns a hub for the client's database and installs on the client
// the hooks that publish notices. dialectName is the database's (see
// package store); url is the PostgreSQL URL to listen on.
func New(client *ent.Client, dialectName, url string, logger *slog.Logger) *Hub {
	if logger == nil {
		logger = slog.Default()
	}
	h := &Hub{client: client, pg: dialectName == dialect.Postgres, url: url, logger: logger,
		subs: map[*Subscription]struct{}{}, watches: map[*UserWatch]struct{}{}, staged: map[any][]Notice{}}
	client.TargetEvent.Use(hook.On(h.publishing, ent.OpCreate))
	client.ReviewCycle.Use(hook.On(h.publishing, ent.OpCreate|ent.OpUpdateOne))
	client.ReviewItem.Use(hook.On(h.publishing, ent.OpUpdateOne))
	return h
}

// Listen starts receiving the notices of every replica, with PostgreSQL; it
// returns once the listener is in place, so that no later notice is missed.
// With SQLite there is nothing to listen to: notices are delivered as they
// are committed.
func (h *Hub) Listen(ctx context.Context) error {
	if !h.pg {
		return nil
	}
	l := pq.NewListener(h.url, 50*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			h.logger.Warn("live: the database listener lost its connection", "event", ev, "error", err)
		}
	})
	ready := make(chan error, 1)
	go func() { ready <- l.Listen(Channel) }()
	select {
	case err := <-ready:
		if err != nil {
			l.Close()
			return err
		}
	case <-ctx.Done():
		l.Close()
		return ctx.Err()
	}
	h.mu.Lock()
	h.listener = l
	h.done = make(chan struct{})
	h.mu.Unlock()
	go h.receive(l)
	return nil
}

// receive delivers what the listener hears until it is closed.
func (h *Hub) receive(l *pq.Listener) {
	defer close(h.done)
	for n := range l.Notify {
		if n == nil { // reconnected: what was sent meanwhile is lost
			h.deliver(Notice{Kind: Resync})
			continue
		}
		var nt Notice
		if err := json.Unmarshal([]byte(n.Extra), &nt); err != nil {
			h.logger.Warn("live: a notice that is not one", "payload", n.Extra, "error", err)
			continue
		}
		h.deliver(nt)
	}
}

// Close stops listening and ends every subscription.
func (h *Hub) Close() {
	h.mu.Lock()
	l, done := h.listener, h.done
	h.listener = nil
	h.mu.Unlock()
	if l != nil {
		_ = l.Close()
		<-done
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		h.drop(s)
	}
	for w := range h.watches {
		delete(h.watches, w)
		close(w.c)
	}
}

// Subscription receives the notices of one organization (and Resync).
type Subscription struct {
	// C delivers the notices; it is closed when the subscription ends.
	C   <-chan Notice
	c   chan Notice
	org pulid.ID
	hub *Hub
}

// Subscribe returns a subscription to the notices of an organization. Close
// it when done.
func (h *Hub) Subscribe(org pulid.ID) *Subscription {
	c := make(chan Notice, Buffer)
	s := &Subscription{C: c, c: c, org: org, hub: h}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	subscriptions.Inc()
	return s
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.drop(s)
}

// drop ends a subscription; h.mu is held.
func (h *Hub) drop(s *Subscription) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	close(s.c)
	subscriptions.Dec()
}

// UserWatch hears that sessions of a user may have ended.
type UserWatch struct {
	// C receives a value when sessions of the user ended, or notices may
	// have been lost (Resync); it is closed when the hub closes.
	C    <-chan struct{}
	c    chan struct{}
	user pulid.ID
	hub  *Hub
}

// WatchUser returns a watch of the sessions of a user. Close it when done.
func (h *Hub) WatchUser(user pulid.ID) *UserWatch {
	c := make(chan struct{}, 1)
	w := &UserWatch{C: c, c: c, user: user, hub: h}
	h.mu.Lock()
	h.watches[w] = struct{}{}
	h.mu.Unlock()
	return w
}

// Close ends the watch.
func (w *UserWatch) Close() {
	w.hub.mu.Lock()
	defer w.hub.mu.Unlock()
	if _, ok := w.hub.watches[w]; ok {
		delete(w.hub.watches, w)
		close(w.c)
	}
}

// SessionsEnded publishes, once tx commits (at once when tx is nil), that
// sessions of the user ended: connections of theirs on every replica then
// look again at their session.
func (h *Hub) SessionsEnded(ctx context.Context, tx *ent.Tx, org, user pulid.ID) error {
	return h.publishIn(ctx, tx, Notice{Org: org, Kind: SessionsEnded, ID: user})
}

// deliver hands a notice to the subscriptions it concerns, without waiting
// for any of them.
func (h *Hub) deliver(n Notice) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watches {
		if n.Kind == Resync || n.Kind == SessionsEnded && w.user == n.ID {
			select {
			case w.c <- struct{}{}:
			default: // one is already waiting: it says the same
			}
		}
	}
	if n.Kind == SessionsEnded {
		return
	}
	for s := range h.subs {
		if n.Kind != Resync && s.org != n.Org {
			continue
		}
		select {
		case s.c <- n:
		default:
			overflowed.Inc()
			h.logger.Warn("live: a subscription fell too far behind and was ended", "organization", s.org)
			h.drop(s)
		}
	}
}

// publishing is the hook that publishes a notice of each change it sees.
func (h *Hub) publishing(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		var n Notice
		switch e := v.(type) {
		case *ent.TargetEvent:
			n = Notice{Org: e.OrganizationID, Kind: TargetEvent, ID: e.ID, Target: e.TargetID}
		case *ent.ReviewCycle:
			n = Notice{Org: e.OrganizationID, Kind: Review, ID: e.ID}
		case *ent.ReviewItem:
			n = Notice{Org: e.OrganizationID, Kind: Review, ID: e.CycleID}
		default:
			return v, nil
		}
		return v, h.publish(ctx, m, n)
	})
}

// publish sends a notice once the change's transaction commits.
func (h *Hub) publish(ctx context.Context, m ent.Mutation, n Notice) error {
	var tx *ent.Tx
	if txm, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
		tx, _ = txm.Tx()
	}
	return h.publishIn(ctx, tx, n)
}

// publishIn sends a notice once tx commits, at once when tx is nil.
//
// The notices of one transaction are staged as its changes are made, in
// their order, by one commit hook per transaction. With PostgreSQL the hook
// sends them all in one statement just before the commit (NOTIFY in a
// transaction is delivered at commit, never on rollback), so a transaction
// makes one notification statement however many changes it has; with
// SQLite the hook hands them to this process's subscriptions once the
// commit succeeded.
func (h *Hub) publishIn(ctx context.Context, tx *ent.Tx, n Notice) error {
	published.WithLabelValues(string(n.Kind)).Inc()
	if tx == nil {
		if h.pg {
			payload, err := json.Marshal(n)
			if err != nil {
				return err
			}
			if _, err := h.client.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, string(payload)); err != nil {
				return fmt.Errorf("live: publishing a notice: %w", err)
			}
			return nil
		}
		h.deliver(n)
		return nil
	}
	h.mu.Lock()
	notices, staged := h.staged[tx.Key()]
	h.staged[tx.Key()] = append(notices, n)
	h.mu.Unlock()
	if staged {
		return nil
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			h.mu.Lock()
			notices := h.staged[tx.Key()]
			delete(h.staged, tx.Key())
			h.mu.Unlock()
			if h.pg {
				if err := h.notifyAll(ctx, tx, notices); err != nil {
					return err
				}
				return next.Commit(ctx, tx)
			}
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			for _, n := range notices {
				h.deliver(n)
			}
			return nil
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			h.mu.Lock()
			delete(h.staged, tx.Key())
			h.mu.Unlock()
			return next.Rollback(ctx, tx)
		})
	})
	return nil
}

// notifyAll sends the notices in tx, in their order, in one statement: one
// notification each (a payload stays small however many there are).
func (h *Hub) notifyAll(ctx context.Context, tx *ent.Tx, notices []Notice) error {
	if len(notices) == 0 {
		return nil
	}
	payloads := make([]string, len(notices))
	for i, n := range notices {
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		payloads[i] = string(b)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS n(p, i) ORDER BY i",
		Channel, pq.Array(payloads)); err != nil {
		return fmt.Errorf("live: publishing notices: %w", err)
	}
	return nil
}
