package model

import (
	"bytes"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalTime writes what gqlgen's graphql.MarshalTime writes for the
// time in UTC, a null for the zero time.
func TestMarshalTimeAsGqlgen(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	for _, tm := range []time.Time{
		time.Date(2026, 12, 2, 21, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 2, 21, 0, 0, 123456789, berlin),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, berlin),
	} {
		var got, want bytes.Buffer
		MarshalTime(tm).MarshalGQL(&got)
		graphql.MarshalTime(tm.UTC()).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Errorf("%v: %s, want %s", tm, got.String(), want.String())
		}
	}
	if MarshalTime(time.Time{}) != graphql.Null {
		t.Error("the zero time is not a null")
	}
}
