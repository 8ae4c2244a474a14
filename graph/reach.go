package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"kpiflow/access"
)

// reach implements @reach, which the schema generator puts on every edge
// predicate of every where input (hasOwnerWith, hasDealsWith, …; see
// ent/entc.go). ent's privacy filters the rows of a query, not the
// subqueries of its predicates: without this, hasDealsWith: [{name: "x"}]
// would test deals the viewer may not read. The directive runs whenever
// such a field is read from an operation, for root arguments and for the
// arguments of nested connections alike, and adds to each nested where
// input the viewer's read rule of its type (access.Readable), the same rule
// that filters a direct list of that type. Nested edge predicates are
// unmarshaled, and so filtered, the same way.
func reach(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	v, err := next(ctx)
	if err != nil || v == nil {
		return v, err
	}
	list := reflect.ValueOf(v)
	if list.Kind() != reflect.Slice || list.Type().Elem().Kind() != reflect.Pointer {
		return nil, fmt.Errorf("@reach on a %T", v)
	}
	typ := strings.TrimSuffix(list.Type().Elem().Elem().Name(), "WhereInput")
	p, err := access.Readable(ctx, typ)
	if err != nil {
		return nil, err
	}
	for i := 0; i < list.Len(); i++ {
		w := list.Index(i)
		if w.IsNil() {
			w.Set(reflect.New(w.Type().Elem()))
		}
		add := w.MethodByName("AddPredicates")
		if !add.IsValid() {
			return nil, fmt.Errorf("@reach: %s has no AddPredicates", w.Type())
		}
		add.Call([]reflect.Value{reflect.ValueOf(p).Convert(add.Type().In(0).Elem())})
	}
	return v, nil
}
