package graph_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/graph"
	"kpiflow/kpi"
	"kpiflow/workflow"
)

// orderedConnection is a connection field with an orderBy argument.
type orderedConnection struct {
	owner  string // the object type that has the field
	field  *ast.FieldDefinition
	orders []any // every order: none, then every enum value in both directions
}

func orderedConnections() []orderedConnection {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var out []orderedConnection
	for _, name := range sortedTypeNames(schema) {
		def := schema.Types[name]
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") || def == schema.Mutation || def == schema.Subscription {
			continue
		}
		for _, f := range def.Fields {
			ob, after := f.Arguments.ForName("orderBy"), f.Arguments.ForName("after")
			if ob == nil || after == nil {
				continue
			}
			c := orderedConnection{owner: name, field: f, orders: []any{nil}}
			input := schema.Types[ob.Type.Name()]
			for _, v := range schema.Types[input.Fields.ForName("field").Type.Name()].EnumValues {
				for _, dir := range []string{"ASC", "DESC"} {
					o := map[string]any{"field": v.Name, "direction": dir}
					if ob.Type.Elem != nil {
						c.orders = append(c.orders, []any{o})
					} else {
						c.orders = append(c.orders, o)
					}
				}
			}
			out = append(out, c)
		}
	}
	return out
}

func sortedTypeNames(schema *ast.Schema) []string {
	var names []string
	for n := range schema.Types {
		names = append(names, n)
	}
	sortStrings(names)
	return names
}

// A cursor is bound to the order it was issued in: given to the same
// connection in any other order, it is BAD_USER_INPUT (it was INTERNAL on
// PostgreSQL); in its own order it pages on. Every orderBy value of every
// connection.
func TestCursorsAreBoundToTheirOrder(t *testing.T) {
	t.Parallel() // long: runs beside the other long tests of the package
	conns := orderedConnections()
	if len(conns) < 10 {
		t.Fatalf("only %d ordered connections found", len(conns))
	}
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
		// East's target, allocated to its reps: a Target with allocations.
		tt := w.do(t, mgr, "createTargetDraft", map[string]any{"kpiID": w.kpiID(t, "REVENUE_WON"), "teamID": w.east.ID,
			"period": map[string]any{"label": q4}, "value": "1000"})
		mgr.MustQuery(t, `mutation($id: ID!) { allocateTeamTarget(input: {targetId: $id, method: EQUAL}) { dryRun } }`,
			map[string]any{"id": tt.ID}, nil)
		at := utc("2026-12-15T17:00:00Z")
		svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return at })
		if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, at); err != nil {
			t.Fatal(err)
		}
		m := s.Client.Meeting.Query().Where(meeting.OwnerID(w.r1.ID)).FirstX(apitest.Sys())
		m.Update().SetDealID(s.Client.Deal.Query().Where(deal.OwnerID(w.r1.ID)).FirstIDX(apitest.Sys())).SaveX(apitest.Sys())
		adm := s.As(t, w.adm)
		for _, c := range conns {
			argType := c.field.Arguments.ForName("orderBy").Type.String()
			page := func(order any, cursor any, dir string) (*apitest.Response, string) {
				sel := fmt.Sprintf("%s(first: 1, %s: $a, orderBy: $o) { edges { cursor } pageInfo { endCursor } }", c.field.Name, dir)
				if dir == "before" {
					sel = fmt.Sprintf("%s(last: 1, before: $a, orderBy: $o) { edges { cursor } pageInfo { startCursor } }", c.field.Name)
				}
				vars := map[string]any{"o": order, "a": cursor}
				q := fmt.Sprintf("query($o: %s, $a: Cursor) { %s }", argType, sel)
				if c.owner != "Query" {
					id := firstWith(t, adm, c)
					vars["id"] = id
					q = fmt.Sprintf("query($o: %s, $a: Cursor, $id: ID!) { node(id: $id) { ... on %s { %s } } }", argType, c.owner, sel)
				}
				r := adm.Query(t, q, vars)
				var data map[string]any
				_ = json.Unmarshal(r.Data, &data)
				if c.owner != "Query" {
					data, _ = data["node"].(map[string]any)
				}
				conn, _ := data[c.field.Name].(map[string]any)
				pi, _ := conn["pageInfo"].(map[string]any)
				cur, _ := pi["endCursor"].(string)
				return r, cur
			}
			for i, o := range c.orders {
				r, cursor := page(o, nil, "after")
				if len(r.Errors) != 0 || cursor == "" {
					t.Errorf("%s.%s %v: no first page to take a cursor from: %s", c.owner, c.field.Name, o, r.RawBody)
					continue
				}
				if r, _ := page(o, cursor, "after"); len(r.Errors) != 0 {
					t.Errorf("%s.%s %v: the next page: %s", c.owner, c.field.Name, o, r.RawBody)
				}
				others := []any{c.orders[(i+1)%len(c.orders)], c.orders[(i+2)%len(c.orders)]}
				if i%2 == 1 { // the same field, the other direction
					others = append(others, c.orders[i+1])
				}
				for _, other := range others {
					for _, dir := range []string{"after", "before"} {
						r, _ := page(other, cursor, dir)
						if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "another order") {
							t.Errorf("%s.%s: a cursor of %v given %s in %v: %s", c.owner, c.field.Name, o, dir, other, r.RawBody)
						}
					}
				}
				// A cursor made up of this order's tag and another order's
				// values (which hold another type) is refused as well: the
				// tag signs the values too.
				if _, otherCursor := page(others[0], nil, "after"); otherCursor != "" {
					tag, own, _ := strings.Cut(cursor, ".")
					_, values, _ := strings.Cut(otherCursor, ".")
					if values == own { // both orders' last rows hold the same values
						values = ""
					}
					for _, dir := range []string{"after", "before"} {
						r, _ := page(o, tag+"."+values, dir)
						if values != "" && strings.Contains(otherCursor, ".") && (len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT") {
							t.Errorf("%s.%s %v: a spliced cursor given %s: %s", c.owner, c.field.Name, o, dir, r.RawBody)
						}
					}
				}
			}
		}
		// A cursor that is not one of this server's.
		adm.MustFail(t, "BAD_USER_INPUT", `{ deals(first: 1, after: "bm90IGEgY3Vyc29y") { totalCount } }`, nil)
	})
}

// firstWith returns the ID of a node of the connection's owner type whose
// connection has a row.
func firstWith(t *testing.T, s *apitest.Server, c orderedConnection) string {
	t.Helper()
	list := map[string]string{"Deal": "deals", "Team": "teams", "User": "users", "Target": "targets", "KPI": "kpis",
		"Meeting": "meetings", "Organization": "organizations", "ReviewCycle": "reviewCycles"}[c.owner]
	if list == "" {
		t.Fatalf("no list of %s to take one from", c.owner)
	}
	var out map[string]struct {
		Edges []struct {
			Node map[string]any
		}
	}
	s.MustQuery(t, fmt.Sprintf("{ %s(first: 100) { edges { node { id ... on %s { %s(first: 1) { totalCount } } } } } }", list, c.owner, c.field.Name), nil, &out)
	for _, e := range out[list].Edges {
		if n, _ := e.Node[c.field.Name].(map[string]any); n != nil && n["totalCount"].(float64) > 0 {
			return e.Node["id"].(string)
		}
	}
	t.Fatalf("no %s with %s", c.owner, c.field.Name)
	return ""
}

func sortStrings(s []string) { sort.Strings(s) }
