package kpi

import (
	"context"
	"errors"

	"entgo.io/ent/dialect"
	"fmt"
	"kpiflow/enum"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"kpiflow/access"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/meeting"
	"kpiflow/ent/organization"
	"kpiflow/ent/predicate"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/kpi/definition"
	"kpiflow/settings"
	"kpiflow/viewer"
)

// Service answers the questions clients ask of KPIs: scorecards, trends and
// team rollups, for the viewer of the request and within their reach.
type Service struct {
	Engine Engine
	now    func() time.Time
}

// NewService returns the service computing with the engine.
func NewService(e Engine) *Service { return &Service{Engine: e, now: time.Now} }

// NewServiceAt returns the service with its own clock, for tests.
func NewServiceAt(e Engine, now func() time.Time) *Service { return &Service{Engine: e, now: now} }

// ScopeRequest names a scope: exactly one of its fields.
type ScopeRequest struct {
	User, Team   *pulid.ID
	Organization bool
}

// PeriodRequest names a period: kind, year and index, or a label, or a
// kind alone for the current period of that kind; Offset then moves it by
// that many periods of its kind (-1: the one before).
type PeriodRequest struct {
	Kind        *PeriodKind
	Year, Index *int
	Label       *string
	Offset      *int
}

// MaxPeriodOffset bounds PeriodRequest.Offset either way: a century of
// months.
const MaxPeriodOffset = 1200

// Result is a KPI's value for a scope in a period, beside the scope's
// approved target when it has one.
type Result struct {
	KPI   *ent.KPI
	Value Value
	// Target is the approved (or closed) target's value, or nil.
	Target *float64
	// Frozen is set when the target is closed: Value and Attainment are
	// then the ones frozen when its period closed, and Live is the value
	// computed from the record as it is now (a deal may have been reopened
	// since).
	Frozen bool
	Live   *Value
	// Attainment is actual against target (target against actual when
	// lower is better); Pace compares the actual with the share of the
	// target due by now; Status grades the pace.
	Attainment, Pace *float64
	Status           Status
}

// Status grades a pace (DESIGN.md §4); package enum's KPIStatus.
type Status = enum.KPIStatus

// The statuses, and the paces that earn them.
const (
	OnTrack  = enum.OnTrack  // pace ≥ the organization's onTrack
	AtRisk   = enum.AtRisk   // pace ≥ its atRisk
	OffTrack = enum.OffTrack // below
)

// Grade returns the attainment, pace and status of an actual against a
// target, elapsed of the way through the period (0–1). Additive KPIs are
// paced against the share of the target due by now; averages and ratios
// against the target itself. th are the organization's pace thresholds
// (settings.Pace).
func Grade(actual, target *float64, lowerIsBetter, additive bool, elapsed float64, th settings.Pace) (attainment, pace *float64, status Status) {
	if target == nil {
		return nil, nil, ""
	}
	ratio := func(a, t float64) *float64 {
		num, den := a, t
		if lowerIsBetter {
			num, den = t, a
		}
		if den == 0 {
			return nil
		}
		r := num / den
		return &r
	}
	if actual == nil {
		return nil, nil, ""
	}
	attainment = ratio(*actual, *target)
	if additive {
		if elapsed <= 0 {
			return attainment, nil, ""
		}
		pace = ratio(*actual, *target*elapsed)
	} else {
		pace = attainment
	}
	switch {
	case pace == nil:
	case *pace >= th.OnTrack:
		status = OnTrack
	case *pace >= th.AtRisk:
		status = AtRisk
	default:
		status = OffTrack
	}
	return attainment, pace, status
}

// organization returns the viewer's organization and its calendar.
func (s *Service) organization(ctx context.Context, client *ent.Client) (*ent.Organization, Calendar, error) {
	return Organization(ctx, client)
}

// Organization returns the viewer's organization and its fiscal calendar.
func Organization(ctx context.Context, client *ent.Client) (*ent.Organization, Calendar, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, Calendar{}, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	// A query reads the organization the viewer was authenticated with, in
	// that request; a mutation reads it again in its transaction, which
	// may have changed it.
	org := v.Organization
	if org == nil || ent.TxFromContext(ctx) != nil {
		var err error
		if org, err = client.Organization.Query().Where(organization.ID(v.OrgID)).Only(ctx); err != nil {
			return nil, Calendar{}, err
		}
	}
	cal, err := NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	return org, cal, err
}

