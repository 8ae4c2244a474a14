package realism

import (
	"encoding/json"
	"math"
	"testing"
)

func f(v float64) *float64 { return &v }

func history(values ...*float64) []Evidence {
	out := make([]Evidence, len(values))
	for i, v := range values {
		out[i] = Evidence{Value: v}
	}
	return out
}

func near(a *float64, b float64) bool { return a != nil && math.Abs(*a-b) < 1e-9 }

func TestBaselineWeighsRecentPeriodsMore(t *testing.T) {
	// (10×1 + 20×2 + 30×3 + 40×4) / 10 = 300/10 = 30
	b, ev := Baseline(history(f(10), f(20), f(30), f(40)))
	if !near(b, 30) {
		t.Errorf("baseline = %v, want 30", b)
	}
	if ev[0].Weight != 1 || ev[3].Weight != 4 {
		t.Errorf("weights %+v", ev)
	}
	// A period without a value weighs nothing: (10×1 + 40×4) / 5 = 34
	if b, _ := Baseline(history(f(10), nil, nil, f(40))); !near(b, 34) {
		t.Errorf("baseline with gaps = %v, want 34", b)
	}
	if b, _ := Baseline(history(nil, nil)); b != nil {
		t.Errorf("baseline of nothing = %v", *b)
	}
}

func TestBands(t *testing.T) {
	ev := history(f(8), f(9), f(10), f(11)) // the best period ever: 11
	base := 10.0
	for _, c := range []struct {
		name     string
		proposed float64
		factor   float64
		want     Band
	}{
		{"below", 8.9, 1, BelowBaseline},               // 8.9/10 = 0.89
		{"at the lower bound", 9, 1, Realistic},        // 0.90
		{"at the upper bound", 12, 1, Realistic},       // 1.20
		{"a stretch", 12.5, 1, Stretch},                // 1.25, under the best 11 × 1.2 = 13.2
		{"beyond the best ever", 13.3, 1, Unrealistic}, // 1.33 is a stretch, but 13.3 > 13.2
		{"far too high", 16, 1, Unrealistic},           // 1.6
		{"a growing market", 12.5, 1.1, Realistic},     // expected 11: 12.5/11 = 1.136
		{"a shrinking market", 7, 0.8, BelowBaseline},  // expected 8: 7/8 = 0.875
	} {
		a := Assess(c.proposed, false, &base, ev, nil, c.factor, DefaultThresholds)
		if a.Band != c.want {
			t.Errorf("%s: %v proposed, factor %v: %s (ratio %v), want %s", c.name, c.proposed, c.factor, a.Band, deref(a.Ratio), c.want)
		}
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// For a lower-is-better KPI (a sales cycle in days) a shorter value is the
// stretch, and the bands mirror.
func TestBandsLowerIsBetter(t *testing.T) {
	ev := history(f(50), f(45), f(40), f(42)) // best ever 40 days
	base := 44.0
	for _, c := range []struct {
		proposed float64
		want     Band
	}{
		{50, BelowBaseline}, // 44/50 = 0.88: longer than expected
		{44, Realistic},     // 1.0
		{37, Realistic},     // 44/37 = 1.19
		{35, Stretch},       // 1.257, and 35 ≥ 40/1.2 = 33.3
		{33, Unrealistic},   // 1.33 a stretch, but shorter than the best 40 / 1.2
		{25, Unrealistic},   // 1.76
	} {
		a := Assess(c.proposed, true, &base, ev, nil, 1, DefaultThresholds)
		if a.Band != c.want {
			t.Errorf("cycle %v days: %s (ratio %v), want %s", c.proposed, a.Band, deref(a.Ratio), c.want)
		}
		if !near(a.BestEver, 40) {
			t.Errorf("best ever = %v, want 40 (the shortest)", a.BestEver)
		}
	}
}

func TestInsufficientHistoryAndZeroes(t *testing.T) {
	if a := Assess(5, false, nil, history(nil), nil, 1, DefaultThresholds); a.Band != InsufficientHistory || a.Expected != nil {
		t.Errorf("no history: %+v", a)
	}
	// No band is ever computed against an expected value of zero, in
	// either direction, whatever the proposal.
	zero := 0.0
	for _, lower := range []bool{false, true} {
		for _, proposed := range []float64{0, 3} {
			if a := Assess(proposed, lower, &zero, history(f(0)), nil, 1, DefaultThresholds); a.Band != InsufficientHistory || a.Ratio != nil {
				t.Errorf("%v of 0 (lower is better: %v): %s %v", proposed, lower, a.Band, a.Ratio)
			}
		}
	}
	base0 := 10.0
	if a := Assess(3, false, &base0, history(f(10)), nil, 0, DefaultThresholds); a.Band != InsufficientHistory {
		t.Errorf("against a market factor of 0: %s", a.Band)
	}
	base := 10.0
	if a := Assess(0, true, &base, history(f(10)), nil, 1, DefaultThresholds); a.Band != Unrealistic {
		t.Errorf("a zero-day cycle: %s", a.Band)
	}
}

func TestMedian(t *testing.T) {
	if m := Median([]float64{3, 1, 2}); !near(m, 2) {
		t.Errorf("median = %v", m)
	}
	if m := Median([]float64{4, 1, 3, 2}); !near(m, 2.5) {
		t.Errorf("median = %v", m)
	}
	if Median(nil) != nil {
		t.Error("median of nothing")
	}
}

// A ramp stored when the baseline was the median of the peers at the
// same tenure times a factor reads as that median and share.
func TestOldRampsRead(t *testing.T) {
	var r Ramp
	if err := json.Unmarshal([]byte(`{"tenureMonths": 3, "peerMedian": 4, "factor": 0.5, "peers": 2}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.TenureMonths != 3 || r.Peers != 2 || !near(r.RampedMedian, 4) || r.Share != 0.5 || !near(r.Baseline, 2) {
		t.Errorf("read %+v", r)
	}
}
