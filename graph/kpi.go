package graph

import (
	"context"
	"fmt"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/money"
	"kpiflow/viewer"
)

// The translation between the GraphQL types of graph/kpi.graphql and
// package kpi.

func scopeRequest(in ScopeInput) kpi.ScopeRequest {
	return kpi.ScopeRequest{User: in.UserID, Team: in.TeamID, Organization: in.Organization != nil && *in.Organization}
}

func periodRequest(in PeriodInput) kpi.PeriodRequest {
	return kpi.PeriodRequest{Kind: in.Kind, Year: in.Year, Index: in.Index, Label: in.Label, Offset: in.Offset}
}

// definitionOf converts a definition given in GraphQL, with amounts in the
// viewer's organization's currency.
func definitionOf(ctx context.Context, in *KPIDefinitionInput) (definition.Definition, error) {
	var d definition.Definition
	if in == nil {
		return d, errcode.BadInput("definition", "is required")
	}
	var err error
	if d.Aggregate, err = aggregateOf(ctx, in.Aggregate); err != nil {
		return d, err
	}
	if d.Numerator, err = aggregateOf(ctx, in.Numerator); err != nil {
		return d, err
	}
	d.Denominator, err = aggregateOf(ctx, in.Denominator)
	return d, err
}

func aggregateOf(ctx context.Context, in *KPIAggregateInput) (*definition.Aggregate, error) {
	if in == nil {
		return nil, nil
	}
	a := &definition.Aggregate{Source: in.Source, Function: in.Function}
	if in.Field != nil {
		a.Field = *in.Field
	}
	if in.Date != nil {
		a.Date = *in.Date
	}
	if f := in.Filter; f != nil {
		for _, s := range f.DealStages {
			a.Filter.DealStages = append(a.Filter.DealStages, string(s))
		}
		for _, k := range f.MeetingKinds {
			a.Filter.MeetingKinds = append(a.Filter.MeetingKinds, string(k))
		}
		for _, s := range f.MeetingStatuses {
			a.Filter.MeetingStatuses = append(a.Filter.MeetingStatuses, string(s))
		}
		for _, b := range []struct {
			in  *money.Decimal
			out **int64
		}{{f.AmountMin, &a.Filter.AmountMin}, {f.AmountMax, &a.Filter.AmountMax}} {
			if b.in == nil {
				continue
			}
			cur, err := currencyOf(ctx, viewer.FromContext(ctx).OrgID)
			if err != nil {
				return nil, err
			}
			m, err := minorUnits(*b.in, cur)
			if err != nil {
				return nil, err
			}
			*b.out = &m
		}
	}
	return a, nil
}

func stagesOf(f *definition.Filter) []deal.Stage {
	out := make([]deal.Stage, len(f.DealStages))
	for i, s := range f.DealStages {
		out[i] = deal.Stage(s)
	}
	return out
}

func kindsOf(f *definition.Filter) []meeting.Kind {
	out := make([]meeting.Kind, len(f.MeetingKinds))
	for i, k := range f.MeetingKinds {
		out[i] = meeting.Kind(k)
	}
	return out
}

func statusesOf(f *definition.Filter) []meeting.Status {
	out := make([]meeting.Status, len(f.MeetingStatuses))
	for i, s := range f.MeetingStatuses {
		out[i] = meeting.Status(s)
	}
	return out
}

// filterAmount shows a filter's amount in the viewer's currency: KPIs are
// only ever shown to their own organization.
func filterAmount(ctx context.Context, minor *int64) (*money.Money, error) {
	if minor == nil {
		return nil, nil
	}
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	return moneyOf(ctx, v.OrgID, *minor)
}

// scorecard is a scope's scorecard in a period, as the scorecard query
// and node(id:) give it.
func (r *Resolver) scorecard(ctx context.Context, sr kpi.ScopeRequest, pr kpi.PeriodRequest) (*Scorecard, error) {
	card, err := r.kpis.Card(ctx, ent.FromContext(ctx), sr, pr)
	if err != nil {
		return nil, err
	}
	p := card.Period
	org := viewer.FromContext(ctx).OrgID
	sc := &Scorecard{ID: scorecardID(sr, org, p), Period: &p, Results: []*KPIResult{}}
	trends := &cardTrends{scope: sr, card: card, by: map[int]*cardTrend{}}
	for _, res := range card.Results {
		out, err := resultOf(ctx, kpiResultID(sr, org, res.KPI.ID, p), res)
		if err != nil {
			return nil, err
		}
		out.card = trends
		sc.Results = append(sc.Results, out)
	}
	return sc, nil
}

// resultTrend is a scorecard result's trend, computed with those of all
// the scorecard's results (cardTrends).
func (r *Resolver) resultTrend(ctx context.Context, res *KPIResult, periods *int) (*KPITrend, error) {
	n := 6
	if periods != nil {
		n = *periods
	}
	if res.card == nil {
		return nil, fmt.Errorf("kpi result %s: not from a scorecard", res.ID)
	}
	all, err := res.card.trend(ctx, r.kpis, n)
	if err != nil {
		return nil, err
	}
	return trendOf(ctx, res.card.scope, res.Kpi, res.card.card.Period.Kind, all[res.Kpi.ID])
}

