package graph_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
	"kpiflow/graph"
)

// withTargets adds targets (with an event and a revision each) to the
// world, so that the edges of targets, their events and revisions have
// something on both sides:
//
//	tRepA (repA's, proposed by repA), tRepB (repB's), tTeamA (team A's,
//	proposed by mR), tRepG (repG's, in Globex).
func (w *world) withTargets(t *testing.T) {
	t.Helper()
	s := w.s
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, tg := range []struct{ name, org, user, team, proposer string }{
		{"tRepA", "Acme", "repA", "", "repA"}, {"tRepB", "Acme", "repB", "", "repB"},
		{"tTeamA", "Acme", "", "A", "mR"}, {"tRepG", "Globex", "repG", "", "repG"},
	} {
		k := s.Client.KPI.Query().Where(kpi.OrganizationID(w.ids[tg.org]), kpi.Key("DEALS_CLOSED")).OnlyX(apitest.Sys())
		w.ids["K"+tg.org], w.names[k.ID] = k.ID, "K"+tg.org
		c := s.Client.Target.Create().SetOrganizationID(w.ids[tg.org]).SetKpiID(k.ID).
			SetPeriodKind(enum.PeriodMonth).SetPeriodYear(2026).SetPeriodIndex(4).
			SetPeriodStart(start).SetPeriodEnd(start.AddDate(0, 1, 0)).SetValue(5).
			SetStatus(enum.StatusProposed).SetProposerID(w.ids[tg.proposer])
		if tg.user != "" {
			c.SetUserID(w.ids[tg.user]).SetScopeKey("user:" + string(w.ids[tg.user]))
		} else {
			c.SetTeamID(w.ids[tg.team]).SetScopeKey("team:" + string(w.ids[tg.team]))
		}
		tgt := c.SaveX(apitest.Sys())
		w.ids[tg.name], w.names[tgt.ID] = tgt.ID, tg.name
		ev := s.Client.TargetEvent.Create().SetOrganizationID(w.ids[tg.org]).SetTargetID(tgt.ID).
			SetActorID(w.ids[tg.proposer]).SetAction("SUBMIT").SetFromStatus("DRAFT").SetToStatus("PROPOSED").
			SetVersion(2).SaveX(apitest.Sys())
		w.ids["ev"+tg.name], w.names[ev.ID] = ev.ID, "ev"+tg.name
		rv := s.Client.TargetRevision.Create().SetOrganizationID(w.ids[tg.org]).SetTargetID(tgt.ID).
			SetAuthorID(w.ids[tg.proposer]).SetValue(5).SetAction("SUBMIT").SaveX(apitest.Sys())
		w.ids["rev"+tg.name], w.names[rv.ID] = rv.ID, "rev"+tg.name
	}
}

// typeOf returns the GraphQL type of an object of the world.
func (w *world) typeOf(t *testing.T, id pulid.ID) string {
	n, err := w.s.Client.Noder(apitest.Sys(), id, ent.WithNodeType(ent.IDToType))
	if err != nil {
		t.Fatalf("typeOf(%s): %v", w.names[id], err)
	}
	return reflect.TypeOf(n).Elem().Name()
}

var edgePredicate = regexp.MustCompile(`^has([A-Z]\w*)With$`)

// edgePredicateCase is an edge predicate of a root connection's where
// input: root(where: {<predicate>: [{id: …}]}) lists the objects whose
// edge <field> leads to the object.
type edgePredicateCase struct {
	root, predicate, target string // e.g. users, hasDealsWith, Deal
	field                   string // the edge on the root's type: deals
	selection               string // the IDs the edge leads to, as selected in a list
}

// edgePredicateCases enumerates, from the served schema, every edge
// predicate of every root connection.
func edgePredicateCases(t *testing.T) []edgePredicateCase {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var cases []edgePredicateCase
	for _, f := range schema.Query.Fields {
		where := f.Arguments.ForName("where")
		if where == nil || !strings.HasSuffix(f.Type.Name(), "Connection") {
			continue
		}
		node := schema.Types[strings.TrimSuffix(f.Type.Name(), "Connection")]
		for _, in := range schema.Types[where.Type.Name()].Fields {
			m := edgePredicate.FindStringSubmatch(in.Name)
			if m == nil {
				continue
			}
			edge := strings.ToLower(m[1][:1]) + m[1][1:]
			ef := node.Fields.ForName(edge)
			if ef == nil {
				t.Fatalf("%s.%s: %s has no field %s", where.Type.Name(), in.Name, node.Name, edge)
			}
			c := edgePredicateCase{root: f.Name, predicate: in.Name, field: edge,
				target: strings.TrimSuffix(in.Type.Name(), "WhereInput")}
			switch {
			case strings.HasSuffix(ef.Type.Name(), "Connection"):
				c.selection = edge + "(first: 100) { edges { node { id } } }"
			default:
				c.selection = edge + " { id }"
			}
			cases = append(cases, c)
		}
	}
	if len(cases) < 20 {
		t.Fatalf("only %d edge predicates found in the schema", len(cases))
	}
	return cases
}

