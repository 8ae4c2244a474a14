package graph

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"entgo.io/ent/dialect/sql"

	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/predicate"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/enum"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/money"
	"kpiflow/workflow"
	"kpiflow/workflow/realism"
)

// Coherence (README "Coherent target sets"): when one scope and period has
// targets for a ratio KPI and for the KPIs defined by its numerator and its
// denominator, the parts imply a value of the ratio, numerator ÷
// denominator (× 100 for PERCENT), and the ratio's target should be close
// to it. It is read live, when an assessment is read, because targets
// change after submission; the targets of a whole list are checked at
// once (three statements per list, whatever its length).

// CoherenceTolerance is the largest relative difference between a ratio's
// target and the value its parts' targets imply that counts as coherent.
const CoherenceTolerance = 0.05

// coherentStatuses are the statuses of the targets a set is made of: the
// open ones, being planned or holding (not rejected, withdrawn or closed).
var coherentStatuses = []enum.TargetStatus{enum.StatusDraft, enum.StatusProposed, enum.StatusChangesRequested, enum.StatusApproved}

type coherenceBatches struct {
	mu sync.Mutex
	m  map[any]*coherenceBatch
	// previews are the unsaved targets assessTarget previewed, by the
	// assessment made of them.
	previews map[*realism.Assessment]*ent.Target
}

type coherenceBatch struct {
	once sync.Once
	sets map[pulid.ID][]*TargetCoherence // by target
	err  error
}

type coherenceBatchesKey struct{}

func withCoherenceBatches(ctx context.Context) context.Context {
	return context.WithValue(ctx, coherenceBatchesKey{}, &coherenceBatches{m: map[any]*coherenceBatch{},
		previews: map[*realism.Assessment]*ent.Target{}})
}

// rememberPreview keeps the target an assessment previews, for its
// coherence.
func rememberPreview(ctx context.Context, a *realism.Assessment, t *ent.Target) {
	if bs, _ := ctx.Value(coherenceBatchesKey{}).(*coherenceBatches); bs != nil {
		bs.mu.Lock()
		bs.previews[a] = t
		bs.mu.Unlock()
	}
}

func previewOf(ctx context.Context, a *realism.Assessment) *ent.Target {
	if bs, _ := ctx.Value(coherenceBatchesKey{}).(*coherenceBatches); bs != nil {
		bs.mu.Lock()
		defer bs.mu.Unlock()
		return bs.previews[a]
	}
	return nil
}

