package demo

import (
	"context"
	"fmt"
	"math"
	"sort"

	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/enum"
	kpiengine "kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

// PlannedKPI is the KPI of next quarter's plan in the demo.
const PlannedKPI = "REVENUE_WON"

// planner is what seeding next quarter's plan needs of seedTargets.
type planner struct {
	client *ent.Client
	svc    *workflow.Service
	as     func(email string) (context.Context, *ent.User, error)
	actAs  func(u *ent.User) context.Context
	org    pulid.ID
	next   kpiengine.Period
	label  func(kpiengine.Period) kpiengine.PeriodRequest
	n      *int
}

// seedPlan plans next quarter's revenue top-down and bottom-up, through
// the workflow (README "Planning a quarter"):
//
//   - the region's manager proposes North America's target (the region's
//     suggested value, rounded to 10,000.00) and the admin approves it;
//   - the region's manager allocates it among the region's teams by
//     HISTORY: a DRAFT team target for each, which each team's manager
//     submits and the region's manager approves;
//   - each team's manager allocates the team's target among its reps by
//     HISTORY: a DRAFT for each rep;
//   - Central's and West's reps submit theirs as they are, and their
//     managers approve them: those teams are covered exactly;
//   - in East, one rep lowers theirs before submitting it, one submits it
//     as it is, one submits it and has it approved, and the documented rep
//     has theirs still to submit: East's approved targets cover less than
//     its target (TEAM_TARGET_UNCOVERED in its manager's inbox).
func (pl *planner) seedPlan(ctx context.Context) error {
	sys := viewer.System(ctx)
	client, svc := pl.client, pl.svc
	revenue, err := client.KPI.Query().Where(entkpi.OrganizationID(pl.org), entkpi.Key(PlannedKPI)).OnlyID(sys)
	if err != nil {
		return err
	}
	region, err := client.Team.Query().Where(team.OrganizationID(pl.org), team.ParentIDIsNil()).Only(sys)
	if err != nil {
		return err
	}
	adminCtx, _, err := pl.as("admin@demo.kpiflow.test")
	if err != nil {
		return err
	}
	regionCtx, _, err := pl.as("region.manager@demo.kpiflow.test")
	if err != nil {
		return err
	}
	step := func(ctx context.Context, t *ent.Target, a workflow.Action, d workflow.Decision) (*ent.Target, error) {
		d.ExpectedVersion = t.Version
		return svc.Act(ctx, client, t.ID, a, d)
	}
	// The region's number: what its history suggests, rounded.
	_, _, sug, err := svc.Suggest(regionCtx, client, revenue, nil, &region.ID, pl.label(pl.next))
	if err != nil {
		return err
	}
	value := 1_000_000.0 // in dollars, without history
	if sug.Expected != nil && *sug.Expected > 0 {
		value = math.Max(10_000, math.Round(*sug.Expected/1_000_000)*10_000)
	}
	*pl.n++
	na, err := svc.Propose(regionCtx, client, workflow.NewTarget{KPI: revenue, Team: &region.ID, Period: pl.label(pl.next),
		Value: fmt.Sprintf("%.2f", value), Rationale: "the region's history, with the new product line"})
	if err != nil {
		return fmt.Errorf("the region's target: %w", err)
	}
	if _, err := step(adminCtx, na, workflow.Approve, workflow.Decision{Comment: "the board's number"}); err != nil {
		return err
	}
	split, err := svc.Allocate(regionCtx, client, workflow.AllocationRequest{Target: na.ID, Method: enum.AllocationHistory, SubTeams: true})
	if err != nil {
		return fmt.Errorf("allocating the region's target: %w", err)
	}
	*pl.n += len(split.Shares)
	for _, sh := range split.Shares {
		// The sub-team's first manager, whom its draft names as proposer.
		mgr, err := client.User.Get(sys, sh.Target.ProposerID)
		if err != nil {
			return err
		}
		mgrCtx := pl.actAs(mgr)
		t, err := step(mgrCtx, sh.Target, workflow.Submit, workflow.Decision{Comment: "our share of the region's plan"})
		if err == nil {
			t, err = step(regionCtx, t, workflow.Approve, workflow.Decision{Comment: "agreed"})
		}
		if err != nil {
			return fmt.Errorf("%s's target: %w", sh.Team.Name, err)
		}
		reps, err := svc.Allocate(mgrCtx, client, workflow.AllocationRequest{Target: t.ID, Method: enum.AllocationHistory})
		if err != nil {
			return fmt.Errorf("allocating %s's target: %w", sh.Team.Name, err)
		}
		*pl.n += len(reps.Shares)
		if sh.Team.Name == "East" {
			err = pl.eastSubmits(mgrCtx, reps.Shares, step)
		} else {
			for _, r := range reps.Shares {
				var t *ent.Target
				t, err = step(pl.actAs(r.User), r.Target, workflow.Submit, workflow.Decision{Comment: "works for me"})
				if err == nil {
					_, err = step(mgrCtx, t, workflow.Approve, workflow.Decision{Comment: "agreed"})
				}
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return fmt.Errorf("%s's reps' targets: %w", sh.Team.Name, err)
		}
	}
	return nil
}

// eastSubmits is East's bottom-up answer, by the reps' emails: the
// documented rep has yet to submit; of the others, one lowers theirs by a
// tenth before submitting, one submits it as it is, one has it approved.
func (pl *planner) eastSubmits(mgrCtx context.Context, shares []workflow.Share,
	step func(context.Context, *ent.Target, workflow.Action, workflow.Decision) (*ent.Target, error)) error {
	var others []workflow.Share
	for _, sh := range shares {
		if sh.User.Email != repEmail {
			others = append(others, sh)
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].User.Email < others[j].User.Email })
	if len(others) < 3 {
		return fmt.Errorf("East needs three reps beside %s", repEmail)
	}
	// Lowered, then submitted.
	lower := others[0]
	v := workflow.FormatValue(math.Round(lower.Target.Value*0.9), definition.Money, Currency)
	ctx := pl.actAs(lower.User)
	t, err := step(ctx, lower.Target, workflow.UpdateDraft, workflow.Decision{Value: &v,
		Comment: "two of my renewals slip to the quarter after"})
	if err == nil {
		_, err = step(ctx, t, workflow.Submit, workflow.Decision{Comment: "lower: see the revision"})
	}
	if err != nil {
		return err
	}
	// As it is.
	if _, err := step(pl.actAs(others[1].User), others[1].Target, workflow.Submit, workflow.Decision{Comment: "works for me"}); err != nil {
		return err
	}
	// Submitted and approved.
	t, err = step(pl.actAs(others[2].User), others[2].Target, workflow.Submit, workflow.Decision{Comment: "works for me"})
	if err == nil {
		_, err = step(mgrCtx, t, workflow.Approve, workflow.Decision{Comment: "agreed"})
	}
	return err
}
