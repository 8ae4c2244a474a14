package graph

import "kpiflow/settings"

// applySettings writes the settings an update gives over st; what it does
// not give keeps its value.
func applySettings(st *settings.Settings, in UpdateOrganizationSettingsInput) {
	set := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	if r := in.Realism; r != nil {
		set(&st.Realism.Below, r.BelowBaseline)
		set(&st.Realism.Realistic, r.Realistic)
		set(&st.Realism.Stretch, r.Stretch)
		set(&st.Realism.BestFactor, r.BestEverFactor)
		if r.ComparablePeriods != nil {
			st.Realism.Periods = *r.ComparablePeriods
		}
	}
	if p := in.Status; p != nil {
		set(&st.Pace.OnTrack, p.OnTrack)
		set(&st.Pace.AtRisk, p.AtRisk)
	}
	if in.CloseGraceHours != nil {
		st.GraceHours = *in.CloseGraceHours
	}
	if in.RampSchedule != nil {
		st.Ramp = append([]float64(nil), in.RampSchedule...)
	}
	if r := in.Review; r != nil {
		set(&st.Review.Change, r.Change)
		set(&st.Review.MinElapsed, r.MinElapsed)
	}
	set(&st.ReconciliationTolerance, in.ReconciliationTolerance)
}
