package model

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/99designs/gqlgen/graphql"
)

// The Int scalar, read as the GraphQL specification's input coercion asks:
// an integer number, never a string ("30") or a fractional number. gqlgen's
// own Int also reads strings.

// MarshalInt writes an Int.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads an Int.
func UnmarshalInt(v any) (int, error) {
	n, err := integer(v, math.MinInt, math.MaxInt)
	return int(n), err
}

// MarshalInt64 writes an Int held in an int64.
func MarshalInt64(i int64) graphql.Marshaler { return graphql.MarshalInt64(i) }

// UnmarshalInt64 reads an Int into an int64.
func UnmarshalInt64(v any) (int64, error) { return integer(v, math.MinInt64, math.MaxInt64) }

// MarshalInt32 writes an Int held in an int32.
func MarshalInt32(i int32) graphql.Marshaler { return graphql.MarshalInt32(i) }

// UnmarshalInt32 reads an Int into an int32.
func UnmarshalInt32(v any) (int32, error) {
	n, err := integer(v, math.MinInt32, math.MaxInt32)
	return int32(n), err
}

func integer(v any, lo, hi int64) (int64, error) {
	var n int64
	switch v := v.(type) {
	case int:
		n = int64(v)
	case int32:
		n = int64(v)
	case int64:
		n = v
	case json.Number:
		i, err := v.Int64()
		if err != nil {
			f, ferr := v.Float64()
			if ferr != nil || f != math.Trunc(f) || f < float64(lo) || f >= float64(hi) {
				return 0, fmt.Errorf("Int must be an integer within %d and %d, not %s", lo, hi, v)
			}
			i = int64(f)
		}
		n = i
	case float64:
		if v != math.Trunc(v) || v < float64(lo) || v >= float64(hi) {
			return 0, fmt.Errorf("Int must be an integer within %d and %d", lo, hi)
		}
		n = int64(v)
	case string:
		return 0, fmt.Errorf("Int must be a number, not the string %q", v)
	default:
		return 0, fmt.Errorf("Int must be an integer number, not %T", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("Int must be within %d and %d", lo, hi)
	}
	return n, nil
}
