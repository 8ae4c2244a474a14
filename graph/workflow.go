package graph

import (
	"context"
	"math"
	"sort"
	"sync"
	"time"

	"kpiflow/ent"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
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

// numberValue shows a stored number in its KPI's unit (MONEY in minor
// units) as a typed value.
func numberValue(ctx context.Context, k *ent.KPI, f *float64) (KPIValue, error) {
	if f == nil {
		return nil, nil
	}
	v := kpi.Value{Defined: true, Float: *f}
	if k.Unit == definition.Count || k.Unit == definition.Money {
		v.Int = int64(math.Round(*f))
	}
	return kpiValue(ctx, k, v)
}

func targetValue(ctx context.Context, kpiID pulid.ID, f *float64) (KPIValue, error) {
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
func reviewItemValue(ctx context.Context, it *ent.ReviewItem, f *float64) (KPIValue, error) {
	if f == nil {
		return nil, nil
	}
	t, err := it.Edges.TargetOrErr()
	if err != nil {
		if t, err = it.Target(ctx); err != nil {
			return nil, err
		}
	}
	return targetValue(ctx, t.KpiID, f)
}

// targetHistory is a target's reviews, by cadence point, then its close.
func targetHistory(ctx context.Context, client *ent.Client, t *ent.Target) ([]*TargetHistoryPoint, error) {
	items, err := client.ReviewItem.Query().Where(reviewitem.TargetID(t.ID)).WithCycle().All(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Edges.Cycle.Point.Before(items[j].Edges.Cycle.Point) })
	out := make([]*TargetHistoryPoint, 0, len(items)+1)
	point := func(at time.Time, c *ent.ReviewCycle, actual, expected, value *float64) error {
		p := &TargetHistoryPoint{At: at, ReviewCycle: c}
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
	if t.Status == target.StatusCLOSED {
		if err := point(t.PeriodEnd, nil, t.FinalActual, &t.Value, &t.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}
