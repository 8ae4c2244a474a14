package graph_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
)

const introspectionQuery = `query {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      fields(includeDeprecated: true) { name args(includeDeprecated: true) { ...Value } type { ...Ref } isDeprecated }
      inputFields(includeDeprecated: true) { ...Value }
      interfaces { name }
      possibleTypes { name }
      enumValues(includeDeprecated: true) { name isDeprecated }
    }
    directives { name isRepeatable locations args(includeDeprecated: true) { ...Value } }
  }
}
fragment Value on __InputValue { name type { ...Ref } defaultValue }
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`

type introRef struct {
	Kind   string    `json:"kind"`
	Name   *string   `json:"name"`
	OfType *introRef `json:"ofType"`
}

func (r *introRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return *r.Name
}

type introValue struct {
	Name         string   `json:"name"`
	Type         introRef `json:"type"`
	DefaultValue *string  `json:"defaultValue"`
}

func (v introValue) String() string {
	s := v.Name + ": " + v.Type.String()
	if v.DefaultValue != nil {
		s += " = " + *v.DefaultValue
	}
	return s
}

type named struct {
	Name string `json:"name"`
}

// specifiedDirectives are the GraphQL specification's: every schema has
// them, and an SDL need not declare them.
var specifiedDirectives = []string{"skip", "include", "deprecated", "specifiedBy", "oneOf"}

// schemaLines describes a schema as sorted lines, one per type, field,
// argument, enum value, interface, member and directive.
func introspectedLines(t *testing.T, s *apitest.Server) []string {
	var out struct {
		Schema struct {
			QueryType, MutationType, SubscriptionType *named
			Types                                     []struct {
				Kind   string `json:"kind"`
				Name   string `json:"name"`
				Fields []struct {
					Name         string       `json:"name"`
					Args         []introValue `json:"args"`
					Type         introRef     `json:"type"`
					IsDeprecated bool         `json:"isDeprecated"`
				} `json:"fields"`
				InputFields   []introValue `json:"inputFields"`
				Interfaces    []named      `json:"interfaces"`
				PossibleTypes []named      `json:"possibleTypes"`
				EnumValues    []struct {
					Name         string `json:"name"`
					IsDeprecated bool   `json:"isDeprecated"`
				} `json:"enumValues"`
			} `json:"types"`
			Directives []struct {
				Name         string       `json:"name"`
				IsRepeatable bool         `json:"isRepeatable"`
				Locations    []string     `json:"locations"`
				Args         []introValue `json:"args"`
			} `json:"directives"`
		} `json:"__schema"`
	}
	s.MustQuery(t, introspectionQuery, nil, &out)
	var lines []string
	add := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	for _, root := range []struct {
		op string
		t  *named
	}{{"query", out.Schema.QueryType}, {"mutation", out.Schema.MutationType}, {"subscription", out.Schema.SubscriptionType}} {
		if root.t != nil {
			add("schema %s: %s", root.op, root.t.Name)
		}
	}
	for _, ty := range out.Schema.Types {
		add("type %s %s", ty.Kind, ty.Name)
		for _, f := range ty.Fields {
			add("field %s.%s: %s deprecated=%v", ty.Name, f.Name, f.Type.String(), f.IsDeprecated)
			for _, a := range f.Args {
				add("arg %s.%s(%s)", ty.Name, f.Name, a)
			}
		}
		for _, f := range ty.InputFields {
			add("input %s.%s", ty.Name, f)
		}
		for _, i := range ty.Interfaces {
			add("implements %s %s", ty.Name, i.Name)
		}
		for _, p := range ty.PossibleTypes {
			add("possible %s %s", ty.Name, p.Name)
		}
		for _, v := range ty.EnumValues {
			add("value %s.%s deprecated=%v", ty.Name, v.Name, v.IsDeprecated)
		}
	}
	for _, d := range out.Schema.Directives {
		locs := slices.Sorted(slices.Values(d.Locations))
		add("directive @%s repeatable=%v on %s", d.Name, d.IsRepeatable, strings.Join(locs, "|"))
		for _, a := range d.Args {
			add("directive-arg @%s(%s)", d.Name, a)
		}
	}
	slices.Sort(lines)
	return lines
}

