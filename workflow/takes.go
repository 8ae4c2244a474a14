package workflow

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/money"
	"kpiflow/settings"
	"kpiflow/viewer"
	"kpiflow/workflow/realism"
)

// What it takes (README "What it takes"): given a value of a money or
// count KPI for a scope and period, what the other aggregates must be for
// it to hold, at the scope's historical ratios. The relations are the
// organization's enabled ratio KPIs: a ratio N ÷ D whose numerator is
// known gives D = N ÷ r, whose denominator is known gives N = D × r, where
// r = ΣN ÷ ΣD over the scope's last comparable completed periods (the
// realism check's). Each step is followed from what is known until nothing
// new follows; only COUNT and SUM of AMOUNT aggregates are followed.

// Requirement is what one aggregate must be.
type Requirement struct {
	// KPI is the KPI defined by the aggregate; nil when none is, and Name
	// then says which ratio's part it is ("WIN_RATE denominator").
	KPI  *ent.KPI
	Name string
	Unit definition.Unit // COUNT or MONEY
	// Via is the ratio KPI that relates it to From (a KPI key or Name);
	// nil for the meetings step, which no KPI defines (Relation says so).
	Via  *ent.KPI
	From string
	// Relation names the relation followed: Via's key, or
	// MeetingsPerClosedDeal.
	Relation string
	// Ratio is ΣN ÷ ΣD over the history, unit-less (nil when ΣD is 0).
	Ratio *float64
	// Given is the ratio given instead of the history's (Givens), the one
	// Required follows from; nil when the history's is used.
	Given *float64
	// Required, Best and Typical are in Unit, MONEY in minor units:
	// Required rounded up to a whole count or minor unit; Best the
	// highest period, Typical the median one.
	Required, Best, Typical *float64
	ExceedsBest             bool
}

// Takes is what it takes.
type Takes struct {
	KPI          *ent.KPI
	Period       kpi.Period
	Value        float64 // in the KPI's unit, MONEY in minor units
	History      []kpi.Period
	Requirements []Requirement
}

// Stored converts requirements to what an assessment stores.
func Stored(reqs []Requirement) []realism.Requirement {
	out := make([]realism.Requirement, len(reqs))
	for i, q := range reqs {
		out[i] = realism.Requirement{Name: q.Name, Unit: string(q.Unit), From: q.From,
			Ratio: q.Ratio, Required: q.Required, Best: q.Best, Typical: q.Typical, ExceedsBest: q.ExceedsBest}
		if q.Via != nil {
			out[i].Via = string(q.Via.ID)
		} else {
			out[i].Relation = q.Relation
		}
		if q.KPI != nil {
			out[i].KPI = string(q.KPI.ID)
		}
	}
	return out
}

// MeetingsPerClosedDeal names the meetings step of what it takes: the
// meetings held per deal closed (WON or LOST) in the scope's history, a
// relation kpiflow follows from the closed deals required to the meetings
// held they take (or back) when no enabled ratio KPI relates the two.
const MeetingsPerClosedDeal = "meetings held per closed deal"

// The two aggregates of the meetings step.
var (
	meetingsHeld = definition.Aggregate{Source: definition.Meetings, Function: definition.CountOf, Date: definition.HeldAt,
		Filter: definition.Filter{MeetingStatuses: []string{"HELD"}}}
	dealsClosed = definition.Aggregate{Source: definition.Deals, Function: definition.CountOf, Date: definition.ClosedAt,
		Filter: definition.Filter{DealStages: []string{"WON", "LOST"}}}
)

// relation is a ratio N ÷ D that what it takes follows: a ratio KPI's, or
// the meetings step (kpi nil).
type relation struct {
	kpi      *ent.KPI
	num, den definition.Aggregate
	name     string
}

// startsTakes reports whether what a value of k takes can be worked out:
// a COUNT or MONEY KPI that counts rows or sums amounts.
func startsTakes(k *ent.KPI) bool {
	return !k.Definition.IsRatio() && followed(k.Definition.Aggregate) && (k.Unit == definition.Count || k.Unit == definition.Money)
}

func followed(a *definition.Aggregate) bool {
	return a != nil && (a.Function == definition.CountOf || (a.Function == definition.SumOf && a.Field == definition.Amount))
}

// GivenRatio is a ratio to work backwards with instead of the scope's
// history: a ratio KPI's (KPI), or with KPI empty the meetings step's
// meetings held per closed deal. Value is a decimal in the ratio KPI's
// unit (money in the organization's currency, PERCENT 0–100), or a plain
// decimal for the meetings step.
type GivenRatio struct {
	KPI   pulid.ID
	Value string
	Field string // the input's name, for errors: "ratios[0]"
}