// PeriodAt returns the period of the viewer's calendar containing at.
func (s *Service) PeriodAt(ctx context.Context, client *ent.Client, kind PeriodKind, at *time.Time) (Period, error) {
	_, cal, err := s.organization(ctx, client)
	if err != nil {
		return Period{}, err
	}
	t := s.now()
	if at != nil {
		t = *at
	}
	return cal.PeriodAt(kind, t), nil
}

// Period resolves a request for a period in the organization's calendar,
// now.
func (s *Service) Period(ctx context.Context, client *ent.Client, pr PeriodRequest) (Period, error) {
	_, cal, err := s.organization(ctx, client)
	if err != nil {
		return Period{}, err
	}
	return ResolvePeriod(cal, pr, "period", s.now())
}

// ResolvePeriod resolves a request for a period in the calendar, now being
// the instant a kind alone names the current period at; field names the
// input in errors.
func ResolvePeriod(cal Calendar, r PeriodRequest, field string, now time.Time) (Period, error) {
	var (
		p   Period
		err error
	)
	if r.Offset != nil && (*r.Offset < -MaxPeriodOffset || *r.Offset > MaxPeriodOffset) {
		return p, errcode.BadInput(field+".offset", "offset %d is not -%d to %d", *r.Offset, MaxPeriodOffset, MaxPeriodOffset)
	}
	switch {
	case r.Label != nil && (r.Kind != nil || r.Year != nil || r.Index != nil):
		return p, errcode.BadInput(field, "give a label, or a kind, year and index, not both")
	case r.Label != nil:
		p, err = cal.ParseLabel(*r.Label)
	case r.Kind != nil && r.Year != nil:
		index := 1
		if r.Index != nil {
			index = *r.Index
		}
		p, err = cal.Period(*r.Kind, *r.Year, index)
	case r.Kind != nil && r.Index == nil:
		if !r.Kind.Valid() {
			return p, errcode.BadInput(field, "kind %q is not MONTH, QUARTER or YEAR", string(*r.Kind))
		}
		p = cal.PeriodAt(*r.Kind, now) // the current one
	case r.Kind != nil:
		return p, errcode.BadInput(field, "an index needs a year (or give a kind alone for the current period)")
	default:
		return p, errcode.BadInput(field, "give a label such as FY2027 Q1, a kind, year and index, or a kind alone for the current period")
	}
	if err == nil && r.Offset != nil && *r.Offset != 0 {
		p, err = cal.Shift(p, *r.Offset)
	}
	if err != nil {
		return p, errcode.BadInput(field, "%v", err)
	}
	return p, nil
}

// scope resolves a request into the rows it covers, once the viewer may
// read its values.
func (s *Service) scope(ctx context.Context, client *ent.Client, r ScopeRequest) (Scope, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return Scope{}, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	given := 0
	for _, b := range []bool{r.User != nil, r.Team != nil, r.Organization} {
		if b {
			given++
		}
	}
	if given != 1 {
		return Scope{}, errcode.BadInput("scope", "give exactly one of userID, teamID and organization: true")
	}
	sc := Scope{Org: v.OrgID}
	switch {
	case r.User != nil:
		if err := access.ValuesOfUser(ctx, client, *r.User); err != nil {
			return sc, err
		}
		sc.Owner = *r.User
	case r.Team != nil:
		if err := access.ValuesOfTeam(ctx, client, *r.Team); err != nil {
			return sc, err
		}
		teams, err := Subtree(ctx, client, *r.Team)
		if err != nil {
			return sc, err
		}
		sc.Teams = teams
	default:
		if err := access.ValuesOfOrganization(ctx); err != nil {
			return sc, err
		}
	}
	return sc, nil
}

// maxTreeDepth bounds a walk down the team tree (the schema allows 8).
const maxTreeDepth = 16

// Subtree returns the team and all its sub-teams. The caller has checked
// that the viewer may read the team's values; the walk reads with the
// system's rights, since values of a team include those of sub-teams the
// viewer may not see one by one.
func Subtree(ctx context.Context, client *ent.Client, root pulid.ID) ([]pulid.ID, error) {
	ctx = viewer.System(ctx)
	out := []pulid.ID{root}
	frontier := []pulid.ID{root}
	for depth := 0; len(frontier) > 0 && depth < maxTreeDepth; depth++ {
		next, err := client.Team.Query().Where(team.ParentIDIn(frontier...)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, next...)
		frontier = next
	}
	return out, nil
}

// EngineKPIs turns KPI rows into what the engine computes.
func EngineKPIs(ks []*ent.KPI) []KPI { return engineKPIs(ks) }

