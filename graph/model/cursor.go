package model

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"kpiflow/ent"
)

// The Cursor scalar: entgql's cursor (the last row's ID and order values)
// prefixed with a tag, "<tag>.<cursor>": an HMAC, under a key of the
// server's (WithCursorKey), of the order it was issued in and of the
// cursor itself. A cursor is bound to its order: one issued by orderBy:
// AMOUNT holds an amount, which compared with the opened_at column of
// orderBy: OPENED_AT fails in PostgreSQL; and it cannot be altered or
// made up, so that no value of another type than the order's column ever
// reaches the database. graph's page walker (pageLimits) refuses a cursor
// whose tag is not its own in the order of the connection it is given to,
// before anything runs.

type cursorKeyKey struct{}

// WithCursorKey gives the cursors of a request their key: the same on
// every replica (derived from the token signing key), so that a page's
// cursor works on any of them.
func WithCursorKey(ctx context.Context, key []byte) context.Context {
	return context.WithValue(ctx, cursorKeyKey{}, key)
}

// CursorKey returns the request's cursor key (none outside a server).
func CursorKey(ctx context.Context) []byte {
	k, _ := ctx.Value(cursorKeyKey{}).([]byte)
	return k
}

// MarshalCursor writes a cursor tagged with the order of the connection it
// is a cursor of (the closest connection field above it).
func MarshalCursor(c ent.Cursor) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(ctx context.Context, w io.Writer) error {
		var b strings.Builder
		c.MarshalGQL(&b)
		rest := strings.Trim(b.String(), `"`)
		_, err := fmt.Fprintf(w, `"%s.%s"`, CursorTag(CursorKey(ctx), connectionOrder(ctx), rest), rest)
		return err
	})
}

// UnmarshalCursor reads a cursor. graph's page walker has checked its tag
// and taken it off (entgql's loaders read the arguments raw): what is left
// is entgql's cursor.
func UnmarshalCursor(_ context.Context, v any) (ent.Cursor, error) {
	var c ent.Cursor
	s, ok := v.(string)
	if !ok {
		return c, errors.New("a cursor is a string, as pageInfo and edges give it")
	}
	if _, rest, ok := SplitCursor(s); ok {
		s = rest
	}
	if err := c.UnmarshalGQL(s); err != nil {
		return c, errors.New("not a cursor of this server: use one that pageInfo or edges gave")
	}
	return c, nil
}

// SplitCursor splits a cursor into its order tag and entgql's cursor.
func SplitCursor(s string) (tag, rest string, ok bool) {
	tag, rest, ok = strings.Cut(s, ".")
	if !ok || len(tag) != tagLen {
		return "", "", false
	}
	if _, err := hex.DecodeString(tag); err != nil {
		return "", "", false
	}
	return tag, rest, true
}

const tagLen = 24 // hex digits: 96 bits of the HMAC

// CursorTag is the tag of a cursor (entgql's, rest) issued in the order of
// an orderBy argument's value, as variables and literals give it (nil: the
// default order).
func CursorTag(key []byte, orderBy any, rest string) string {
	m := hmac.New(sha256.New, key)
	_, _ = io.WriteString(m, orderKey(orderBy))
	_, _ = io.WriteString(m, "\n")
	_, _ = io.WriteString(m, rest)
	return hex.EncodeToString(m.Sum(nil))[:tagLen]
}

func orderKey(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = orderKey(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		field, dir := fmt.Sprint(v["field"]), "ASC"
		if d, ok := v["direction"]; ok && d != nil {
			dir = fmt.Sprint(d)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			if k != "field" && k != "direction" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			field += fmt.Sprintf(" %s=%v", k, v[k])
		}
		return field + " " + dir
	}
	return fmt.Sprint(v)
}

// connectionOrder is the orderBy value of the connection field a cursor
// field is under, or nil.
func connectionOrder(ctx context.Context) any {
	oc := graphql.GetOperationContext(ctx)
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Field.Field == nil || fc.Field.Definition == nil || !strings.HasSuffix(fc.Field.Definition.Type.Name(), "Connection") {
			continue
		}
		return fc.Field.ArgumentMap(oc.Variables)["orderBy"]
	}
	return nil
}
