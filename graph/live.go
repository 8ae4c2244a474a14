package graph

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/errcode"
	"kpiflow/live"
	"kpiflow/viewer"
)

// DefaultInboxRecheck is how often an inboxChanged subscription looks
// again when nothing was announced: a review becomes overdue by the
// passing of time alone.
const DefaultInboxRecheck = time.Minute

// inbox is one page of the viewer's inbox.
func (r *Resolver) inbox(ctx context.Context, client *ent.Client, first, offset *int) (*Inbox, error) {
	limit, skip := DefaultPageSize, 0
	if first != nil {
		limit = *first
	}
	if offset != nil {
		skip = *offset
	}
	if limit < 0 || limit > MaxPageSize || skip < 0 {
		return nil, errcode.BadInput("first", "pages hold 0 to %d items, from a non-negative offset", MaxPageSize)
	}
	total, items, err := r.workflow.Inbox(ctx, client, limit, skip)
	if err != nil {
		return nil, err
	}
	out := &Inbox{TotalCount: total, Items: []*InboxItem{}}
	for _, it := range items {
		out.Items = append(out.Items, &InboxItem{Reason: InboxReason(it.Reason), Target: it.Target, ReviewCycle: it.Cycle})
	}
	return out, nil
}

// fingerprint tells two inboxes apart: their items, and the versions of
// their targets (a target decided and sent back again is a change).
func (in *Inbox) fingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", in.TotalCount)
	for _, it := range in.Items {
		fmt.Fprintf(&b, "|%s", it.Reason)
		if it.Target != nil {
			fmt.Fprintf(&b, ":%s@%d", it.Target.ID, it.Target.Version)
		}
		if it.ReviewCycle != nil {
			fmt.Fprintf(&b, ":%s", it.ReviewCycle.ID)
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
func (r *Resolver) inboxChanged(ctx context.Context, first *int) (<-chan *Inbox, error) {
	_, sub, err := r.subscriber(ctx)
	if err != nil {
		return nil, err
	}
	current, err := r.inbox(ctx, r.client, first, nil)
	if err != nil {
		sub.Close()
		return nil, err
	}
	every := r.inboxRecheck
	if every <= 0 {
		every = DefaultInboxRecheck
	}
	out := make(chan *Inbox, 1)
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
			in, err := r.inbox(ctx, r.client, first, nil)
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