func engineKPIs(ks []*ent.KPI) []KPI {
	out := make([]KPI, len(ks))
	for i, k := range ks {
		out[i] = KPI{Key: k.Key, Unit: k.Unit, MinSample: k.MinSample, Definition: k.Definition}
	}
	return out
}

// Scorecard returns every enabled KPI of the scope in the period, in the
// organization's order.
func (s *Service) Scorecard(ctx context.Context, client *ent.Client, sr ScopeRequest, pr PeriodRequest) (Period, []Result, error) {
	c, err := s.Card(ctx, client, sr, pr)
	if err != nil {
		return Period{}, nil, err
	}
	return c.Period, c.Results, nil
}

// Card is a scope's scorecard in a period, with what its trends need: the
// scope as resolved (the viewer's right to it checked once), its targets'
// scope key and the organization's calendar.
type Card struct {
	Period  Period
	Results []Result
	scope   Scope
	key     string
	cal     Calendar
}

// Card computes a scorecard (Scorecard's figures), kept for its trends.
func (s *Service) Card(ctx context.Context, client *ent.Client, sr ScopeRequest, pr PeriodRequest) (*Card, error) {
	org, cal, err := s.organization(ctx, client)
	if err != nil {
		return nil, err
	}
	p, err := ResolvePeriod(cal, pr, "period", s.now())
	if err != nil {
		return nil, err
	}
	var (
		sc     Scope
		teamID pulid.ID
	)
	if sr.Team != nil && sr.User == nil && !sr.Organization {
		// A team's scope comes with its KPIs: whether the viewer may read
		// the team, and the team with its sub-teams, are columns of the
		// KPIs' statement.
		if viewer.FromContext(ctx) == nil {
			return nil, errcode.New(errcode.Unauthenticated, "sign in first")
		}
		sc, teamID = Scope{Org: org.ID}, *sr.Team
	} else if sc, err = s.scope(ctx, client, sr); err != nil {
		return nil, err
	}
	sc.Zone = cal.Location
	key := sr.targetKey()
	ks, targets, subtree, err := kpisWithTargets(ctx, client, key, p, teamID)
	if err != nil {
		return nil, err
	}
	if teamID != "" {
		sc.Teams = subtree
	}
	values, err := s.Engine.Compute(ctx, sc, engineKPIs(ks), []Period{p})
	if err != nil {
		return nil, err
	}
	elapsed, pace := p.ElapsedFraction(s.now()), settings.Of(org.Settings).Pace
	out := make([]Result, len(ks))
	for i, k := range ks {
		out[i] = graded(k, values[k.Key][0], targets[k.ID], elapsed, pace)
	}
	return &Card{Period: p, Results: out, scope: sc, key: key, cal: cal}, nil
}

// Columns that kpisWithTargets reads beside each KPI.
const (
	standingID, standingValue, standingStatus = "standing_id", "standing_value", "standing_status"
	standingActual, standingHasActual         = "standing_actual", "standing_has_actual"
	standingAttainment, standingHasAttainment = "standing_attainment", "standing_has_attainment"
	teamVisible, teamSubtree                  = "team_visible", "team_subtree"
)

