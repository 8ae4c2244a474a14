//go:build ignore

// gqlgen generates the GraphQL executor (graph/generated.go) and the
// resolver stubs from gqlgen.yml, as `gqlgen generate` does, with changes
// of kpiflow's to how the executor resolves a response, all for its cost
// per field or object: sequentialFields, a plugin, then sequentialLists
// and noDefers, which replace calls in the generated executor. It runs
// from the module's root.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"

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
	for _, r := range []replacement{sequentialLists, noDefers} {
		if err := r.apply(cfg.Exec.Filename); err != nil {
			log.Fatalf("generating %s: %v", cfg.Exec.Filename, err)
		}
	}
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
