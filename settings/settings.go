// Package settings holds an organization's settings (DESIGN.md §4, §6, §7,
// §8): the realism bands, the status thresholds of pace, the grace before
// a period's targets close, the ramp schedule of new reps and the review
// suggestion thresholds. They are stored with the organization (one JSON
// column, read with the organization's row, so reading them costs no
// statement of its own); an organization that never changed them reads
// the defaults, and a setting added later reads its default in the
// settings stored before it existed. It is a leaf package, so that the ent
// schema can store Settings as they are.
package settings

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"kpiflow/workflow/realism"
)

// Pace grades a pace into a status (DESIGN.md §4): ON_TRACK from OnTrack,
// AT_RISK from AtRisk, OFF_TRACK below.
type Pace struct {
	OnTrack float64 `json:"onTrack"`
	AtRisk  float64 `json:"atRisk"`
}

// Review bounds the suggestion of a review item (DESIGN.md §8): RAISE when
// the target is projected more than Change beyond it, LOWER when more than
// Change short (mirrored when lower is better), KEEP otherwise, and KEEP
// whatever the projection before MinElapsed of the period has gone.
type Review struct {
	Change     float64 `json:"change"`
	MinElapsed float64 `json:"minElapsed"`
}

// Settings are an organization's.
type Settings struct {
	Realism realism.Thresholds `json:"realism"`
	Pace    Pace               `json:"pace"`
	// GraceHours is how long after a period ends its approved targets
	// stay open for late records before they close.
	GraceHours int `json:"graceHours"`
	// Ramp is the share of a fully ramped rep's value expected of a new
	// rep in each month of tenure: Ramp[0] in their first month, and 1
	// (the last share) from month len(Ramp) on.
	Ramp   []float64 `json:"ramp"`
	Review Review    `json:"review"`
	// ReconciliationTolerance is how far above a team's target its
	// members' approved targets may sum (a ratio of the team target)
	// before the team's managers are told; below the target they are told
	// at once.
	ReconciliationTolerance float64 `json:"reconciliationTolerance"`
}

// Default returns the defaults of DESIGN.md.
func Default() Settings {
	return Settings{
		Realism:    realism.DefaultThresholds,
		Pace:       Pace{OnTrack: 1.0, AtRisk: 0.85},
		GraceHours: 72,
		Ramp:       []float64{0.25, 0.5, 0.75, 1},
		Review:     Review{Change: 0.2, MinElapsed: 0.25},

		ReconciliationTolerance: 0.1,
	}
}

// Of returns the settings stored for an organization, or the defaults
// when it has none.
func Of(stored *Settings) Settings {
	if stored == nil {
		return Default()
	}
	s := *stored
	s.Ramp = append([]float64(nil), stored.Ramp...)
	return s
}

// UnmarshalJSON reads stored settings over the defaults, so that a
// setting missing from what was stored (added since) is its default.
func (s *Settings) UnmarshalJSON(b []byte) error {
	type plain Settings
	d := plain(Default())
	d.Ramp = nil
	if err := json.Unmarshal(b, &d); err != nil {
		return err
	}
	if d.Ramp == nil {
		d.Ramp = Default().Ramp
	}
	*s = Settings(d)
	return nil
}

// Grace returns GraceHours as a duration.
func (s Settings) Grace() time.Duration { return time.Duration(s.GraceHours) * time.Hour }

// RampShare returns the share of a fully ramped rep's value expected in a
// month of tenure (0 is the first month), and whether the rep is still
// ramping in it.
func (s Settings) RampShare(tenureMonths int) (float64, bool) {
	if tenureMonths < 0 {
		tenureMonths = 0
	}
	if len(s.Ramp) == 0 || tenureMonths >= len(s.Ramp)-1 {
		return 1, false
	}
	return s.Ramp[tenureMonths], true
}

// RampMonths is the tenure in months from which a rep is fully ramped.
func (s Settings) RampMonths() int {
	if len(s.Ramp) == 0 {
		return 0
	}
	return len(s.Ramp) - 1
}

// Limits of the settings.
const (
	MaxPeriods    = 24
	MaxGraceHours = 31 * 24
	MaxRampMonths = 36
	MaxRatio      = 100.0
)

// FieldError names the setting that is out of bounds, as the API's input
// field, and why.
type FieldError struct {
	Field, Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func bad(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Validate checks every bound of the settings; the error is a *FieldError
// naming the first setting out of bounds.
func (s Settings) Validate() error {
	r := s.Realism
	switch {
	case !finite(r.Below) || r.Below <= 0 || r.Below > 1:
		return bad("realism.belowBaseline", "must be above 0 and at most 1 (a proposal of the expected value is realistic)")
	case !finite(r.Realistic) || r.Realistic < 1:
		return bad("realism.realistic", "must be at least 1 (a proposal of the expected value is realistic)")
	case !finite(r.Stretch) || r.Stretch <= r.Realistic || r.Stretch > MaxRatio:
		return bad("realism.stretch", "must be above realistic (%g) and at most %g", r.Realistic, MaxRatio)
	case !finite(r.BestFactor) || r.BestFactor < 1 || r.BestFactor > MaxRatio:
		return bad("realism.bestEverFactor", "must be between 1 and %g", MaxRatio)
	case r.Periods < 1 || r.Periods > MaxPeriods:
		return bad("realism.comparablePeriods", "must be between 1 and %d", MaxPeriods)
	}
	p := s.Pace
	switch {
	case !finite(p.OnTrack) || p.OnTrack <= 0 || p.OnTrack > MaxRatio:
		return bad("status.onTrack", "must be above 0 and at most %g", MaxRatio)
	case !finite(p.AtRisk) || p.AtRisk <= 0 || p.AtRisk >= p.OnTrack:
		return bad("status.atRisk", "must be above 0 and below onTrack (%g)", p.OnTrack)
	}
	if s.GraceHours < 0 || s.GraceHours > MaxGraceHours {
		return bad("closeGraceHours", "must be between 0 and %d (31 days)", MaxGraceHours)
	}
	if len(s.Ramp) == 0 || len(s.Ramp) > MaxRampMonths {
		return bad("rampSchedule", "must have between 1 and %d monthly shares", MaxRampMonths)
	}
	for i, f := range s.Ramp {
		if !finite(f) || f <= 0 || f > 1 {
			return bad("rampSchedule", "share %d (%g) must be above 0 and at most 1", i+1, f)
		}
		if i > 0 && f < s.Ramp[i-1] {
			return bad("rampSchedule", "share %d (%g) is below the month before (%g): a ramp never goes down", i+1, f, s.Ramp[i-1])
		}
	}
	if last := s.Ramp[len(s.Ramp)-1]; last != 1 {
		return bad("rampSchedule", "must end at 1 (a fully ramped rep), not %g", last)
	}
	v := s.Review
	switch {
	case !finite(v.Change) || v.Change <= 0 || v.Change >= 1:
		return bad("review.change", "must be above 0 and below 1 (a share of the target)")
	case !finite(v.MinElapsed) || v.MinElapsed < 0 || v.MinElapsed >= 1:
		return bad("review.minElapsed", "must be at least 0 and below 1 (a share of the period)")
	}
	if t := s.ReconciliationTolerance; !finite(t) || t < 0 || t > 1 {
		return bad("reconciliationTolerance", "must be between 0 and 1 (a share of the team target)")
	}
	return nil
}