// TestEdgePredicatesSeeOnlyWhatTheViewerReads: every edge predicate of
// every where input tests only the objects the viewer may read. For each
// viewer, root connection, edge predicate and object of the world,
// root(where: {hasXWith: [{id: object}]}) counts exactly the objects of the
// viewer's own list whose edge (as the viewer reads it) leads there; 0 for
// an object the viewer may not read.
func TestEdgePredicatesSeeOnlyWhatTheViewerReads(t *testing.T) {
	t.Parallel() // long: runs beside the other long tests of the package
	cases := edgePredicateCases(t)
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		w.withTargets(t)
		byType := map[string][]string{}
		for name, id := range w.ids {
			byType[w.typeOf(t, id)] = append(byType[w.typeOf(t, id)], name)
		}
		for _, names := range byType {
			sort.Strings(names)
		}
		viewers := []string{"repA", "mA", "mB", "mR", "admin", "adminG", "repG"}
		checked := 0
		for _, vn := range viewers {
			as := s.As(t, w.users[vn])
			for _, c := range cases {
				// What the viewer's own list says: x → the objects its edge leads to.
				var list map[string]struct {
					Edges []struct{ Node json.RawMessage }
				}
				r := as.Query(t, fmt.Sprintf(`{ %s(first: 200) { edges { node { id %s } } } }`, c.root, c.selection), nil)
				if err := json.Unmarshal(r.Data, &list); err != nil || list[c.root].Edges == nil {
					t.Fatalf("%s: %s: %v", vn, r.RawBody, err)
				}
				want := map[string]int{}
				for _, e := range list[c.root].Edges {
					var n map[string]json.RawMessage
					_ = json.Unmarshal(e.Node, &n)
					seen := map[string]bool{}
					for _, id := range collectIDs(n[c.field]) {
						if !seen[id] {
							seen[id] = true
							want[w.names[pulid.ID(id)]]++
						}
					}
				}
				// What the edge predicate says, for every object of the type.
				candidates := byType[c.target]
				for len(candidates) > 0 {
					batch := candidates[:min(25, len(candidates))]
					candidates = candidates[len(batch):]
					var q strings.Builder
					q.WriteString("{")
					for i, name := range batch {
						fmt.Fprintf(&q, ` c%d: %s(where: {%s: [{id: %q}]}) { totalCount }`, i, c.root, c.predicate, w.ids[name])
					}
					q.WriteString(" }")
					var got map[string]struct{ TotalCount int }
					as.MustQuery(t, q.String(), nil, &got)
					for i, name := range batch {
						checked++
						if n := got[fmt.Sprintf("c%d", i)].TotalCount; n != want[name] {
							t.Errorf("%s: %s(where: {%s: [{id: %s}]}) counts %d, the list shows %d",
								vn, c.root, c.predicate, name, n, want[name])
						}
					}
				}
			}
		}
		if checked < 500 {
			t.Errorf("only %d predicates checked", checked)
		}

		// Chains reach no further than single steps, and nested connections'
		// filters are bound by the same rule: every count here is 0.
		for _, c := range []struct{ viewer, query string }{
			{"repA", `{ users(where: {hasTeamWith: [{hasParentWith: [{hasChildrenWith: [{hasDealsWith: [{name: "dealB"}]}]}]}]}) { totalCount } }`},
			{"repA", `{ deals(where: {hasOwnerWith: [{hasTeamWith: [{hasMembersWith: [{hasMeetingsWith: [{idIn: ["` + string(w.ids["meetB"]) + `"]}]}]}]}]}) { totalCount } }`},
			{"repA2", `{ viewer { team { members(where: {hasDealsWith: [{name: "dealA"}]}) { totalCount } } } }`},
			{"repA2", `{ users(where: {hasTeamWith: [{}]}) { edges { node { team { members(where: {hasMeetingsWith: [{}]}) { totalCount } } } } } }`},
			{"mB", `{ teams(where: {hasMembersWith: [{hasManagedTeamsWith: [{hasChildrenWith: [{hasDealsWith: [{}]}]}]}]}) { totalCount } }`},
		} {
			r := s.As(t, w.users[c.viewer]).Query(t, c.query, nil)
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "totalCount") {
				t.Fatalf("%s: %s: %s", c.viewer, c.query, r.RawBody)
			}
			if regexp.MustCompile(`"totalCount":[1-9]`).Match(r.Data) {
				t.Errorf("%s: %s: %s, want counts of 0", c.viewer, c.query, r.Data)
			}
		}
	})
}

// TestEdgeBooleansAreGone: hasX: true/false would test an edge without the
// viewer's reach; the where inputs offer hasXWith instead.
func TestEdgeBooleansAreGone(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, def := range schema.Types {
		if def.Kind != ast.InputObject || !strings.HasSuffix(def.Name, "WhereInput") {
			continue
		}
		for _, f := range def.Fields {
			if m := edgePredicate.FindStringSubmatch(f.Name); m != nil {
				if def.Fields.ForName("has"+m[1]) != nil {
					t.Errorf("%s.has%s tests the edge outside the viewer's reach", def.Name, m[1])
				}
				if f.Directives.ForName("reach") == nil {
					t.Errorf("%s.%s has no @reach", def.Name, f.Name)
				}
			}
		}
	}
}

