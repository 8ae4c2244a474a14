package workflow

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"kpiflow/ent/schema/pulid"
)

// splitUnits always sums exactly to the total, and each part is the floor
// or the ceiling of its exact quota, over random totals and weights
// (money-sized totals, weights from fractions to history sums, zeros).
func TestSplitUnitsSumsExactly(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	for n := 0; n < 5000; n++ {
		parts := 1 + rng.Intn(40)
		total := rng.Int63n(1 << uint(1+rng.Intn(50)))
		weights := make([]float64, parts)
		ids := make([]pulid.ID, parts)
		sum := 0.0
		for i := range weights {
			switch rng.Intn(4) {
			case 0:
				weights[i] = 0
			case 1:
				weights[i] = rng.Float64()
			case 2:
				weights[i] = float64(rng.Int63n(1e12))
			default:
				weights[i] = 1
			}
			sum += weights[i]
			ids[i] = pulid.ID(fmt.Sprintf("usr_%04d", rng.Intn(10000)))
		}
		got := splitUnits(total, weights, ids)
		var s int64
		for i, u := range got {
			s += u
			if sum == 0 {
				continue
			}
			q := float64(total) * weights[i] / sum
			if float64(u) < math.Floor(q)-1 || float64(u) > math.Ceil(q)+1 || u < 0 {
				t.Fatalf("total %d, weights %v: part %d is %d, quota %v", total, weights, i, u, q)
			}
		}
		if s != total {
			t.Fatalf("total %d, weights %v: parts %v sum to %d", total, weights, got, s)
		}
	}
}

// The units left over go to the largest fractional remainders, ties to
// the smaller ID: 10 over three equal weights is 4, 3, 3 with the 4 for
// the smallest ID wherever it is.
func TestSplitUnitsTieBreak(t *testing.T) {
	got := splitUnits(10, []float64{1, 1, 1}, []pulid.ID{"usr_c", "usr_a", "usr_b"})
	if fmt.Sprint(got) != "[3 4 3]" {
		t.Errorf("10 over 3: %v, want [3 4 3]", got)
	}
	// 7 by 1 : 2 is 2.33… and 4.66…: the larger remainder gets the unit.
	got = splitUnits(7, []float64{1, 2}, []pulid.ID{"usr_a", "usr_b"})
	if fmt.Sprint(got) != "[2 5]" {
		t.Errorf("7 by 1:2: %v, want [2 5]", got)
	}
}
