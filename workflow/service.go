package workflow

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/marketfactor"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/targetevent"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/enum"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/money"
	"kpiflow/settings"
	"kpiflow/viewer"
	"kpiflow/workflow/realism"
)

// transitions counts the workflow's transitions, at /metrics.
var transitions = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "kpiflow_target_transitions_total",
	Help: "Target workflow transitions, by action.",
}, []string{"action"})

// Service carries out the target workflow: it decides who may take which
// action on which target (with the state machine of machine.go), keeps
// the version lock, and writes each transition with its event, and its
// revision when the value changes. It is the only code that changes a
// target's status or value; it writes with the system's rights after
// making its own checks.
//
// The thresholds it applies (realism bands, comparable periods, ramp
// schedule, grace, review suggestions) are the settings of the target's
// organization, read with the organization's row.
type Service struct {
	Engine kpi.Engine
	now    func() time.Time
}

// NewService returns the workflow over the KPI engine.
func NewService(e kpi.Engine) *Service {
	return &Service{Engine: e, now: time.Now}
}

// NewTarget describes a target to draft.
type NewTarget struct {
	KPI        pulid.ID
	User, Team *pulid.ID
	Period     kpi.PeriodRequest
	// Value is a decimal in the KPI's unit: a whole count, an amount of the
	// organization's currency, days, or a percentage.
	Value     string
	Rationale string
}

// Decision is what an action needs beyond the target: the version the
// actor saw, and a value, comment and reason where the action takes them.
type Decision struct {
	ExpectedVersion int
	Value           *string
	Comment         string
	Reason          *string
	Rationale       *string
}

// target kinds of scope.
func scopeKey(userID, teamID *pulid.ID) string {
	if userID != nil {
		return "user:" + string(*userID)
	}
	return "team:" + string(*teamID)
}

// CreateDraft drafts a target for a scope the viewer may propose for.
func (s *Service) CreateDraft(ctx context.Context, client *ent.Client, n NewTarget) (*ent.Target, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	if (n.User == nil) == (n.Team == nil) {
		return nil, errcode.BadInput("scope", "give exactly one of userID and teamID")
	}
	k, err := client.KPI.Get(ctx, n.KPI)
	if err != nil {
		return nil, err
	}
	if !k.Enabled {
		return nil, errcode.BadInput("kpiID", "the KPI is disabled")
	}
	org, cal, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, err
	}
	p, err := kpi.ResolvePeriod(cal, n.Period, "period", s.now())
	if err != nil {
		return nil, err
	}
	if !p.End.After(s.now()) {
		return nil, errcode.BadInput("period", "%s is over: targets are for the current or a future period", p.Label())
	}
	if err := s.mayPropose(ctx, client, n.User, n.Team); err != nil {
		return nil, err
	}
	value, err := parseValue(n.Value, k.Unit, org.Currency)
	if err != nil {
		return nil, err
	}
	key := scopeKey(n.User, n.Team)
	sys := viewer.System(ctx)
	open, err := client.Target.Query().Where(target.KpiID(k.ID), target.ScopeKey(key),
		target.PeriodKindEQ(enum.PeriodKind(p.Kind)), target.PeriodYear(p.Year), target.PeriodIndex(p.Index),
		target.StatusIn(enum.StatusDraft, enum.StatusProposed, enum.StatusChangesRequested, enum.StatusApproved)).
		Exist(sys)
	if err != nil {
		return nil, err
	}
	if open {
		return nil, errcode.New(errcode.Conflict, "%s already has an open %s target for %s", scopeName(n.User, n.Team), k.Key, p.Label())
	}
	c := client.Target.Create().
		SetOrganizationID(v.OrgID).SetKpiID(k.ID).SetScopeKey(key).
		SetPeriodKind(enum.PeriodKind(p.Kind)).SetPeriodYear(p.Year).SetPeriodIndex(p.Index).
		SetPeriodStart(p.Start).SetPeriodEnd(p.End).
		SetValue(value).SetProposerID(v.UserID).SetRationale(n.Rationale)
	if n.User != nil {
		c.SetUserID(*n.User)
	} else {
		c.SetTeamID(*n.Team)
	}
	t, err := c.Save(sys)
	if ent.IsConstraintError(err) {
		return nil, errcode.New(errcode.Conflict, "%s already has an open %s target for %s", scopeName(n.User, n.Team), k.Key, p.Label())
	}
	if err != nil {
		return nil, err
	}
	if err := s.record(sys, client, t, v.UserID, enum.ActionCreateDraft, Draft, Draft, nil, &value, "", nil); err != nil {
		return nil, err
	}
	if err := s.revise(sys, client, t, v.UserID, enum.ActionCreateDraft, value, n.Rationale, nil); err != nil {
		return nil, err
	}
	return t, nil
}

func scopeName(userID, teamID *pulid.ID) string {
	if userID != nil {
		return "the user"
	}
	return "the team"
}