// kpisWithTargets returns the enabled KPIs in the organization's order,
// each with the scope's approved (or closed) target in the period (key ""
// for none), in one statement; with a team, that statement also tells
// whether the viewer may read the team (NOT_FOUND otherwise, as for a
// missing team) and the team with all its sub-teams (a recursive walk down
// the tree, as Subtree's), which cost no statement of their own.
func kpisWithTargets(ctx context.Context, client *ent.Client, key string, p Period, teamID pulid.ID) (
	[]*ent.KPI, map[pulid.ID]*ent.Target, []pulid.ID, error) {
	var readable func(*sql.Selector)
	if teamID != "" {
		var err error
		if readable, err = access.Readable(ctx, "Team"); err != nil {
			return nil, nil, nil, err
		}
	}
	rows, err := client.KPI.Query().Where(entkpi.Enabled(true)).
		Order(ent.Asc(entkpi.FieldPosition), ent.Asc(entkpi.FieldKey)).
		Modify(func(sel *sql.Selector) {
			// Values that may be NULL are read beside a flag: a column of
			// NULLs has no type to scan it with.
			st := sql.Table(target.Table).As("standing")
			sel.LeftJoin(st).OnP(sql.And(
				sql.ColumnsEQ(st.C(target.FieldKpiID), sel.C(entkpi.FieldID)),
				sql.EQ(st.C(target.FieldScopeKey), key),
				sql.EQ(st.C(target.FieldPeriodKind), string(p.Kind)),
				sql.EQ(st.C(target.FieldPeriodYear), p.Year),
				sql.EQ(st.C(target.FieldPeriodIndex), p.Index),
				sql.In(st.C(target.FieldStatus), string(enum.StatusApproved), string(enum.StatusClosed)),
			))
			col := func(c string) string { return st.C(c) }
			sel.AppendSelectExprAs(sql.Expr("COALESCE("+col(target.FieldID)+", '')"), standingID)
			sel.AppendSelectExprAs(sql.Expr("COALESCE("+col(target.FieldValue)+", 0)"), standingValue)
			sel.AppendSelectExprAs(sql.Expr("COALESCE("+col(target.FieldStatus)+", '')"), standingStatus)
			sel.AppendSelectExprAs(sql.Expr("COALESCE("+col(target.FieldFinalActual)+", 0)"), standingActual)
			sel.AppendSelectExprAs(sql.Expr("CASE WHEN "+col(target.FieldFinalActual)+" IS NULL THEN 0 ELSE 1 END"), standingHasActual)
			sel.AppendSelectExprAs(sql.Expr("COALESCE("+col(target.FieldFinalAttainment)+", 0)"), standingAttainment)
			sel.AppendSelectExprAs(sql.Expr("CASE WHEN "+col(target.FieldFinalAttainment)+" IS NULL THEN 0 ELSE 1 END"), standingHasAttainment)
			if readable != nil {
				visible := sql.Dialect(sel.Dialect()).Select("COUNT(*)").From(sql.Table(team.Table))
				visible.Where(sql.EQ(visible.C(team.FieldID), string(teamID)))
				readable(visible)
				sel.AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
					b.WriteString("(").Join(visible).WriteString(")")
				}), teamVisible)
				agg := "group_concat(id, ',')"
				if sel.Dialect() == dialect.Postgres {
					agg = "string_agg(id, ',')"
				}
				sel.AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
					b.WriteString("(WITH RECURSIVE subtree(id) AS (SELECT id FROM teams WHERE id = ").Arg(string(teamID)).
						WriteString(" UNION SELECT t.id FROM teams t JOIN subtree ON t.parent_id = subtree.id) SELECT COALESCE(" + agg + ", '') FROM subtree)")
				}), teamSubtree)
			}
		}).All(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if readable != nil {
		visible := len(rows) > 0
		if len(rows) > 0 {
			n, err := rows[0].Value(teamVisible)
			if err != nil {
				return nil, nil, nil, err
			}
			c, err := asInt(n)
			if err != nil {
				return nil, nil, nil, err
			}
			visible = c > 0
		} else if _, err := client.Team.Get(ctx, teamID); err == nil {
			visible = true
		} else if !ent.IsNotFound(err) {
			return nil, nil, nil, err
		}
		if !visible {
			return nil, nil, nil, errcode.New(errcode.NotFound, "no such team")
		}
	}
	var ks []*ent.KPI
	seen := map[pulid.ID]bool{}
	targets := map[pulid.ID]*ent.Target{}
	for _, k := range rows {
		if !seen[k.ID] {
			seen[k.ID] = true
			ks = append(ks, k)
		}
		t, err := standingOf(k)
		if err != nil {
			return nil, nil, nil, err
		}
		if t != nil {
			targets[k.ID] = t
		}
	}
	var subtree []pulid.ID
	if teamID != "" {
		subtree = []pulid.ID{teamID}
		if len(rows) > 0 {
			v, err := rows[0].Value(teamSubtree)
			if err != nil {
				return nil, nil, nil, err
			}
			if list := asString(v); list != "" {
				subtree = nil
				for _, id := range strings.Split(list, ",") {
					subtree = append(subtree, pulid.ID(id))
				}
				sort.Slice(subtree, func(i, j int) bool { return subtree[i] < subtree[j] })
			}
		} else if subtree, err = Subtree(ctx, client, teamID); err != nil {
			return nil, nil, nil, err
		}
	}
	return ks, targets, subtree, nil
}

