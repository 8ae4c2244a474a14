package graph

import (
	"context"
	"math"
	"sync"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
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
