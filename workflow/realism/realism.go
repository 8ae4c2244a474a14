// Package realism checks a proposed target against history (DESIGN.md §7):
// the baseline, the market factor, the band and the evidence. It is a leaf
// package, so that the ent schema can store an Assessment as it is.
package realism

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
)

// Band says how a proposed target compares with what history predicts
// (DESIGN.md §7). It informs the approver; it never blocks a proposal.
type Band string

// The bands.
const (
	BelowBaseline       Band = "BELOW_BASELINE"
	Realistic           Band = "REALISTIC"
	Stretch             Band = "STRETCH"
	Unrealistic         Band = "UNREALISTIC"
	InsufficientHistory Band = "INSUFFICIENT_HISTORY"
)

// Thresholds bound the bands, as ratios of the proposed value to the
// expected one (the inverse for lower-is-better KPIs); an org setting.
type Thresholds struct {
	Below     float64 `json:"below"`     // under it: BELOW_BASELINE (default 0.90)
	Realistic float64 `json:"realistic"` // up to it: REALISTIC (1.20)
	Stretch   float64 `json:"stretch"`   // up to it: STRETCH (1.50); above: UNREALISTIC
	// BestFactor: beyond the best period ever × BestFactor is UNREALISTIC
	// whatever the ratio (1.2).
	BestFactor float64 `json:"bestFactor"`
	// Periods is how many comparable periods the baseline looks back (4).
	Periods int `json:"periods"`
}

// DefaultThresholds are DESIGN.md §7's.
var DefaultThresholds = Thresholds{Below: 0.90, Realistic: 1.20, Stretch: 1.50, BestFactor: 1.2, Periods: 4}

// Evidence is one past period the baseline used.
type Evidence struct {
	// Period is the period's label (FY2027 Q1); Start and End bound it.
	Period string    `json:"period"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// Value is the actual of the period, or nil when it had none (an
	// average of nothing): such periods weigh nothing.
	Value  *float64 `json:"value"`
	Weight float64  `json:"weight"`
}

// Ramp is how a baseline was borrowed for a rep with too little history:
// the median of the baselines of their team's fully ramped reps (those
// past the organization's ramp schedule, over the same comparable
// periods), times the schedule's share for the rep's month of tenure.
type Ramp struct {
	// KPI is the ID of the KPI whose values these are.
	KPI string `json:"kpi,omitempty"`
	// TenureMonths is the rep's whole months of tenure at the period's
	// start (0 in their first month).
	TenureMonths int `json:"tenureMonths"`
	// Share is the ramp schedule's share for that month (1 once fully
	// ramped); Scaled says whether it applies to the KPI: to counts and
	// sums, not to averages, durations and ratios, which a new rep's
	// smaller volume does not scale.
	Share  float64 `json:"share"`
	Scaled bool    `json:"scaled"`
	// RampedMonths is the tenure from which a rep is fully ramped.
	RampedMonths int `json:"rampedMonths"`
	// RampedMedian is the median of the fully ramped peers' baselines,
	// nil when no peer has data; Peers counts the peers with data.
	RampedMedian *float64 `json:"rampedMedian"`
	Peers        int      `json:"peers"`
	// Baseline is RampedMedian × Share (× 1 when not Scaled): the rep's
	// borrowed baseline.
	Baseline *float64 `json:"baseline"`
}

// UnmarshalJSON reads a ramp as stored, including those stored when the
// baseline was the median of the peers at the same tenure (peerMedian)
// times a factor.
func (r *Ramp) UnmarshalJSON(b []byte) error {
	type plain Ramp
	var raw struct {
		plain
		PeerMedian *float64 `json:"peerMedian"`
		Factor     *float64 `json:"factor"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = Ramp(raw.plain)
	if raw.PeerMedian != nil && r.RampedMedian == nil {
		m, f := *raw.PeerMedian, 1.0
		if raw.Factor != nil {
			f = *raw.Factor
		}
		base := m * f
		r.RampedMedian, r.Share, r.Scaled, r.Baseline = &m, f, true, &base
	}
	return nil
}

// Assessment is the realism check of a proposal, stored with the target so
// that the approver sees what the proposer saw.
type Assessment struct {
	Proposed     float64  `json:"proposed"`
	Baseline     *float64 `json:"baseline"`
	MarketFactor float64  `json:"marketFactor"`
	// TeamMarketFactor is the team's factor for the period; MarketFactor
	// is it where the KPI's MarketFactorApplies, else 1.
	TeamMarketFactor    float64 `json:"teamMarketFactor"`
	MarketFactorApplies bool    `json:"marketFactorApplies"`
	// Expected is the baseline times the market factor: the suggested value.
	Expected *float64 `json:"expected"`
	Band     Band     `json:"band"`
	// Ratio is proposed/expected (expected/proposed when lower is better).
	Ratio    *float64   `json:"ratio"`
	BestEver *float64   `json:"bestEver"`
	Evidence []Evidence `json:"evidence"`
	Ramp     *Ramp      `json:"ramp,omitempty"`
	// Takes is what the proposed value of a COUNT or MONEY KPI takes of
	// the other aggregates at the scope's historical ratios, over the same
	// periods (whatItTakes); absent in rows stored before it was kept.
	Takes []Requirement `json:"takes,omitempty"`
}

