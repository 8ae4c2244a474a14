package demo

import (
	"context"
	"fmt"
	"time"

	"kpiflow/access"
	"kpiflow/ent"
	"kpiflow/ent/kpi"
	"kpiflow/ent/organization"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	kpiengine "kpiflow/kpi"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

// seedTargets gives the default demo targets in every state of the
// workflow, with their histories, so that a newcomer sees the flow: made
// through the workflow itself, acting as the demo's reps and managers (last
// quarter's on last quarter's clock). ctx must carry the transaction of
// client.
func seedTargets(ctx context.Context, client *ent.Client, org *ent.Organization, now time.Time, dialect string) (int, error) {
	sys := viewer.System(ctx)
	// A viewer's reach is read in the transaction: its rows are not
	// committed yet.
	actAs := func(u *ent.User) context.Context {
		return viewer.NewContext(ctx, viewer.New(u.ID, u.OrganizationID, u.Role, access.LoadScope(client, u.ID)))
	}
	as := func(email string) (context.Context, *ent.User, error) {
		u, err := client.User.Query().Where(user.OrganizationID(org.ID), user.Email(email)).Only(sys)
		if err != nil {
			return nil, nil, fmt.Errorf("demo targets: %s: %w", email, err)
		}
		return actAs(u), u, nil
	}
	kpiID := func(key string) (pulid.ID, error) {
		return client.KPI.Query().Where(kpi.OrganizationID(org.ID), kpi.Key(key)).OnlyID(sys)
	}
	cal, err := kpiengine.NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	if err != nil {
		return 0, err
	}
	// Targets are for the current or a future quarter of the real clock.
	at := now
	if time.Now().After(at) {
		at = time.Now()
	}
	current := cal.PeriodAt(kpiengine.PeriodQuarter, at)
	next := current.Next()
	label := func(p kpiengine.Period) kpiengine.PeriodRequest {
		l := p.Label()
		return kpiengine.PeriodRequest{Label: &l}
	}
	svc := workflow.NewService(kpiengine.Engine{DB: client, Dialect: dialect})

	repCtx, rep, err := as(repEmail)
	if err != nil {
		return 0, err
	}
	mgrCtx, _, err := as("manager@demo.kpiflow.test")
	if err != nil {
		return 0, err
	}
	regionCtx, _, err := as("region.manager@demo.kpiflow.test")
	if err != nil {
		return 0, err
	}
	// East's other reps, in a stable order.
	peers, err := client.User.Query().Where(user.TeamID(*rep.TeamID), user.IDNEQ(rep.ID), user.RoleEQ(user.RoleRep)).
		Order(ent.Asc(user.FieldEmail)).All(sys)
	if err != nil || len(peers) < 3 {
		return 0, fmt.Errorf("demo targets: East needs three more reps: %v", err)
	}
	east, err := client.Team.Query().Where(team.OrganizationID(org.ID), team.Name("East")).Only(sys)
	if err != nil {
		return 0, err
	}

	// Reviews are decided by the team's manager; the region's by its own.
	deciders := map[pulid.ID]context.Context{east.ID: mgrCtx}
	for _, email := range []string{"central.manager@demo.kpiflow.test", "west.manager@demo.kpiflow.test"} {
		c, u, err := as(email)
		if err != nil {
			return 0, err
		}
		managed, err := u.QueryManagedTeams().IDs(sys)
		if err != nil {
			return 0, err
		}
		for _, id := range managed {
			deciders[id] = c
		}
	}
	deciders[""] = regionCtx

	n := 0
	step := func(ctx context.Context, t *ent.Target, a workflow.Action, d workflow.Decision) (*ent.Target, error) {
		d.ExpectedVersion = t.Version
		return svc.Act(ctx, client, t.ID, a, d)
	}
	propose := func(ctx context.Context, key string, userID, teamID *pulid.ID, p kpiengine.Period, value, why string) (*ent.Target, error) {
		id, err := kpiID(key)
		if err != nil {
			return nil, err
		}
		n++
		return svc.Propose(ctx, client, workflow.NewTarget{KPI: id, User: userID, Team: teamID, Period: label(p), Value: value, Rationale: why})
	}
	str := func(s string) *string { return &s }

	// The documented rep: an approved quarter target, adjusted once, and an
	// adjustment request waiting for the manager.
	t, err := propose(repCtx, "DEALS_CLOSED", &rep.ID, nil, current, "6", "my pipeline has six late-stage deals")
	if err == nil {
		t, err = step(mgrCtx, t, workflow.Approve, workflow.Decision{Comment: "agreed"})
	}
	if err == nil {
		t, err = step(repCtx, t, workflow.RequestAdjustment, workflow.Decision{Value: str("5"), Reason: str("TEAM_CHANGE"),
			Comment: "two of my accounts moved to Central"})
	}
	if err == nil {
		t, err = step(mgrCtx, t, workflow.ApproveAdjustment, workflow.Decision{Comment: "fair"})
	}
	if err == nil {
		_, err = step(repCtx, t, workflow.RequestAdjustment, workflow.Decision{Value: str("4"), Reason: str("MARKET_CHANGE"),
			Comment: "the holiday freeze hit two deals"})
	}
	// Waiting for the manager: a proposal.
	if err == nil {
		_, err = propose(actAs(peers[0]), "REVENUE_WON", &peers[0].ID, nil, current, "180000.00", "two renewals and one new logo")
	}
	// Sent back for changes.
	if err == nil {
		t, err = propose(actAs(peers[1]), "WIN_RATE", &peers[1].ID, nil, current, "70", "")
		if err == nil {
			_, err = step(mgrCtx, t, workflow.RequestChanges, workflow.Decision{Comment: "70% is twice your best quarter: let us talk"})
		}
	}
	// Rejected, then a new draft for next quarter.
	if err == nil {
		t, err = propose(actAs(peers[2]), "MEETINGS_HELD", &peers[2].ID, nil, current, "5", "")
		if err == nil {
			_, err = step(mgrCtx, t, workflow.Reject, workflow.Decision{Comment: "five meetings a quarter is below what the role needs"})
		}
	}
	if err == nil {
		id, kerr := kpiID("MEETINGS_HELD")
		err = kerr
		if err == nil {
			n++
			_, err = svc.CreateDraft(actAs(peers[2]), client, workflow.NewTarget{KPI: id, User: &peers[2].ID, Period: label(next),
				Value: "45", Rationale: "a meeting a day, most days"})
		}
	}
	// Withdrawn by its proposer.
	if err == nil {
		t, err = propose(repCtx, "SALES_CYCLE_LENGTH", &rep.ID, nil, next, "30", "")
		if err == nil {
			_, err = step(repCtx, t, workflow.Withdraw, workflow.Decision{Comment: "too early to say"})
		}
	}
	// The team's target, decided a level up; and next quarter's market.
	if err == nil {
		t, err = propose(mgrCtx, "REVENUE_WON", nil, &east.ID, current, "900000.00", "the sum of the reps' plans, plus a margin")
		if err == nil {
			_, err = step(regionCtx, t, workflow.ApproveWithChanges, workflow.Decision{Value: str("950000.00"),
				Comment: "the region needs East at 950k"})
		}
	}
	if err == nil {
		_, err = svc.SetMarketFactor(mgrCtx, client, east.ID, label(next), 1.1, "the new product line ships")
	}
	// Last quarter, replayed on last quarter's clock: proposed, approved,
	// and closed when the quarter ended, its result frozen.
	if err == nil {
		last := current.Prev()
		then := workflow.NewServiceAt(svc.Engine, func() time.Time { return last.Start.Add(7 * 24 * time.Hour) })
		var id pulid.ID
		if id, err = kpiID("REVENUE_WON"); err == nil {
			n++
			t, err = then.Propose(repCtx, client, workflow.NewTarget{KPI: id, User: &rep.ID, Period: label(last),
				Value: "150000.00", Rationale: "as in the quarter before"})
		}
		if err == nil {
			t, err = then.Act(mgrCtx, client, t.ID, workflow.Approve, workflow.Decision{ExpectedVersion: t.Version})
		}
		// Its monthly reviews, decided and completed on their day (the
		// second follows kpiflow's suggestion, if it has one).
		for i, day := range []time.Time{last.Start.AddDate(0, 1, 3), last.Start.AddDate(0, 2, 3)} {
			if err == nil {
				err = reviewAll(ctx, client, svc.Engine, org.ID, day, i == 1, false, deciders)
			}
		}
		if err == nil {
			_, err = svc.ClosePeriods(ctx, client, org.ID)
		}
	}
	// Next quarter, planned top-down and bottom-up.
	if err == nil {
		pl := &planner{client: client, svc: svc, as: as, actAs: actAs, org: org.ID, next: next, label: label, n: &n}
		err = pl.seedPlan(ctx)
	}
	// This quarter's reviews: the latest of each team open, those before
	// it completed.
	if err == nil {
		err = reviewAll(ctx, client, svc.Engine, org.ID, at, false, true, deciders)
	}
	if err != nil {
		return 0, fmt.Errorf("demo targets: %w", err)
	}
	return n, nil
}

// reviewAll opens the review cycles due at the instant, on its clock, and
// decides and completes the open ones (all but each team's latest when
// keepLatest), each by its team's manager (deciders[""] for the others):
// KEEP, or when follow is set the suggested value where kpiflow suggests
// one.
func reviewAll(ctx context.Context, client *ent.Client, engine kpiengine.Engine, org pulid.ID, at time.Time,
	follow, keepLatest bool, deciders map[pulid.ID]context.Context) error {
	svc := workflow.NewServiceAt(engine, func() time.Time { return at })
	sys := viewer.System(ctx)
	if _, err := svc.OpenReviews(sys, client, org, at); err != nil {
		return err
	}
	cycles, err := client.ReviewCycle.Query().Where(reviewcycle.OrganizationID(org), reviewcycle.StatusEQ(reviewcycle.StatusOPEN)).
		Order(ent.Desc(reviewcycle.FieldPoint)).All(sys)
	if err != nil {
		return err
	}
	latest := map[pulid.ID]bool{}
	for _, c := range cycles {
		if keepLatest && !latest[c.TeamID] {
			latest[c.TeamID] = true
			continue
		}
		as, ok := deciders[c.TeamID]
		if !ok {
			as = deciders[""]
		}
		items, err := client.ReviewItem.Query().Where(reviewitem.CycleID(c.ID)).WithTarget().All(sys)
		if err != nil {
			return err
		}
		for _, it := range items {
			adjust := follow && it.SuggestedValue != nil
			d := workflow.Decision{}
			if adjust {
				k, err := client.KPI.Get(sys, it.Edges.Target.KpiID)
				if err != nil {
					return err
				}
				currency, err := client.Organization.Query().Where(organization.ID(org)).Select(organization.FieldCurrency).String(sys)
				if err != nil {
					return err
				}
				v := workflow.FormatValue(*it.SuggestedValue, k.Unit, currency)
				reason := "PERFORMANCE"
				d = workflow.Decision{Value: &v, Reason: &reason, Comment: "at the review: " + it.SuggestionReason}
			}
			if _, err := svc.DecideReviewItem(as, client, it.ID, adjust, d); err != nil {
				return fmt.Errorf("deciding a review item of %s: %w", it.Edges.Target.ID, err)
			}
		}
		if _, err := svc.CompleteReview(as, client, c.ID); err != nil {
			return err
		}
	}
	return nil
}
