package graph

import (
	"context"
	"sort"
	"sync"

	"entgo.io/ent/dialect/sql"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/enum"
	"kpiflow/errcode"
)

// MaxEarlierTargets bounds Target.earlierTargets.
const MaxEarlierTargets = 24

// earlierBatches holds, per list of targets and length asked, the earlier
// targets of the whole list: the first target of a list whose
// earlierTargets is resolved reads those of all its siblings in one
// statement, the others wait for it (as actuals do, targetActual).
//
// The targets a batch finds are each in the list of one of its siblings:
// the batch is their list's key, and its finds their siblings, so that the
// fields of the earlier targets of a whole list (their own earlier
// targets, their actuals) are read in one statement for all those lists
// too (siblingTargets).
type earlierBatches struct {
	mu sync.Mutex
	m  map[earlierKey]*earlierBatch
	// by is the batch that found a target.
	by map[*ent.Target]*earlierBatch
}

type earlierKey struct {
	list any
	n    int
}

// producer returns the batch that found a target, if one did.
func producer(ctx context.Context, t *ent.Target) *earlierBatch {
	bs, _ := ctx.Value(earlierBatchesKey{}).(*earlierBatches)
	if bs == nil {
		return nil
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return bs.by[t]
}

type earlierBatch struct {
	once  sync.Once
	found []*ent.Target
	// byScope: found by organization, scope, KPI and kind, newest first.
	byScope map[earlierScope][]*ent.Target
	err     error
}

type earlierScope struct {
	org, kpi pulid.ID
	scope    string
	kind     enum.PeriodKind
}

func scopeOf(t *ent.Target) earlierScope {
	return earlierScope{org: t.OrganizationID, kpi: t.KpiID, scope: t.ScopeKey, kind: t.PeriodKind}
}

type earlierBatchesKey struct{}

func withEarlierBatches(ctx context.Context) context.Context {
	return context.WithValue(ctx, earlierBatchesKey{}, &earlierBatches{m: map[earlierKey]*earlierBatch{}, by: map[*ent.Target]*earlierBatch{}})
}

// earlierTargets is Target.earlierTargets: the target's scope's approved
// and closed targets of its KPI in earlier periods of its kind, newest
// first, at most first.
func (r *Resolver) earlierTargets(ctx context.Context, t *ent.Target, first *int) ([]*ent.Target, error) {
	n := 8
	if first != nil {
		n = *first
	}
	if n < 1 || n > MaxEarlierTargets {
		return nil, errcode.BadInput("first", "earlierTargets takes 1 to %d targets, not %d", MaxEarlierTargets, n)
	}
	siblings := []*ent.Target{t}
	bs, _ := ctx.Value(earlierBatchesKey{}).(*earlierBatches)
	var b *earlierBatch
	if key, list := siblingTargets(ctx); key != nil && bs != nil && containsTarget(list, t.ID) {
		siblings = list
		bs.mu.Lock()
		if b = bs.m[earlierKey{key, n}]; b == nil {
			b = &earlierBatch{}
			bs.m[earlierKey{key, n}] = b
		}
		bs.mu.Unlock()
	}
	if b == nil {
		b = &earlierBatch{}
	}
	b.once.Do(func() {
		if b.found, b.err = readEarlierTargets(ctx, ent.FromContext(ctx), siblings, n); b.err != nil {
			return
		}
		b.byScope = map[earlierScope][]*ent.Target{}
		for _, f := range b.found {
			b.byScope[scopeOf(f)] = append(b.byScope[scopeOf(f)], f)
		}
		if bs == nil {
			return
		}
		bs.mu.Lock()
		for _, f := range b.found {
			bs.by[f] = b
		}
		bs.mu.Unlock()
	})
	if b.err != nil {
		return nil, b.err
	}
	// The candidates of the whole list hold each target's n latest
	// earlier ones: those of this target are the n latest of its scope's
	// (scope, KPI and kind) that start before it.
	out := []*ent.Target{}
	for _, c := range b.byScope[scopeOf(t)] {
		if len(out) == n {
			break
		}
		if c.PeriodStart.Before(t.PeriodStart) {
			out = append(out, c)
		}
	}
	return out, nil
}

func containsTarget(list []*ent.Target, id pulid.ID) bool {
	for _, t := range list {
		if t.ID == id {
			return true
		}
	}
	return false
}

// readEarlierTargets reads, in one statement through the viewer's privacy
// rules, the n latest approved or closed targets before each of the
// targets (of its scope, KPI and kind), newest first.
func readEarlierTargets(ctx context.Context, client *ent.Client, of []*ent.Target, n int) ([]*ent.Target, error) {
	ids := make([]any, 0, len(of))
	for _, t := range of {
		ids = append(ids, string(t.ID))
	}
	found, err := client.Target.Query().Modify(func(sel *sql.Selector) {
		d := sql.Dialect(sel.Dialect())
		p, t := d.Table(target.Table).As("p"), d.Table(target.Table).As("t")
		same := func(c string) *sql.Predicate { return sql.ColumnsEQ(p.C(c), t.C(c)) }
		ranked := d.Select(p.C(target.FieldID)).
			AppendSelectExprAs(sql.Expr("ROW_NUMBER() OVER (PARTITION BY "+t.C(target.FieldID)+" ORDER BY "+
				p.C(target.FieldPeriodStart)+" DESC, "+p.C(target.FieldID)+" DESC)"), "rank").
			From(p).Join(t).OnP(sql.And(
			same(target.FieldOrganizationID), same(target.FieldScopeKey), same(target.FieldKpiID), same(target.FieldPeriodKind),
			sql.ColumnsLT(p.C(target.FieldPeriodStart), t.C(target.FieldPeriodStart)),
		)).Where(sql.And(
			sql.In(t.C(target.FieldID), ids...),
			sql.In(p.C(target.FieldStatus), string(enum.StatusApproved), string(enum.StatusClosed)),
		))
		within := d.Select("id").From(ranked.As("ranked")).Where(sql.LTE("rank", n))
		sel.Where(sql.In(sel.C(target.FieldID), within))
	}).All(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(found, func(i, j int) bool {
		if !found[i].PeriodStart.Equal(found[j].PeriodStart) {
			return found[i].PeriodStart.After(found[j].PeriodStart)
		}
		return found[i].ID > found[j].ID
	})
	return found, nil
}