// standingOf reads the standing target kpisWithTargets joined to a KPI,
// or nil.
func standingOf(k *ent.KPI) (*ent.Target, error) {
	get := func(c string) any { v, _ := k.Value(c); return v }
	id := asString(get(standingID))
	if id == "" || id == "<nil>" {
		return nil, nil
	}
	t := &ent.Target{ID: pulid.ID(id), KpiID: k.ID, Status: enum.TargetStatus(asString(get(standingStatus)))}
	num := func(c string) (float64, error) {
		switch v := get(c).(type) {
		case float64:
			return v, nil
		case int64:
			return float64(v), nil
		case []byte:
			return strconv.ParseFloat(string(v), 64)
		case string:
			return strconv.ParseFloat(v, 64)
		}
		return 0, fmt.Errorf("kpi: %s read as %T", c, get(c))
	}
	var err error
	if t.Value, err = num(standingValue); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		has, val string
		to       **float64
	}{{standingHasActual, standingActual, &t.FinalActual}, {standingHasAttainment, standingAttainment, &t.FinalAttainment}} {
		has, err := asInt(get(f.has))
		if err != nil {
			return nil, err
		}
		if has == 1 {
			v, err := num(f.val)
			if err != nil {
				return nil, err
			}
			*f.to = &v
		}
	}
	return t, nil
}

// graded is a KPI's result beside its target (or none): a closed
// target's frozen actual and attainment, the live value beside them.
func graded(k *ent.KPI, live Value, t *ent.Target, elapsed float64, pace settings.Pace) Result {
	r := Result{KPI: k, Value: live}
	if t == nil {
		return r
	}
	v := t.Value
	r.Target = &v
	if t.Status == enum.StatusClosed && t.FinalActual != nil {
		r.Frozen, r.Live = true, &live
		r.Value = fromNumber(k.Unit, *t.FinalActual, live)
	}
	r.Attainment, r.Pace, r.Status = Grade(r.Value.Number(k.Unit), r.Target,
		k.Direction == definition.LowerIsBetter, k.Definition.Additive(), elapsed, pace)
	if r.Frozen && t.FinalAttainment != nil {
		a := *t.FinalAttainment
		r.Attainment = &a
	}
	return r
}

// fromNumber is a stored number (a frozen actual) in the KPI's unit as a
// Value, with the sample of the live one.
func fromNumber(unit definition.Unit, f float64, live Value) Value {
	v := Value{Defined: true, Float: f, Sample: live.Sample, LowConfidence: live.LowConfidence}
	if unit == definition.Count || unit == definition.Money {
		v.Float = 0
		if r := math.Round(f); r > -(1<<63) && r < 1<<63 {
			v.Int = int64(r)
		} else {
			v.Wide, _ = big.NewFloat(r).Int(nil)
		}
	}
	return v
}

// targetKey is the scope key of the scope's targets: "" for an
// organization, which has none.
func (r ScopeRequest) targetKey() string {
	switch {
	case r.User != nil:
		return UserScopeKey(*r.User)
	case r.Team != nil:
		return TeamScopeKey(*r.Team)
	}
	return ""
}

// UserScopeKey and TeamScopeKey are targets' scope keys.
func UserScopeKey(id pulid.ID) string { return "user:" + string(id) }

// TeamScopeKey is a team target's scope key.
func TeamScopeKey(id pulid.ID) string { return "team:" + string(id) }

// MaxTrendPeriods bounds a trend's length.
const MaxTrendPeriods = 120

// TrendPoint is a KPI's value in one period of a trend, beside the
// scope's approved (or closed) target in it, if any.
type TrendPoint struct {
	Period Period
	Value  Value
	Target *float64
}

// MaxCardTrendPeriods bounds the trend of a scorecard's results.
const MaxCardTrendPeriods = 36

// Trends returns every KPI of the card over the n periods of its kind up
// to and including its period, oldest first, by KPI: one computation for
// all the KPIs (the engine's statements, whatever their number) and one
// statement for the scope's targets, on the scope as the card resolved it.
func (s *Service) Trends(ctx context.Context, client *ent.Client, c *Card, n int) (map[pulid.ID][]TrendPoint, error) {
	if n < 1 || n > MaxCardTrendPeriods {
		return nil, errcode.BadInput("periods", "a scorecard's trend has 1 to %d periods, not %d", MaxCardTrendPeriods, n)
	}
	first, err := c.cal.Shift(c.Period, -(n - 1))
	if err != nil {
		return nil, errcode.BadInput("periods", "%v", err)
	}
	periods, err := c.cal.Range(c.Period.Kind, first, c.Period)
	if err != nil {
		return nil, errcode.BadInput("periods", "%v", err)
	}
	ks := make([]*ent.KPI, len(c.Results))
	for i, r := range c.Results {
		ks[i] = r.KPI
	}
	return s.trends(ctx, client, c.scope, c.key, ks, periods)
}

