package access

import (
	"context"

	"kpiflow/ent/privacy"
	"kpiflow/ent/schema/pulid"
	"kpiflow/viewer"
)

// Recorder decides, for many deals and meetings written at once (package
// bulk writes a batch in one statement, without ent's hooks and policies),
// what the policies decide for one: whether the viewer may record for an
// owner (mayOwn) and count a deal toward a team (mayCountToward). It takes
// the owners and teams as the viewer's own queries return them, so that
// what is out of sight stays NOT_FOUND, and applies the same decisions
// (ownDecision, countDecision) without a statement per row.
type Recorder struct {
	// system is kpiflow's own work (viewer.System), which the policies
	// allow everything.
	system bool
	v      *viewer.Viewer
	s      viewer.Scope
}

// RecorderOf returns the viewer's Recorder; for an anonymous caller, the
// policies' denial.
func RecorderOf(ctx context.Context) (*Recorder, error) {
	// DecisionFromContext gives a nil decision for viewer.System's
	// privacy.Allow (as linksInReach tests).
	if d, ok := privacy.DecisionFromContext(ctx); ok && d == nil {
		return &Recorder{system: true}, nil
	}
	v, err := current(ctx)
	if err != nil {
		return nil, err
	}
	r := &Recorder{v: v}
	if !v.IsAdmin() {
		if r.s, err = v.Scope(ctx); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// System reports whether the writes are kpiflow's own work, which no
// policy restricts and which sees every record of the organization.
func (r *Recorder) System() bool { return r.system }

// MayOwn is mayOwn for an owner the viewer sees (read with the viewer's
// rights), whose team is ownerTeam ("" for none).
func (r *Recorder) MayOwn(owner, ownerTeam pulid.ID) error {
	if r.system {
		return nil
	}
	return ownDecision(r.v, r.s, owner, ownerTeam)
}

// MayCountToward is mayCountToward for a team: visible says whether the
// viewer's query of teams returns it (else NOT_FOUND, as MayLink).
func (r *Recorder) MayCountToward(team pulid.ID, visible bool) error {
	if r.system {
		return nil
	}
	if !visible {
		return notFound("Team", "teamID")
	}
	return countDecision(r.v, r.s, team)
}
