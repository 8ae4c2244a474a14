package kpi

import (
	"time"
)

// StartsAt is the first instant of the period, for GraphQL.
func (p Period) StartsAt() time.Time { return p.Start }

// EndsAt is the first instant after the period, for GraphQL.
func (p Period) EndsAt() time.Time { return p.End }
