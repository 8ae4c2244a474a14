package workflow

import (
	"context"
	"fmt"
	"math"
	"time"

	"kpiflow/ent"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/enum"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/settings"
	"kpiflow/viewer"
)

// CadencePoint returns the latest point of a review cadence at or before
// at, and the point after it, in the organization's calendar: Mondays for
// WEEKLY, Mondays of even ISO weeks for BIWEEKLY, the first of the month
// for MONTHLY, the first day of the fiscal quarter for QUARTERLY.
func CadencePoint(cal kpi.Calendar, cadence enum.ReviewCadence, at time.Time) (point, next time.Time) {
	local := at.In(cal.Location)
	switch cadence {
	case enum.CadenceWeekly, enum.CadenceBiweekly:
		days := (int(local.Weekday()) + 6) % 7 // days since Monday
		point = time.Date(local.Year(), local.Month(), local.Day()-days, 0, 0, 0, 0, cal.Location)
		step := 7
		if cadence == enum.CadenceBiweekly {
			step = 14
			if _, week := point.ISOWeek(); week%2 == 1 {
				point = time.Date(point.Year(), point.Month(), point.Day()-7, 0, 0, 0, 0, cal.Location)
			}
		}
		return point, time.Date(point.Year(), point.Month(), point.Day()+step, 0, 0, 0, 0, cal.Location)
	case enum.CadenceQuarterly:
		p := cal.PeriodAt(kpi.PeriodQuarter, at)
		return p.Start, p.End
	}
	p := cal.PeriodAt(kpi.PeriodMonth, at)
	return p.Start, p.End
}

// maxCatchUp bounds how many missed cadence points one tick opens.
const maxCatchUp = 12

// OpenReviews opens, for every team of the organization, the review cycle
// of each cadence point since its last cycle up to at (only the latest
// point for a team that never had one). Each cycle opens in a transaction
// of its own, and the unique (team, point) index makes it exactly-once:
// when several replicas tick at once, one opens it and the others find it
// taken. It returns how many cycles this call opened.
func (s *Service) OpenReviews(ctx context.Context, client *ent.Client, orgID pulid.ID, at time.Time) (int, error) {
	sys := viewer.System(ctx)
	org, err := client.Organization.Get(sys, orgID)
	if err != nil {
		return 0, err
	}
	cal, err := kpi.NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	if err != nil {
		return 0, err
	}
	st := settings.Of(org.Settings)
	teams, err := client.Team.Query().Where(team.OrganizationID(orgID)).All(sys)
	if err != nil {
		return 0, err
	}
	opened := 0
	for _, t := range teams {
		latest, _ := CadencePoint(cal, t.ReviewCadence, at)
		points := []time.Time{latest}
		last, err := client.ReviewCycle.Query().Where(reviewcycle.TeamID(t.ID)).
			Order(ent.Desc(reviewcycle.FieldPoint)).First(sys)
		if err != nil && !ent.IsNotFound(err) {
			return opened, err
		}
		if last != nil {
			points = points[:0]
			for p := latest; p.After(last.Point) && len(points) < maxCatchUp; {
				points = append([]time.Time{p}, points...)
				p, _ = CadencePoint(cal, t.ReviewCadence, p.Add(-time.Nanosecond))
			}
		}
		for _, p := range points {
			ok, err := s.openCycle(sys, client, cal, st, t, p)
			if err != nil {
				return opened, err
			}
			if ok {
				opened++
			}
		}
	}
	return opened, nil
}

// openCycle opens one cycle with its items, or reports false when another
// opener was first.
func (s *Service) openCycle(ctx context.Context, client *ent.Client, cal kpi.Calendar, st settings.Settings, t *ent.Team, point time.Time) (bool, error) {
	if ent.TxFromContext(ctx) != nil {
		// Within the caller's transaction (the demo's, which nothing
		// races): the cycle commits with the rest.
		return true, s.fillCycle(ctx, client, cal, st, t, point)
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return false, err
	}
	err = s.fillCycle(ent.NewTxContext(ctx, tx), tx.Client(), cal, st, t, point)
	if ent.IsConstraintError(err) {
		return false, tx.Rollback() // opened by another replica
	}
	if err != nil {
		return false, rollback(tx, err)
	}
	return true, tx.Commit()
}

// fillCycle opens a cycle with its items through client.
func (s *Service) fillCycle(ctx context.Context, client *ent.Client, cal kpi.Calendar, st settings.Settings, t *ent.Team, point time.Time) error {
	_, due := CadencePoint(cal, t.ReviewCadence, point)
	c, err := client.ReviewCycle.Create().
		SetOrganizationID(t.OrganizationID).SetTeamID(t.ID).
		SetCadence(enum.ReviewCadence(t.ReviewCadence)).SetPoint(point).SetDueAt(due).
		Save(ctx)
	if err != nil {
		return err
	}
	return s.reviewItems(ctx, client, st, c, point)
}

