package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"kpiflow/errcode"
)

// Limits bound what one operation may ask for; all are checked on the
// operation's syntax tree before any resolver or statement runs.
type Limits struct {
	// MaxDepth is the deepest nesting of fields (introspection excepted).
	MaxDepth int
	// MaxComplexity bounds the cost of an operation: every field costs 1,
	// and a connection multiplies the cost of what it selects by its page
	// size (first or last, 50 by default).
	MaxComplexity int
	// MaxAliases bounds the aliased fields, the usual way of asking for the
	// same expensive field many times.
	MaxAliases int
	// MaxTokens bounds the parser's work on a query document.
	MaxTokens int
	// MaxFields bounds the selections (fields, inline fragments and
	// fragment spreads, each spread counted as the fragment it brings) of
	// a whole document, checked before validation, whose cost grows with
	// the square of the number of fields of the same name.
	MaxFields int
}

// DefaultLimits are generous for any real client and fatal to abuse. Each
// Relay connection costs two levels (edges, node): four nested connections
// and their fields (teams → members → deals → meetings → kind) are 13 deep.
var DefaultLimits = Limits{MaxDepth: 15, MaxComplexity: 250_000, MaxAliases: 30, MaxTokens: 10_000, MaxFields: 500}

// fieldLimit refuses a document of more than max selections before gqlgen
// validates it: it parses the document itself (linear, under the token
// limit) and counts the selections of every operation and fragment, a
// fragment spread counting as everything it brings. Documents in the query
// cache were validated already and are not looked at again.
type fieldLimit struct {
	max, tokens int
	cache       graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = fieldLimit{}

func (fieldLimit) ExtensionName() string                   { return "FieldLimit" }
func (fieldLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l fieldLimit) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	if _, ok := l.cache.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.tokens)
	if err != nil {
		return nil // gqlgen reports it
	}
	c := &selectionCounter{max: l.max, frags: doc.Fragments, sizes: map[string]int{}}
	n := 0
	for _, op := range doc.Operations {
		n = c.add(n, c.set(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		n = c.add(n, c.fragment(f.Name))
	}
	if n > l.max {
		return limitError("fields", "the document has over %d selections (fields, fragments and what the fragments bring); the limit is %d",
			l.max, l.max)
	}
	return nil
}

// selectionCounter counts the selections of a document, saturating just
// past max: fragments spread in fragments can multiply without end.
type selectionCounter struct {
	max   int
	frags ast.FragmentDefinitionList
	sizes map[string]int // fragment sizes, -1 while one is being counted
}

func (c *selectionCounter) add(a, b int) int { return min(a+b, c.max+1) }

func (c *selectionCounter) set(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			n = c.add(n, c.add(1, c.set(sel.SelectionSet)))
		case *ast.InlineFragment:
			n = c.add(n, c.add(1, c.set(sel.SelectionSet)))
		case *ast.FragmentSpread:
			n = c.add(n, c.add(1, c.fragment(sel.Name)))
		}
		if n > c.max {
			return n
		}
	}
	return n
}

func (c *selectionCounter) fragment(name string) int {
	if n, ok := c.sizes[name]; ok {
		return max(n, 0) // a cycle, which validation refuses, counts nothing
	}
	f := c.frags.ForName(name)
	if f == nil {
		return 0
	}
	c.sizes[name] = -1
	n := c.set(f.SelectionSet)
	c.sizes[name] = n
	return n
}

// queryLimits enforces Limits. It runs after pageLimits, which has given
// every connection its page size.
type queryLimits struct{ Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = queryLimits{}

func (queryLimits) ExtensionName() string                   { return "QueryLimits" }
func (queryLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l queryLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	m := &measure{vars: oc.Variables, frags: oc.Doc.Fragments}
	cost := m.set(oc.Operation.SelectionSet, 1, map[string]bool{})
	switch {
	case m.depth > l.MaxDepth:
		return limitError("depth", "the operation nests %d fields deep; the limit is %d", m.depth, l.MaxDepth)
	case m.aliases > l.MaxAliases:
		return limitError("aliases", "the operation has %d aliased fields; the limit is %d", m.aliases, l.MaxAliases)
	case cost > l.MaxComplexity:
		return limitError("complexity", "the operation's complexity is %d (pages multiply what they select); the limit is %d",
			cost, l.MaxComplexity)
	}
	return nil
}

func limitError(limit, format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": errcode.BadUserInput, "limit": limit}
	return e
}

// measure walks a selection set for its depth, aliases and cost.
type measure struct {
	vars    map[string]any
	frags   ast.FragmentDefinitionList
	depth   int
	aliases int
}

// set returns the cost of a selection set at a depth; seen guards against
// fragment cycles (which validation forbids anyway).
func (m *measure) set(set ast.SelectionSet, depth int, seen map[string]bool) int {
	cost := 0
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(sel.Name, "__") {
				continue // introspection and __typename are the schema's, not data
			}
			if depth > m.depth {
				m.depth = depth
			}
			if sel.Alias != "" && sel.Alias != sel.Name {
				m.aliases++
			}
			cost += 1 + m.multiplier(sel)*m.set(sel.SelectionSet, depth+1, seen)
		case *ast.InlineFragment:
			cost += m.set(sel.SelectionSet, depth, seen)
		case *ast.FragmentSpread:
			if seen[sel.Name] {
				continue
			}
			if f := m.frags.ForName(sel.Name); f != nil {
				seen[sel.Name] = true
				cost += m.set(f.SelectionSet, depth, seen)
				delete(seen, sel.Name)
			}
		}
	}
	return cost
}

// multiplier is a connection's page size, a plain list's first (given
// or its default, as Target.earlierTargets's), and 1 for any other field.
func (m *measure) multiplier(f *ast.Field) int {
	if f.Definition == nil {
		return 1
	}
	connection := strings.HasSuffix(f.Definition.Type.Name(), "Connection")
	if !connection && f.Definition.Type.Elem == nil {
		return 1
	}
	n := 0
	for _, name := range []string{"first", "last"} {
		var v any
		if a := f.Arguments.ForName(name); a != nil {
			v, _ = a.Value.Value(m.vars)
		}
		if d := f.Definition.Arguments.ForName(name); v == nil && !connection && d != nil && d.DefaultValue != nil {
			v, _ = d.DefaultValue.Value(nil)
		}
		if i, ok := asInt(v); ok && int(i) > n {
			n = int(i)
		}
	}
	if n == 0 {
		return 1
	}
	return n
}