// Requirement is one aggregate a proposed value takes (workflow.Requirement
// as stored): KPI and Via are KPI IDs; the numbers are in Unit's terms,
// MONEY in minor units; Ratio is unit-less.
type Requirement struct {
	KPI  string `json:"kpi,omitempty"`
	Name string `json:"name"`
	Unit string `json:"unit"`
	Via  string `json:"via"`
	From string `json:"from"`
	// Relation names a relation no KPI defines (Via empty): the meetings
	// step.
	Relation    string   `json:"relation,omitempty"`
	Ratio       *float64 `json:"ratio"`
	Required    *float64 `json:"required"`
	Best        *float64 `json:"best"`
	Typical     *float64 `json:"typical"`
	ExceedsBest bool     `json:"exceedsBest"`
}

// Baseline is the weighted mean of the history, recent periods weighing
// more (weights 1, 2, …, n from oldest to newest), over periods that have a
// value. history is ordered oldest first. It returns nil when no period has
// a value.
func Baseline(history []Evidence) (*float64, []Evidence) {
	out := make([]Evidence, len(history))
	var sum, weights float64
	for i, h := range history {
		out[i] = h
		out[i].Weight = 0
		if h.Value != nil {
			out[i].Weight = float64(i + 1)
			sum += *h.Value * out[i].Weight
			weights += out[i].Weight
		}
	}
	if weights == 0 {
		return nil, out
	}
	b := sum / weights
	return &b, out
}

// Assess checks a proposed value against a baseline (from the scope's own
// history, or borrowed through ramp), the market factor of the period, and
// the best period ever.
func Assess(proposed float64, lowerIsBetter bool, baseline *float64, evidence []Evidence, ramp *Ramp,
	marketFactor float64, th Thresholds) Assessment {
	a := Assessment{Proposed: proposed, Baseline: baseline, MarketFactor: marketFactor, Evidence: evidence, Ramp: ramp}
	for _, e := range evidence {
		if e.Value != nil && (a.BestEver == nil || better(*e.Value, *a.BestEver, lowerIsBetter)) {
			v := *e.Value
			a.BestEver = &v
		}
	}
	if baseline == nil {
		a.Band = InsufficientHistory
		return a
	}
	expected := *baseline * marketFactor
	a.Expected = &expected
	if expected <= 0 || math.IsNaN(expected) || math.IsInf(expected, 0) {
		// No band is computed against an expected value of zero: nothing
		// in history says what a value is worth against it.
		a.Band = InsufficientHistory
		return a
	}
	var ratio float64
	switch {
	case lowerIsBetter && proposed == 0:
		ratio = math.Inf(1)
	case lowerIsBetter:
		ratio = expected / proposed // a shorter cycle than expected is the stretch
	default:
		ratio = proposed / expected
	}
	if !math.IsInf(ratio, 0) {
		a.Ratio = &ratio
	}
	switch {
	case ratio < th.Below:
		a.Band = BelowBaseline
	case ratio <= th.Realistic:
		a.Band = Realistic
	case ratio <= th.Stretch:
		a.Band = Stretch
	default:
		a.Band = Unrealistic
	}
	// The best period ever bounds a proposal when it is the scope's own
	// record to go by: not for a ramping rep whose baseline is borrowed
	// (their own few periods are no record), and not a best of zero.
	borrowed := ramp != nil && ramp.Baseline != nil
	if a.BestEver != nil && a.Band != BelowBaseline && !borrowed && *a.BestEver > 0 {
		beyond := proposed > *a.BestEver*th.BestFactor
		if lowerIsBetter {
			beyond = proposed < *a.BestEver/th.BestFactor
		}
		if beyond {
			a.Band = Unrealistic
		}
	}
	return a
}

func better(a, b float64, lowerIsBetter bool) bool {
	if lowerIsBetter {
		return a < b
	}
	return a > b
}

// Median returns the median of the values, or nil for none.
func Median(values []float64) *float64 {
	if len(values) == 0 {
		return nil
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return &m
}

// MarshalGQL implements graphql.Marshaler.
func (b Band) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(b))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (b *Band) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch Band(s) {
	case BelowBaseline, Realistic, Stretch, Unrealistic, InsufficientHistory:
		*b = Band(s)
		return nil
	}
	return fmt.Errorf("%v is not a valid RealismBand", v)
}

// UnmarshalJSON reads an assessment as stored, including those stored
// before the market factor was a KPI's setting: it applied then, always.
func (a *Assessment) UnmarshalJSON(b []byte) error {
	type plain Assessment
	var raw struct {
		plain
		TeamMarketFactor    *float64 `json:"teamMarketFactor"`
		MarketFactorApplies *bool    `json:"marketFactorApplies"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*a = Assessment(raw.plain)
	a.TeamMarketFactor, a.MarketFactorApplies = a.MarketFactor, true
	if raw.TeamMarketFactor != nil {
		a.TeamMarketFactor = *raw.TeamMarketFactor
	}
	if raw.MarketFactorApplies != nil {
		a.MarketFactorApplies = *raw.MarketFactorApplies
	}
	return nil
}