// mayPropose checks that the viewer may propose for the scope: a user for
// themself, a manager for the members of the teams they manage and for
// those teams, an ADMIN for anyone.
func (s *Service) mayPropose(ctx context.Context, client *ent.Client, userID, teamID *pulid.ID) error {
	v := viewer.FromContext(ctx)
	sc, err := v.Scope(ctx)
	if err != nil {
		return err
	}
	if userID != nil {
		u, err := client.User.Get(ctx, *userID) // NOT_FOUND when out of sight
		if err != nil {
			return err
		}
		if u.ID == v.UserID || v.IsAdmin() || (v.Role == user.RoleManager && u.TeamID != nil && sc.Manages(*u.TeamID)) {
			return nil
		}
		return errcode.New(errcode.Forbidden, "you propose targets for yourself, and for the members of the teams you manage")
	}
	if _, err := client.Team.Get(ctx, *teamID); err != nil {
		return err
	}
	if v.IsAdmin() || (v.Role == user.RoleManager && sc.Manages(*teamID)) {
		return nil
	}
	return errcode.New(errcode.Forbidden, "team targets are proposed by the team's managers")
}

// roles returns the parts the viewer plays for the target.
func (s *Service) roles(ctx context.Context, client *ent.Client, t *ent.Target, a Action) (map[Role]bool, error) {
	v := viewer.FromContext(ctx)
	roles := map[Role]bool{}
	if t.ProposerID == v.UserID || (a == RequestAdjustment && t.UserID != nil && *t.UserID == v.UserID) {
		roles[Proposer] = true
	}
	if v.IsAdmin() {
		roles[Approver] = true
		return roles, nil
	}
	if v.Role != user.RoleManager {
		return roles, nil
	}
	sc, err := v.Scope(ctx)
	if err != nil {
		return nil, err
	}
	sys := viewer.System(ctx)
	switch {
	case t.UserID != nil:
		u, err := client.User.Get(sys, *t.UserID)
		if err != nil {
			return nil, err
		}
		roles[Approver] = u.TeamID != nil && sc.Manages(*u.TeamID)
	case t.TeamID != nil:
		// A team's target is decided above the team: by a manager of its
		// parent team (or an ADMIN).
		tm, err := client.Team.Get(sys, *t.TeamID)
		if err != nil {
			return nil, err
		}
		roles[Approver] = tm.ParentID != nil && sc.Manages(*tm.ParentID)
	}
	return roles, nil
}

// Act takes an action on a target: checks the version, the state machine
// and the actor's roles, the comment, reason and value the action needs;
// then writes the new state, the event and, for a new value, a revision.
// client must be the request's transaction, so that all of it commits or
// none does.
func (s *Service) Act(ctx context.Context, client *ent.Client, id pulid.ID, a Action, d Decision) (*ent.Target, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	t, err := client.Target.Get(ctx, id) // NOT_FOUND when out of sight
	if err != nil {
		return nil, err
	}
	if t.Version != d.ExpectedVersion {
		return nil, errcode.New(errcode.Conflict, "the target changed (version %d, you saw %d): reload it", t.Version, d.ExpectedVersion)
	}
	from := State(t.Status)
	// Whether the action is possible now comes before who may take it.
	if _, ok := RuleFor(from, a); !ok {
		return nil, stepError(&TransitionError{From: from, Action: a})
	}
	if (a == ApproveAdjustment || a == RejectAdjustment) && t.PendingValue == nil {
		return nil, errcode.New(errcode.InvalidTransition, "no adjustment is waiting on this target")
	}
	if a == RequestAdjustment && t.PendingValue != nil {
		return nil, errcode.New(errcode.InvalidTransition, "an adjustment is already waiting on this target")
	}
	roles, err := s.roles(ctx, client, t, a)
	if err != nil {
		return nil, err
	}
	to, rule, err := Step(from, a, roles)
	if err != nil {
		return nil, stepError(err)
	}
	comment := strings.TrimSpace(d.Comment)
	if rule.NeedsComment && comment == "" {
		return nil, errcode.BadInput("comment", "%s needs a comment that says why", a)
	}
	var reason *enum.ReasonCode
	if rule.NeedsReason {
		if d.Reason == nil {
			return nil, errcode.BadInput("reasonCode", "%s needs a reason code", a)
		}
		r := enum.ReasonCode(*d.Reason)
		if target.PendingReasonValidator(r) != nil {
			return nil, errcode.BadInput("reasonCode", "unknown reason code %q", *d.Reason)
		}
		reason = &r
	}
	var value *float64
	if rule.SetsValue {
		if d.Value == nil {
			return nil, errcode.BadInput("value", "%s needs a value", a)
		}
		k, err := client.KPI.Get(viewer.System(ctx), t.KpiID)
		if err != nil {
			return nil, err
		}
		org, _, err := kpi.Organization(ctx, client)
		if err != nil {
			return nil, err
		}
		val, err := parseValue(*d.Value, k.Unit, org.Currency)
		if err != nil {
			return nil, err
		}
		value = &val
	}

	sys := viewer.System(ctx)
	u := client.Target.Update().
		Where(target.ID(t.ID), target.Version(t.Version)).
		SetStatus(enum.TargetStatus(to)).
		AddVersion(1)
	old := t.Value
	newValue := (*float64)(nil)
	switch a {
	case UpdateDraft, Revise, ApproveWithChanges, Adjust:
		u.SetValue(*value)
		newValue = value
	case RequestAdjustment:
		u.SetPendingValue(*value).SetPendingReason(*reason).SetPendingComment(comment)
	case ApproveAdjustment:
		u.SetValue(*t.PendingValue).ClearPendingValue().ClearPendingReason().ClearPendingComment()
		newValue = t.PendingValue
		reason = t.PendingReason
	case RejectAdjustment:
		u.ClearPendingValue().ClearPendingReason().ClearPendingComment()
	}
	if d.Rationale != nil {
		u.SetRationale(*d.Rationale)
	}
	if to == Approved && from != Approved {
		u.SetApproverID(v.UserID)
	}
	if a == Submit || a == Revise {
		cur := t.Value
		if value != nil {
			cur = *value
		}
		as, err := s.assess(ctx, client, t, cur)
		if err != nil {
			return nil, err
		}
		u.SetAssessment(as)
	}
	n, err := u.Save(sys)
	if err != nil {
		return nil, err
	}
	if n == 0 { // another transition won the race since the target was read
		return nil, errcode.New(errcode.Conflict, "the target changed: reload it")
	}
	var reasonCode *string
	if reason != nil {
		r := string(*reason)
		reasonCode = &r
	}
	t, err = client.Target.Get(sys, t.ID)
	if err != nil {
		return nil, err
	}
	eventValue := newValue
	if a == RequestAdjustment {
		eventValue = value
	}
	if err := s.record(sys, client, t, v.UserID, a, from, to, &old, eventValue, comment, reasonCode); err != nil {
		return nil, err
	}
	if newValue != nil {
		if err := s.revise(sys, client, t, v.UserID, a, *newValue, comment, reasonCode); err != nil {
			return nil, err
		}
	}
	transitions.WithLabelValues(string(a)).Inc()
	return t, nil
}