func sdlLines(t *testing.T, sdl string) []string {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		t.Fatalf("the served SDL does not load: %v", err)
	}
	var lines []string
	add := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
	value := func(a *ast.ArgumentDefinition) string {
		v := a.Name + ": " + a.Type.String()
		if a.DefaultValue != nil {
			v += " = " + a.DefaultValue.String()
		}
		return v
	}
	deprecated := func(dl ast.DirectiveList) bool { return dl.ForName("deprecated") != nil }
	for op, d := range map[string]*ast.Definition{"query": s.Query, "mutation": s.Mutation, "subscription": s.Subscription} {
		if d != nil {
			add("schema %s: %s", op, d.Name)
		}
	}
	for _, ty := range s.Types {
		add("type %s %s", ty.Kind, ty.Name)
		for _, f := range ty.Fields {
			if ty.Kind == ast.InputObject {
				v := f.Name + ": " + f.Type.String()
				if f.DefaultValue != nil {
					v += " = " + f.DefaultValue.String()
				}
				add("input %s.%s", ty.Name, v)
				continue
			}
			if strings.HasPrefix(f.Name, "__") {
				continue // __typename, __schema, __type: meta-fields, not listed by introspection
			}
			add("field %s.%s: %s deprecated=%v", ty.Name, f.Name, f.Type.String(), deprecated(f.Directives))
			for _, a := range f.Arguments {
				add("arg %s.%s(%s)", ty.Name, f.Name, value(a))
			}
		}
		for _, i := range ty.Interfaces {
			add("implements %s %s", ty.Name, i)
		}
		if ty.Kind == ast.Union || ty.Kind == ast.Interface {
			for _, p := range s.PossibleTypes[ty.Name] {
				add("possible %s %s", ty.Name, p.Name)
			}
		}
		for _, v := range ty.EnumValues {
			add("value %s.%s deprecated=%v", ty.Name, v.Name, deprecated(v.Directives))
		}
	}
	for _, d := range s.Directives {
		// gqlparser adds its prelude to every schema it loads: of it,
		// only the specification's directives are implied by an SDL.
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn && !slices.Contains(specifiedDirectives, d.Name) {
			continue
		}
		var locs []string
		for _, l := range d.Locations {
			locs = append(locs, string(l))
		}
		slices.Sort(locs)
		add("directive @%s repeatable=%v on %s", d.Name, d.IsRepeatable, strings.Join(locs, "|"))
		for _, a := range d.Arguments {
			add("directive-arg @%s(%s)", d.Name, value(a))
		}
	}
	slices.Sort(lines)
	return lines
}

// What introspection shows is the schema /graphql/schema.graphql serves:
// the same directives, types, fields, arguments, input fields, interfaces,
// union members and enum values — no server internals (gqlgen's @goField,
// @goModel) and nothing the server does not offer (@defer).
func TestIntrospectionIsTheServedSDL(t *testing.T) {
	s := apitest.NewServer(t, apitest.Backends(t)[0])
	resp, err := http.Get(s.URL + "/graphql/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sdl, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /graphql/schema.graphql: HTTP %d", resp.StatusCode)
	}
	got, want := introspectedLines(t, s), sdlLines(t, string(sdl))
	if len(got) < 1000 {
		t.Fatalf("introspection described only %d things", len(got))
	}
	for _, l := range got {
		if _, found := slices.BinarySearch(want, l); !found {
			t.Errorf("introspection shows, the SDL does not: %s", l)
		}
	}
	for _, l := range want {
		if _, found := slices.BinarySearch(got, l); !found {
			t.Errorf("the SDL has, introspection does not show: %s", l)
		}
	}
	// A query that uses @defer is refused as invalid, not half answered.
	r := s.Query(t, `{ ... @defer { __typename } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("@defer: %s", r.RawBody)
	}
}
