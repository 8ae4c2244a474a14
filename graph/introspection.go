package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/errcode"
)

// noIntrospection refuses, before anything runs, an operation that asks
// for the schema (__schema or __type, anywhere, fragments included) when
// introspection is off: FORBIDDEN, a client error logged in the access log
// only. Without it gqlgen's resolvers fail the field with an uncoded error,
// which the presenter would mask as INTERNAL and log as an error. __typename
// is not introspection and is always answered.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Doc == nil {
		return nil
	}
	if f := introspectionField(oc.Operation.SelectionSet, oc.Doc.Fragments, map[string]bool{}); f != nil {
		return &gqlerror.Error{
			Message:   "introspection is disabled on this server",
			Locations: []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}},
			Err:       errcode.New(errcode.Forbidden, "introspection is disabled on this server"),
		}
	}
	return nil
}

// introspectionField returns the first __schema or __type field of a
// selection set, or nil.
func introspectionField(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen map[string]bool) *ast.Field {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__schema" || sel.Name == "__type" {
				return sel
			}
			if f := introspectionField(sel.SelectionSet, frags, seen); f != nil {
				return f
			}
		case *ast.InlineFragment:
			if f := introspectionField(sel.SelectionSet, frags, seen); f != nil {
				return f
			}
		case *ast.FragmentSpread:
			if seen[sel.Name] {
				continue
			}
			seen[sel.Name] = true
			if d := frags.ForName(sel.Name); d != nil {
				if f := introspectionField(d.SelectionSet, frags, seen); f != nil {
					return f
				}
			}
		}
	}
	return nil
}
