package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse writes the bytes encoding/json.Marshal writes for every
// part of a response: with and without errors, data, a null data, each of
// the optional fields, and data holding every character Marshal escapes
// (at the start, the end, side by side, and the bytes of U+2028 and
// U+2029's neighbours, which it leaves alone).
func TestResponseBytes(t *testing.T) {
	yes := true
	datas := []json.RawMessage{
		nil,
		json.RawMessage(`null`),
		json.RawMessage(`{"a":1}`),
		json.RawMessage(`{"name":"<b>Tom & Jerry</b>","x":["<",">","&&",""]}`),
		json.RawMessage("{\"s\":\"line\u2028sep\u2029par\u2027\u202a\u20ac\xe2\x80\"}"),
		json.RawMessage(`"<"`),
		json.RawMessage(`{"s":"\u003c already escaped \\u0026 and \"quoted\""}`),
	}
	errs := []gqlerror.List{nil, {{Message: "bad <input> & more", Path: ast.Path{ast.PathName("deals"), ast.PathIndex(0)},
		Extensions: map[string]any{"code": "BAD_USER_INPUT", "field": "name"}}}}
	for _, data := range datas {
		for _, e := range errs {
			for _, resp := range []*graphql.Response{
				{Data: data, Errors: e},
				{Data: data, Errors: e, Extensions: map[string]any{"cost": 3, "html": "<&>"}},
				{Data: data, Errors: e, Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes},
			} {
				want, err := json.Marshal(resp)
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				writeResponse(&got, resp)
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("writeResponse:\n got %s\nwant %s", got.Bytes(), want)
				}
			}
		}
	}
}
