package graph

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/ent"
	"kpiflow/ent/marketfactor"
	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
	"kpiflow/errcode"
	"kpiflow/kpi"
)

// MaxMarketFactors bounds Team.marketFactors(first:): four years of months.
const MaxMarketFactors = 48

// Market factors are read for a whole list of teams at once: the first team
// of a list whose marketFactors are asked for loads the top ones of every
// team of the list in one statement (ranked per team by ROW_NUMBER, on both
// databases), and the others read theirs. As for targets' actuals
// (workflow.go), the list is the nearest list of teams above the field; a
// team that is not in it (a team's parent, a node) is loaded alone.
type factorBatches struct {
	mu sync.Mutex
	m  map[factorKey]*factorBatch
	// cal is the operation's calendar, read once for every factor's
	// period; updateOrganization forgets it.
	cal *kpi.Calendar
}

// factorKey is one marketFactors field (its alias, arguments and
// selection) of one list of teams.
type factorKey struct {
	list  any
	field *ast.Field
}

type factorBatch struct {
	once   sync.Once
	byTeam map[pulid.ID][]*ent.MarketFactor
	err    error
}

type factorBatchesKey struct{}

func withFactorBatches(ctx context.Context) context.Context {
	return context.WithValue(ctx, factorBatchesKey{}, &factorBatches{m: map[factorKey]*factorBatch{}})
}

// siblingTeams returns the nearest list of teams above the field being
// resolved, and the field context that holds it.
func siblingTeams(ctx context.Context) (any, []*ent.Team) {
	fc, out := nearestList(ctx, func(result any) ([]*ent.Team, bool) {
		r, ok := result.([]*ent.TeamEdge)
		var out []*ent.Team
		for _, e := range r {
			if e != nil && e.Node != nil {
				out = append(out, e.Node)
			}
		}
		return out, ok
	})
	if fc == nil {
		return nil, nil
	}
	return fc, out
}

// teamMarketFactors answers Team.marketFactors for team t.
func teamMarketFactors(ctx context.Context, t *ent.Team, first *int, kind *enum.PeriodKind) ([]*ent.MarketFactor, error) {
	n := 12
	if first != nil {
		n = *first
	}
	if n < 1 || n > MaxMarketFactors {
		return nil, errcode.BadInput("first", "must be between 1 and %d", MaxMarketFactors)
	}
	if kind != nil && !kind.Valid() {
		return nil, errcode.BadInput("kind", "is not a period kind")
	}
	withSetBy := selects(ctx, "setBy")
	batches, _ := ctx.Value(factorBatchesKey{}).(*factorBatches)
	list, teams := siblingTeams(ctx)
	fc := graphql.GetFieldContext(ctx)
	if batches == nil || list == nil || fc == nil || fc.Field.Field == nil ||
		!slices.ContainsFunc(teams, func(s *ent.Team) bool { return s.ID == t.ID }) {
		byTeam, err := loadMarketFactors(ctx, []pulid.ID{t.ID}, n, kind, withSetBy)
		return byTeam[t.ID], err
	}
	key := factorKey{list: list, field: fc.Field.Field}
	batches.mu.Lock()
	b := batches.m[key]
	if b == nil {
		b = &factorBatch{}
		batches.m[key] = b
	}
	batches.mu.Unlock()
	b.once.Do(func() {
		ids := make([]pulid.ID, 0, len(teams))
		for _, s := range teams {
			if !slices.Contains(ids, s.ID) {
				ids = append(ids, s.ID)
			}
		}
		b.byTeam, b.err = loadMarketFactors(ctx, ids, n, kind, withSetBy)
	})
	if b.err != nil {
		return nil, b.err
	}
	return b.byTeam[t.ID], nil
}

