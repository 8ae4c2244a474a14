package graph_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/graph"
)

// idField is an input field of type ID or [ID!] of a mutation's arguments.
type idField struct {
	mutation string
	path     []string // from the argument: input, ownerID
	list     bool
}

// mutationIDFields enumerates, from the served schema, every ID-taking
// input field (and argument) of every mutation.
func mutationIDFields(schema *ast.Schema) []idField {
	var out []idField
	var walk func(m string, path []string, def *ast.Definition, seen map[string]bool)
	walk = func(m string, path []string, def *ast.Definition, seen map[string]bool) {
		if seen[def.Name] {
			return
		}
		seen[def.Name] = true
		defer delete(seen, def.Name)
		for _, f := range def.Fields {
			p := append(append([]string(nil), path...), f.Name)
			if f.Type.Name() == "ID" {
				out = append(out, idField{m, p, f.Type.Elem != nil})
			} else if d := schema.Types[f.Type.Name()]; d != nil && d.Kind == ast.InputObject {
				walk(m, p, d, seen)
			}
		}
	}
	for _, m := range schema.Mutation.Fields {
		for _, a := range m.Arguments {
			if a.Type.Name() == "ID" {
				out = append(out, idField{m.Name, []string{a.Name}, a.Type.Elem != nil})
			} else if d := schema.Types[a.Type.Name()]; d != nil && d.Kind == ast.InputObject {
				walk(m.Name, []string{a.Name}, d, map[string]bool{})
			}
		}
	}
	return out
}

// sample returns a value of a GraphQL input type for the required fields
// the test does not care about.
func sample(schema *ast.Schema, t *ast.Type, w *world, valid map[string]string, path string) any {
	if t.Elem != nil {
		return []any{sample(schema, t.Elem, w, valid, path)}
	}
	switch t.NamedType {
	case "ID":
		return w.ids[valid[path]]
	case "Int":
		return 1
	case "Float":
		return 1.0
	case "Boolean":
		return true
	case "Decimal":
		return "3"
	case "String":
		return "a comment"
	case "Time":
		return "2026-02-01T10:00:00Z"
	case "PeriodInput":
		return map[string]any{"kind": "MONTH", "year": 2030, "index": 1}
	}
	def := schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		in := map[string]any{}
		for _, f := range def.Fields {
			p := path + "." + f.Name
			if _, ok := valid[p]; ok || f.Type.NonNull || within(valid, p) {
				in[f.Name] = sample(schema, f.Type, w, valid, p)
			}
		}
		return in
	}
	return nil
}

// linkCases say who runs each mutation and which visible IDs its fields
// take when they are not the one probed (path → object of the world).
// Mutations not listed run as mA with no other IDs.
var linkCases = map[string]struct {
	viewer string
	valid  map[string]string
	// alone: fields that exclude others (a target is for a user or a team).
	alone map[string]string
}{
	"createDeal":    {"repA", map[string]string{"input.ownerID": "repA", "input.name": "", "input.customerName": ""}, nil},
	"updateDeal":    {"repA", map[string]string{"input.id": "dealA"}, nil},
	"createMeeting": {"repA", map[string]string{"input.ownerID": "repA"}, nil},
	"updateMeeting": {"repA", map[string]string{"input.id": "meetA"}, nil},
	"createUser":    {"admin", nil, nil},
	"updateUser":    {"admin", map[string]string{"input.id": "repA"}, nil},
	"createTeam":    {"admin", nil, nil},
	"updateTeam":    {"admin", map[string]string{"input.id": "A1"}, nil},
	"createKPI":     {"admin", nil, nil},
	"updateKPI":     {"admin", map[string]string{"input.id": "KAcme"}, nil},
	"createTargetDraft": {"mA", map[string]string{"input.kpiID": "KAcme", "input.userID": "repA"},
		map[string]string{"input.teamID": "input.userID"}},
	"proposeTarget": {"mA", map[string]string{"input.kpiID": "KAcme", "input.userID": "repA"},
		map[string]string{"input.teamID": "input.userID"}},
	"setMarketFactor":    {"mA", map[string]string{"input.teamID": "A"}, nil},
	"allocateTeamTarget": {"mA", map[string]string{"input.targetId": "tTeamA", "input.overrides.userID": "repA"}, nil},
}