// givens parses the given ratios into the unit-less ratios the history's
// are (money in minor units per count, PERCENT ÷ 100), keyed by the ratio
// KPI's ID ("" for the meetings step).
func givens(ctx context.Context, client *ent.Client, gs []GivenRatio, currency string) (map[pulid.ID]float64, error) {
	out := map[pulid.ID]float64{}
	for _, g := range gs {
		if _, dup := out[g.KPI]; dup {
			return nil, errcode.BadInput(g.Field, "is given twice")
		}
		unit := definition.Count
		field := g.Field // the meetings step's value is the input itself
		if g.KPI != "" {
			field = g.Field + ".value"
			r, err := client.KPI.Get(ctx, g.KPI) // NOT_FOUND when out of sight
			if err != nil {
				return nil, err
			}
			if d := r.Definition; !r.Enabled || !d.IsRatio() || !followed(d.Numerator) || !followed(d.Denominator) {
				return nil, errcode.BadInput(g.Field+".kpi", "%s is not an enabled ratio of counts or amounts: what it takes follows only those", r.Key)
			}
			unit = r.Unit
		}
		d, err := money.ParseDecimal(strings.TrimSpace(g.Value))
		if err != nil {
			return nil, errcode.BadInput(field, "%v", err)
		}
		var f float64
		if unit == definition.Money {
			minor, err := money.ToMinor(d, currency)
			if err != nil {
				return nil, errcode.BadInput(field, "%v", err)
			}
			f = float64(minor)
		} else if f, err = strconv.ParseFloat(string(d), 64); err != nil || math.IsInf(f, 0) {
			return nil, errcode.BadInput(field, "is not a number")
		}
		if unit == definition.Percent {
			if f > 100 {
				return nil, errcode.BadInput(field, "a percentage is at most 100")
			}
			f /= 100
		}
		if !(f > 0) {
			return nil, errcode.BadInput(field, "must be above 0")
		}
		out[g.KPI] = f
	}
	return out, nil
}

// WhatItTakes works backwards from a value of k for the scope and period,
// at the scope's historical ratios or at those given.
func (s *Service) WhatItTakes(ctx context.Context, client *ent.Client, k *ent.KPI, userID, teamID *pulid.ID, pr kpi.PeriodRequest, value string, given []GivenRatio) (*Takes, error) {
	if (userID == nil) == (teamID == nil) {
		return nil, errcode.BadInput("scope", "give exactly one of userID and teamID")
	}
	if !k.Enabled {
		return nil, errcode.BadInput("kpi", "the KPI is disabled")
	}
	if !startsTakes(k) {
		return nil, errcode.BadInput("kpi", "what it takes starts from a COUNT or MONEY KPI that counts or sums amounts")
	}
	org, cal, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, err
	}
	p, err := kpi.ResolvePeriod(cal, pr, "period", s.now())
	if err != nil {
		return nil, err
	}
	if err := s.mayPropose(ctx, client, userID, teamID); err != nil {
		return nil, err
	}
	v, err := parseValue(value, k.Unit, org.Currency)
	if err != nil {
		return nil, err
	}
	gs, err := givens(ctx, client, given, org.Currency)
	if err != nil {
		return nil, err
	}
	periods := comparablePeriods(p, settings.Of(org.Settings).Realism.Periods, s.now())
	scope := kpi.Scope{Org: k.OrganizationID}
	if userID != nil {
		scope.Owner = *userID
		member, err := client.User.Get(viewer.System(ctx), *userID)
		if err != nil {
			return nil, err
		}
		periods = theirPeriods(member, periods)
	} else if scope.Teams, err = kpi.Subtree(ctx, client, *teamID); err != nil {
		return nil, err
	}
	reqs, err := s.takes(ctx, client, k, scope, periods, v, gs)
	if err != nil {
		return nil, err
	}
	return &Takes{KPI: k, Period: p, Value: v, History: periods, Requirements: reqs}, nil
}

// theirPeriods is the periods that are a rep's (ending after their hire):
// a period before it is no period of theirs, not one in which they did
// nothing, so it counts in neither their ratios nor their best and
// typical periods.
func theirPeriods(member *ent.User, periods []kpi.Period) []kpi.Period {
	var out []kpi.Period
	for _, p := range periods {
		if worked(member, p) {
			out = append(out, p)
		}
	}
	return out
}