func stepError(err error) error {
	switch e := err.(type) {
	case *TransitionError:
		return errcode.New(errcode.InvalidTransition, "%s", e.Error())
	case *RoleError:
		return errcode.New(errcode.Forbidden, "%s", e.Error())
	}
	return err
}

// record appends the event of a transition.
func (s *Service) record(ctx context.Context, client *ent.Client, t *ent.Target, actor pulid.ID, action Action,
	from, to State, old, new *float64, comment string, reason *string) error {
	c := client.TargetEvent.Create().
		SetOrganizationID(t.OrganizationID).SetTargetID(t.ID).SetActorID(actor).SetAction(action).
		SetFromStatus(eventStatus(from)).SetToStatus(enum.TargetStatus(to)).
		SetNillableOldValue(old).SetNillableNewValue(new).SetComment(comment).SetVersion(t.Version)
	if reason != nil {
		c.SetReasonCode(eventReason(*reason))
	}
	return c.Exec(ctx)
}

// revise appends a revision: a value the target had from now on.
func (s *Service) revise(ctx context.Context, client *ent.Client, t *ent.Target, author pulid.ID, action Action,
	value float64, comment string, reason *string) error {
	c := client.TargetRevision.Create().
		SetOrganizationID(t.OrganizationID).SetTargetID(t.ID).SetAuthorID(author).
		SetValue(value).SetAction(action).SetComment(comment)
	if reason != nil {
		c.SetReasonCode(revisionReason(*reason))
	}
	return c.Exec(ctx)
}

// Propose drafts a target and submits it.
func (s *Service) Propose(ctx context.Context, client *ent.Client, n NewTarget) (*ent.Target, error) {
	t, err := s.CreateDraft(ctx, client, n)
	if err != nil {
		return nil, err
	}
	return s.Act(ctx, client, t.ID, Submit, Decision{ExpectedVersion: t.Version})
}

// parseValue reads a target value given as a decimal in the KPI's unit.
func parseValue(s string, unit definition.Unit, currency string) (float64, error) {
	d, err := money.ParseDecimal(strings.TrimSpace(s))
	if err != nil {
		return 0, errcode.BadInput("value", "%v", err)
	}
	if strings.HasPrefix(string(d), "-") {
		return 0, errcode.BadInput("value", "must not be negative")
	}
	switch unit {
	case definition.Money:
		minor, err := money.ToMinor(d, currency)
		if err != nil {
			return 0, errcode.BadInput("value", "%v", err)
		}
		return float64(minor), nil
	case definition.Count:
		whole, frac, _ := strings.Cut(string(d), ".")
		if strings.Trim(frac, "0") != "" {
			return 0, errcode.BadInput("value", "a count is a whole number")
		}
		n, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || n > 1<<53 {
			return 0, errcode.BadInput("value", "is too large")
		}
		return float64(n), nil
	}
	f, err := strconv.ParseFloat(string(d), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, errcode.BadInput("value", "is not a number")
	}
	if unit == definition.Percent && f > 100 {
		return 0, errcode.BadInput("value", "a percentage is at most 100")
	}
	return f, nil
}

