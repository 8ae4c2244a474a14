package graph

import (
	"bytes"
	"context"
	"testing"
	"time"

	"kpiflow/ent"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// objectFields writes each alias once, the first field of an alias
// winning, as graphql.FieldSet does, with few fields and with many.
func TestObjectFieldsAsFieldSet(t *testing.T) {
	for _, n := range []int{0, 1, 3, manyFields, manyFields + 1, 3 * manyFields} {
		var fields []graphql.CollectedField
		for i := range n {
			alias := string(rune('a' + i%26))
			if i >= 26 {
				alias += string(rune('a' + i/26))
			}
			fields = append(fields, graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}})
			if i%3 == 2 { // a second field of an alias already written
				fields = append(fields, graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}})
			}
		}
		set := graphql.NewFieldSet(fields)
		for i := range set.Values {
			set.Values[i] = graphql.MarshalInt(i)
		}
		var want, got bytes.Buffer
		set.MarshalGQL(&want)
		objectFields{fields, set.Values}.MarshalGQL(&got)
		if got.String() != want.String() {
			t.Errorf("%d fields:\n got %s\nwant %s", n, got.String(), want.String())
		}
	}
}

// A Time! field written in place (the generator's leafFields) still gives
// gqlgen's null and its error, with the field's path, for a zero time; a
// time that is not zero is written as MarshalTime writes it.
func TestTimeFieldInPlaceKeepsTheNullsError(t *testing.T) {
	oc := &graphql.OperationContext{ResolverMiddleware: func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) }}
	ec := newExecutionContext(oc, &executableSchema{}, nil)
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ctx = graphql.WithOperationContext(ctx, oc)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "meeting"}}})
	field := graphql.CollectedField{Field: &ast.Field{Name: "scheduledAt", Alias: "scheduledAt"}}

	at := time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	ec._Meeting_scheduledAt(ctx, field, &ent.Meeting{ScheduledAt: at}).MarshalGQL(&b)
	if b.String() != `"2026-12-02T21:00:00Z"` || len(graphql.GetErrors(ctx)) != 0 {
		t.Fatalf("a time: %s %v", b.String(), graphql.GetErrors(ctx))
	}
	if res := ec._Meeting_scheduledAt(ctx, field, &ent.Meeting{}); res != graphql.Null {
		t.Fatalf("the zero time: %v, want a null", res)
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || errs[0].Path.String() != "meeting.scheduledAt" {
		t.Fatalf("the zero time's errors: %v", errs)
	}
}
