package model

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalTime writes the Time scalar: an RFC 3339 instant, in UTC.
// The zero time is a null, as gqlgen's graphql.MarshalTime has it. An
// RFC 3339 time has nothing to escape in a JSON string: it is written
// between quotes as it is, in one write.
func MarshalTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	t = t.UTC()
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [48]byte
		b := append(buf[:0], '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalTime reads the Time scalar: an RFC 3339 instant with its offset
// (Z or ±hh:mm), returned in UTC. A time without an offset names no instant
// and is refused (gqlgen's own Time reads it as UTC). Filters compare it
// with stored instants, which SQLite compares as text: both sides must be
// in the same zone.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errors.New(`Time must be an RFC 3339 string such as "2026-11-01T10:00:00Z"`)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf(`Time must be an RFC 3339 instant with its offset, such as "2026-11-01T10:00:00Z" or "2026-11-01T10:00:00+01:00", not %q`, s)
	}
	return t.UTC(), nil
}
