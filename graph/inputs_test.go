package graph_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"entgo.io/ent/schema/field"
	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/ent/migrate"
	"kpiflow/ent/schema"
	"kpiflow/ent/targetevent"
	"kpiflow/ent/user"
	"kpiflow/graph"
	"kpiflow/workflow"
)

// inputPosition is one place of the schema that takes a value of some
// scalar: an argument of a field, or a field of an input object (reached
// through the first argument that takes that input object).
type inputPosition struct {
	key       string   // Type.field(arg) or InputType.field
	op        string   // query or mutation
	selection []string // the fields and inline fragments leading to the field, outermost first
	field     *ast.FieldDefinition
	arg       *ast.ArgumentDefinition
	path      []string // input object fields from the argument to the scalar
}

// inputPositions enumerates, from the schema, every argument and input
// field whose (named) type is one of scalars, each once.
func inputPositions(scalars ...string) []inputPosition {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	want := map[string]bool{}
	for _, s := range scalars {
		want[s] = true
	}
	type node struct {
		typ       string
		op        string
		selection []string
	}
	var queue []node
	reached := map[string]bool{}
	for op, root := range map[string]*ast.Definition{"query": schema.Query, "mutation": schema.Mutation} {
		queue = append(queue, node{root.Name, op, nil})
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i].op > queue[j].op }) // queries first
	seen := map[string]bool{}
	var out []inputPosition
	var leaves func(p inputPosition, t *ast.Type, onPath map[string]bool)
	leaves = func(p inputPosition, t *ast.Type, onPath map[string]bool) {
		def := schema.Types[t.Name()]
		if def == nil {
			return
		}
		if def.Kind == ast.InputObject {
			if onPath[def.Name] {
				return
			}
			onPath[def.Name] = true
			defer delete(onPath, def.Name)
			for _, f := range def.Fields {
				q := p
				q.path = append(append([]string{}, p.path...), f.Name)
				q.key = def.Name + "." + f.Name
				leaves(q, f.Type, onPath)
			}
			return
		}
		if want[def.Name] && !seen[p.key] {
			seen[p.key] = true
			out = append(out, p)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if reached[n.typ] {
			continue
		}
		reached[n.typ] = true
		def := schema.Types[n.typ]
		if def.Kind == ast.Interface || def.Kind == ast.Union {
			for _, pt := range schema.GetPossibleTypes(def) {
				queue = append(queue, node{pt.Name, n.op, append(append([]string{}, n.selection...), "... on "+pt.Name)})
			}
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			for _, a := range f.Arguments {
				leaves(inputPosition{key: def.Name + "." + f.Name + "(" + a.Name + ")", op: n.op, selection: n.selection, field: f, arg: a}, a.Type, map[string]bool{})
			}
			if ft := schema.Types[f.Type.Name()]; ft != nil && (ft.Kind == ast.Object || ft.Kind == ast.Interface || ft.Kind == ast.Union) {
				queue = append(queue, node{ft.Name, n.op, append(append([]string{}, n.selection...), f.Name+requiredArgs(schema, f, ""))})
			}
		}
	}
	return out
}

// requiredArgs writes the literal arguments a field requires, but skip.
func requiredArgs(schema *ast.Schema, f *ast.FieldDefinition, skip string) string {
	var args []string
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.Name != skip && a.DefaultValue == nil {
			args = append(args, a.Name+": "+literalOf(schema, a.Type, dummy(schema, a.Type)))
		}
	}
	if len(args) == 0 {
		return ""
	}
	return "(" + strings.Join(args, ", ") + ")"
}

// dummy is a valid value of a type, as JSON would decode it: required
// input fields only.
func dummy(schema *ast.Schema, t *ast.Type) any {
	if t.Elem != nil {
		return []any{dummy(schema, t.Elem)}
	}
	def := schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		m := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				m[f.Name] = dummy(schema, f.Type)
			}
		}
		return m
	}
	switch def.Name {
	case "Int":
		return json.Number("1")
	case "Float":
		return json.Number("1.5")
	case "Boolean":
		return true
	case "Time":
		return "2026-01-01T00:00:00Z"
	case "Decimal":
		return "1.00"
	}
	return "x"
}