// kpiTrend is a KPI's trend, as the kpiTrend query and node(id:) give it.
func (r *Resolver) kpiTrend(ctx context.Context, sr kpi.ScopeRequest, kpiID pulid.ID, from, to kpi.PeriodRequest, kind kpi.PeriodKind) (*KPITrend, error) {
	k, points, err := r.kpis.Trend(ctx, ent.FromContext(ctx), sr, kpiID, from, to, kind)
	if err != nil {
		return nil, err
	}
	return trendOf(ctx, sr, k, kind, points)
}

// teamRollup is a team's rollup, as the teamRollup query and node(id:)
// give it.
func (r *Resolver) teamRollup(ctx context.Context, teamID, kpiID pulid.ID, pr kpi.PeriodRequest) (*TeamRollup, error) {
	roll, err := r.kpis.TeamRollup(ctx, ent.FromContext(ctx), teamID, kpiID, pr)
	if err != nil {
		return nil, err
	}
	return rollupOf(ctx, roll)
}

func resultOf(ctx context.Context, id pulid.ID, res kpi.Result) (*KPIResult, error) {
	k, v := res.KPI, res.Value
	g, err := gradedOf(ctx, k, res)
	if err != nil {
		return nil, err
	}
	out := &KPIResult{ID: id, Kpi: k, Actual: g.actual, Target: g.target, Attainment: res.Attainment, Pace: res.Pace,
		SampleSize: int(v.Sample), LowConfidence: v.LowConfidence, Frozen: res.Frozen, LiveActual: g.live}
	if res.Status != "" {
		st := res.Status
		out.Status = &st
	}
	return out, nil
}

// graded is a result's values in the API's shape.
type graded struct{ actual, target, live *KPIValue }

func gradedOf(ctx context.Context, k *ent.KPI, res kpi.Result) (g graded, err error) {
	if g.actual, err = kpiValue(ctx, k, res.Value); err != nil {
		return g, err
	}
	if g.target, err = numberValue(ctx, k, res.Target); err != nil {
		return g, err
	}
	if res.Live != nil {
		g.live, err = kpiValue(ctx, k, *res.Live)
	}
	return g, err
}

func trendOf(ctx context.Context, sr kpi.ScopeRequest, k *ent.KPI, kind kpi.PeriodKind, points []kpi.TrendPoint) (*KPITrend, error) {
	org := viewer.FromContext(ctx).OrgID
	t := &KPITrend{Kpi: k, Points: []*TrendPoint{}}
	if len(points) > 0 {
		t.ID = kpiTrendID(sr, org, k.ID, kind, points[0].Period, points[len(points)-1].Period)
	}
	for _, p := range points {
		actual, err := kpiValue(ctx, k, p.Value)
		if err != nil {
			return nil, err
		}
		target, err := numberValue(ctx, k, p.Target)
		if err != nil {
			return nil, err
		}
		t.Points = append(t.Points, &TrendPoint{ID: trendPointID(sr, org, k.ID, p.Period), Period: &p.Period, Actual: actual,
			Target: target, SampleSize: int(p.Value.Sample), LowConfidence: p.Value.LowConfidence})
	}
	return t, nil
}

func rollupOf(ctx context.Context, r *kpi.Rollup) (*TeamRollup, error) {
	g, err := gradedOf(ctx, r.KPI, r.Result)
	if err != nil {
		return nil, err
	}
	sum, err := numberValue(ctx, r.KPI, r.MembersTargetSum)
	if err != nil {
		return nil, err
	}
	out := &TeamRollup{ID: teamRollupID(r.Team.ID, r.KPI.ID, r.Period), Team: r.Team, Kpi: r.KPI, Period: &r.Period, Actual: g.actual,
		SampleSize: int(r.Value.Sample), LowConfidence: r.Value.LowConfidence,
		Additive: r.KPI.Definition.Additive(), Members: []*RollupMember{},
		Target: g.target, MembersTargetSum: sum, Attainment: r.Attainment, Frozen: r.Frozen, LiveActual: g.live}
	for _, m := range r.Members {
		mg, err := gradedOf(ctx, r.KPI, m.Result)
		if err != nil {
			return nil, err
		}
		out.Members = append(out.Members, &RollupMember{ID: rollupMemberID(r.Team.ID, r.KPI.ID, r.Period, m.User.ID), User: m.User, Actual: mg.actual,
			SampleSize: int(m.Value.Sample), LowConfidence: m.Value.LowConfidence,
			Target: mg.target, Attainment: m.Attainment, Frozen: m.Frozen, LiveActual: mg.live})
	}
	return out, nil
}