// FormatValue writes a stored value back as the decimal the API speaks.
func FormatValue(v float64, unit definition.Unit, currency string) string {
	switch unit {
	case definition.Money:
		d, err := money.FromMinorFloat(v, currency)
		if err == nil {
			return string(d)
		}
	case definition.Count:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// SetMarketFactor records a manager's expectation of the market for a team
// in a period (1.10: the market should give 10% more).
func (s *Service) SetMarketFactor(ctx context.Context, client *ent.Client, teamID pulid.ID, pr kpi.PeriodRequest,
	factor float64, comment string) (*ent.MarketFactor, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	if _, err := client.Team.Get(ctx, teamID); err != nil {
		return nil, err
	}
	sc, err := v.Scope(ctx)
	if err != nil {
		return nil, err
	}
	if !v.IsAdmin() && !(v.Role == user.RoleManager && sc.Manages(teamID)) {
		return nil, errcode.New(errcode.Forbidden, "market factors are set by the team's managers")
	}
	if factor < 0.1 || factor > 10 || math.IsNaN(factor) {
		return nil, errcode.BadInput("factor", "must be between 0.1 and 10 (1.10: the market gives 10%% more)")
	}
	_, cal, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, err
	}
	p, err := kpi.ResolvePeriod(cal, pr, "period", s.now())
	if err != nil {
		return nil, err
	}
	sys := viewer.System(ctx)
	id, err := client.MarketFactor.Create().
		SetOrganizationID(v.OrgID).SetTeamID(teamID).
		SetPeriodKind(enum.PeriodKind(p.Kind)).SetPeriodYear(p.Year).SetPeriodIndex(p.Index).
		SetFactor(factor).SetComment(comment).SetSetByID(v.UserID).
		OnConflictColumns(marketfactor.FieldTeamID, marketfactor.FieldPeriodKind, marketfactor.FieldPeriodYear, marketfactor.FieldPeriodIndex).
		UpdateFactor().UpdateComment().UpdateSetByID().UpdateUpdatedAt().
		ID(sys)
	if err != nil {
		return nil, err
	}
	return client.MarketFactor.Get(sys, id)
}

// marketFactor returns the factor for a team in a period: the team's own,
// else its nearest ancestor's, else 1.
func (s *Service) marketFactor(ctx context.Context, client *ent.Client, teamID *pulid.ID, p kpi.Period) (float64, error) {
	sys := viewer.System(ctx)
	for depth := 0; teamID != nil && depth < 16; depth++ {
		f, err := client.MarketFactor.Query().Where(marketfactor.TeamID(*teamID),
			marketfactor.PeriodKindEQ(enum.PeriodKind(p.Kind)), marketfactor.PeriodYear(p.Year), marketfactor.PeriodIndex(p.Index)).
			Only(sys)
		if err == nil {
			return f.Factor, nil
		}
		if !ent.IsNotFound(err) {
			return 0, err
		}
		t, err := client.Team.Query().Where(team.ID(*teamID)).Only(sys)
		if err != nil {
			return 0, err
		}
		teamID = t.ParentID
	}
	return 1, nil
}

// Suggest returns the realism check of a scope's KPI for a period without a
// proposal: its Expected is the suggested value.
func (s *Service) Suggest(ctx context.Context, client *ent.Client, kpiID pulid.ID, userID, teamID *pulid.ID, pr kpi.PeriodRequest) (*ent.KPI, kpi.Period, realism.Assessment, error) {
	var zero realism.Assessment
	if (userID == nil) == (teamID == nil) {
		return nil, kpi.Period{}, zero, errcode.BadInput("scope", "give exactly one of userID and teamID")
	}
	if err := s.mayPropose(ctx, client, userID, teamID); err != nil {
		return nil, kpi.Period{}, zero, err
	}
	k, err := client.KPI.Get(ctx, kpiID)
	if err != nil {
		return nil, kpi.Period{}, zero, err
	}
	_, cal, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, kpi.Period{}, zero, err
	}
	p, err := kpi.ResolvePeriod(cal, pr, "period", s.now())
	if err != nil {
		return nil, p, zero, err
	}
	t := &ent.Target{KpiID: k.ID, UserID: userID, TeamID: teamID, OrganizationID: k.OrganizationID,
		PeriodKind: enum.PeriodKind(p.Kind), PeriodYear: p.Year, PeriodIndex: p.Index, PeriodStart: p.Start, PeriodEnd: p.End}
	a, err := s.assess(ctx, client, t, 0)
	if err != nil {
		return nil, p, zero, err
	}
	a.Takes = nil // of a value proposed, not of a suggestion
	if a.Expected != nil && a.Band != realism.InsufficientHistory {
		a.Proposed = *a.Expected
		a.Band = realism.Realistic
		one := 1.0
		a.Ratio = &one
	}
	return k, p, *a, nil
}

// Preview returns the realism check that submitting value for the scope's
// KPI in the period would store with the target, without writing
// anything: for a proposal form to show the band as the value is typed.
// It takes what drafting takes (a KPI that is enabled, a current or future
// period, a value valid for the KPI's unit, a viewer who may propose for
// the scope) and refuses the same way. It returns the target previewed
// too, unsaved (no ID): what the coherence of the value is checked with.
func (s *Service) Preview(ctx context.Context, client *ent.Client, k *ent.KPI, userID, teamID *pulid.ID, pr kpi.PeriodRequest, value string) (*realism.Assessment, *ent.Target, error) {
	if (userID == nil) == (teamID == nil) {
		return nil, nil, errcode.BadInput("scope", "give exactly one of userID and teamID")
	}
	if !k.Enabled {
		return nil, nil, errcode.BadInput("kpi", "the KPI is disabled")
	}
	org, cal, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, nil, err
	}
	p, err := kpi.ResolvePeriod(cal, pr, "period", s.now())
	if err != nil {
		return nil, nil, err
	}
	if !p.End.After(s.now()) {
		return nil, nil, errcode.BadInput("period", "%s is over: targets are for the current or a future period", p.Label())
	}
	if err := s.mayPropose(ctx, client, userID, teamID); err != nil {
		return nil, nil, err
	}
	v, err := parseValue(value, k.Unit, org.Currency)
	if err != nil {
		return nil, nil, err
	}
	t := &ent.Target{KpiID: k.ID, UserID: userID, TeamID: teamID, OrganizationID: k.OrganizationID,
		ScopeKey: scopeKey(userID, teamID), Status: enum.StatusDraft, Value: v,
		PeriodKind: p.Kind, PeriodYear: p.Year, PeriodIndex: p.Index, PeriodStart: p.Start, PeriodEnd: p.End}
	a, err := s.assessWith(ctx, client, t, v, k, org, cal)
	if err != nil {
		return nil, nil, err
	}
	return a, t, nil
}

