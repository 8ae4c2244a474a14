package kpi

import (
	"math"
	"testing"
)

func TestDivRound(t *testing.T) {
	for _, tc := range []struct{ num, den, want int64 }{
		{10, 4, 3}, {9, 4, 2}, {2300050, 4, 575013}, {1, 3, 0}, {2, 3, 1}, {-10, 4, -3}, {-9, 4, -2},
		{10, -4, -3}, {0, 7, 0}, {math.MaxInt64, 2, math.MaxInt64/2 + 1}, {math.MaxInt64, math.MaxInt64, 1},
	} {
		if got := divRound(tc.num, tc.den); got != tc.want {
			t.Errorf("divRound(%d, %d) = %d, want %d", tc.num, tc.den, got, tc.want)
		}
	}
}