// TestLinkedIDsMustBeInReach: every ID-taking input field of every
// mutation (enumerated from the schema), given an object of another
// organization, an object out of the viewer's reach or an ID of nothing,
// is NOT_FOUND and changes nothing.
func TestLinkedIDsMustBeInReach(t *testing.T) {
	t.Parallel() // long: runs beside the other long tests of the package
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	fields := mutationIDFields(schema)
	if len(fields) < 40 {
		t.Fatalf("only %d ID fields found", len(fields))
	}
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		w.withTargets(t)
		var names []string
		for n := range w.ids {
			names = append(names, n)
		}
		sort.Strings(names)
		invisible := map[string][]string{}
		for _, v := range []string{"repA", "mA", "admin"} {
			as := s.As(t, w.users[v])
			for _, n := range names {
				r := as.Query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.ids[n]})
				if len(r.Errors) == 1 && r.Errors[0].Code() == "NOT_FOUND" {
					invisible[v] = append(invisible[v], n)
				}
			}
		}
		if len(invisible["admin"]) < 8 || len(invisible["repA"]) < 15 {
			t.Fatalf("too little out of sight: %v", invisible)
		}
		probes := 0
		for _, f := range fields {
			if f.mutation == "login" {
				continue // before sign-in: the organization to sign in to, not a link
			}
			c, ok := linkCases[f.mutation]
			if !ok {
				c.viewer = "mA"
			}
			valid := map[string]string{}
			for p, n := range c.valid {
				if n != "" {
					valid[p] = n
				}
			}
			probed := strings.Join(f.path, ".")
			// The probed field keeps its valid ID in the sample (set replaces
			// it), so that an input object in a list around it is sampled
			// whole.
			if other, ok := c.alone[probed]; ok {
				delete(valid, other)
			}
			def := schema.Mutation.Fields.ForName(f.mutation)
			vars := map[string]any{}
			var decl, args []string
			for _, a := range def.Arguments {
				if a.Type.NonNull || a.Name == f.path[0] {
					vars[a.Name] = sample(schema, a.Type, w, valid, a.Name)
					decl = append(decl, fmt.Sprintf("$%s: %s", a.Name, a.Type.String()))
					args = append(args, fmt.Sprintf("%s: $%s", a.Name, a.Name))
				}
			}
			q := fmt.Sprintf("mutation(%s) { %s(%s) { __typename } }", strings.Join(decl, ", "), f.mutation, strings.Join(args, ", "))
			as := s.As(t, w.users[c.viewer])
			before := snapshot(t, s)
			failed := 0
			for _, n := range append(invisible[c.viewer], "nothing") {
				if failed > 1 {
					break // enough said about this field
				}
				id := any(w.ids[n])
				if n == "nothing" {
					id = "deal_01J00000000000000000000000"
				}
				var value any = id
				if f.list {
					value = []any{id}
				}
				set(vars, f.path, value)
				probes++
				r := as.Query(t, q, vars)
				if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
					failed++
					t.Errorf("%s: %s %s = %s: want NOT_FOUND, got %s", c.viewer, f.mutation, probed, n, r.RawBody)
				}
			}
			if after := snapshot(t, s); after != before {
				t.Errorf("%s %s: refused mutations changed the record:\n%s\n%s", f.mutation, probed, before, after)
			}
		}
		t.Logf("%d probes of %d fields", probes, len(fields))
	})
}

func set(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		var next map[string]any
		switch cur := m[p].(type) {
		case map[string]any:
			next = cur
		case []any: // a list of input objects: into its sampled element
			if len(cur) > 0 {
				next, _ = cur[0].(map[string]any)
			}
		}
		if next == nil {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// within reports whether a valid ID is given for a field inside the input
// field at path.
func within(valid map[string]string, path string) bool {
	for p := range valid {
		if strings.HasPrefix(p, path+".") {
			return true
		}
	}
	return false
}

// snapshot describes the record: every row that a link could change.
func snapshot(t *testing.T, s *apitest.Server) string {
	ctx := apitest.Sys()
	var b strings.Builder
	for _, d := range s.Client.Deal.Query().Order(deal.ByID()).WithMeetings().AllX(ctx) {
		fmt.Fprintf(&b, "deal %s %s %s %s %d %d;", d.ID, d.OwnerID, d.TeamID, d.Name, d.Amount, len(d.Edges.Meetings))
	}
	for _, m := range s.Client.Meeting.Query().Order(meeting.ByID()).AllX(ctx) {
		fmt.Fprintf(&b, "meeting %s %s %s %s;", m.ID, m.OwnerID, deref(m.DealID), m.Status)
	}
	for _, u := range s.Client.User.Query().Order(user.ByID()).WithManagedTeams().AllX(ctx) {
		fmt.Fprintf(&b, "user %s %s %s %s %d;", u.ID, deref(u.TeamID), u.Role, u.Email, len(u.Edges.ManagedTeams))
	}
	for _, tm := range s.Client.Team.Query().Order(team.ByID()).AllX(ctx) {
		fmt.Fprintf(&b, "team %s %s %s;", tm.ID, deref(tm.ParentID), tm.Name)
	}
	for _, tg := range s.Client.Target.Query().Order(target.ByID()).AllX(ctx) {
		fmt.Fprintf(&b, "target %s %s %d %v;", tg.ID, tg.Status, tg.Version, tg.Value)
	}
	fmt.Fprintf(&b, "kpis %d factors %d events %d", s.Client.KPI.Query().CountX(ctx),
		s.Client.MarketFactor.Query().CountX(ctx), s.Client.TargetEvent.Query().CountX(ctx))
	return b.String()
}

func deref(id *pulid.ID) string {
	if id == nil {
		return "-"
	}
	return string(*id)
}
