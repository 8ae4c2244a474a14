package kpi

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// StartsAt is the first instant of the period, for GraphQL.
func (p Period) StartsAt() time.Time { return p.Start }

// EndsAt is the first instant after the period, for GraphQL.
func (p Period) EndsAt() time.Time { return p.End }

// MarshalGQL implements graphql.Marshaler.
func (k PeriodKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *PeriodKind) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	if !PeriodKind(s).Valid() {
		return fmt.Errorf("%v is not a valid PeriodKind", v)
	}
	*k = PeriodKind(s)
	return nil
}