// assess makes the realism check of a value for the target's scope.
func (s *Service) assess(ctx context.Context, client *ent.Client, t *ent.Target, proposed float64) (*realism.Assessment, error) {
	sys := viewer.System(ctx)
	k, err := client.KPI.Query().Where(entkpi.ID(t.KpiID)).Only(sys)
	if err != nil {
		return nil, err
	}
	org, cal, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, err
	}
	return s.assessWith(ctx, client, t, proposed, k, org, cal)
}

// assessWith is assess with the target's KPI and organization at hand.
func (s *Service) assessWith(ctx context.Context, client *ent.Client, t *ent.Target, proposed float64,
	k *ent.KPI, org *ent.Organization, cal kpi.Calendar) (*realism.Assessment, error) {
	sys := viewer.System(ctx)
	st := settings.Of(org.Settings)
	p, err := cal.Period(kpi.PeriodKind(t.PeriodKind), t.PeriodYear, t.PeriodIndex)
	if err != nil {
		return nil, err
	}
	// The last comparable periods, oldest first: completed ones only, so
	// that a target for next quarter is not weighed against the few weeks
	// of a quarter still running (which, newest, would weigh most).
	periods := comparablePeriods(p, st.Realism.Periods, s.now())
	scope := kpi.Scope{Org: t.OrganizationID}
	var teamID *pulid.ID
	var member *ent.User
	if t.UserID != nil {
		scope.Owner = *t.UserID
		member, err = client.User.Get(sys, *t.UserID)
		if err != nil {
			return nil, err
		}
		teamID = member.TeamID
	} else {
		teamID = t.TeamID
		scope.Teams, err = kpi.Subtree(ctx, client, *t.TeamID)
		if err != nil {
			return nil, err
		}
	}
	ks := kpi.EngineKPIs([]*ent.KPI{k})
	values, err := s.Engine.Compute(sys, scope, ks, periods)
	if err != nil {
		return nil, err
	}
	history := make([]realism.Evidence, len(periods))
	for i, pp := range periods {
		history[i] = realism.Evidence{Period: pp.Label(), Start: pp.Start.UTC(), End: pp.End.UTC(),
			Value: values[k.Key][i].Number(k.Unit)}
		// A rep's periods before their hire are not their history.
		if member != nil && !pp.End.After(member.HiredAt) {
			history[i].Value = nil
		}
	}
	baseline, evidence := realism.Baseline(history)
	var ramp *realism.Ramp
	defined := 0
	for _, e := range evidence {
		if e.Value != nil {
			defined++
		}
	}
	if member != nil && member.TeamID != nil && defined < 2 {
		ramp, err = s.rampBaseline(ctx, client, member, k, st, p, periods)
		if err != nil {
			return nil, err
		}
		if ramp.Baseline != nil || baseline == nil {
			baseline = ramp.Baseline
		} else {
			ramp = nil // no fully ramped peer with data: the rep's own period is all there is
		}
	}
	factor, err := s.marketFactor(ctx, client, teamID, p)
	if err != nil {
		return nil, err
	}
	// The market factor moves only the KPIs the market acts on.
	applies, teamFactor := kpi.MarketFactorApplies(k), factor
	if !applies {
		factor = 1
	}
	a := realism.Assess(proposed, k.Direction == definition.LowerIsBetter, baseline, evidence, ramp, factor, st.Realism)
	a.TeamMarketFactor, a.MarketFactorApplies = teamFactor, applies
	if startsTakes(k) {
		reqs, err := s.takes(ctx, client, k, scope, theirPeriods(member, periods), proposed, nil)
		if err != nil {
			return nil, err
		}
		a.Takes = Stored(reqs)
	}
	return &a, nil
}

