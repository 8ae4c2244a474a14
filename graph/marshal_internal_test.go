package graph

import (
	"bytes"
	"testing"

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