// reviewItems gives a cycle an item per APPROVED target whose period runs
// at the point and whose decider is a manager of the cycle's team: the
// targets of the team's members, and the team targets of its sub-teams
// (a team's target is decided above it, so it is reviewed in its parent's
// cycle; a root team's own target, decided by an ADMIN, in its own).
func (s *Service) reviewItems(ctx context.Context, client *ent.Client, st settings.Settings, c *ent.ReviewCycle, point time.Time) error {
	targets, err := client.Target.Query().Where(
		target.StatusEQ(enum.StatusApproved),
		target.PeriodStartLTE(point), target.PeriodEndGT(point),
		target.Or(
			target.HasUserWith(user.TeamID(c.TeamID)),
			target.HasTeamWith(team.ParentID(c.TeamID)),
			target.And(target.TeamID(c.TeamID), target.HasTeamWith(team.ParentIDIsNil())),
		),
	).All(ctx)
	if err != nil {
		return err
	}
	for _, tg := range targets {
		if err := s.reviewItem(ctx, client, st, c, tg, point); err != nil {
			return err
		}
	}
	return nil
}

// reviewItem records where a target stands at the cadence point and what
// kpiflow suggests.
func (s *Service) reviewItem(ctx context.Context, client *ent.Client, st settings.Settings, c *ent.ReviewCycle, t *ent.Target, point time.Time) error {
	k, err := client.KPI.Get(ctx, t.KpiID)
	if err != nil {
		return err
	}
	// The actual to date: the period so far, up to the point.
	soFar := *t
	soFar.PeriodEnd = point
	v, err := s.Actual(ctx, client, &soFar, k)
	if err != nil {
		return err
	}
	p := kpi.Period{Start: t.PeriodStart, End: t.PeriodEnd}
	elapsed := p.ElapsedFraction(point)
	additive := k.Definition.Additive()
	lower := k.Direction == definition.LowerIsBetter
	actual := v.Number(k.Unit)
	_, pace, track := kpi.Grade(actual, &t.Value, lower, additive, elapsed, st.Pace)
	expected := t.Value
	var projection *float64
	if actual != nil {
		pr := *actual
		if additive {
			expected = t.Value * elapsed
			if elapsed > 0 {
				pr = *actual / elapsed
			}
		}
		projection = &pr
	}
	action, value, reason := suggest(t.Value, projection, lower, elapsed, st.Review)
	ci := client.ReviewItem.Create().
		SetOrganizationID(t.OrganizationID).SetCycleID(c.ID).SetTargetID(t.ID).
		SetNillableActualToDate(actual).SetExpectedToDate(expected).SetNillablePace(pace).
		SetNillableProjection(projection).SetNillableTrack(gradeOf(track)).
		SetSuggestedAction(action).SetNillableSuggestedValue(value).SetSuggestionReason(reason).
		SetTargetValue(t.Value)
	return ci.Exec(ctx)
}

// suggest proposes what to do with a target given its projection: RAISE
// when it is headed more than the organization's change (20%) beyond,
// LOWER when more than that short (mirrored when lower is better), else
// KEEP; KEEP whatever the projection before its minElapsed (25%) of the
// period has gone.
func suggest(value float64, projection *float64, lower bool, elapsed float64, th settings.Review) (reviewitem.SuggestedAction, *float64, string) {
	gone := fmt.Sprintf("%.0f%% of the period gone", elapsed*100)
	if projection == nil || value == 0 {
		return reviewitem.SuggestedActionKEEP, nil, "no record yet to project from, with " + gone
	}
	ratio := *projection / value
	if lower {
		ratio = value / math.Max(*projection, 1e-9)
	}
	text := fmt.Sprintf("projected %.0f%% of the target with %s", ratio*100, gone)
	switch {
	case elapsed < th.MinElapsed:
		return reviewitem.SuggestedActionKEEP, nil, text + ": too early to change it"
	case ratio > 1+th.Change:
		v := math.Round(*projection)
		return reviewitem.SuggestedActionRAISE, &v, text
	case ratio < 1-th.Change:
		v := math.Round(*projection)
		return reviewitem.SuggestedActionLOWER, &v, text
	}
	return reviewitem.SuggestedActionKEEP, nil, text
}