// selects reports whether the field being resolved selects a field of
// that name.
func selects(ctx context.Context, name string) bool {
	if graphql.GetFieldContext(ctx) == nil {
		return false
	}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// periodRank is the SQL of a factor's place in time: its period's first
// month, counted from the fiscal year 0 (every fiscal year starts in the
// same month, so this orders by the period's start), and which ends last
// among those starting together (a year before its first quarter, before
// its first month).
const periodRank = "period_year * 12 + CASE period_kind WHEN 'MONTH' THEN period_index - 1 " +
	"WHEN 'QUARTER' THEN (period_index - 1) * 3 ELSE 0 END DESC, " +
	"CASE period_kind WHEN 'YEAR' THEN 0 WHEN 'QUARTER' THEN 1 ELSE 2 END, id DESC"

// loadMarketFactors returns the newest n market factors (of one kind, if
// given) of each team, in one statement (two with the setters).
func loadMarketFactors(ctx context.Context, teams []pulid.ID, n int, kind *enum.PeriodKind, withSetBy bool) (map[pulid.ID][]*ent.MarketFactor, error) {
	top := func(s *entsql.Selector) {
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(s.C(marketfactor.FieldID)).WriteString(" IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY team_id ORDER BY " +
				periodRank + ") AS place FROM " + marketfactor.Table + " WHERE team_id IN (")
			for i, id := range teams {
				if i > 0 {
					b.Comma()
				}
				b.Arg(string(id))
			}
			b.WriteString(")")
			if kind != nil {
				b.WriteString(" AND period_kind = ").Arg(string(*kind))
			}
			b.WriteString(") ranked WHERE place <= ").Arg(n).WriteString(")")
		}))
	}
	q := ent.FromContext(ctx).MarketFactor.Query().Where(marketfactor.TeamIDIn(teams...), top)
	if withSetBy {
		q.WithSetBy()
	}
	all, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool { return newer(all[i], all[j]) })
	out := map[pulid.ID][]*ent.MarketFactor{}
	for _, f := range all {
		out[f.TeamID] = append(out[f.TeamID], f)
	}
	return out, nil
}

// newer orders factors as periodRank does.
func newer(a, b *ent.MarketFactor) bool {
	start := func(f *ent.MarketFactor) int {
		switch f.PeriodKind {
		case enum.PeriodMonth:
			return f.PeriodYear*12 + f.PeriodIndex - 1
		case enum.PeriodQuarter:
			return f.PeriodYear*12 + (f.PeriodIndex-1)*3
		}
		return f.PeriodYear * 12
	}
	length := map[enum.PeriodKind]int{enum.PeriodYear: 0, enum.PeriodQuarter: 1, enum.PeriodMonth: 2}
	if sa, sb := start(a), start(b); sa != sb {
		return sa > sb
	}
	if la, lb := length[a.PeriodKind], length[b.PeriodKind]; la != lb {
		return la < lb
	}
	return strings.Compare(string(a.ID), string(b.ID)) > 0
}

// factorPeriod is a factor's period in the organization's calendar, read
// once per operation.
func factorPeriod(ctx context.Context, f *ent.MarketFactor) (*kpi.Period, error) {
	batches, _ := ctx.Value(factorBatchesKey{}).(*factorBatches)
	var cal kpi.Calendar
	if batches != nil {
		batches.mu.Lock()
		defer batches.mu.Unlock()
	}
	if batches != nil && batches.cal != nil {
		cal = *batches.cal
	} else {
		var err error
		if _, cal, err = kpi.Organization(ctx, ent.FromContext(ctx)); err != nil {
			return nil, err
		}
		if batches != nil {
			batches.cal = &cal
		}
	}
	p, err := cal.Period(kpi.PeriodKind(f.PeriodKind), f.PeriodYear, f.PeriodIndex)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// forgetCalendar drops the operation's calendar (the organization's zone
// or fiscal year changed).
func forgetCalendar(ctx context.Context) {
	if batches, _ := ctx.Value(factorBatchesKey{}).(*factorBatches); batches != nil {
		batches.mu.Lock()
		batches.cal = nil
		batches.mu.Unlock()
	}
}

// factorSetBy is who set a factor, nil when the viewer may not read them:
// loaded with the factor's list when the list selected it.
func factorSetBy(ctx context.Context, f *ent.MarketFactor) (*ent.User, error) {
	u, err := f.Edges.SetByOrErr()
	if err == nil {
		return u, nil
	}
	if ent.IsNotFound(err) { // loaded: out of the viewer's sight
		return nil, nil
	}
	u, err = f.QuerySetBy().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}
