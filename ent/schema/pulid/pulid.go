// Package pulid implements kpiflow's identifiers: a short type prefix, an
// underscore and a ULID ("deal_01JD8X..."). The prefix lets node(id:) find the
// table of any object; the ULID makes IDs unguessable and free of hot sequences.
package pulid

import (
	"crypto/rand"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID is a type-prefixed ULID.
type ID string

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// New returns a new ID with the given prefix, e.g. New("deal").
func New(prefix string) ID {
	entropyMu.Lock()
	u := ulid.MustNew(ulid.Timestamp(time.Now()), entropy)
	entropyMu.Unlock()
	return ID(prefix + "_" + u.String())
}

// Prefix returns the type prefix of the ID, or "" when it has none.
func (u ID) Prefix() string {
	i := strings.LastIndexByte(string(u), '_')
	if i <= 0 {
		return ""
	}
	return string(u[:i])
}

// Valid reports whether the ID has a prefix followed by a well-formed ULID.
func (u ID) Valid() bool {
	p := u.Prefix()
	if p == "" {
		return false
	}
	_, err := ulid.ParseStrict(string(u[len(p)+1:]))
	return err == nil
}

// UnmarshalGQL implements graphql.Unmarshaler.
func (u *ID) UnmarshalGQL(v any) error {
	switch v := v.(type) {
	case string:
		*u = ID(v)
	case ID: // entgql's node resolution passes IDs through here again
		*u = v
	default:
		return fmt.Errorf("an ID must be a string")
	}
	return nil
}

// MarshalGQL implements graphql.Marshaler: the ID as a JSON string. The
// IDs kpiflow makes (a prefix and a ULID) are plain ASCII letters, digits
// and underscores, written between quotes as they are; any other string
// is written as encoding/json writes a string (strconv.Quote's Go escapes,
// used before, are not all JSON).
func (u ID) MarshalGQL(w io.Writer) {
	if plain(string(u)) {
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, string(u))
		_, _ = io.WriteString(w, `"`)
		return
	}
	b, _ := json.Marshal(string(u)) // a string always marshals
	_, _ = w.Write(b)
}

// plain tells whether s needs no escape in a JSON string: ASCII letters,
// digits, '_' and '-' only.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Scan implements sql.Scanner.
func (u *ID) Scan(src any) error {
	switch src := src.(type) {
	case nil:
		return fmt.Errorf("pulid: expected a value")
	case string:
		*u = ID(src)
	case []byte:
		*u = ID(src)
	case ID:
		*u = src
	default:
		return fmt.Errorf("pulid: unexpected type %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (u ID) Value() (driver.Value, error) {
	return string(u), nil
}
