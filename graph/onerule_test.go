package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/graph"
)

// TestListedNodesAreWhole: what a list shows, the viewer may read whole.
// For every viewer, every root connection and every non-null edge of its
// nodes (enumerated from the schema), the list answers without errors: a
// record in a viewer's reach never leads to a required object out of it
// (a deal counted toward a manager's team but owned by another team's rep,
// a team target proposed by a region's manager).
func TestListedNodesAreWhole(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var queries []string
	for _, f := range schema.Query.Fields {
		if f.Arguments.ForName("where") == nil || !strings.HasSuffix(f.Type.Name(), "Connection") {
			continue
		}
		node := schema.Types[strings.TrimSuffix(f.Type.Name(), "Connection")]
		var sel []string
		for _, e := range node.Fields {
			d := schema.Types[e.Type.Name()]
			if e.Type.NonNull && e.Type.Elem == nil && d.Kind == ast.Object && d.Fields.ForName("id") != nil {
				sel = append(sel, e.Name+" { id }")
			}
		}
		if len(sel) > 0 {
			queries = append(queries, fmt.Sprintf("{ %s(first: 200) { totalCount edges { node { id %s } } } }", f.Name, strings.Join(sel, " ")))
		}
	}
	if len(queries) < 5 {
		t.Fatalf("only %d root connections with required edges", len(queries))
	}
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		w.withTargets(t)
		// A deal counted toward team A, owned by a rep of team B.
		d := s.Client.Deal.Create().SetOwnerID(w.ids["repB"]).SetTeamID(w.ids["A"]).SetName("dealBA").
			SetCustomerName("C").SetAmount(100).SetOpenedAt(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)).SaveX(apitest.Sys())
		w.ids["dealBA"], w.names[d.ID] = d.ID, "dealBA"
		for _, vn := range []string{"repA", "repA1", "repB", "mA", "mB", "mR", "admin", "adminG", "repG"} {
			as := s.As(t, w.users[vn])
			for _, q := range queries {
				r := as.Query(t, q, nil)
				if len(r.Errors) > 0 {
					t.Errorf("%s: %s: %s", vn, q, r.RawBody)
				}
			}
		}
		// The deal is in mA's list, whole, and its owner is readable.
		var r struct {
			Deals struct {
				Edges []struct {
					Node struct{ Owner struct{ ID string } }
				}
			}
		}
		s.As(t, w.users["mA"]).MustQuery(t, `query($id: ID!) { deals(where: {id: $id}) { edges { node { owner { id } } } } }`,
			map[string]any{"id": w.ids["dealBA"]}, &r)
		if len(r.Deals.Edges) != 1 || r.Deals.Edges[0].Node.Owner.ID != string(w.ids["repB"]) {
			t.Errorf("mA's dealBA: %+v", r)
		}
	})
}
