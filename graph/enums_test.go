package graph_test

import (
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/schema/field"
	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/ent/migrate"
	"kpiflow/enum"
	"kpiflow/errcode"
	"kpiflow/graph"
)

// One GraphQL enum per concept: no two enums of the served schema have the
// same values (an entity's order fields excepted: each entity's is its
// own, and they grow apart as fields become orderable).
func TestOneEnumPerConcept(t *testing.T) {
	s := graph.PublicSchema()
	byValues := map[string][]string{}
	for _, def := range s.Types {
		if def.Kind != ast.Enum || strings.HasPrefix(def.Name, "__") || strings.HasSuffix(def.Name, "OrderField") {
			continue
		}
		var values []string
		for _, v := range def.EnumValues {
			values = append(values, v.Name)
		}
		slices.Sort(values)
		key := strings.Join(values, " ")
		byValues[key] = append(byValues[key], def.Name)
	}
	for values, names := range byValues {
		if len(names) > 1 {
			slices.Sort(names)
			t.Errorf("enums %v have the same values (%s): one concept, one enum", names, values)
		}
	}
	if len(byValues) < 10 {
		t.Fatalf("only %d enums found", len(byValues))
	}
}

// Every enum the database stores is a GraphQL enum wherever the API shows
// it: each enum column of ent's schema (migrate.Tables) is, on its entity's
// GraphQL type and in its where input, an enum with the column's values;
// and no field with the name of a known enumeration is a String.
func TestStoredEnumsAreEnums(t *testing.T) {
	s := graph.PublicSchema()
	flat := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	fieldFor := func(def *ast.Definition, column string) *ast.FieldDefinition {
		for _, f := range def.Fields {
			if flat(f.Name) == flat(column) {
				return f
			}
		}
		return nil
	}
	checked := 0
	for _, table := range migrate.Tables {
		var obj *ast.Definition
		for _, def := range s.Types {
			if def.Kind == ast.Object && flat(def.Name)+"s" == flat(table.Name) {
				obj = def
			}
		}
		for _, col := range table.Columns {
			if col.Type != field.TypeEnum || obj == nil {
				continue
			}
			want := slices.Sorted(slices.Values(col.Enums))
			check := func(where string, f *ast.FieldDefinition) {
				def := s.Types[f.Type.Name()]
				if def == nil || def.Kind != ast.Enum {
					t.Errorf("%s.%s (column %s.%s) is a %s, not an enum", where, f.Name, table.Name, col.Name, f.Type.Name())
					return
				}
				var got []string
				for _, v := range def.EnumValues {
					got = append(got, v.Name)
				}
				if slices.Sort(got); !slices.Equal(got, want) {
					t.Errorf("%s.%s is %s %v; the column stores %v", where, f.Name, def.Name, got, want)
				}
				checked++
			}
			if f := fieldFor(obj, col.Name); f != nil {
				check(obj.Name, f)
			}
			if w := s.Types[obj.Name+"WhereInput"]; w != nil {
				if f := fieldFor(w, col.Name); f != nil {
					check(w.Name, f)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d enum fields checked", checked)
	}
	known := []string{"status", "kind", "action", "track", "cadence", "decision", "reasonCode", "pendingReason",
		"role", "stage", "unit", "direction", "suggestedAction", "periodKind", "band", "reason", "fromStatus", "toStatus", "code"}
	for _, def := range s.Types {
		if strings.HasPrefix(def.Name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if slices.Contains(known, f.Name) && f.Type.Name() == "String" {
				t.Errorf("%s.%s is a String: it names an enumeration", def.Name, f.Name)
			}
		}
	}
}

// The shared enums of graph/enums.graphql have the values of their Go
// types, which the database stores.
func TestSharedEnumsMatchGo(t *testing.T) {
	s := graph.PublicSchema()
	for name, values := range map[string][]string{
		"PeriodKind":     enum.PeriodKind("").Values(),
		"TargetStatus":   enum.TargetStatus("").Values(),
		"TargetAction":   enum.TargetAction("").Values(),
		"ReasonCode":     enum.ReasonCode("").Values(),
		"ReviewCadence":  enum.ReviewCadence("").Values(),
		"ReviewDecision": enum.ReviewDecision("").Values(),
		"KPIStatus":      enum.KPIStatus("").Values(),
		"ErrorCode":      errcode.Code("").Values(),
	} {
		def := s.Types[name]
		if def == nil || def.Kind != ast.Enum {
			t.Errorf("no enum %s", name)
			continue
		}
		var got []string
		for _, v := range def.EnumValues {
			got = append(got, v.Name)
		}
		if !slices.Equal(got, values) {
			t.Errorf("enum %s is %v; Go has %v", name, got, values)
		}
	}
}