// takes works backwards from v of k over the scope's periods (the ratios
// are none, and best and typical too, over no period at all).
func (s *Service) takes(ctx context.Context, client *ent.Client, k *ent.KPI, scope kpi.Scope, periods []kpi.Period, v float64, given map[pulid.ID]float64) ([]Requirement, error) {
	sys := viewer.System(ctx)
	all, err := client.KPI.Query().Where(entkpi.OrganizationID(k.OrganizationID), entkpi.Enabled(true)).
		Order(ent.Asc(entkpi.FieldPosition), ent.Asc(entkpi.FieldID)).All(sys)
	if err != nil {
		return nil, err
	}
	// The aggregates involved: the given KPI's and the parts of the ratios
	// that relate followed aggregates, each computed once per period.
	type node struct {
		agg  definition.Aggregate
		kpi  *ent.KPI
		name string
	}
	var nodes []*node
	find := func(a definition.Aggregate) *node {
		for _, x := range nodes {
			if definition.SameAggregate(x.agg, a) {
				return x
			}
		}
		return nil
	}
	add := func(a definition.Aggregate, name string) *node {
		if x := find(a); x != nil {
			return x
		}
		x := &node{agg: a, name: name}
		for _, o := range all {
			if d := o.Definition; !d.IsRatio() && d.Aggregate != nil && definition.SameAggregate(*d.Aggregate, a) {
				x.kpi, x.name = o, o.Key
				break
			}
		}
		nodes = append(nodes, x)
		return x
	}
	add(*k.Definition.Aggregate, k.Key)
	var ratios []relation
	linked := false // whether a ratio KPI relates meetings held and closed deals
	for _, o := range all {
		if d := o.Definition; d.IsRatio() && followed(d.Numerator) && followed(d.Denominator) {
			ratios = append(ratios, relation{kpi: o, num: *d.Numerator, den: *d.Denominator, name: o.Key})
			add(*d.Numerator, o.Key+" numerator")
			add(*d.Denominator, o.Key+" denominator")
			for _, pair := range [][2]definition.Aggregate{{*d.Numerator, *d.Denominator}, {*d.Denominator, *d.Numerator}} {
				if definition.SameAggregate(pair[0], meetingsHeld) && definition.SameAggregate(pair[1], dealsClosed) {
					linked = true
				}
			}
		}
	}
	// The meetings step, last: the ratio KPIs' relations come first.
	if !linked {
		ratios = append(ratios, relation{num: meetingsHeld, den: dealsClosed, name: MeetingsPerClosedDeal})
		add(meetingsHeld, "meetings held")
		add(dealsClosed, "deals closed")
	}
	eks := make([]kpi.KPI, len(nodes))
	for i, x := range nodes {
		unit := definition.Count
		if x.agg.Function == definition.SumOf {
			unit = definition.Money
		}
		a := x.agg
		eks[i] = kpi.KPI{Key: fmt.Sprintf("P%d", i), Unit: unit, Definition: definition.Definition{Aggregate: &a}}
	}
	values, err := s.Engine.Compute(sys, scope, eks, periods)
	if err != nil {
		return nil, err
	}
	hist := func(i int) []float64 {
		out := make([]float64, len(periods))
		for j := range periods {
			if f := values[eks[i].Key][j].Number(eks[i].Unit); f != nil {
				out[j] = *f
			}
		}
		return out
	}
	index := func(x *node) int {
		for i, y := range nodes {
			if y == x {
				return i
			}
		}
		return -1
	}
	sum := func(xs []float64) float64 {
		t := 0.0
		for _, x := range xs {
			t += x
		}
		return t
	}
	known := map[*node]float64{nodes[0]: v}
	reached := map[*node]bool{nodes[0]: true}
	var out []Requirement
	for changed := true; changed; {
		changed = false
		for _, r := range ratios {
			num, den := find(r.num), find(r.den)
			nv, nok := known[num]
			dv, dok := known[den]
			if reached[num] == reached[den] || num == den {
				continue
			}
			hn, hd := hist(index(num)), hist(index(den))
			req := Requirement{Via: r.kpi, Relation: r.name}
			var target *node
			var ratio *float64
			if sd := sum(hd); sd != 0 {
				q := sum(hn) / sd
				ratio = &q
			}
			req.Ratio = ratio
			var id pulid.ID
			if r.kpi != nil {
				id = r.kpi.ID
			}
			if g, ok := given[id]; ok {
				req.Given, ratio = &g, &g
			}
			if reached[num] {
				target, req.From = den, num.name
				if nok && ratio != nil && *ratio != 0 {
					f := math.Ceil(nv / *ratio - 1e-9)
					req.Required = &f
				}
			} else {
				target, req.From = num, den.name
				if dok && ratio != nil {
					f := math.Ceil(dv**ratio - 1e-9)
					req.Required = &f
				}
			}
			req.KPI, req.Name, req.Unit = target.kpi, target.name, eks[index(target)].Unit
			if h := hist(index(target)); len(h) > 0 {
				sorted := append([]float64(nil), h...)
				sort.Float64s(sorted)
				best := sorted[len(sorted)-1]
				typical := sorted[len(sorted)/2]
				if len(sorted)%2 == 0 {
					typical = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
				}
				req.Best, req.Typical = &best, &typical
				req.ExceedsBest = req.Required != nil && *req.Required > best
			}
			reached[target] = true
			if req.Required != nil {
				known[target] = *req.Required
			}
			out = append(out, req)
			changed = true
		}
	}
	return out, nil
}
