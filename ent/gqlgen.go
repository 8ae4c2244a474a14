//go:build ignore

// gqlgen generates the GraphQL executor (graph/generated.go) and the
// resolver stubs from gqlgen.yml, as `gqlgen generate` does, with changes
// of kpiflow's to how the executor resolves a response, all for its cost
// per field or object: sequentialFields, a plugin, then sequentialLists,
// noDefers and objectWriter, which replace calls in the generated executor. It runs
// from the module's root.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		log.Fatalf("loading gqlgen.yml: %v", err)
	}
	if err := api.Generate(cfg, api.AddPlugin(sequentialFields{})); err != nil {
		log.Fatalf("running gqlgen: %v", err)
	}
	for _, r := range []replacement{sequentialLists, noDefers, objectWriter} {
		if err := r.apply(cfg.Exec.Filename); err != nil {
			log.Fatalf("generating %s: %v", cfg.Exec.Filename, err)
		}
	}
	if err := leafFields(cfg.Exec.Filename); err != nil {
		log.Fatalf("generating %s: %v", cfg.Exec.Filename, err)
	}
}

// leafFields marshals the plain leaf fields of an object in place: a
// scalar or enum field read from a Go struct field (no resolver, no
// method, no arguments), whose marshaler can neither fail nor add an error.
// gqlgen's template resolves every field through graphql.ResolveField: a
// FieldContext and a context value for the field, five closures, the value
// boxed and asserted back, the field middleware and a recover, some ten
// allocations per field, for fields that only copy a value into the
// response (two of every three fields of a list's objects). Those fields
// keep nothing of it that could matter:
//   - no field middleware runs: package graph's handler installs none
//     (graph.TestNoFieldMiddleware fails when one is added);
//   - nothing below a leaf reads its FieldContext (it has no child fields)
//     and reading a struct field of the non-nil object cannot panic;
//   - the marshalers kept are those that cannot produce a null nor an
//     error, which are the only paths that read the field's context (for
//     the error's path): a type that marshals itself (enums, IDs), or
//     strings, booleans and ints, which gqlgen's marshalers never make
//     null, or a nullable field's marshaler that never reads the context
//     (a nil is a plain null). Float! (an error for NaN, written with the
//     context) and every other one keep gqlgen's path;
//   - a Time! field is written in place unless it is the zero time, whose
//     null (and the error with the field's path) goes gqlgen's path.
//
// What the response contains is unchanged: graph's tests compare whole
// responses and error paths.
func leafFields(filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	safe := map[string]bool{}
	for _, m := range marshalerRE.FindAllSubmatch(src, -1) {
		if safeMarshaler(string(m[2])) {
			safe[string(m[1])] = true
		}
	}
	scalarContext := map[string]bool{}
	for _, m := range scalarContextRE.FindAllSubmatch(src, -1) {
		scalarContext[string(m[1])] = true
	}
	// Non-null fields whose marshaler gives a null only for a value it
	// computes without the context (Time!: the zero time), keyed by the
	// marshaler, with the function that computes it.
	nullable := map[string]string{}
	for _, m := range marshalerRE.FindAllSubmatch(src, -1) {
		if v := valueOnlyRE.FindStringSubmatch(string(m[2])); v != nil {
			nullable[string(m[1])] = v[1]
		}
	}
	n := 0
	out := leafRE.ReplaceAllFunc(src, func(f []byte) []byte {
		m := leafRE.FindSubmatch(f)
		name, obj, fieldContext, goField, marshal := m[1], m[2], m[3], m[4], m[6]
		if !scalarContext[string(fieldContext)] {
			return f
		}
		if value, ok := nullable[string(marshal)]; ok {
			// The value when it is not null; for a null, gqlgen's path,
			// which adds the error with the field's path.
			n++
			return []byte(fmt.Sprintf("func (ec *executionContext) %s(ctx context.Context, field graphql.CollectedField, obj %s) (ret graphql.Marshaler) {\n"+
				"\tif res := %s(obj.%s); res != graphql.Null {\n\t\treturn res\n\t}\n\treturn ec.%sResolved(ctx, field, obj)\n}\n\n%s",
				name, obj, value, goField, name, bytes.Replace(f, name, append(append([]byte{}, name...), "Resolved"...), 1)))
		}
		if !safe[string(marshal)] {
			return f
		}
		n++
		return []byte(fmt.Sprintf("func (ec *executionContext) %s(ctx context.Context, field graphql.CollectedField, obj %s) (ret graphql.Marshaler) {\n"+
			"\treturn ec.%s(ctx, field.Selections, obj.%s)\n}", name, obj, marshal, goField))
	})
	if n == 0 {
		return fmt.Errorf("no leaf field matched: gqlgen's template changed, look again at what it does")
	}
	return os.WriteFile(filename, out, 0o644)
}

