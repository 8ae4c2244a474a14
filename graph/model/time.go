package model

import (
	"errors"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalTime writes the Time scalar: an RFC 3339 instant, in UTC.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.MarshalTime(t.UTC())
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