// trends computes the KPIs of a resolved scope in the periods, with the
// targets of the scope's key ("" for none).
func (s *Service) trends(ctx context.Context, client *ent.Client, sc Scope, key string, ks []*ent.KPI, periods []Period) (map[pulid.ID][]TrendPoint, error) {
	out := map[pulid.ID][]TrendPoint{}
	if len(ks) == 0 || len(periods) == 0 {
		return out, nil
	}
	values, err := s.Engine.Compute(ctx, sc, engineKPIs(ks), periods)
	if err != nil {
		return nil, err
	}
	targets, err := targetsOver(ctx, client, key, periods)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		points := make([]TrendPoint, len(periods))
		for i, p := range periods {
			points[i] = TrendPoint{Period: p, Value: values[k.Key][i]}
			if t := targets[periodKey{k.ID, p.Year, p.Index}]; t != nil {
				v := t.Value
				points[i].Target = &v
			}
		}
		out[k.ID] = points
	}
	return out, nil
}

type periodKey struct {
	kpi         pulid.ID
	year, index int
}

// targetsOver returns the approved (else closed) targets of a scope key in
// the periods (all of one kind, in order), by KPI and period: one
// statement, none for an empty key.
func targetsOver(ctx context.Context, client *ent.Client, key string, periods []Period) (map[periodKey]*ent.Target, error) {
	out := map[periodKey]*ent.Target{}
	if key == "" {
		return out, nil
	}
	first, last := periods[0], periods[len(periods)-1]
	ts, err := client.Target.Query().Where(target.ScopeKey(key), target.PeriodKindEQ(enum.PeriodKind(first.Kind)),
		target.PeriodStartGTE(first.Start), target.PeriodStartLT(last.End),
		target.StatusIn(enum.StatusApproved, enum.StatusClosed)).
		Order(ent.Asc(target.FieldID)).All(viewer.System(ctx))
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		k := periodKey{t.KpiID, t.PeriodYear, t.PeriodIndex}
		if prev := out[k]; prev == nil || prev.Status != enum.StatusApproved {
			out[k] = t
		}
	}
	return out, nil
}

// Trend returns a KPI of the scope in every period of kind from the one
// containing from's start to the one containing to's start.
func (s *Service) Trend(ctx context.Context, client *ent.Client, sr ScopeRequest, kpiID pulid.ID,
	from, to PeriodRequest, kind PeriodKind) (*ent.KPI, []TrendPoint, error) {
	_, cal, err := s.organization(ctx, client)
	if err != nil {
		return nil, nil, err
	}
	pf, err := ResolvePeriod(cal, from, "from", s.now())
	if err != nil {
		return nil, nil, err
	}
	pt, err := ResolvePeriod(cal, to, "to", s.now())
	if err != nil {
		return nil, nil, err
	}
	periods, err := cal.Range(kind, pf, pt)
	if err != nil {
		return nil, nil, errcode.BadInput("to", "%v", err)
	}
	if len(periods) > MaxTrendPeriods {
		return nil, nil, errcode.BadInput("to", "a trend has at most %d periods", MaxTrendPeriods)
	}
	sc, err := s.scope(ctx, client, sr)
	if err != nil {
		return nil, nil, err
	}
	sc.Zone = cal.Location
	k, err := client.KPI.Get(ctx, kpiID)
	if err != nil {
		return nil, nil, err
	}
	points, err := s.trends(ctx, client, sc, sr.targetKey(), []*ent.KPI{k}, periods)
	if err != nil {
		return nil, nil, err
	}
	return k, points[k.ID], nil
}

// MemberValue is a member's value in a rollup, beside their target.
type MemberValue struct {
	User *ent.User
	Result
}

// Rollup is a team's value of a KPI beside each member's: the team's own
// target beside the sum of its members' (DESIGN.md §4).
type Rollup struct {
	Team    *ent.Team
	KPI     *ent.KPI
	Period  Period
	Result  // the team's value against the team's own target
	Members []MemberValue
	// MembersTargetSum is the sum of the members' approved (or closed)
	// targets, for a KPI that adds up, when any member has one.
	MembersTargetSum *float64
}

