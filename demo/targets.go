package demo

import (
	"context"
	"fmt"
	"time"

	"kpiflow/access"
	"kpiflow/ent"
	"kpiflow/ent/kpi"
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
		if err == nil {
			_, err = svc.ClosePeriods(ctx, client, org.ID, workflow.DefaultGrace)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("demo targets: %w", err)
	}
	return n, nil
}