// TestWhereFiltersAreBounded: filters too deep, too wide or listing too
// many values are BAD_USER_INPUT before any statement runs, for every root
// connection and for nested connections; filters at the bounds work on
// both databases.
func TestWhereFiltersAreBounded(t *testing.T) {
	t.Parallel() // long: runs beside the other long tests of the package
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	// chain returns a where input nested n levels through edge predicates,
	// starting at the input type in (the first edge predicate of each type).
	chain := func(in string, n int, leaf map[string]any) map[string]any {
		var walk func(in string, n int) map[string]any
		walk = func(in string, n int) map[string]any {
			if n == 1 {
				return leaf
			}
			for _, f := range schema.Types[in].Fields {
				if edgePredicate.MatchString(f.Name) {
					return map[string]any{f.Name: []any{walk(f.Type.Name(), n-1)}}
				}
			}
			return map[string]any{"not": walk(in, n-1)}
		}
		return walk(in, n)
	}
	nots := func(n int) map[string]any {
		w := map[string]any{"idNEQ": "x"}
		for range n - 1 {
			w = map[string]any{"not": w}
		}
		return w
	}
	or := func(n int, values int) map[string]any {
		items := make([]any, n)
		for i := range items {
			ids := make([]any, values)
			for j := range ids {
				ids[j] = fmt.Sprintf("user_%d_%d", i, j)
			}
			items[i] = map[string]any{"idIn": ids}
		}
		return map[string]any{"or": items}
	}
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		as := s.As(t, w.users["mR"])
		roots := 0
		for _, f := range schema.Query.Fields {
			where := f.Arguments.ForName("where")
			if where == nil || !strings.HasSuffix(f.Type.Name(), "Connection") {
				continue
			}
			roots++
			in := where.Type.Name()
			q := fmt.Sprintf(`query($w: %s) { %s(where: $w) { totalCount } }`, in, f.Name)
			for _, c := range []struct {
				name, limit string
				where       map[string]any
			}{
				{"not 1100 deep", "whereDepth", nots(1100)},
				{"edge chain 180 deep", "whereDepth", chain(in, 180, map[string]any{"idNEQ": "x"})},
				{"edge chain 11 deep", "whereDepth", chain(in, 11, map[string]any{"idNEQ": "x"})},
				{"or of 40000", "whereSize", or(40000, 1)},
				{"or of 201", "whereSize", or(201, 1)},
				{"idIn of 40000", "whereValues", or(1, 40000)},
				{"1001 values", "whereValues", or(7, 143)},
			} {
				before := s.Store.Statements()
				e := as.MustFail(t, "BAD_USER_INPUT", q, map[string]any{"w": c.where})
				if e.Extensions["limit"] != c.limit {
					t.Errorf("%s: %s: %+v", f.Name, c.name, e)
				}
				if d := s.Store.Statements() - before; d != 0 {
					t.Errorf("%s: %s: %d statements ran", f.Name, c.name, d)
				}
			}
			// At the bounds: answered.
			for _, wh := range []map[string]any{
				nots(10), chain(in, 10, map[string]any{"idNEQ": "x"}), or(199, 5), or(1, 1000),
			} {
				as.MustQuery(t, q, map[string]any{"w": wh}, nil)
			}
		}
		if roots < 8 {
			t.Errorf("only %d root connections with a where argument", roots)
		}
		// An empty condition under not, and or or is bad input, on every
		// root connection (hasXWith: [{}] is not: it means any in reach).
		for _, f := range schema.Query.Fields {
			if where := f.Arguments.ForName("where"); where != nil && strings.HasSuffix(f.Type.Name(), "Connection") {
				q := fmt.Sprintf(`query($w: %s) { %s(where: $w) { totalCount } }`, where.Type.Name(), f.Name)
				for _, wh := range []map[string]any{{"not": map[string]any{}}, {"and": []any{map[string]any{}}}, {"or": []any{map[string]any{"idNEQ": "x"}, map[string]any{}}}} {
					as.MustFail(t, "BAD_USER_INPUT", q, map[string]any{"w": wh})
				}
				as.MustQuery(t, q, map[string]any{"w": map[string]any{}}, nil)
			}
		}
		as.MustFail(t, "BAD_USER_INPUT", `{ users { edges { node { deals(where: {not: {}}) { totalCount } } } } }`, nil)
		// Nested connections' filters count too.
		nested := `query($w: UserWhereInput) { viewer { team { members(where: $w) { totalCount } } } }`
		as.MustFail(t, "BAD_USER_INPUT", nested, map[string]any{"w": nots(1100)})
		as.MustFail(t, "BAD_USER_INPUT", nested, map[string]any{"w": or(40000, 1)})
		inline := `{ viewer { team { members(where: ` + strings.Repeat("{not: ", 11) + `{idNEQ: "x"}` + strings.Repeat("}", 11) + `) { totalCount } } } }`
		as.MustFail(t, "BAD_USER_INPUT", inline, nil)
	})
}
