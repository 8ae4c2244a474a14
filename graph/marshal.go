package graph

import (
	"io"

	"github.com/99designs/gqlgen/graphql"
)

// objectFields writes an object's fields as gqlgen's FieldSet does (each
// alias once, in the order of the selection, the first of two fields of
// the same alias winning), without the map of written aliases that
// graphql.FieldSet.MarshalGQL allocates for every object. The executor's
// generator (ent/gqlgen.go, objectWriter) returns one where gqlgen's
// template returns the field set itself; the fields and values are those
// of that set. Two fields of one alias are rare (a field selected in
// fragments of two unrelated interfaces), so the aliases already written
// are looked for among the earlier fields, which are few (a map of them
// when there are many).
type objectFields struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

var (
	openBrace  = []byte{'{'}
	closeBrace = []byte{'}'}
	comma      = []byte{','}
	quoteColon = []byte{'"', ':'}
	quote      = []byte{'"'}
)

// manyFields is the number of fields above which objectFields keeps a map
// of the aliases written rather than comparing each with those before it.
const manyFields = 24

func (o objectFields) MarshalGQL(w io.Writer) {
	var written map[string]bool // with many fields, instead of looking back
	if len(o.fields) > manyFields {
		written = make(map[string]bool, len(o.fields))
	}
	w.Write(openBrace)
	first := true
fields:
	for i := range o.fields {
		alias := o.fields[i].Alias
		if written != nil {
			if written[alias] {
				continue
			}
			written[alias] = true
		} else {
			for j := range i {
				if o.fields[j].Alias == alias {
					continue fields
				}
			}
		}
		if !first {
			w.Write(comma)
		}
		first = false
		// A GraphQL name is letters, digits and underscores: nothing in
		// it needs escaping in a JSON string.
		w.Write(quote)
		io.WriteString(w, alias)
		w.Write(quoteColon)
		o.values[i].MarshalGQL(w)
	}
	w.Write(closeBrace)
}
