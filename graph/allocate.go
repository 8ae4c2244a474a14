package graph

import (
	"context"

	"kpiflow/ent"
	"kpiflow/workflow"
)

// allocate divides a team target among the team's reps (allocateTeamTarget).
func (r *mutationResolver) allocate(ctx context.Context, in AllocateTeamTargetInput) (*AllocateTeamTargetPayload, error) {
	req := workflow.AllocationRequest{Target: in.TargetID, Method: in.Method, DryRun: in.DryRun != nil && *in.DryRun,
		SubTeams: in.Among != nil && *in.Among == AllocationMembersSubTeams}
	for _, o := range in.Overrides {
		ov := workflow.Override{Value: string(o.Value)}
		if o.UserID != nil {
			ov.User = *o.UserID
		}
		if o.TeamID != nil {
			ov.Team = *o.TeamID
		}
		req.Overrides = append(req.Overrides, ov)
	}
	a, err := r.workflow.Allocate(ctx, ent.FromContext(ctx), req)
	if err != nil {
		return nil, err
	}
	rememberKPI(ctx, a.KPI)
	out := &AllocateTeamTargetPayload{TeamTarget: a.TeamTarget, Method: a.Method, AppliedMethod: a.Applied,
		Among: AllocationMembersReps, DryRun: a.DryRun, Shares: []*AllocationShare{}, TeamShares: []*AllocationTeamShare{}}
	if a.SubTeams {
		out.Among = AllocationMembersSubTeams
	}
	for _, sh := range a.Shares {
		v := sh.Value
		val, err := numberValue(ctx, a.KPI, &v)
		if err != nil {
			return nil, err
		}
		if sh.Team != nil {
			out.TeamShares = append(out.TeamShares, &AllocationTeamShare{Team: sh.Team, Value: val, Weight: sh.Weight,
				Overridden: sh.Overridden, Kept: sh.Kept, Target: sh.Target})
			continue
		}
		out.Shares = append(out.Shares, &AllocationShare{User: sh.User, Value: val, Weight: sh.Weight,
			Overridden: sh.Overridden, Kept: sh.Kept, Target: sh.Target})
	}
	return out, nil
}

// reconciliation is a team rollup's reconciliation; none for a KPI that
// does not add up.
func (r *teamRollupResolver) reconciliation(ctx context.Context, obj *TeamRollup) (*TargetReconciliation, error) {
	rec, err := r.workflow.Reconcile(ctx, ent.FromContext(ctx), obj.Team.ID, obj.Kpi, *obj.Period)
	if err != nil || rec == nil {
		return nil, err
	}
	k := rec.KPI
	value := func(f *float64) (*KPIValue, error) { return numberValue(ctx, k, f) }
	out := &TargetReconciliation{TeamTarget: rec.TeamTarget, Coverage: rec.Coverage(), OpenCoverage: rec.OpenCoverage(),
		Covered: rec.Covered(), Tolerance: rec.Tolerance, SubTeamsCoverage: rec.SubTeamsCoverage(),
		Basis: AllocationMembersReps, Members: []*ReconciliationMember{}, SubTeams: []*ReconciliationSubTeam{}}
	if rec.SubTeamsBasis {
		out.Basis = AllocationMembersSubTeams
	}
	for _, f := range []struct {
		dst **KPIValue
		v   *float64
	}{{&out.Approved, &rec.Approved}, {&out.Proposed, &rec.Proposed}, {&out.Drafts, &rec.Drafts},
		{&out.Gap, rec.Gap()}, {&out.SubTeamsSum, &rec.SubTeamsSum}} {
		if *f.dst, err = value(f.v); err != nil {
			return nil, err
		}
	}
	for _, m := range rec.Members {
		out.Members = append(out.Members, &ReconciliationMember{User: m.User, Target: m.Target,
			Share: rec.Share(m.Target), HistoricalShare: m.HistoricalShare})
	}
	for _, t := range rec.SubTeams {
		out.SubTeams = append(out.SubTeams, &ReconciliationSubTeam{Team: t.Team, Target: t.Target, Share: rec.Share(t.Target),
			HistoricalShare: t.HistoricalShare})
	}
	return out, nil
}