// DecideReviewItem records a manager's decision on an item: KEEP, or ADJUST
// the target to a new value with a reason code and comment, which becomes
// a revision and an event of the target through Act. An item is decided
// once: the decision is written first by an update guarded by "not decided
// yet", so that of concurrent decisions exactly one changes the row (the
// others wait for its transaction on PostgreSQL, and SQLite has one writer)
// and only that one adjusts the target; a decided item refuses another
// decision with INVALID_TRANSITION. A manager who wants another value
// later adjusts the target itself, an audited action of its own.
func (s *Service) DecideReviewItem(ctx context.Context, client *ent.Client, itemID pulid.ID, adjust bool, d Decision) (*ent.ReviewItem, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	it, err := client.ReviewItem.Query().Where(reviewitem.ID(itemID)).WithCycle().Only(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.mayReview(ctx, it.Edges.Cycle); err != nil {
		return nil, err
	}
	if it.Edges.Cycle.Status == reviewcycle.StatusCOMPLETED {
		return nil, errcode.New(errcode.InvalidTransition, "the review is completed")
	}
	if it.Decision != nil {
		return nil, decidedAlready(*it.Decision)
	}
	decision := enum.DecisionKeep
	if adjust {
		decision = enum.DecisionAdjust
	}
	decided, err := client.ReviewItem.UpdateOneID(it.ID).Where(reviewitem.DecisionIsNil()).
		SetDecision(decision).SetDecidedByID(v.UserID).Save(viewer.System(ctx))
	if ent.IsNotFound(err) {
		// Another decision committed since the item was read.
		return nil, decidedAlready("")
	}
	if err != nil {
		return nil, err
	}
	if adjust {
		t, err := client.Target.Get(viewer.System(ctx), it.TargetID)
		if err != nil {
			return nil, err
		}
		d.ExpectedVersion = t.Version
		adjusted, err := s.Act(ctx, client, t.ID, Adjust, d)
		if err != nil {
			return nil, err
		}
		// The decision keeps what it decided, whatever the target's value
		// becomes later.
		u := client.ReviewItem.UpdateOneID(it.ID).SetDecisionValue(adjusted.Value)
		if d.Reason != nil {
			u.SetDecisionReason(enum.ReasonCode(*d.Reason))
		}
		if d.Comment != "" {
			u.SetDecisionComment(d.Comment)
		}
		return u.Save(viewer.System(ctx))
	}
	if d.Comment != "" {
		return client.ReviewItem.UpdateOneID(it.ID).SetDecisionComment(d.Comment).Save(viewer.System(ctx))
	}
	return decided, nil
}

func decidedAlready(d enum.ReviewDecision) error {
	if d == "" {
		return errcode.New(errcode.InvalidTransition, "the item is decided already")
	}
	return errcode.New(errcode.InvalidTransition, "the item is decided already (%s); adjust the target itself to change its value", d)
}

// CompleteReview completes a cycle whose items are all decided.
func (s *Service) CompleteReview(ctx context.Context, client *ent.Client, cycleID pulid.ID) (*ent.ReviewCycle, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	c, err := client.ReviewCycle.Get(ctx, cycleID)
	if err != nil {
		return nil, err
	}
	if err := s.mayReview(ctx, c); err != nil {
		return nil, err
	}
	if c.Status == reviewcycle.StatusCOMPLETED {
		return nil, errcode.New(errcode.InvalidTransition, "the review is completed already")
	}
	undecided, err := client.ReviewItem.Query().Where(reviewitem.CycleID(c.ID), reviewitem.DecisionIsNil()).Count(viewer.System(ctx))
	if err != nil {
		return nil, err
	}
	if undecided > 0 {
		return nil, errcode.New(errcode.InvalidTransition, "%d items of the review are not decided yet", undecided)
	}
	return client.ReviewCycle.UpdateOneID(c.ID).SetStatus(reviewcycle.StatusCOMPLETED).
		SetCompletedAt(s.now()).SetCompletedByID(v.UserID).Save(viewer.System(ctx))
}

// mayReview allows a team's review to its managers (and those above) and
// to ADMINs.
func (s *Service) mayReview(ctx context.Context, c *ent.ReviewCycle) error {
	v := viewer.FromContext(ctx)
	if v.IsAdmin() {
		return nil
	}
	sc, err := v.Scope(ctx)
	if err != nil {
		return err
	}
	if sc.Manages(c.TeamID) {
		return nil
	}
	return errcode.New(errcode.Forbidden, "reviews are decided by the team's managers")
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return fmt.Errorf("%w (and the rollback: %v)", err, rerr)
	}
	return err
}

// gradeOf is a review item's track: none when the target could not be
// graded.
func gradeOf(s kpi.Status) *kpi.Status {
	if s == "" {
		return nil
	}
	return &s
}