// previewCoherence is the coherence of a previewed value (an unsaved
// target) against its scope's other open targets of the period: the
// value stands for any open target of its KPI there. Two statements: the
// scope's targets and their KPIs.
func previewCoherence(ctx context.Context, p *ent.Target) ([]*TargetCoherence, error) {
	client := ent.FromContext(ctx)
	others, err := client.Target.Query().Where(target.ScopeKey(p.ScopeKey), target.PeriodKindEQ(p.PeriodKind),
		target.PeriodYear(p.PeriodYear), target.PeriodIndex(p.PeriodIndex), target.StatusIn(coherentStatuses...),
		target.KpiIDNEQ(p.KpiID)).Order(target.ByID(sql.OrderAsc())).All(ctx)
	if err != nil {
		return nil, err
	}
	out := []*TargetCoherence{}
	if len(others) == 0 {
		return out, nil
	}
	ids := []pulid.ID{p.KpiID}
	for _, t := range others {
		ids = append(ids, t.KpiID)
	}
	ks, err := client.KPI.Query().Where(entkpi.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	kpis := map[pulid.ID]*ent.KPI{}
	for _, k := range ks {
		kpis[k.ID] = k
		rememberKPI(ctx, k)
	}
	var group []*ent.Target
	for _, t := range append(others, p) {
		if k := kpis[t.KpiID]; k != nil {
			t.Edges.Kpi = k
			group = append(group, t)
		}
	}
	for _, r := range group {
		rd := kpis[r.KpiID].Definition
		if !rd.IsRatio() {
			continue
		}
		num := partTarget(group, kpis, *rd.Numerator, r)
		den := partTarget(group, kpis, *rd.Denominator, r)
		if num == nil || den == nil || (r != p && num != p && den != p) {
			continue
		}
		c, err := coherence(ctx, kpis, r, num, den)
		if err != nil {
			return nil, err
		}
		part := CoherencePartRatio
		switch p {
		case r:
			c.Ratio = nil
		case num:
			c.Numerator, part = nil, CoherencePartNumerator
		case den:
			c.Denominator, part = nil, CoherencePartDenominator
		}
		c.Previewed = &part
		out = append(out, c)
	}
	return out, nil
}

// targetCoherence returns the coherence of the target's set, computed for
// the whole list of targets the target is in.
func targetCoherence(ctx context.Context, t *ent.Target) ([]*TargetCoherence, error) {
	ids := []pulid.ID{t.ID}
	var key any
	if k, siblings := siblingTargets(ctx); k != nil {
		var list []pulid.ID
		for _, s := range siblings {
			list = append(list, s.ID)
		}
		for _, id := range list {
			if id == t.ID {
				ids, key = list, k
				break
			}
		}
	}
	var b *coherenceBatch
	if bs, _ := ctx.Value(coherenceBatchesKey{}).(*coherenceBatches); bs != nil && key != nil {
		bs.mu.Lock()
		if b = bs.m[key]; b == nil {
			b = &coherenceBatch{}
			bs.m[key] = b
		}
		bs.mu.Unlock()
	} else {
		b = &coherenceBatch{}
	}
	b.once.Do(func() { b.sets, b.err = coherenceOf(ctx, ids) })
	if b.err != nil {
		return nil, b.err
	}
	out := b.sets[t.ID]
	if out == nil {
		out = []*TargetCoherence{}
	}
	return out, nil
}

type scopePeriod struct {
	scope string
	kind  enum.PeriodKind
	year  int
	index int
}

func scopePeriodOf(t *ent.Target) scopePeriod {
	return scopePeriod{t.ScopeKey, t.PeriodKind, t.PeriodYear, t.PeriodIndex}
}

// coherenceOf checks the sets of the given targets: their scopes and
// periods, the open targets of those, and those targets' KPIs, one
// statement each.
func coherenceOf(ctx context.Context, ids []pulid.ID) (map[pulid.ID][]*TargetCoherence, error) {
	client := ent.FromContext(ctx)
	listed, err := client.Target.Query().Where(target.IDIn(ids...)).
		Select(target.FieldID, target.FieldScopeKey, target.FieldPeriodKind, target.FieldPeriodYear, target.FieldPeriodIndex).
		All(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[scopePeriod]bool{}
	var where []predicate.Target
	for _, t := range listed {
		sp := scopePeriodOf(t)
		if seen[sp] {
			continue
		}
		seen[sp] = true
		where = append(where, target.And(target.ScopeKey(sp.scope), target.PeriodKindEQ(sp.kind),
			target.PeriodYear(sp.year), target.PeriodIndex(sp.index)))
	}
	out := map[pulid.ID][]*TargetCoherence{}
	if len(where) == 0 {
		return out, nil
	}
	open, err := client.Target.Query().Where(target.Or(where...), target.StatusIn(coherentStatuses...)).
		Order(target.ByID(sql.OrderAsc())).All(ctx)
	if err != nil {
		return nil, err
	}
	kpiIDs := map[pulid.ID]bool{}
	var list []pulid.ID
	for _, t := range open {
		if !kpiIDs[t.KpiID] {
			kpiIDs[t.KpiID] = true
			list = append(list, t.KpiID)
		}
	}
	kpis := map[pulid.ID]*ent.KPI{}
	if len(list) > 0 {
		ks, err := client.KPI.Query().Where(entkpi.IDIn(list...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			kpis[k.ID] = k
			rememberKPI(ctx, k)
		}
	}
	groups := map[scopePeriod][]*ent.Target{}
	for _, t := range open {
		if k := kpis[t.KpiID]; k != nil {
			t.Edges.Kpi = k // a set's targets show their KPI without a statement each
			groups[scopePeriodOf(t)] = append(groups[scopePeriodOf(t)], t)
		}
	}
	for _, group := range groups {
		for _, r := range group {
			rd := kpis[r.KpiID].Definition
			if !rd.IsRatio() {
				continue
			}
			num := partTarget(group, kpis, *rd.Numerator, r)
			den := partTarget(group, kpis, *rd.Denominator, r)
			if num == nil || den == nil {
				continue
			}
			c, err := coherence(ctx, kpis, r, num, den)
			if err != nil {
				return nil, err
			}
			for _, t := range []*ent.Target{r, num, den} {
				if !containsCoherence(out[t.ID], c) {
					out[t.ID] = append(out[t.ID], c)
				}
			}
		}
	}
	for id := range out {
		sort.SliceStable(out[id], func(i, j int) bool { return out[id][i].Ratio.ID < out[id][j].Ratio.ID })
	}
	return out, nil
}

func containsCoherence(cs []*TargetCoherence, c *TargetCoherence) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// partTarget is the target of the group whose KPI is defined by the
// aggregate: a plain aggregate KPI, structurally equal (the first by ID
// when several KPIs are).
func partTarget(group []*ent.Target, kpis map[pulid.ID]*ent.KPI, a definition.Aggregate, ratio *ent.Target) *ent.Target {
	for _, t := range group {
		d := kpis[t.KpiID].Definition
		if t != ratio && !d.IsRatio() && d.Aggregate != nil && definition.SameAggregate(*d.Aggregate, a) {
			return t
		}
	}
	return nil
}

// coherence compares a ratio's target with what its parts' targets imply.
// Targets are in their KPI's unit, MONEY in minor units, so a MONEY ratio
// of MONEY over a count is in minor units too.
func coherence(ctx context.Context, kpis map[pulid.ID]*ent.KPI, r, num, den *ent.Target) (*TargetCoherence, error) {
	k := kpis[r.KpiID]
	c := &TargetCoherence{Ratio: r, Numerator: num, Denominator: den, Tolerance: CoherenceTolerance}
	for _, x := range []struct {
		to **KPIValue
		t  *ent.Target
	}{{&c.RatioValue, r}, {&c.NumeratorValue, num}, {&c.DenominatorValue, den}} {
		v := x.t.Value
		var err error
		if *x.to, err = numberValue(ctx, kpis[x.t.KpiID], &v); err != nil {
			return nil, err
		}
	}
	if den.Value == 0 {
		return c, nil
	}
	implied := num.Value / den.Value
	if k.Unit == definition.Percent {
		implied *= 100
	}
	if k.Unit == definition.Money {
		implied = math.Round(implied) // minor units, as the engine's ratio
	}
	v, err := numberValue(ctx, k, &implied)
	if err != nil {
		return nil, err
	}
	c.Implied = v
	if implied != 0 {
		d := (r.Value - implied) / implied
		c.Difference = &d
		c.Coherent = math.Abs(d) <= CoherenceTolerance+1e-12
	} else {
		c.Coherent = r.Value == 0
	}
	return c, nil
}

// whatItTakes shows workflow.WhatItTakes in the API's value shape.
func (r *queryResolver) whatItTakes(ctx context.Context, kpiID pulid.ID, scope TargetScopeInput, period PeriodInput, value string,
	ratios []*GivenRatioInput, meetings *money.Decimal) (*WhatItTakes, error) {
	client := ent.FromContext(ctx)
	k, err := client.KPI.Get(ctx, kpiID)
	if err != nil {
		return nil, err
	}
	rememberKPI(ctx, k)
	var given []workflow.GivenRatio
	for i, g := range ratios {
		given = append(given, workflow.GivenRatio{KPI: g.Kpi, Value: string(g.Value), Field: fmt.Sprintf("ratios[%d]", i)})
	}
	if meetings != nil {
		given = append(given, workflow.GivenRatio{Value: string(*meetings), Field: "meetingsPerClosedDeal"})
	}
	t, err := r.workflow.WhatItTakes(ctx, client, k, scope.UserID, scope.TeamID, periodRequest(period), value, given)
	if err != nil {
		return nil, err
	}
	v, err := numberValue(ctx, k, &t.Value)
	if err != nil {
		return nil, err
	}
	p := t.Period
	out := &WhatItTakes{Kpi: k, Period: &p, Value: v, History: []*kpi.Period{}, Requirements: []*KPIRequirement{}}
	for i := range t.History {
		out.History = append(out.History, &t.History[i])
	}
	for _, q := range t.Requirements {
		unit := &ent.KPI{Unit: q.Unit, OrganizationID: k.OrganizationID}
		if q.KPI != nil {
			unit = q.KPI
		}
		req := &KPIRequirement{Kpi: q.KPI, Name: q.Name, Via: q.Via, Relation: q.Relation, From: q.From, ExceedsBest: q.ExceedsBest}
		if req.HistoricalRatio, err = historicalRatio(ctx, q.Via, k.OrganizationID, q.Ratio); err != nil {
			return nil, err
		}
		if req.GivenRatio, err = historicalRatio(ctx, q.Via, k.OrganizationID, q.Given); err != nil {
			return nil, err
		}
		for _, x := range []struct {
			to **KPIValue
			f  *float64
		}{{&req.Required, q.Required}, {&req.Best, q.Best}, {&req.Typical, q.Typical}} {
			if *x.to, err = numberValue(ctx, unit, x.f); err != nil {
				return nil, err
			}
		}
		out.Requirements = append(out.Requirements, req)
	}
	return out, nil
}

// historicalRatio shows a requirement's ratio in its via KPI's unit (× 100
// for PERCENT), or for the meetings step (no via) as a COUNT.
func historicalRatio(ctx context.Context, via *ent.KPI, org pulid.ID, r *float64) (*KPIValue, error) {
	if r == nil {
		return nil, nil
	}
	f := *r
	if via == nil {
		f = math.Round(f*100) / 100
		return numberValue(ctx, &ent.KPI{Unit: definition.Count, OrganizationID: org}, &f)
	}
	if via.Unit == definition.Percent {
		f *= 100
	}
	return numberValue(ctx, via, &f)
}

// storedRequirements shows what an assessment stored of what its value
// takes; the KPIs come from the operation's cache.
func storedRequirements(ctx context.Context, a *realism.Assessment) ([]*KPIRequirement, error) {
	out := []*KPIRequirement{}
	if len(a.Takes) == 0 {
		return out, nil
	}
	base, err := kpiOfAssessment(ctx)
	if err != nil {
		return nil, err
	}
	for _, q := range a.Takes {
		var via *ent.KPI
		relation := q.Relation
		if q.Via != "" {
			if via, err = kpiOf(ctx, pulid.ID(q.Via)); err != nil {
				return nil, err
			}
			relation = via.Key
		}
		req := &KPIRequirement{Name: q.Name, Via: via, Relation: relation, From: q.From, ExceedsBest: q.ExceedsBest}
		unit := &ent.KPI{Unit: definition.Unit(q.Unit), OrganizationID: base.OrganizationID}
		if q.KPI != "" {
			if req.Kpi, err = kpiOf(ctx, pulid.ID(q.KPI)); err != nil {
				return nil, err
			}
			unit = req.Kpi
		}
		if req.HistoricalRatio, err = historicalRatio(ctx, via, base.OrganizationID, q.Ratio); err != nil {
			return nil, err
		}
		for _, x := range []struct {
			to **KPIValue
			f  *float64
		}{{&req.Required, q.Required}, {&req.Best, q.Best}, {&req.Typical, q.Typical}} {
			if *x.to, err = numberValue(ctx, unit, x.f); err != nil {
				return nil, err
			}
		}
		out = append(out, req)
	}
	return out, nil
}
