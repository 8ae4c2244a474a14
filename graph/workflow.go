package graph

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"kpiflow/ent"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/enum"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

// kpis remembers the KPI definitions an operation has looked up, so that a
// list of targets costs one lookup per KPI, not one per target.
type kpiCache struct {
	mu sync.Mutex
	m  map[pulid.ID]*ent.KPI
}

type kpiCacheKey struct{}

func withKPICache(ctx context.Context) context.Context {
	return context.WithValue(ctx, kpiCacheKey{}, &kpiCache{m: map[pulid.ID]*ent.KPI{}})
}

func kpiOf(ctx context.Context, id pulid.ID) (*ent.KPI, error) {
	c, _ := ctx.Value(kpiCacheKey{}).(*kpiCache)
	if c == nil {
		c = &kpiCache{m: map[pulid.ID]*ent.KPI{}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.m[id]; ok {
		return k, nil
	}
	k, err := ent.FromContext(ctx).KPI.Get(viewer.System(ctx), id)
	if err != nil {
		return nil, err
	}
	c.m[id] = k
	return k, nil
}

// rememberKPI puts a KPI the request has loaded in its cache.
func rememberKPI(ctx context.Context, k *ent.KPI) {
	if c, _ := ctx.Value(kpiCacheKey{}).(*kpiCache); c != nil {
		c.mu.Lock()
		c.m[k.ID] = k
		c.mu.Unlock()
	}
}

func targetValue(ctx context.Context, kpiID pulid.ID, f *float64) (*KPIValue, error) {
	k, err := kpiOf(ctx, kpiID)
	if err != nil {
		return nil, err
	}
	return numberValue(ctx, k, f)
}

func (r *mutationResolver) act(ctx context.Context, id pulid.ID, a workflow.Action, d workflow.Decision) (*TargetPayload, error) {
	t, err := r.workflow.Act(ctx, ent.FromContext(ctx), id, a, d)
	if err != nil {
		return nil, err
	}
	return &TargetPayload{Target: t}, nil
}

func decision(version int, comment *string) workflow.Decision {
	d := workflow.Decision{ExpectedVersion: version}
	if comment != nil {
		d.Comment = *comment
	}
	return d
}

func newTarget(in CreateTargetDraftInput) workflow.NewTarget {
	n := workflow.NewTarget{KPI: in.KpiID, User: in.UserID, Team: in.TeamID, Period: periodRequest(*in.Period), Value: string(in.Value)}
	if in.Rationale != nil {
		n.Rationale = *in.Rationale
	}
	return n
}

var errNoPeriod = errcode.BadInput("period", "is required")

// reviewItemValue shows a number of a review item in its target's KPI's
// unit.
func reviewItemValue(ctx context.Context, it *ent.ReviewItem, f *float64) (*KPIValue, error) {
	if f == nil {
		return nil, nil
	}
	k, err := kpiOfTarget(ctx, it.TargetID)
	if err != nil {
		return nil, err
	}
	return numberValue(ctx, k, f)
}

// targetHistory is a target's reviews, by cadence point, then its close.
func targetHistory(ctx context.Context, client *ent.Client, t *ent.Target) ([]*TargetHistoryPoint, error) {
	all, err := client.ReviewItem.Query().Where(reviewitem.TargetID(t.ID)).WithCycle().All(ctx)
	if err != nil {
		return nil, err
	}
	items := all[:0]
	for _, it := range all {
		if it.Edges.Cycle != nil { // a cycle of a team out of the viewer's reach is not shown
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Edges.Cycle.Point.Before(items[j].Edges.Cycle.Point) })
	out := make([]*TargetHistoryPoint, 0, len(items)+1)
	point := func(at time.Time, c *ent.ReviewCycle, actual, expected, value *float64) error {
		var cycleID *pulid.ID
		if c != nil {
			cycleID = &c.ID
		}
		p := &TargetHistoryPoint{ID: historyPointID(t.ID, cycleID), At: at, ReviewCycle: c}
		var err error
		if p.Actual, err = targetValue(ctx, t.KpiID, actual); err != nil {
			return err
		}
		if p.Expected, err = targetValue(ctx, t.KpiID, expected); err != nil {
			return err
		}
		if p.Value, err = targetValue(ctx, t.KpiID, value); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}
	for _, it := range items {
		if err := point(it.Edges.Cycle.Point, it.Edges.Cycle, it.ActualToDate, it.ExpectedToDate, it.TargetValue); err != nil {
			return nil, err
		}
	}
	if t.Status == enum.StatusClosed {
		if err := point(t.PeriodEnd, nil, t.FinalActual, &t.Value, &t.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Actuals are computed for a whole list of targets at once: the first
// target of a list whose actual is asked for computes those of all its
// siblings (workflow.Service.Actuals: one statement per record source for
// all users' targets), and the others wait for it and read theirs. A list
// is found by walking up the field contexts to the nearest list of targets
// (a connection's edges, a plain list, nodes, an inbox), so the number of
// statements does not grow with the number of targets.
type actualBatches struct {
	mu   sync.Mutex
	m    map[any]*actualBatch // actuals, by list
	kpis map[any]*actualBatch // the KPIs of targets, by list of their events, revisions or review items
}

type actualBatch struct {
	once   sync.Once
	values map[pulid.ID]kpi.Value
	// targets: the targets of a list's events, revisions or review items,
	// with their KPI and pending adjustment.
	targets map[pulid.ID]*ent.Target
	err     error
}

type actualBatchesKey struct{}

func withActualBatches(ctx context.Context) context.Context {
	return context.WithValue(ctx, actualBatchesKey{}, &actualBatches{m: map[any]*actualBatch{}, kpis: map[any]*actualBatch{}})
}

// nearestList returns the nearest list of T above the field being
// resolved (a plain list, nodes, or what edges reads of a connection's
// edges: ok false for any other result), and the field context that holds
// it, which names the list; nil when there is none.
func nearestList[T any](ctx context.Context, edges func(result any) (nodes []T, ok bool)) (*graphql.FieldContext, []T) {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		var out []T
		switch r := fc.Result.(type) {
		case []T:
			out = r
		case []ent.Noder:
			for _, n := range r {
				if t, ok := n.(T); ok {
					out = append(out, t)
				}
			}
		default:
			var ok bool
			if out, ok = edges(fc.Result); !ok {
				continue
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return fc, out
	}
	return nil, nil
}

// siblingTargets returns the nearest list of targets above the field being
// resolved, and a key that names the list; a nil key when there is none.
// Earlier targets: every list of them that one batch found is one list of
// siblings, named by the batch.
func siblingTargets(ctx context.Context) (any, []*ent.Target) {
	fc, out := nearestList(ctx, func(result any) ([]*ent.Target, bool) {
		var out []*ent.Target
		switch r := result.(type) {
		case []*ent.TargetEdge:
			for _, e := range r {
				if e != nil && e.Node != nil {
					out = append(out, e.Node)
				}
			}
		case []*InboxEdge:
			for _, e := range r {
				if e != nil && e.Node != nil && e.Node.Target != nil {
					out = append(out, e.Node.Target)
				}
			}
		default:
			return nil, false
		}
		return out, true
	})
	if fc == nil {
		return nil, nil
	}
	if _, plain := fc.Result.([]*ent.Target); plain {
		if b := producer(ctx, out[0]); b != nil {
			return b, b.found
		}
	}
	return fc, out
}

// targetActual is a target's live actual, computed with its siblings'.
func (r *Resolver) targetActual(ctx context.Context, t *ent.Target, k *ent.KPI) (kpi.Value, error) {
	client := ent.FromContext(ctx)
	batches, _ := ctx.Value(actualBatchesKey{}).(*actualBatches)
	key, siblings := siblingTargets(ctx)
	if batches == nil || key == nil {
		return r.workflow.Actual(ctx, client, t, k)
	}
	batches.mu.Lock()
	b := batches.m[key]
	if b == nil {
		b = &actualBatch{}
		batches.m[key] = b
	}
	batches.mu.Unlock()
	b.once.Do(func() {
		kpis := map[pulid.ID]*ent.KPI{}
		for _, s := range siblings {
			if kpis[s.KpiID] == nil {
				if kpis[s.KpiID], b.err = kpiOf(ctx, s.KpiID); b.err != nil {
					return
				}
			}
		}
		b.values, b.err = r.workflow.Actuals(ctx, client, siblings, kpis)
	})
	if b.err != nil {
		return kpi.Value{}, b.err
	}
	if v, ok := b.values[t.ID]; ok {
		return v, nil
	}
	return r.workflow.Actual(ctx, client, t, k)
}

// kpiOfTarget returns the KPI of a target that an event, revision or
// review item being resolved belongs to: the target above it in the
// query when there is one, else its KPI as loaded once for the whole list
// the object is in (one statement per list, not one per object).
func kpiOfTarget(ctx context.Context, targetID pulid.ID) (*ent.KPI, error) {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if r, ok := fc.Result.(*ent.Target); ok && r.ID == targetID && r.KpiID != "" { // entgql may have loaded only some columns
			return kpiOf(ctx, r.KpiID)
		}
	}
	t, err := targetOfListed(ctx, targetID)
	if err != nil {
		return nil, err
	}
	return kpiOf(ctx, t.KpiID)
}

// targetOfListed returns the target (its KPI and pending adjustment) of
// an event, revision or review item being resolved, loaded once for the
// whole list the object is in: one statement per list, shared by every
// field that needs it.
func targetOfListed(ctx context.Context, targetID pulid.ID) (*ent.Target, error) {
	var key any
	var ids []pulid.ID
	// The list of targets above, when the object is nested in one: one
	// statement for all the targets' objects.
	if k, siblings := siblingTargets(ctx); k != nil {
		for _, t := range siblings {
			ids = append(ids, t.ID)
		}
		if slices.Contains(ids, targetID) {
			key = k
		} else {
			ids = nil
		}
	}
	for fc := graphql.GetFieldContext(ctx); fc != nil && key == nil; fc = fc.Parent {
		switch r := fc.Result.(type) {
		case []*ent.TargetEventEdge:
			for _, e := range r {
				if e != nil && e.Node != nil {
					ids = append(ids, e.Node.TargetID)
				}
			}
			key = fc
		case []*ent.TargetEvent:
			for _, e := range r {
				ids = append(ids, e.TargetID)
			}
			key = fc
		case []*ent.TargetRevisionEdge:
			for _, e := range r {
				if e != nil && e.Node != nil {
					ids = append(ids, e.Node.TargetID)
				}
			}
			key = fc
		case []*ent.ReviewItemEdge:
			for _, e := range r {
				if e != nil && e.Node != nil {
					ids = append(ids, e.Node.TargetID)
				}
			}
			key = fc
		case []*ent.ReviewItem:
			for _, e := range r {
				ids = append(ids, e.TargetID)
			}
			key = fc
		}
	}
	batches, _ := ctx.Value(actualBatchesKey{}).(*actualBatches)
	if key == nil || batches == nil {
		ids, key = []pulid.ID{targetID}, nil
	}
	var b *actualBatch
	if key != nil {
		batches.mu.Lock()
		b = batches.kpis[key]
		if b == nil {
			b = &actualBatch{}
			batches.kpis[key] = b
		}
		batches.mu.Unlock()
	} else {
		b = &actualBatch{}
	}
	b.once.Do(func() {
		var ts []*ent.Target
		ts, b.err = ent.FromContext(ctx).Target.Query().Where(target.IDIn(ids...)).
			Select(target.FieldID, target.FieldKpiID, target.FieldPendingValue, target.FieldPendingReason, target.FieldPendingComment).
			All(ctx)
		b.targets = map[pulid.ID]*ent.Target{}
		for _, t := range ts {
			b.targets[t.ID] = t
		}
	})
	if b.err != nil {
		return nil, b.err
	}
	t, ok := b.targets[targetID]
	if !ok {
		return nil, &ent.NotFoundError{}
	}
	return t, nil
}

// pendingAdjustment shows a target's adjustment request waiting for a
// decision, or none.
func pendingAdjustment(ctx context.Context, t *ent.Target) (*TargetAdjustment, error) {
	if t.PendingValue == nil || t.PendingReason == nil {
		return nil, nil
	}
	v, err := targetValue(ctx, t.KpiID, t.PendingValue)
	if err != nil {
		return nil, err
	}
	return &TargetAdjustment{Value: v, ReasonCode: *t.PendingReason, Comment: t.PendingComment}, nil
}
