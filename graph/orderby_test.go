package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/demo"
	"kpiflow/ent/user"
	"kpiflow/graph"
	"kpiflow/viewer"
)

// camel turns an order field (PERIOD_START) into its node field (periodStart).
func camel(v string) string {
	var b strings.Builder
	for i, part := range strings.Split(strings.ToLower(v), "_") {
		if i > 0 && part != "" {
			part = string(unicode.ToUpper(rune(part[0]))) + part[1:]
		}
		b.WriteString(part)
	}
	return b.String()
}

// orderKey makes a node field's JSON value comparable: times as instants,
// Money and numbers as numbers, the rest as text (enums are ordered as
// their stored names). ok is false for null.
func orderKey(t *testing.T, raw json.RawMessage) (key any, ok bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return nil, false
	}
	switch x := v.(type) {
	case map[string]any: // Money
		f, err := strconv.ParseFloat(fmt.Sprint(x["amount"]), 64)
		if err != nil {
			t.Fatalf("money %s", raw)
		}
		return f, true
	case float64:
		return x, true
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return float64(tm.UnixMicro()), true
		}
		return x, true
	}
	t.Fatalf("cannot order %s", raw)
	return nil, false
}

func less(a, b any) bool {
	switch a := a.(type) {
	case float64:
		return a < b.(float64)
	case string:
		return a < b.(string)
	}
	return false
}

// Every root connection honours orderBy: for each of its order fields, in
// both directions, the rows come in that field's order (reviewCycles used
// to ignore it). The connections and their fields are the served schema's.
func TestRootConnectionsHonourOrderBy(t *testing.T) {
	schema := graph.PublicSchema()
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		ctx := viewer.System(context.Background())
		sum, err := demo.Seed(ctx, s.Client, demo.Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		admin := s.Client.User.Query().Where(user.OrganizationID(sum.Organization.ID), user.RoleEQ(user.RoleAdmin)).FirstX(ctx)
		as := s.As(t, admin)
		connections := 0
		for _, f := range schema.Query.Fields {
			order := f.Arguments.ForName("orderBy")
			if order == nil || !strings.HasSuffix(f.Type.Name(), "Connection") {
				continue
			}
			connections++
			node := schema.Types[strings.TrimSuffix(f.Type.Name(), "Connection")]
			input := schema.Types[order.Type.Name()]
			fields := schema.Types[input.Fields.ForName("field").Type.Name()]
			isList := order.Type.Elem != nil
			for _, ev := range fields.EnumValues {
				nf := node.Fields.ForName(camel(ev.Name))
				if nf == nil {
					t.Errorf("%s: order field %s has no field %s on %s", f.Name, ev.Name, camel(ev.Name), node.Name)
					continue
				}
				sel := nf.Name
				if d := schema.Types[nf.Type.Name()]; d.Kind == ast.Object {
					sel += " { amount }"
				}
				distinct := map[any]bool{}
				for _, dir := range []string{"ASC", "DESC"} {
					var orderBy any = map[string]any{"field": ev.Name, "direction": dir}
					if isList {
						orderBy = []any{orderBy}
					}
					q := fmt.Sprintf(`query($o: %s) { %s(first: 200, orderBy: $o) { edges { node { id %s } } } }`,
						order.Type.String(), f.Name, sel)
					var out map[string]struct {
						Edges []struct {
							Node map[string]json.RawMessage `json:"node"`
						} `json:"edges"`
					}
					as.MustQuery(t, q, map[string]any{"o": orderBy}, &out)
					rows := out[f.Name].Edges
					var prev any
					for i, e := range rows {
						k, ok := orderKey(t, e.Node[nf.Name])
						if !ok {
							continue
						}
						distinct[k] = true
						if prev != nil && ((dir == "ASC" && less(k, prev)) || (dir == "DESC" && less(prev, k))) {
							t.Errorf("%s(orderBy: %s %s): row %d (%s) is out of order", f.Name, ev.Name, dir, i, e.Node[nf.Name])
							break
						}
						prev = k
					}
				}
				// An order is only seen among different values; an admin
				// sees one organization, so organizations cannot show it.
				if len(distinct) < 2 && f.Name != "organizations" {
					t.Errorf("%s: the demo has fewer than 2 values of %s to order", f.Name, ev.Name)
				}
			}
		}
		if connections < 8 {
			t.Errorf("only %d root connections with orderBy", connections)
		}
	})
}
