package graph

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"entgo.io/contrib/entgql"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/errcode"
	"kpiflow/live"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

// DefaultInboxRecheck is how often an inboxChanged subscription looks
// again when nothing was announced: a review becomes overdue by the
// passing of time alone.
const DefaultInboxRecheck = time.Minute

// inboxPage is the arguments of a page of the inbox.
type inboxPage struct {
	after, before *ent.Cursor
	first, last   *int
}

// inbox is one page of the viewer's inbox: a connection whose cursors hold
// an item's key (workflow.InboxItem.Key), so that a page goes on after its
// last item even once that item has left the inbox.
func (r *Resolver) inbox(ctx context.Context, client *ent.Client, pg inboxPage) (*InboxConnection, error) {
	for _, n := range []struct {
		name string
		v    *int
	}{{"first", pg.first}, {"last", pg.last}} {
		if n.v != nil && (*n.v < 0 || *n.v > MaxPageSize) {
			return nil, errcode.BadInput(n.name, "a page holds 0 to %d items", MaxPageSize)
		}
	}
	after, err := inboxCursor("after", pg.after)
	if err != nil {
		return nil, err
	}
	before, err := inboxCursor("before", pg.before)
	if err != nil {
		return nil, err
	}
	all, err := r.workflow.Inbox(ctx, client)
	if err != nil {
		return nil, err
	}
	// Relay's algorithm: the items between the cursors, then the first of
	// them, then the last of those.
	lo, hi := 0, len(all)
	if after != "" {
		lo = sort.Search(len(all), func(i int) bool { return all[i].Key > after })
	}
	if before != "" {
		hi = sort.Search(len(all), func(i int) bool { return all[i].Key >= before })
	}
	if hi < lo {
		hi = lo
	}
	info := &entgql.PageInfo[pulid.ID]{HasPreviousPage: lo > 0, HasNextPage: hi < len(all)}
	if pg.after == nil {
		info.HasPreviousPage = false
	}
	if pg.before == nil {
		info.HasNextPage = false
	}
	page := all[lo:hi]
	if pg.first != nil && *pg.first < len(page) {
		page, info.HasNextPage = page[:*pg.first], true
	}
	if pg.last != nil && *pg.last < len(page) {
		page, info.HasPreviousPage = page[len(page)-*pg.last:], true
	}
	out := &InboxConnection{TotalCount: len(all), PageInfo: info, Edges: make([]*InboxEdge, 0, len(page))}
	for _, it := range page {
		id := inboxItemID(it.Reason, it.Subject())
		out.Edges = append(out.Edges, &InboxEdge{
			Node: &InboxItem{ID: id, Reason: InboxReason(it.Reason), Target: it.Target, ReviewCycle: it.Cycle,
				Comment: it.Comment},
			Cursor: ent.Cursor{ID: id, Value: it.Key},
		})
	}
	if len(out.Edges) > 0 {
		info.StartCursor = &out.Edges[0].Cursor
		info.EndCursor = &out.Edges[len(out.Edges)-1].Cursor
	}
	return out, nil
}

// inboxCursor is the key a cursor of the inbox holds. The page walker has
// checked that the server gave the cursor (its tag); one the server gave
// for another connection holds no inbox key, and is refused.
func inboxCursor(name string, c *ent.Cursor) (string, error) {
	if c == nil {
		return "", nil
	}
	key, ok := c.Value.(string)
	if !ok || !workflow.ValidInboxKey(key) || !isDerived(c.ID) {
		return "", errcode.BadInput(name, "not a cursor of the inbox: use one that its pageInfo or edges gave")
	}
	return key, nil
}

// inboxItem is the item of the viewer's inbox with the ID, or not found.
func (r *Resolver) inboxItem(ctx context.Context, id pulid.ID) (*InboxItem, error) {
	all, err := r.workflow.Inbox(ctx, ent.FromContext(ctx))
	if err != nil {
		return nil, err
	}
	for _, it := range all {
		if inboxItemID(it.Reason, it.Subject()) == id {
			return &InboxItem{ID: id, Reason: InboxReason(it.Reason), Target: it.Target, ReviewCycle: it.Cycle, Comment: it.Comment}, nil
		}
	}
	return nil, &ent.NotFoundError{}
}

// fingerprint tells two inboxes apart: their items, and the versions of
// their targets (a target decided and sent back again is a change).
func (in *InboxConnection) fingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", in.TotalCount)
	for _, e := range in.Edges {
		it := e.Node
		fmt.Fprintf(&b, "|%s", it.ID)
		if it.Target != nil {
			fmt.Fprintf(&b, "@%d", it.Target.Version)
		}
	}
	return b.String()
}

// subscriber returns the viewer of a subscription and its notices.
func (r *Resolver) subscriber(ctx context.Context) (*viewer.Viewer, *live.Subscription, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, nil, errcode.New(errcode.Unauthenticated, "sign in first: subscriptions need an access token in the connection_init payload")
	}
	return v, r.live.Subscribe(v.OrgID), nil
}

// targetEvents streams the events recorded on the targets the viewer sees
// (or on one of them), loading each announced event with the viewer's
// rights: an event on a target out of the viewer's reach is not found, and
// not sent.
func (r *Resolver) targetEvents(ctx context.Context, targetID *pulid.ID) (<-chan *ent.TargetEvent, error) {
	_, sub, err := r.subscriber(ctx)
	if err != nil {
		return nil, err
	}
	if targetID != nil {
		if _, err := r.client.Target.Get(ctx, *targetID); err != nil {
			sub.Close()
			return nil, err
		}
	}
	out := make(chan *ent.TargetEvent, 1)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			var n live.Notice
			select {
			case <-ctx.Done():
				return
			case m, ok := <-sub.C:
				if !ok {
					return
				}
				n = m
			}
			if n.Kind != live.TargetEvent || (targetID != nil && n.Target != *targetID) {
				continue
			}
			ev, err := r.client.TargetEvent.Get(ctx, n.ID)
			switch {
			case ent.IsNotFound(err):
				continue
			case err != nil:
				if ctx.Err() == nil {
					r.logger.Error("targetEvents: loading an announced event", "event", n.ID, "error", err)
				}
				return
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// inboxChanged streams the viewer's inbox: as it is, then each time it
// differs, looked at again on every notice of the organization (a burst of
// notices is one look) and every DefaultInboxRecheck.
func (r *Resolver) inboxChanged(ctx context.Context, pg inboxPage) (<-chan *InboxConnection, error) {
	_, sub, err := r.subscriber(ctx)
	if err != nil {
		return nil, err
	}
	current, err := r.inbox(ctx, r.client, pg)
	if err != nil {
		sub.Close()
		return nil, err
	}
	every := r.inboxRecheck
	if every <= 0 {
		every = DefaultInboxRecheck
	}
	out := make(chan *InboxConnection, 1)
	out <- current
	go func() {
		defer close(out)
		defer sub.Close()
		last := current.fingerprint()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			case _, ok := <-sub.C:
				if !ok {
					return
				}
				// Take the rest of a burst at once.
			drain:
				for {
					select {
					case _, ok := <-sub.C:
						if !ok {
							return
						}
					default:
						break drain
					}
				}
			}
			in, err := r.inbox(ctx, r.client, pg)
			if err != nil {
				if ctx.Err() == nil {
					r.logger.Error("inboxChanged: reading the inbox", "error", err)
				}
				return
			}
			if fp := in.fingerprint(); fp != last {
				last = fp
				select {
				case out <- in:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
