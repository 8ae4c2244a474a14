package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/errcode"
)

// Bounds of the where filters of one operation. A filter becomes one SQL
// expression, and databases bound expressions (SQLite refuses a tree deeper
// than 1000, or more than 32766 parameters): filters are bounded well
// below, so that a hostile one is refused as bad input instead of failing
// in the database.
const (
	// MaxWhereDepth is the deepest nesting of where inputs, through and,
	// or, not and edge predicates (hasOwnerWith: [{hasTeamWith: …}] is 3).
	MaxWhereDepth = 10
	// MaxWhereInputs bounds the where input objects of an operation.
	MaxWhereInputs = 200
	// MaxWhereValues bounds the items of the lists (idIn, stageNotIn, …) of
	// the where inputs of an operation.
	MaxWhereValues = 1000
)

// whereLimits enforces the bounds on every where argument of an operation,
// of root and nested connections alike, before anything runs.
type whereLimits struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = whereLimits{}

func (whereLimits) ExtensionName() string                   { return "WhereLimits" }
func (whereLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (whereLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	m := &whereMeasure{vars: oc.Variables, frags: oc.Doc.Fragments}
	m.set(oc.Operation.SelectionSet, map[string]bool{})
	switch {
	case m.depth > MaxWhereDepth:
		return limitError("whereDepth", "a where filter nests %d levels deep; the limit is %d", m.depth, MaxWhereDepth)
	case m.inputs > MaxWhereInputs:
		return limitError("whereSize", "the where filters have %d conditions (input objects); the limit is %d", m.inputs, MaxWhereInputs)
	case m.values > MaxWhereValues:
		return limitError("whereValues", "the where filters list %d values; the limit is %d", m.values, MaxWhereValues)
	case m.empty != "":
		e := gqlerror.Errorf("where: %s holds an empty condition; give at least one field", m.empty)
		e.Extensions = map[string]any{"code": errcode.BadUserInput, "field": m.empty}
		return e
	}
	return nil
}

type whereMeasure struct {
	vars                  map[string]any
	frags                 ast.FragmentDefinitionList
	depth, inputs, values int
	empty                 string // the first of not, and, or holding an empty condition
}

func (m *whereMeasure) set(set ast.SelectionSet, seen map[string]bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			for _, a := range sel.Arguments {
				if a.Value == nil || a.Value.ExpectedType == nil || !strings.HasSuffix(a.Value.ExpectedType.Name(), "WhereInput") {
					continue
				}
				if v, err := a.Value.Value(m.vars); err == nil {
					m.value(v, 0, "")
				}
			}
			m.set(sel.SelectionSet, seen)
		case *ast.InlineFragment:
			m.set(sel.SelectionSet, seen)
		case *ast.FragmentSpread:
			if seen[sel.Name] {
				continue
			}
			if f := m.frags.ForName(sel.Name); f != nil {
				seen[sel.Name] = true
				m.set(f.SelectionSet, seen)
				delete(seen, sel.Name)
			}
		}
	}
}

// value measures a where value: objects are where inputs (depth counts
// them), lists hold where inputs (and, or, edge predicates) or values. via
// is the field that holds it.
func (m *whereMeasure) value(v any, depth int, via string) {
	switch v := v.(type) {
	case map[string]any:
		depth++
		m.inputs++
		if depth > m.depth {
			m.depth = depth
		}
		if len(v) == 0 && (via == "not" || via == "and" || via == "or") && m.empty == "" {
			m.empty = via
		}
		if depth > MaxWhereDepth+1 || m.inputs > MaxWhereInputs+1 {
			return // refused anyway: no need to walk further
		}
		for k, x := range v {
			m.value(x, depth, k)
		}
	case []any:
		for _, x := range v {
			if _, ok := x.(map[string]any); ok {
				m.value(x, depth, via)
			} else {
				m.values++
			}
		}
	}
}