var (
	// A field resolved by reading a struct field, as gqlgen writes it.
	leafRE = regexp.MustCompile(`func \(ec \*executionContext\) (_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj (\*?[\w.]+)\) \(ret graphql\.Marshaler\) \{\n` +
		`\treturn graphql\.ResolveField\(\n\t\tctx,\n\t\tec\.OperationContext,\n\t\tfield,\n` +
		`\t\tfunc\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{\n\t\t\treturn ec\.(fieldContext_\w+)\(ctx, field\)\n\t\t\},\n` +
		`\t\tfunc\(ctx context\.Context\) \(any, error\) \{\n\t\t\treturn obj\.(\w+), nil\n\t\t\},\n` +
		`\t\tnil,\n` +
		`\t\tfunc\(ctx context\.Context, selections ast\.SelectionSet, v ([^)\n]+)\) graphql\.Marshaler \{\n\t\t\treturn ec\.([^\s(]+)\(ctx, selections, v\)\n\t\t\},\n` +
		`\t\ttrue,\n\t\t(?:true|false),\n\t\)\n\}`)
	// The field context of a leaf that is neither a method nor a resolver.
	scalarContextRE = regexp.MustCompile(`func \(ec \*executionContext\) (fieldContext_\w+)\(_ context\.Context, field graphql\.CollectedField\) \(fc \*graphql\.FieldContext, err error\) \{\n` +
		`\treturn graphql\.NewScalarFieldContext\("\w+", field, false, false, "\w+"\)\n\}`)
	// A non-null field's marshaler of a string, boolean or int.
	neverNullRE = regexp.MustCompile(`^\t_ = sel\n\tres := (?:graphql\.MarshalString|graphql\.MarshalBoolean|model\.MarshalInt|graphql\.MarshalInt)\(v\)\n` +
		`\tif res == graphql\.Null \{\n\t\tgraphql\.AddInvalidNullFromMarshaler\(ctx, "\w+!"\)\n\t\}\n\treturn res$`)
	// A non-null field's marshaler that gives a null only for a value
	// (model.MarshalTime: the zero time), and that returns what the value's
	// function gives, without the context.
	valueOnlyRE = regexp.MustCompile(`^\t_ = sel\n\tres := (model\.MarshalTime)\(v\)\n` +
		`\tif res == graphql\.Null \{\n\t\tgraphql\.AddInvalidNullFromMarshaler\(ctx, "\w+!"\)\n\t\}\n\treturn res$`)
	// A marshaler and its body.
	marshalerRE = regexp.MustCompile(`(?s)func \(ec \*executionContext\) (marshal[NO][^\s(]+)\(ctx context\.Context, sel ast\.SelectionSet, v [^)]+\) graphql\.Marshaler \{\n(.*?)\n\}\n`)
)

// safeMarshaler reports whether a marshaler's body can neither return a
// null for a non-null field nor read its context.
func safeMarshaler(body string) bool {
	switch body {
	case "\treturn v", "\tif v == nil {\n\t\treturn graphql.Null\n\t}\n\treturn v":
		return true // the type marshals itself, as enums and IDs do
	}
	if neverNullRE.MatchString(body) {
		return true // strings, booleans and ints: gqlgen's marshalers of them never give a null
	}
	// A nullable field's marshaler that reads no context: a nil is a
	// plain null, and no error is added.
	if strings.HasPrefix(body, "\tif v == nil {\n\t\treturn graphql.Null\n\t}\n\t_ = sel\n\t_ = ctx\n") &&
		strings.Count(body, "ctx") == 1 && !strings.Contains(body, "ec.") {
		return true
	}
	return false
}

// replacement replaces the calls of a function of gqlgen's in the
// generated executor by the calls of one of package graph's, of the same
// signature.
type replacement struct{ from, to string }

// sequentialLists makes the executor marshal the elements of a list of
// objects one after another (graph.marshalSlice) rather than in a
// goroutine each (graphql.MarshalSliceConcurrently, which gqlgen's template
// calls and no option of gqlgen's changes: its worker_limit still starts a
// goroutine per element). The reasons are sequentialFields'; marshalSlice
// keeps what gqlgen's function gives each element (its FieldContext and
// Index, a panic recovered into a null and an error).
var sequentialLists = replacement{"graphql.MarshalSliceConcurrently(", "marshalSlice("}

// noDefers gives every object resolved an empty group of deferred fields
// (graph.deferredGroup) instead of one that gqlgen's template makes ready
// for @defer (graphql.NewDeferredGroup: the object's whole path, a field
// set and a map, for every object of every list). The server offers no
// @defer (PublicSchema leaves the directive out, so an operation using it
// is refused as invalid): no field is ever deferred, and the group is
// never filled.
var noDefers = replacement{"graphql.NewDeferredGroup(", "deferredGroup("}

// objectWriter makes every object's function return its fields and values
// as a graph.objectFields, which writes them as gqlgen's FieldSet does
// without the map of written aliases FieldSet.MarshalGQL allocates per
// object (for 100 deals with 10 meetings each, some 2,400 maps per
// response). Only the template's object functions end in `return out`
// after `out := graphql.NewFieldSet(fields)`; the values are the set's,
// filled by then (Dispatch has run).
var objectWriter = replacement{"\n\treturn out\n}\n", "\n\treturn objectFields{fields, out.Values}\n}\n"}

func (r replacement) apply(filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	if !bytes.Contains(src, []byte(r.from)) {
		return fmt.Errorf("no call of %s): gqlgen's template changed, look again at what it does", r.from)
	}
	return os.WriteFile(filename, bytes.ReplaceAll(src, []byte(r.from), []byte(r.to)), 0o644)
}

// sequentialFields makes the executor resolve the fields of every object
// but the Query root one after another, in the goroutine of their object,
// instead of one goroutine per field that has a resolver or a method
// taking a context (gqlgen's default: every ent edge, every computed
// field). Those fields do not wait on anything that runs beside them:
// entgql loads the edges a query selects with the list (CollectFields),
// and kpiflow's computed fields compute a whole list's values on the
// first call and serve the others from the response's cache (no batching
// by time window, which would need siblings to run concurrently). A
// goroutine per field was therefore pure cost: its start, its stack grown
// from the smallest size, and its synchronisation, for each field of each
// object of a list. The Query root's fields stay concurrent (they are the
// independent reads of an operation), as do Subscription's; Mutation's
// were sequential already.
type sequentialFields struct{}

func (sequentialFields) Name() string { return "sequentialfields" }

func (sequentialFields) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if o != data.QueryRoot && o != data.SubscriptionRoot {
			o.DisableConcurrency = true
		}
	}
	return nil
}
