package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSlice marshals the elements of a list of objects one after
// another, in the goroutine of the list's field. The executor's generator
// (ent/gqlgen.go) calls it where gqlgen's template calls
// graphql.MarshalSliceConcurrently, which starts a goroutine per element:
// for 100 deals with 10 meetings each, 1,100 goroutines whose stacks grow
// from the smallest size, to resolve fields that read no database (every
// level of a list is loaded beforehand, in one statement per level, and
// the computed fields compute a whole list on their first call). Each
// element gets the context gqlgen's gives it (a FieldContext with its
// Index), and a panic in one is recovered into that element's null and an
// error, as gqlgen does unless omitPanicHandler; workerLimit, a bound on
// the goroutines, has nothing to bound here.
func marshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		fc := &graphql.FieldContext{Index: &i}
		childCtx := graphql.WithFieldContext(ctx, fc)
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// deferredGroup is the group of deferred fields of an object, which the
// executor's generator (ent/gqlgen.go) gives every object in place of
// graphql.NewDeferredGroup's: an empty one, since the server offers no
// @defer (PublicSchema leaves the directive out, and validation refuses an
// operation that uses it), so that no field is ever deferred.
func deferredGroup(ctx context.Context) graphql.DeferredGroup {
	return graphql.DeferredGroup{Context: ctx}
}
