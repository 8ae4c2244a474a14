package model

import (
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalTime writes the Time scalar: an RFC 3339 instant, in UTC.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.MarshalTime(t.UTC())
}

// UnmarshalTime reads the Time scalar: an RFC 3339 instant in any offset,
// returned in UTC. Filters compare it with stored instants, which SQLite
// compares as text: both sides must be in the same zone.
func UnmarshalTime(v any) (time.Time, error) {
	t, err := graphql.UnmarshalTime(v)
	return t.UTC(), err
}
