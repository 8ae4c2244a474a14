package graph

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/errcode"
	"kpiflow/graph/model"
)

// inputCheck reads every input of an operation against its declared type
// before anything runs, whether or not the field that takes it is ever
// resolved: the value of every variable (walked through input objects and
// lists) and every literal argument of the document. It refuses, as
// BAD_USER_INPUT naming the input:
//
//   - a NUL character in any string (String, ID or a custom scalar written
//     as a string): PostgreSQL cannot store one in text, SQLite would;
//   - an Int given as a string ("30") or as a fractional number: the
//     GraphQL specification's input coercion refuses them, gqlparser's
//     variable coercion does not;
//   - a Time that is not an RFC 3339 instant with its offset;
//   - a string of more than MaxTextLen characters: no input needs more (the
//     longest stored text, a meeting's notes, is 20,000 bytes), and every
//     stored text has its own, smaller bound in its ent schema.
//
// The scalars' own unmarshalers (graph/model) refuse the same Int and Time
// values; checking here too makes the refusal independent of where the
// input is used.
type inputCheck struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = inputCheck{}

func (inputCheck) ExtensionName() string                   { return "InputCheck" }
func (inputCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (c inputCheck) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Doc == nil {
		return nil
	}
	for _, def := range oc.Operation.VariableDefinitions {
		v, ok := oc.Variables[def.Variable]
		if !ok {
			continue
		}
		if err := c.value("$"+def.Variable, def.Type, v); err != nil {
			return inputError(def.Position, err)
		}
	}
	w := literalWalker{frags: oc.Doc.Fragments, seen: map[string]bool{}}
	w.set(oc.Operation.SelectionSet)
	for _, d := range oc.Operation.Directives {
		w.args(d.Arguments)
	}
	if w.err != nil {
		return inputError(w.pos, w.err)
	}
	return nil
}

func inputError(pos *ast.Position, err *errcode.Error) *gqlerror.Error {
	e := &gqlerror.Error{Message: err.Error(), Err: err}
	if pos != nil {
		e.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return e
}

// value checks a variable's (coerced) value v of type t at path.
func (c inputCheck) value(path string, t *ast.Type, v any) *errcode.Error {
	if v == nil || t == nil {
		return nil
	}
	if t.Elem != nil {
		if list, ok := v.([]any); ok {
			for i, e := range list {
				if err := c.value(fmt.Sprintf("%s[%d]", path, i), t.Elem, e); err != nil {
					return err
				}
			}
			return nil
		}
		return c.value(path, t.Elem, v) // a single value for a list
	}
	def := c.schema.Types[t.NamedType]
	if def != nil && def.Kind == ast.InputObject {
		m, ok := v.(map[string]any)
		if !ok {
			return nil // gqlparser refused it already
		}
		for k, fv := range m {
			var ft *ast.Type
			if f := def.Fields.ForName(k); f != nil {
				ft = f.Type
			}
			if ft == nil {
				if err := noNUL(path+"."+k, fv); err != nil { // an unknown field: refused later, but never stored
					return err
				}
				continue
			}
			if err := c.value(path+"."+k, ft, fv); err != nil {
				return err
			}
		}
		return nil
	}
	return scalar(path, t.NamedType, v)
}

// scalar checks one value of a named scalar or enum type.
func scalar(path, typ string, v any) *errcode.Error {
	switch typ {
	case "Int":
		if _, err := model.UnmarshalInt64(v); err != nil {
			return errcode.BadInput(path, "%s", err.Error())
		}
	case "Time":
		if _, err := model.UnmarshalTime(v); err != nil {
			return errcode.BadInput(path, "%s", err.Error())
		}
	}
	return noNUL(path, v)
}

// MaxTextLen bounds every string input, in characters.
const MaxTextLen = 20_000

// noNUL refuses a NUL character in any string within v, and a string of
// more than MaxTextLen characters.
func noNUL(path string, v any) *errcode.Error {
	switch v := v.(type) {
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			return errcode.BadInput(path, "must not contain a NUL character (U+0000)")
		}
		if len(v) > MaxTextLen && utf8.RuneCountInString(v) > MaxTextLen {
			return errcode.BadInput(path, "has at most %d characters", MaxTextLen)
		}
	case []any:
		for i, e := range v {
			if err := noNUL(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range v {
			if err := noNUL(path+"."+k, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// literalWalker checks the literal arguments of a selection set and of the
// fragments it spreads.
type literalWalker struct {
	frags ast.FragmentDefinitionList
	seen  map[string]bool
	err   *errcode.Error
	pos   *ast.Position
}

func (w *literalWalker) set(set ast.SelectionSet) {
	for _, sel := range set {
		if w.err != nil {
			return
		}
		switch sel := sel.(type) {
		case *ast.Field:
			w.directives(sel.Directives)
			w.args(sel.Arguments)
			w.set(sel.SelectionSet)
		case *ast.InlineFragment:
			w.directives(sel.Directives)
			w.set(sel.SelectionSet)
		case *ast.FragmentSpread:
			w.directives(sel.Directives)
			if !w.seen[sel.Name] {
				w.seen[sel.Name] = true
				if f := w.frags.ForName(sel.Name); f != nil {
					w.set(f.SelectionSet)
				}
			}
		}
	}
}

func (w *literalWalker) directives(ds ast.DirectiveList) {
	for _, d := range ds {
		w.args(d.Arguments)
	}
}

func (w *literalWalker) args(args ast.ArgumentList) {
	for _, a := range args {
		if w.err == nil {
			w.literal(a.Name, a.Value)
		}
	}
}

func (w *literalWalker) literal(path string, v *ast.Value) {
	if v == nil || w.err != nil {
		return
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		typ := ""
		if v.ExpectedType != nil && v.ExpectedType.Elem == nil {
			typ = v.ExpectedType.NamedType
		}
		if err := scalar(path, typ, v.Raw); err != nil {
			w.err, w.pos = err, v.Position
		}
	case ast.ListValue:
		for i, c := range v.Children {
			w.literal(fmt.Sprintf("%s[%d]", path, i), c.Value)
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			w.literal(path+"."+c.Name, c.Value)
		}
	}
}