// withValue is a valid value of the position's argument, with bad at the
// position.
func (p inputPosition) withValue(schema *ast.Schema, bad any) any {
	var build func(t *ast.Type, path []string) any
	build = func(t *ast.Type, path []string) any {
		if t.Elem != nil {
			return []any{build(t.Elem, path)}
		}
		if len(path) == 0 {
			return bad
		}
		m, _ := dummy(schema, t).(map[string]any)
		f := schema.Types[t.NamedType].Fields.ForName(path[0])
		m[path[0]] = build(f.Type, path[1:])
		return m
	}
	return build(p.arg.Type, p.path)
}

// literalOf writes a value of a type as a GraphQL literal.
func literalOf(schema *ast.Schema, t *ast.Type, v any) string {
	if t.Elem != nil {
		var parts []string
		for _, e := range v.([]any) {
			parts = append(parts, literalOf(schema, t.Elem, e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	def := schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Enum:
		return fmt.Sprint(v)
	case ast.InputObject:
		m := v.(map[string]any)
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		var parts []string
		for _, k := range names {
			parts = append(parts, k+": "+literalOf(schema, def.Fields.ForName(k).Type, m[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// operation writes the operation that gives the position's argument
// either the variable $v or the literal value.
func (p inputPosition) operation(schema *ast.Schema, literal string) string {
	arg := "$v"
	if literal != "" {
		arg = literal
	}
	field := p.field.Name + "(" + p.arg.Name + ": " + arg
	if extra := requiredArgs(schema, p.field, p.arg.Name); extra != "" {
		field += ", " + strings.Trim(extra, "()")
	}
	field += ")"
	if ft := schema.Types[p.field.Type.Name()]; ft.Kind != ast.Scalar && ft.Kind != ast.Enum {
		field += " { __typename }"
	}
	q := field
	for i := len(p.selection) - 1; i >= 0; i-- {
		q = p.selection[i] + " { " + q + " }"
	}
	if literal != "" {
		return p.op + " { " + q + " }"
	}
	return p.op + "($v: " + p.arg.Type.String() + ") { " + q + " }"
}

// checkPositions sends bad at every position, by variable and (when
// literal) as a literal, and wants BAD_USER_INPUT with a message naming
// the reason (or gqlparser's own refusal of a variable), before any
// statement runs.
func checkPositions(t *testing.T, s *apitest.Server, positions []inputPosition, bad any, literal bool, reason string) {
	t.Helper()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, p := range positions {
		v := p.withValue(schema, bad)
		queries := map[string]map[string]any{p.operation(schema, ""): {"v": v}}
		if literal {
			queries[p.operation(schema, literalOf(schema, p.arg.Type, v))] = nil
		}
		for q, vars := range queries {
			before := s.Store.Statements()
			r := s.Query(t, q, vars)
			// gqlparser's coercion of variables refuses some cases itself.
			refused := len(r.Errors) == 1 && (r.Errors[0].Code() == "BAD_USER_INPUT" && strings.Contains(r.Errors[0].Message, reason) ||
				r.Errors[0].Code() == "GRAPHQL_VALIDATION_FAILED" && strings.HasPrefix(r.Errors[0].Message, "cannot use"))
			if !refused {
				t.Errorf("%s: %s\n  %s", p.key, r.RawBody[:min(len(r.RawBody), 300)], q)
				continue
			}
			if d := s.Store.Statements() - before; d != 0 {
				t.Errorf("%s: %d statements ran", p.key, d)
			}
		}
	}
}

// A NUL character is refused in every string input of the schema, on
// both databases alike (PostgreSQL cannot store one in text).
func TestNoNULInAnyStringInput(t *testing.T) {
	positions := inputPositions("String", "ID", "Cursor", "Decimal")
	if len(positions) < 50 {
		t.Fatalf("only %d string inputs found", len(positions))
	}
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		s.ActAs(t, s.User(t, s.Org(t, "Acme", "USD"), "admin@acme.test", user.RoleAdmin, nil))
		checkPositions(t, s, positions, "a\x00b", true, "NUL")
	})
}

// Every Int input refuses a string, as the specification's input coercion
// asks.
func TestIntInputsRefuseStrings(t *testing.T) {
	positions := inputPositions("Int")
	if len(positions) < 10 {
		t.Fatalf("only %d Int inputs found", len(positions))
	}
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		s.ActAs(t, s.User(t, s.Org(t, "Acme", "USD"), "admin@acme.test", user.RoleAdmin, nil))
		checkPositions(t, s, positions, "30", false, "Int must")
		checkPositions(t, s, positions, json.Number("30.5"), false, "Int must")
	})
}

// Every Time input refuses a time without an offset, which names no
// instant.
func TestTimeInputsNeedAnOffset(t *testing.T) {
	positions := inputPositions("Time")
	if len(positions) < 5 {
		t.Fatalf("only %d Time inputs found", len(positions))
	}
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		s.ActAs(t, s.User(t, s.Org(t, "Acme", "USD"), "admin@acme.test", user.RoleAdmin, nil))
		checkPositions(t, s, positions, "2026-11-01 10:00:00", true, "Time must")
		checkPositions(t, s, positions, "2026-11-01T10:00:00", true, "Time must")
	})
}

// Every string input is bounded (graph.MaxTextLen characters).
func TestTextInputsAreBounded(t *testing.T) {
	t.Parallel() // long: runs beside the other long tests of the package
	positions := inputPositions("String", "ID", "Cursor", "Decimal")
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		s.ActAs(t, s.User(t, s.Org(t, "Acme", "USD"), "admin@acme.test", user.RoleAdmin, nil))
		checkPositions(t, s, positions, strings.Repeat("é", graph.MaxTextLen+1), true, "at most")
	})
}

// storedByTheServer are the string columns no client writes: identifiers,
// hashes and values kpiflow derives or checks against a closed set.
var storedByTheServer = map[string]string{
	"idempotency_keys.viewer_id": "the viewer's ID", "idempotency_keys.request_hash": "a SHA-256",
	"idempotency_keys.response": "the response kpiflow sent", "kp_is.key": "validated: 2 to 64 characters",
	"organizations.currency": "validated: an ISO 4217 code", "organizations.timezone": "validated: an IANA zone",
	"refresh_tokens.token_hash": "a hash", "refresh_tokens.family": "an ID",
	"review_items.track": "a closed set", "review_items.suggestion_reason": "written by kpiflow",
	"targets.scope_key": "derived from IDs", "target_events.action": "a closed set",
	"target_revisions.action": "a closed set", "users.password_hash": "an argon2id hash",
}

// Every string column of every table has a bound (ent's MaxLen, checked
// by its validators for every writer), unless kpiflow alone writes it.
func TestStoredTextIsBounded(t *testing.T) {
	for _, table := range migrate.Tables {
		for _, c := range table.Columns {
			if c.Type != field.TypeString {
				continue
			}
			name := table.Name + "." + c.Name
			if _, ok := storedByTheServer[name]; ok {
				if c.Size > 0 && c.Size <= graph.MaxTextLen {
					t.Errorf("%s is bounded now: take it out of storedByTheServer", name)
				}
				continue
			}
			if c.Size <= 0 || c.Size > graph.MaxTextLen {
				t.Errorf("%s (a string column) has no bound: give it a MaxLen in its ent schema", name)
			}
		}
	}
}

// A workflow comment over its bound is refused and changes nothing.
func TestWorkflowCommentBound(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		for _, n := range []int{schema.MaxCommentLen + 1, graph.MaxTextLen + 1, 900_000} {
			e := w.fail(t, mgr, "BAD_USER_INPUT", "rejectTarget", map[string]any{
				"targetId": p.ID, "expectedVersion": p.Version, "comment": strings.Repeat("x", n)})
			if e.Extensions["field"] == nil || !strings.Contains(fmt.Sprint(e.Extensions["field"]), "comment") {
				t.Errorf("a comment of %d characters: %+v", n, e)
			}
		}
		if n := s.Client.TargetEvent.Query().Where(targetevent.ActionEQ(workflow.Reject)).CountX(apitest.Sys()); n != 0 {
			t.Errorf("%d rejections recorded", n)
		}
		w.do(t, mgr, "rejectTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version,
			"comment": strings.Repeat("x", schema.MaxCommentLen)})
	})
}