// TeamRollup returns the team's value of the KPI in the period and each
// member's, ordered by name: two statements per source however many
// members there are. The members are those with records in the team (or a
// sub-team) in the period, people who have left it since included, and its
// current members (members of sub-teams included), who show empty values
// when they have no records: so the team's value of an additive KPI is the
// sum of its members'.
func (s *Service) TeamRollup(ctx context.Context, client *ent.Client, teamID, kpiID pulid.ID, pr PeriodRequest) (*Rollup, error) {
	org, cal, err := s.organization(ctx, client)
	if err != nil {
		return nil, err
	}
	p, err := ResolvePeriod(cal, pr, "period", s.now())
	if err != nil {
		return nil, err
	}
	if err := access.RollupOfTeam(ctx, client, teamID); err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	teams, err := Subtree(ctx, client, teamID)
	if err != nil {
		return nil, err
	}
	t, err := client.Team.Get(ctx, teamID)
	if err != nil {
		return nil, err
	}
	k, err := client.KPI.Get(ctx, kpiID)
	if err != nil {
		return nil, err
	}
	sc := Scope{Org: v.OrgID, Teams: teams, Zone: cal.Location}
	kpis := engineKPIs([]*ent.KPI{k})
	total, err := s.Engine.Compute(ctx, sc, kpis, []Period{p})
	if err != nil {
		return nil, err
	}
	byOwner, err := s.Engine.ComputeByOwner(ctx, sc, kpis, []Period{p})
	if err != nil {
		return nil, err
	}
	members, err := client.User.Query().Where(user.Or(user.TeamIDIn(teams...), recordsIn(teams, p))).
		Order(ent.Asc(user.FieldName), ent.Asc(user.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	keys := []string{TeamScopeKey(teamID)}
	for _, m := range members {
		keys = append(keys, UserScopeKey(m.ID))
	}
	targets, err := standingTargets(ctx, client, keys, p)
	if err != nil {
		return nil, err
	}
	elapsed, pace := p.ElapsedFraction(s.now()), settings.Of(org.Settings).Pace
	r := &Rollup{Team: t, KPI: k, Period: p, Result: graded(k, total[k.Key][0], targets[keys[0]][k.ID], elapsed, pace)}
	empty := Empty(kpis, []Period{p})
	for _, m := range members {
		vals, ok := byOwner[m.ID]
		if !ok {
			vals = empty
		}
		res := graded(k, vals[k.Key][0], targets[UserScopeKey(m.ID)][k.ID], elapsed, pace)
		r.Members = append(r.Members, MemberValue{User: m, Result: res})
		if res.Target != nil && k.Definition.Additive() {
			sum := *res.Target
			if r.MembersTargetSum != nil {
				sum += *r.MembersTargetSum
			}
			r.MembersTargetSum = &sum
		}
	}
	sort.SliceStable(r.Members, func(i, j int) bool {
		return strings.ToLower(r.Members[i].User.Name) < strings.ToLower(r.Members[j].User.Name)
	})
	return r, nil
}

// NewKPI describes a custom KPI.
type NewKPI struct {
	Key, Name, Description string
	Unit                   definition.Unit
	Direction              definition.Direction
	MinSample              int
	Definition             definition.Definition
	// MarketFactorApplies overrides MarketFactorApplies' default.
	MarketFactorApplies *bool
}

// MarketFactorApplies reports whether a team's market factor ("the market
// gives 10% more") scales the KPI's expected value: the KPI's own setting,
// else on for counts and money, which the market moves, and off for
// durations and percentages, which a bigger market does not lengthen or
// raise (a sales cycle is not 10% longer because there is 10% more to win).
func MarketFactorApplies(k *ent.KPI) bool {
	if k.MarketFactorOverride != nil {
		return *k.MarketFactorOverride
	}
	return k.Unit == definition.Count || k.Unit == definition.Money
}

func badDefinition(err error) error {
	var de *definition.Error
	if errors.As(err, &de) {
		return errcode.BadInput(de.Field, "%s", de.Message)
	}
	return err
}

// CreateKPI defines a custom KPI of the viewer's organization.
func (s *Service) CreateKPI(ctx context.Context, client *ent.Client, n NewKPI) (*ent.KPI, error) {
	if err := n.Definition.Validate(n.Unit); err != nil {
		return nil, badDefinition(err)
	}
	if n.MinSample < 0 {
		return nil, errcode.BadInput("minSample", "must not be negative")
	}
	return client.KPI.Create().
		SetKey(n.Key).SetName(n.Name).SetDescription(n.Description).
		SetUnit(n.Unit).SetDirection(n.Direction).SetMinSample(n.MinSample).
		SetDefinition(n.Definition).SetNillableMarketFactorOverride(n.MarketFactorApplies).
		Save(ctx)
}

// KPIChange changes a KPI; nil fields stay as they are.
type KPIChange struct {
	Name, Description *string
	Direction         *definition.Direction
	Enabled           *bool
	MinSample         *int
	Definition        *definition.Definition
	// MarketFactorApplies sets whether the market factor scales the KPI.
	MarketFactorApplies *bool
}

// UpdateKPI changes a KPI. A built-in KPI's definition and direction are
// fixed; everything else about a KPI may change.
func (s *Service) UpdateKPI(ctx context.Context, client *ent.Client, id pulid.ID, c KPIChange) (*ent.KPI, error) {
	k, err := client.KPI.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	u := client.KPI.UpdateOne(k)
	if c.Definition != nil {
		if k.Builtin {
			return nil, errcode.BadInput("definition", "a built-in KPI's definition cannot change: define a custom KPI")
		}
		if err := c.Definition.Validate(k.Unit); err != nil {
			return nil, badDefinition(err)
		}
		u.SetDefinition(*c.Definition)
	}
	if c.Direction != nil {
		if k.Builtin && *c.Direction != k.Direction {
			return nil, errcode.BadInput("direction", "a built-in KPI's direction cannot change")
		}
		u.SetDirection(*c.Direction)
	}
	if c.Name != nil {
		u.SetName(*c.Name)
	}
	if c.Description != nil {
		u.SetDescription(*c.Description)
	}
	if c.Enabled != nil {
		u.SetEnabled(*c.Enabled)
	}
	if c.MinSample != nil {
		if *c.MinSample < 0 {
			return nil, errcode.BadInput("minSample", "must not be negative")
		}
		u.SetMinSample(*c.MinSample)
	}
	if c.MarketFactorApplies != nil {
		u.SetMarketFactorOverride(*c.MarketFactorApplies)
	}
	return u.Save(ctx)
}

// Number returns a value as one number in the KPI's unit (MONEY in minor
// units), or nil when it has none.
func (v Value) Number(unit definition.Unit) *float64 {
	if !v.Defined {
		return nil
	}
	f := v.Float
	if unit == definition.Count || unit == definition.Money {
		f = float64(v.Int)
		if v.Wide != nil {
			f, _ = new(big.Float).SetInt(v.Wide).Float64()
		}
	}
	return &f
}

// standingTargets returns the approved (or closed) targets of the scopes
// (scope keys; "" for none) in the period, by scope key and KPI, in one
// statement. A scorecard shows them to whoever may read its values: a rep
// sees their team's target there without seeing the target itself.
func standingTargets(ctx context.Context, client *ent.Client, keys []string, p Period) (map[string]map[pulid.ID]*ent.Target, error) {
	out := map[string]map[pulid.ID]*ent.Target{}
	var ks []string
	for _, k := range keys {
		if k != "" {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return out, nil
	}
	ts, err := client.Target.Query().Where(target.ScopeKeyIn(ks...), target.PeriodKindEQ(enum.PeriodKind(p.Kind)),
		target.PeriodYear(p.Year), target.PeriodIndex(p.Index),
		target.StatusIn(enum.StatusApproved, enum.StatusClosed)).All(viewer.System(ctx))
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if out[t.ScopeKey] == nil {
			out[t.ScopeKey] = map[pulid.ID]*ent.Target{}
		}
		out[t.ScopeKey][t.KpiID] = t
	}
	return out, nil
}

// recordsIn is the users with records counted toward the teams in the
// period: deals credited to them and opened or closed in it, meetings held
// for them or scheduled in it. It is a subquery of the members' query, not
// a statement of its own.
func recordsIn(teams []pulid.ID, p Period) predicate.User {
	return func(s *sql.Selector) {
		ids := make([]any, len(teams))
		for i, t := range teams {
			ids[i] = string(t)
		}
		start, end := p.Start.UTC(), p.End.UTC()
		in := func(column string) *sql.Predicate {
			return sql.And(sql.GTE(column, start), sql.LT(column, end))
		}
		deals := sql.Select(deal.FieldOwnerID).From(sql.Table(deal.Table)).
			Where(sql.And(sql.In(deal.FieldTeamID, ids...), sql.Or(in(deal.FieldClosedAt), in(deal.FieldOpenedAt))))
		meetings := sql.Select(meeting.FieldOwnerID).From(sql.Table(meeting.Table)).
			Where(sql.And(sql.In(meeting.FieldTeamID, ids...), sql.Or(in(meeting.FieldHeldAt), in(meeting.FieldScheduledAt))))
		s.Where(sql.In(s.C(user.FieldID), deals.Union(meetings)))
	}
}