// rampBaseline borrows a baseline for a rep with too little history of
// their own: the median of the baselines of the team's fully ramped reps
// (those whose tenure is past the organization's ramp schedule), each
// over the same comparable periods as the rep's, counting only the
// periods they worked fully ramped; times the schedule's share for the
// rep's month of tenure at the period's start, for the KPIs a smaller
// volume scales (counts and sums). Without a fully ramped peer with data
// the ramp has no baseline: there is nothing to compare.
func (s *Service) rampBaseline(ctx context.Context, client *ent.Client, member *ent.User, k *ent.KPI,
	st settings.Settings, p kpi.Period, periods []kpi.Period) (*realism.Ramp, error) {
	sys := viewer.System(ctx)
	tenure := monthsBetween(member.HiredAt, p.Start)
	if tenure < 0 {
		tenure = 0
	}
	share, _ := st.RampShare(tenure)
	ramp := &realism.Ramp{KPI: string(k.ID), TenureMonths: tenure, Share: share, Scaled: k.Definition.Additive(),
		RampedMonths: st.RampMonths()}
	peers, err := client.User.Query().Where(user.TeamID(*member.TeamID), user.IDNEQ(member.ID), user.RoleEQ(user.RoleRep)).All(sys)
	if err != nil {
		return nil, err
	}
	ramped := map[pulid.ID]time.Time{} // when each peer became fully ramped
	for _, peer := range peers {
		from := peer.HiredAt.AddDate(0, st.RampMonths(), 0)
		if len(periods) > 0 && from.Before(periods[len(periods)-1].End) {
			ramped[peer.ID] = from
		}
	}
	if len(ramped) == 0 {
		return ramp, nil
	}
	ks := kpi.EngineKPIs([]*ent.KPI{k})
	byOwner, err := s.Engine.ComputeByOwner(sys, kpi.Scope{Org: member.OrganizationID, Teams: []pulid.ID{*member.TeamID}}, ks, periods)
	if err != nil {
		return nil, err
	}
	var vals []float64
	for _, peer := range peers {
		from, ok := ramped[peer.ID]
		if !ok {
			continue
		}
		v := byOwner[peer.ID]
		if v == nil {
			v = kpi.Empty(ks, periods)
		}
		history := make([]realism.Evidence, len(periods))
		for i, pp := range periods {
			history[i] = realism.Evidence{Period: pp.Label()}
			if !pp.Start.Before(from) { // worked fully ramped
				history[i].Value = v[k.Key][i].Number(k.Unit)
			}
		}
		if b, _ := realism.Baseline(history); b != nil {
			vals = append(vals, *b)
		}
	}
	ramp.Peers = len(vals)
	ramp.RampedMedian = realism.Median(vals)
	if ramp.RampedMedian != nil {
		b := *ramp.RampedMedian
		if ramp.Scaled {
			b *= share
		}
		ramp.Baseline = &b
	}
	return ramp, nil
}

func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// The event and revision tables have enum types of their own for the same
// values.
func eventStatus(s State) enum.TargetStatus { return enum.TargetStatus(s) }

func eventReason(r string) enum.ReasonCode { return enum.ReasonCode(r) }

func revisionReason(r string) enum.ReasonCode { return enum.ReasonCode(r) }

