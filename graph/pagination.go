package graph

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/errcode"
	"kpiflow/graph/model"
)

// Page sizes of every connection (DESIGN.md §9).
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// pageLimits gives every connection field of an operation a page size
// before anything runs: `first: 50` where neither first nor last has a
// value, and an error where either asks for more than MaxPageSize. It also
// checks that every cursor comes from the order it is given with (cursors).
//
// It rewrites the operation's syntax tree rather than checking in a
// resolver, because nested connections are loaded eagerly by their parents
// from the arguments written in the tree. Parsed documents are shared
// between requests by the query cache and the defaults depend on each
// request's variables, so the rewrite works on a copy of the operation.
type pageLimits struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = pageLimits{}

func (pageLimits) ExtensionName() string                   { return "PageLimits" }
func (pageLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (pageLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Doc == nil {
		return nil
	}
	w := &pageWalker{vars: oc.Variables, src: oc.Doc.Fragments, frags: map[string]*ast.FragmentDefinition{},
		cursorVars: map[string]string{}, cursorKey: model.CursorKey(ctx)}
	op := *oc.Operation
	op.SelectionSet = w.set(op.SelectionSet)
	if w.err != nil {
		return w.err
	}
	doc := *oc.Doc
	doc.Fragments = make(ast.FragmentDefinitionList, 0, len(oc.Doc.Fragments))
	for _, f := range oc.Doc.Fragments {
		doc.Fragments = append(doc.Fragments, w.fragment(f.Name))
	}
	if w.err != nil {
		return w.err
	}
	for name, c := range w.cursorVars {
		oc.Variables[name] = c
	}
	oc.Doc, oc.Operation = &doc, &op
	return nil
}

// pageWalker copies a selection set, giving connection fields their limits.
type pageWalker struct {
	vars  map[string]any
	src   ast.FragmentDefinitionList
	frags map[string]*ast.FragmentDefinition // copies, by name
	err   *gqlerror.Error
	// cursorVars are the cursor variables, without their order tags.
	cursorVars map[string]string
	cursorKey  []byte
}

func (w *pageWalker) set(in ast.SelectionSet) ast.SelectionSet {
	if in == nil {
		return nil
	}
	out := make(ast.SelectionSet, 0, len(in))
	for _, sel := range in {
		switch sel := sel.(type) {
		case *ast.Field:
			f := *sel
			f.Arguments = w.cursors(sel, w.limit(sel))
			f.SelectionSet = w.set(sel.SelectionSet)
			out = append(out, &f)
		case *ast.InlineFragment:
			f := *sel
			f.SelectionSet = w.set(sel.SelectionSet)
			out = append(out, &f)
		case *ast.FragmentSpread:
			f := *sel
			f.Definition = w.fragment(sel.Name)
			out = append(out, &f)
		default:
			out = append(out, sel)
		}
	}
	return out
}

func (w *pageWalker) fragment(name string) *ast.FragmentDefinition {
	if f, ok := w.frags[name]; ok {
		return f
	}
	src := w.src.ForName(name)
	if src == nil {
		return nil
	}
	f := *src
	w.frags[name] = &f // before the walk: fragments cannot cycle, but be safe
	f.SelectionSet = w.set(src.SelectionSet)
	return &f
}

// limit returns the arguments of a field, with the default page size added
// to a connection that has neither first nor last.
func (w *pageWalker) limit(f *ast.Field) ast.ArgumentList {
	def := f.Definition
	if def == nil || def.Type == nil || !strings.HasSuffix(def.Type.Name(), "Connection") ||
		def.Arguments.ForName("first") == nil || def.Arguments.ForName("last") == nil {
		return f.Arguments
	}
	given := false
	for _, name := range []string{"first", "last"} {
		arg := f.Arguments.ForName(name)
		if arg == nil {
			continue
		}
		v, err := arg.Value.Value(w.vars)
		if err != nil || v == nil {
			continue
		}
		given = true
		if n, ok := asInt(v); ok && n > MaxPageSize && w.err == nil {
			w.err = gqlerror.ErrorPosf(arg.Position, "%s: a page has at most %d items, and %s asked for %d",
				name, MaxPageSize, f.Alias, n)
			w.err.Extensions = map[string]any{"code": errcode.BadUserInput, "field": name}
		}
	}
	if given {
		return f.Arguments
	}
	args := make(ast.ArgumentList, 0, len(f.Arguments)+1)
	for _, a := range f.Arguments {
		if a.Name != "first" { // a first whose variable is null is replaced
			args = append(args, a)
		}
	}
	return append(args, &ast.Argument{
		Name:     "first",
		Value:    &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(DefaultPageSize), Position: f.Position},
		Position: f.Position,
	})
}

func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case float64:
		return int64(v), true
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	}
	return 0, false
}

// cursors checks the cursors (after, before) of a connection field: each
// must carry the tag of the field's order (model.MarshalCursor), since a
// cursor holds the last row's values of the order's field, meaningless for
// another field (and on PostgreSQL a type error). It returns the field's
// arguments with the tags taken off literal cursors, and records the
// variables to take them off: entgql's loaders read the raw arguments.
func (w *pageWalker) cursors(f *ast.Field, args ast.ArgumentList) ast.ArgumentList {
	if f.Definition == nil || !strings.HasSuffix(f.Definition.Type.Name(), "Connection") || w.err != nil {
		return args
	}
	var out ast.ArgumentList
	for i, a := range args {
		if a.Name != "after" && a.Name != "before" || a.Value == nil {
			continue
		}
		v, err := a.Value.Value(w.vars)
		s, ok := v.(string)
		if err != nil || !ok {
			continue
		}
		tag, rest, ok := model.SplitCursor(s)
		if !ok {
			w.err = cursorError(a, "%s: not a cursor of this server: use one that pageInfo or edges gave", a.Name)
			return args
		}
		if !hmac.Equal([]byte(tag), []byte(model.CursorTag(w.cursorKey, f.ArgumentMap(w.vars)["orderBy"], rest))) {
			w.err = cursorError(a, "%s: this cursor is not one this server gave for %s in this order "+
				"(it comes from a page in another orderBy, or was altered); ask for the first page in this order again", a.Name, f.Alias)
			return args
		}
		if a.Value.Kind == ast.Variable {
			w.cursorVars[a.Value.Raw] = rest
			continue
		}
		if out == nil {
			out = append(ast.ArgumentList{}, args...)
		}
		arg, val := *a, *a.Value
		val.Raw = rest
		arg.Value = &val
		out[i] = &arg
	}
	if out != nil {
		return out
	}
	return args
}

func cursorError(a *ast.Argument, format string, args ...any) *gqlerror.Error {
	e := gqlerror.ErrorPosf(a.Position, format, args...)
	e.Extensions = map[string]any{"code": errcode.BadUserInput, "field": a.Name}
	return e
}