// AllowedActions lists the actions the viewer may take on the target now.
func (s *Service) AllowedActions(ctx context.Context, client *ent.Client, t *ent.Target) ([]Action, error) {
	var out []Action
	for _, a := range Allowed(State(t.Status)) {
		if a == Close || a == Adjust {
			continue // kpiflow's own, and the reviews'
		}
		if (a == ApproveAdjustment || a == RejectAdjustment) && t.PendingValue == nil {
			continue
		}
		if a == RequestAdjustment && t.PendingValue != nil {
			continue
		}
		roles, err := s.roles(ctx, client, t, a)
		if err != nil {
			return nil, err
		}
		if _, _, err := Step(State(t.Status), a, roles); err == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// Actual returns the KPI's value for the target's scope in its period.
func (s *Service) Actual(ctx context.Context, client *ent.Client, t *ent.Target, k *ent.KPI) (kpi.Value, error) {
	sys := viewer.System(ctx)
	p := kpi.Period{Kind: kpi.PeriodKind(t.PeriodKind), Year: t.PeriodYear, Index: t.PeriodIndex, Start: t.PeriodStart, End: t.PeriodEnd}
	scope := kpi.Scope{Org: t.OrganizationID}
	if t.UserID != nil {
		scope.Owner = *t.UserID
	} else {
		teams, err := kpi.Subtree(ctx, client, *t.TeamID)
		if err != nil {
			return kpi.Value{}, err
		}
		scope.Teams = teams
	}
	ks := kpi.EngineKPIs([]*ent.KPI{k})
	v, err := s.Engine.Compute(sys, scope, ks, []kpi.Period{p})
	if err != nil {
		return kpi.Value{}, err
	}
	return v[k.Key][0], nil
}

// Actuals computes the actuals of many targets (kpis holds their KPIs by
// ID): those of users' targets in one statement per record source for all
// of them, whatever their KPIs and periods; a team's target in its own.
// Targets whose period closed keep their frozen actual, which is not
// computed here.
func (s *Service) Actuals(ctx context.Context, client *ent.Client, targets []*ent.Target, kpis map[pulid.ID]*ent.KPI) (map[pulid.ID]kpi.Value, error) {
	out := make(map[pulid.ID]kpi.Value, len(targets))
	type batch struct {
		owners  []pulid.ID
		kpis    []*ent.KPI
		periods []kpi.Period
		seen    map[any]bool // owners, KPIs and periods already listed
	}
	type span struct{ start, end time.Time }
	byOrg := map[pulid.ID]*batch{}
	var orgs []pulid.ID
	periodOf := func(t *ent.Target) kpi.Period {
		return kpi.Period{Kind: kpi.PeriodKind(t.PeriodKind), Year: t.PeriodYear, Index: t.PeriodIndex, Start: t.PeriodStart, End: t.PeriodEnd}
	}
	for _, t := range targets {
		k := kpis[t.KpiID]
		if k == nil || t.FinalActual != nil {
			continue
		}
		if t.UserID == nil {
			v, err := s.Actual(ctx, client, t, k)
			if err != nil {
				return nil, err
			}
			out[t.ID] = v
			continue
		}
		b := byOrg[t.OrganizationID]
		if b == nil {
			b = &batch{seen: map[any]bool{}}
			byOrg[t.OrganizationID] = b
			orgs = append(orgs, t.OrganizationID)
		}
		if owner := "owner:" + *t.UserID; !b.seen[owner] {
			b.seen[owner] = true
			b.owners = append(b.owners, *t.UserID)
		}
		if id := "kpi:" + k.ID; !b.seen[id] {
			b.seen[id] = true
			b.kpis = append(b.kpis, k)
		}
		p := periodOf(t)
		if key := (span{p.Start.UTC(), p.End.UTC()}); !b.seen[key] {
			b.seen[key] = true
			b.periods = append(b.periods, p)
		}
	}
	sys := viewer.System(ctx)
	for _, org := range orgs {
		b := byOrg[org]
		ks := kpi.EngineKPIs(b.kpis)
		values, err := s.Engine.ComputeByOwner(sys, kpi.Scope{Org: org, Owners: b.owners}, ks, b.periods)
		if err != nil {
			return nil, err
		}
		empty := kpi.Empty(ks, b.periods)
		for _, t := range targets {
			k := kpis[t.KpiID]
			if t.OrganizationID != org || t.UserID == nil || k == nil || t.FinalActual != nil {
				continue
			}
			v := values[*t.UserID]
			if v == nil {
				v = empty
			}
			p := periodOf(t)
			for i, q := range b.periods {
				if q.Start.Equal(p.Start) && q.End.Equal(p.End) {
					out[t.ID] = v[k.Key][i]
				}
			}
		}
	}
	return out, nil
}

// Attainment is actual against target, or target against actual when
// lower is better; nil when either is missing or zero.
func Attainment(actual, target *float64, lowerIsBetter bool) *float64 {
	if actual == nil || target == nil {
		return nil
	}
	num, den := *actual, *target
	if lowerIsBetter {
		num, den = den, num
	}
	if den == 0 {
		return nil
	}
	a := num / den
	return &a
}

// AdjustmentNews is how long an adjustment of a rep's target stays in
// their inbox.
const AdjustmentNews = 14 * 24 * time.Hour

// InboxReason says why something waits for the viewer.
type InboxReason string

// The reasons.
const (
	DecideProposal   InboxReason = "DECIDE_PROPOSAL"
	DecideAdjustment InboxReason = "DECIDE_ADJUSTMENT"
	ReviseProposal   InboxReason = "REVISE_PROPOSAL"
	ReviewOpen       InboxReason = "REVIEW_OPEN"
	ReviewOverdue    InboxReason = "REVIEW_OVERDUE"
	AdjustmentMade   InboxReason = "ADJUSTMENT_MADE"
	// SubmitAllocatedDraft: a draft allocated to the viewer from their
	// team's target waits for them to submit it.
	SubmitAllocatedDraft InboxReason = "SUBMIT_ALLOCATED_DRAFT"
	// TeamTargetUncovered: an approved target of a team the viewer manages
	// is not covered by the team's reps' approved targets.
	TeamTargetUncovered InboxReason = "TEAM_TARGET_UNCOVERED"
)

// InboxItem is a target or a review waiting for the viewer.
type InboxItem struct {
	Reason InboxReason
	Target *ent.Target
	Cycle  *ent.ReviewCycle
	// Comment is, for ReviseProposal, the comment the proposal was sent
	// back with.
	Comment *string
	// Key orders the inbox: items compare as their keys do, and a key
	// names an item's place even once the item is gone (a page's cursor).
	Key string
}

// Subject is the target or review an item is about.
func (it InboxItem) Subject() pulid.ID {
	if it.Cycle != nil {
		return it.Cycle.ID
	}
	return it.Target.ID
}

// inboxKey is the order of the inbox: the kind of item (targets to decide
// or revise, reviews, adjustments made), the time that orders items of the
// kind, the reason and the subject's ID.
func inboxKey(group int, at time.Time, reason InboxReason, id pulid.ID) string {
	return fmt.Sprintf("%d|%s|%s|%s", group, at.UTC().Format("20060102T150405.000000000"), reason, id)
}

// ValidInboxKey reports whether s is an inbox item's key.
func ValidInboxKey(s string) bool {
	parts := strings.Split(s, "|")
	if len(parts) != 4 || len(parts[0]) != 1 || parts[0] < "1" || parts[0] > "3" {
		return false
	}
	if _, err := time.Parse("20060102T150405.000000000", parts[1]); err != nil {
		return false
	}
	return parts[2] != "" && pulid.ID(parts[3]).Valid()
}

// Inbox returns what waits for the viewer, in the order of their keys:
// proposals and adjustment requests they may decide and their proposals
// sent back for changes (oldest first), the open reviews of the teams they
// may review (REVIEW_OPEN until due, then REVIEW_OVERDUE; earliest due
// first), and their own targets adjusted lately.
func (s *Service) Inbox(ctx context.Context, client *ent.Client) ([]InboxItem, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	// The candidates are the targets the viewer sees that wait for someone;
	// which of them wait for the viewer is the workflow's own rule.
	candidates, err := client.Target.Query().Where(target.Or(
		target.StatusEQ(enum.StatusProposed),
		target.And(target.StatusEQ(enum.StatusApproved), target.PendingValueNotNil()),
		target.And(target.StatusEQ(enum.StatusChangesRequested), target.ProposerID(v.UserID)),
	)).Order(ent.Asc(target.FieldUpdatedAt), ent.Asc(target.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var items []InboxItem
	var revise []pulid.ID
	for _, t := range candidates {
		var reason InboxReason
		var action Action
		switch {
		case t.Status == enum.StatusChangesRequested:
			reason, action = ReviseProposal, Revise
		case t.Status == enum.StatusProposed:
			reason, action = DecideProposal, Approve
		default:
			reason, action = DecideAdjustment, ApproveAdjustment
		}
		roles, err := s.roles(ctx, client, t, action)
		if err != nil {
			return nil, err
		}
		if _, _, err := Step(State(t.Status), action, roles); err == nil {
			items = append(items, InboxItem{Reason: reason, Target: t, Key: inboxKey(1, t.UpdatedAt, reason, t.ID)})
			if reason == ReviseProposal {
				revise = append(revise, t.ID)
			}
		}
	}
	if len(revise) > 0 {
		// The comments the proposals were sent back with: each one's latest
		// REQUEST_CHANGES event, all in one statement.
		evs, err := client.TargetEvent.Query().Where(targetevent.TargetIDIn(revise...),
			targetevent.ActionEQ(RequestChanges)).
			Order(ent.Asc(targetevent.FieldCreatedAt), ent.Asc(targetevent.FieldID)).All(ctx)
		if err != nil {
			return nil, err
		}
		comments := map[pulid.ID]string{}
		for _, e := range evs {
			comments[e.TargetID] = e.Comment
		}
		for i := range items {
			if c, ok := comments[items[i].Target.ID]; ok && items[i].Reason == ReviseProposal {
				items[i].Comment = &c
			}
		}
	}
	// Open reviews of the teams the viewer may review: to complete from
	// the moment they open (DESIGN.md §6), overdue once past due.
	now := s.now()
	cycles, err := client.ReviewCycle.Query().Where(reviewcycle.StatusEQ(reviewcycle.StatusOPEN)).
		Order(ent.Asc(reviewcycle.FieldDueAt), ent.Asc(reviewcycle.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cycles {
		if s.mayReview(ctx, c) != nil {
			continue
		}
		reason := ReviewOpen
		if c.DueAt.Before(now) {
			reason = ReviewOverdue
		}
		items = append(items, InboxItem{Reason: reason, Cycle: c, Key: inboxKey(2, c.DueAt, ReviewOpen, c.ID)})
	}
	// The viewer's own targets adjusted lately, by a review or on request.
	adjusted, err := client.Target.Query().Where(target.UserID(v.UserID), target.HasEventsWith(
		targetevent.ActionIn(Adjust, ApproveAdjustment),
		targetevent.CreatedAtGT(now.Add(-AdjustmentNews)),
	)).Order(ent.Asc(target.FieldUpdatedAt), ent.Asc(target.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range adjusted {
		items = append(items, InboxItem{Reason: AdjustmentMade, Target: t, Key: inboxKey(3, t.UpdatedAt, AdjustmentMade, t.ID)})
	}
	planning, err := s.planningItems(ctx, client)
	if err != nil {
		return nil, err
	}
	items = append(items, planning...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	return items, nil
}

// ClosePeriods closes every APPROVED target of the organization whose
// period ended at least the organization's grace before now (the
// closeGraceHours setting: time for late records, deals closed on the
// last day and entered the next morning): its final actual and attainment
// are frozen, and later edits to deals no longer change its result. It
// returns how many it closed. Each target closes with its event, in
// client's transaction, at most once: the version lock makes a second
// closer (another replica) find nothing left to close.
func (s *Service) ClosePeriods(ctx context.Context, client *ent.Client, org pulid.ID) (int, error) {
	sys := viewer.System(ctx)
	o, err := client.Organization.Get(sys, org)
	if err != nil {
		return 0, err
	}
	grace := settings.Of(o.Settings).Grace()
	due, err := client.Target.Query().Where(target.OrganizationID(org), target.StatusEQ(enum.StatusApproved),
		target.PeriodEndLTE(s.now().Add(-grace))).All(sys)
	if err != nil {
		return 0, err
	}
	closed := 0
	for _, t := range due {
		k, err := client.KPI.Get(sys, t.KpiID)
		if err != nil {
			return closed, err
		}
		v, err := s.Actual(sys, client, t, k)
		if err != nil {
			return closed, err
		}
		actual := v.Number(k.Unit)
		u := client.Target.Update().Where(target.ID(t.ID), target.Version(t.Version)).
			SetStatus(enum.StatusClosed).AddVersion(1).SetNillableFinalActual(actual).
			SetNillableFinalAttainment(Attainment(actual, &t.Value, k.Direction == definition.LowerIsBetter))
		n, err := u.Save(sys)
		if err != nil {
			return closed, err
		}
		if n == 0 {
			continue // closed meanwhile by another closer
		}
		t.Version++
		err = client.TargetEvent.Create().
			SetOrganizationID(t.OrganizationID).SetTargetID(t.ID).SetAction(Close).
			SetFromStatus(eventStatus(Approved)).SetToStatus(enum.TargetStatus(Closed)).
			SetNillableNewValue(actual).SetComment("the period ended").SetVersion(t.Version).
			Exec(sys)
		if err != nil {
			return closed, err
		}
		transitions.WithLabelValues(string(Close)).Inc()
		closed++
	}
	return closed, nil
}

// NewServiceAt returns the workflow with its own clock: for simulating
// history (the demo's past quarters) and for tests.
func NewServiceAt(e kpi.Engine, now func() time.Time) *Service {
	s := NewService(e)
	s.now = now
	return s
}
