// Package access is kpiflow's authorization: the ent privacy policies that
// decide, for every query and mutation, what the viewer may read and
// change (DESIGN.md §10). It denies by default: without a viewer nothing is
// read or written, except in viewer.System contexts.
//
// Reading: every row is filtered to the viewer's organization. An ADMIN
// sees the whole organization; a MANAGER the teams they manage with all
// their sub-teams, those teams' members, deals and meetings, and their own;
// a REP their own deals and meetings, their team and its members. Rows out
// of reach are filtered away, so they are NOT_FOUND, never FORBIDDEN.
//
// Writing: an ADMIN administers users and teams; deals and meetings are
// written by their owner, or by a manager of the owner's team, or by an
// ADMIN. Nobody writes another organization's rows.
package access

import (
	"context"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/entql"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/marketfactor"
	"kpiflow/ent/meeting"
	"kpiflow/ent/organization"
	"kpiflow/ent/predicate"
	"kpiflow/ent/privacy"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/targetevent"
	"kpiflow/ent/targetrevision"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/viewer"
)

// current returns the viewer, or a denial for an anonymous caller.
func current(ctx context.Context) (*viewer.Viewer, error) {
	if v := viewer.FromContext(ctx); v != nil {
		return v, nil
	}
	return nil, privacy.Denyf("access: no viewer")
}

// tenant filters any query or mutation to the viewer's organization.
var tenant = privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
	v, err := current(ctx)
	if err != nil {
		return err
	}
	tf, ok := f.(interface{ WhereOrganizationID(entql.StringP) })
	if !ok {
		return privacy.Denyf("access: %T has no organization", f)
	}
	tf.WhereOrganizationID(entql.StringEQ(string(v.OrgID)))
	return privacy.Skip
})

// tenantWrite keeps every write inside the viewer's organization: updates
// and deletes are filtered to it, and creates are placed in it.
var tenantWrite = privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
	if !m.Op().Is(ent.OpCreate) {
		return tenant.EvalMutation(ctx, m)
	}
	v, err := current(ctx)
	if err != nil {
		return err
	}
	tm, ok := m.(interface {
		OrganizationID() (pulid.ID, bool)
		SetOrganizationID(pulid.ID)
	})
	if !ok {
		return privacy.Denyf("access: %T has no organization", m)
	}
	if org, set := tm.OrganizationID(); set && org != v.OrgID {
		return forbidden
	}
	tm.SetOrganizationID(v.OrgID)
	return privacy.Skip
})

var forbidden = errcode.New(errcode.Forbidden, "you may not do this")

// visibleTeams are the teams a non-admin viewer reaches: the ones they
// manage (with sub-teams) and their own.
func visibleTeams(s viewer.Scope) []pulid.ID {
	if s.Team == "" {
		return s.Managed
	}
	return append(append([]pulid.ID(nil), s.Managed...), s.Team)
}

// byRole returns the predicate of a viewer's reach over records that have
// an owner: none (all of the organization) for an ADMIN, managed(…) for a
// manager, own(…) for a rep; with privacy.Skip, so that the policy goes on.
func byRole[P ~func(*entsql.Selector)](ctx context.Context, own func(pulid.ID) P, managed func(pulid.ID, viewer.Scope) P) (P, error) {
	v, err := current(ctx)
	if err != nil {
		return nil, err
	}
	switch v.Role {
	case user.RoleAdmin:
		return nil, privacy.Skip
	case user.RoleManager:
		s, err := v.Scope(ctx)
		if err != nil {
			return nil, err
		}
		return managed(v.UserID, s), privacy.Skip
	}
	return own(v.UserID), privacy.Skip
}

// inReach narrows a query or update to the rows the viewer reaches, as
// reach describes them: a predicate, or nil (and privacy.Skip) for all.
func inReach[P ~func(*entsql.Selector), R any](ctx context.Context, reach func(context.Context) (P, error), where func(...P) R) error {
	p, err := reach(ctx)
	if p != nil {
		where(p)
	}
	return err
}

// ownedRecord is a deal's or a meeting's mutation.
type ownedRecord[P ~func(*entsql.Selector)] interface {
	ent.Mutation
	Where(...P)
	OwnerID() (pulid.ID, bool)
	Client() *ent.Client
}

// writeOwned decides a write of a deal or a meeting: created, or updated
// within the viewer's reach, never deleted; owned by someone the viewer
// records for.
func writeOwned[P ~func(*entsql.Selector), M ownedRecord[P]](ctx context.Context, m M, reach func(context.Context) (P, error)) error {
	if !m.Op().Is(ent.OpCreate | ent.OpUpdateOne) {
		return forbidden // the record is never deleted or changed in bulk through the API
	}
	if m.Op().Is(ent.OpUpdateOne) {
		p, err := reach(ctx)
		if p != nil {
			m.Where(p)
		}
		if err != privacy.Skip {
			return err
		}
	}
	if owner, ok := m.OwnerID(); ok {
		return mayOwn(ctx, m.Client(), owner)
	}
	return nil
}

// OrganizationPolicy: the viewer's own organization; only ADMINs change it,
// and organizations are created by kpiflow's administration commands.
func OrganizationPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.OrganizationQueryRuleFunc(func(ctx context.Context, q *ent.OrganizationQuery) error {
				v, err := current(ctx)
				if err != nil {
					return err
				}
				q.Where(organization.ID(v.OrgID))
				return privacy.Skip
			}),
		},
		Mutation: privacy.MutationPolicy{
			privacy.OrganizationMutationRuleFunc(func(ctx context.Context, m *ent.OrganizationMutation) error {
				v, err := current(ctx)
				if err != nil {
					return err
				}
				if !v.IsAdmin() || !m.Op().Is(ent.OpUpdateOne) {
					return forbidden
				}
				m.Where(organization.ID(v.OrgID))
				return privacy.Allow
			}),
		},
	}
}

// TeamPolicy: ADMINs see every team; managers their managed subtrees and
// their own team; reps their own team. Only ADMINs change teams.
func TeamPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.TeamQueryRuleFunc(func(ctx context.Context, q *ent.TeamQuery) error {
				return inReach(ctx, teamsReadable, q.Where)
			}),
		},
		Mutation: privacy.MutationPolicy{tenantWrite, adminOnly()},
	}
}

// teamsInReach returns the predicate on teams of the viewer's reach, or nil
// for all teams of the organization.
func teamsInReach(ctx context.Context) (predicate.Team, error) {
	v, err := current(ctx)
	if err != nil {
		return nil, err
	}
	if v.IsAdmin() {
		return nil, privacy.Skip
	}
	s, err := v.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return team.IDIn(visibleTeams(s)...), privacy.Skip
}

// UserPolicy: ADMINs see every user; managers themselves, the members and
// managers of the teams they reach; reps themselves and their team. Only
// ADMINs create and change users (sign-in and password changes go through
// package auth, in system context).
func UserPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.UserQueryRuleFunc(func(ctx context.Context, q *ent.UserQuery) error {
				return inReach(ctx, usersReadable, q.Where)
			}),
		},
		Mutation: privacy.MutationPolicy{tenantWrite, adminOnly()},
	}
}

func usersInReach(ctx context.Context) (predicate.User, error) {
	v, err := current(ctx)
	if err != nil {
		return nil, err
	}
	if v.IsAdmin() {
		return nil, privacy.Skip
	}
	s, err := v.Scope(ctx)
	if err != nil {
		return nil, err
	}
	return user.Or(
		user.ID(v.UserID),
		user.TeamIDIn(visibleTeams(s)...),
		user.HasManagedTeamsWith(team.IDIn(s.Managed...)),
	), privacy.Skip
}

// DealPolicy: ADMINs see every deal; managers the deals of the teams they
// reach and their own; reps their own.
func DealPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.DealQueryRuleFunc(func(ctx context.Context, q *ent.DealQuery) error {
				return inReach(ctx, dealsInReach, q.Where)
			}),
		},
		Mutation: privacy.MutationPolicy{
			tenantWrite,
			privacy.DealMutationRuleFunc(func(ctx context.Context, m *ent.DealMutation) error {
				if err := writeOwned(ctx, m, dealsInReach); err != nil {
					return err
				}
				if t, ok := m.TeamID(); ok {
					if err := mayCountToward(ctx, m.Client(), t); err != nil {
						return err
					}
				}
				return privacy.Allow
			}),
		},
	}
}

func dealsInReach(ctx context.Context) (predicate.Deal, error) {
	return byRole(ctx, deal.OwnerID, func(me pulid.ID, s viewer.Scope) predicate.Deal {
		return deal.Or(deal.OwnerID(me), deal.TeamIDIn(s.Managed...))
	})
}

// MeetingPolicy: ADMINs see every meeting; managers the meetings counted
// toward the teams they reach (held for them, whoever holds them now: as
// deals, meetings keep their team) and their own; reps their own.
func MeetingPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.MeetingQueryRuleFunc(func(ctx context.Context, q *ent.MeetingQuery) error {
				return inReach(ctx, meetingsInReach, q.Where)
			}),
		},
		Mutation: privacy.MutationPolicy{
			tenantWrite,
			privacy.MeetingMutationRuleFunc(func(ctx context.Context, m *ent.MeetingMutation) error {
				if err := writeOwned(ctx, m, meetingsInReach); err != nil {
					return err
				}
				return privacy.Allow
			}),
		},
	}
}

func meetingsInReach(ctx context.Context) (predicate.Meeting, error) {
	return byRole(ctx, meeting.OwnerID, func(me pulid.ID, s viewer.Scope) predicate.Meeting {
		return meeting.Or(meeting.OwnerID(me), meeting.TeamIDIn(s.Managed...))
	})
}

// mayOwn reports whether the viewer may record deals and meetings owned
// by the user: themselves always; a member of the teams they manage, for a
// manager; anyone of the organization, for an ADMIN. An owner the viewer
// cannot see is NOT_FOUND.
func mayOwn(ctx context.Context, client *ent.Client, owner pulid.ID) error {
	v, err := current(ctx)
	if err != nil {
		return err
	}
	if err := MayLink(ctx, client, "User", "ownerID", []pulid.ID{owner}); err != nil {
		return err // out of sight: NOT_FOUND, before what the viewer may do with it
	}
	var s viewer.Scope
	var ownerTeam pulid.ID
	if owner != v.UserID && v.Role == user.RoleManager {
		if s, err = v.Scope(ctx); err != nil {
			return err
		}
		if ownerTeam, err = teamOf(ctx, client, owner); err != nil {
			return err
		}
	}
	return ownDecision(v, s, owner, ownerTeam)
}

// ownDecision is mayOwn's rule for an owner the viewer sees, in team
// ownerTeam ("" for none; read only for a manager recording for another).
func ownDecision(v *viewer.Viewer, s viewer.Scope, owner, ownerTeam pulid.ID) error {
	if owner == v.UserID || v.IsAdmin() {
		return nil
	}
	if v.Role == user.RoleManager && (ownerTeam == "" || s.Manages(ownerTeam)) {
		return nil
	}
	return forbidden
}

// mayCountToward reports whether the viewer may count a deal toward team:
// their own team or, for a manager, a team they manage; NOT_FOUND for a
// team out of sight.
func mayCountToward(ctx context.Context, client *ent.Client, t pulid.ID) error {
	v, err := current(ctx)
	if err != nil {
		return err
	}
	if err := MayLink(ctx, client, "Team", "teamID", []pulid.ID{t}); err != nil || v.IsAdmin() {
		return err
	}
	s, err := v.Scope(ctx)
	if err != nil {
		return err
	}
	return countDecision(v, s, t)
}

// countDecision is mayCountToward's rule for a team the viewer sees.
func countDecision(v *viewer.Viewer, s viewer.Scope, t pulid.ID) error {
	if v.IsAdmin() || t == s.Team || s.Manages(t) {
		return nil
	}
	return forbidden
}

// teamOf returns the team of a user the viewer can see ("" when the user
// is out of sight or in no team).
func teamOf(ctx context.Context, client *ent.Client, id pulid.ID) (pulid.ID, error) {
	u, err := client.User.Query().Where(user.ID(id)).Select(user.FieldTeamID).Only(ctx)
	if ent.IsNotFound(err) || (err == nil && u.TeamID == nil) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return *u.TeamID, nil
}

// adminOnly allows ADMINs and denies everyone else.
func adminOnly() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		v, err := current(ctx)
		if err != nil {
			return err
		}
		if v.IsAdmin() {
			return privacy.Allow
		}
		return forbidden
	})
}

// RefreshTokenPolicy: refresh tokens are kpiflow's own business (package
// auth, in system context); no viewer reads or writes them.
func RefreshTokenPolicy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// KPIPolicy: everyone of the organization reads its KPI definitions; only
// ADMINs define and change them.
func KPIPolicy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{tenant},
		Mutation: privacy.MutationPolicy{tenantWrite, adminOnly()},
	}
}

// Who may read computed values (scorecards, trends, rollups). Values are
// aggregates, so they reach further than rows: a rep reads their team's
// scorecard without seeing their teammates' deals.

// ValuesOfUser allows the values of a user the viewer can see: their own,
// and, for managers and admins, those of the users within their reach.
func ValuesOfUser(ctx context.Context, client *ent.Client, id pulid.ID) error {
	v, err := current(ctx)
	if err != nil {
		return err
	}
	if _, err := client.User.Get(ctx, id); err != nil {
		return err // NOT_FOUND when out of sight
	}
	if v.Role == user.RoleRep && id != v.UserID {
		return forbidden
	}
	return nil
}

// ValuesOfTeam allows the values of a team the viewer can see (with its
// sub-teams): a rep's own team, a manager's teams, any team for an admin.
func ValuesOfTeam(ctx context.Context, client *ent.Client, id pulid.ID) error {
	_, err := client.Team.Get(ctx, id)
	return err
}

// ValuesOfOrganization allows the organization's values to ADMINs.
func ValuesOfOrganization(ctx context.Context) error {
	v, err := current(ctx)
	if err != nil {
		return err
	}
	if !v.IsAdmin() {
		return forbidden
	}
	return nil
}

// RollupOfTeam allows a team's rollup, which shows each member's values, to
// the managers of the team (or of a team above it) and to ADMINs.
func RollupOfTeam(ctx context.Context, client *ent.Client, id pulid.ID) error {
	v, err := current(ctx)
	if err != nil {
		return err
	}
	if _, err := client.Team.Get(ctx, id); err != nil {
		return err
	}
	if v.IsAdmin() {
		return nil
	}
	s, err := v.Scope(ctx)
	if err != nil {
		return err
	}
	if v.Role == user.RoleManager && s.Manages(id) {
		return nil
	}
	return forbidden
}

// Targets are written only by package workflow, which checks who may take
// each action and then writes with the system's rights; no viewer writes a
// target, its events or its revisions directly.
var systemWritesOnly = privacy.MutationPolicy{privacy.AlwaysDenyRule()}

// TargetPolicy: ADMINs see every target; managers the targets of the users
// and teams within their reach, and their own and those they proposed;
// reps their own.
func TargetPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.TargetQueryRuleFunc(func(ctx context.Context, q *ent.TargetQuery) error {
				return inReach(ctx, targetsInReach, q.Where)
			}),
		},
		Mutation: systemWritesOnly,
	}
}

func targetsInReach(ctx context.Context) (predicate.Target, error) {
	return byRole(ctx, target.UserID, func(me pulid.ID, s viewer.Scope) predicate.Target {
		return target.Or(
			target.UserID(me),
			target.ProposerID(me),
			target.TeamIDIn(s.Managed...),
			target.HasUserWith(user.TeamIDIn(s.Managed...)),
		)
	})
}

// TargetEventPolicy: the events of the targets the viewer sees.
func TargetEventPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.TargetEventQueryRuleFunc(func(ctx context.Context, q *ent.TargetEventQuery) error {
				return inReach(ctx, eventsInReach, q.Where)
			}),
		},
		Mutation: systemWritesOnly,
	}
}

// TargetRevisionPolicy: the revisions of the targets the viewer sees.
func TargetRevisionPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.TargetRevisionQueryRuleFunc(func(ctx context.Context, q *ent.TargetRevisionQuery) error {
				return inReach(ctx, revisionsInReach, q.Where)
			}),
		},
		Mutation: systemWritesOnly,
	}
}

// MarketFactorPolicy: a team's market factors are read by whoever reads the
// team; package workflow sets them for the managers of a team (and reads
// them for realism checks with the system's rights).
func MarketFactorPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.MarketFactorQueryRuleFunc(func(ctx context.Context, q *ent.MarketFactorQuery) error {
				return inReach(ctx, factorsReadable, q.Where)
			}),
		},
		Mutation: systemWritesOnly,
	}
}

// SystemOnlyPolicy is for kpiflow's own bookkeeping, which no viewer reads
// or writes.
func SystemOnlyPolicy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// ReviewPolicy: review cycles are seen by those who see their team (its
// managers, the managers above them, its members, ADMINs) and written only
// by package workflow.
func ReviewPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.ReviewCycleQueryRuleFunc(func(ctx context.Context, q *ent.ReviewCycleQuery) error {
				return inReach(ctx, cyclesInReach, q.Where)
			}),
		},
		Mutation: systemWritesOnly,
	}
}

// ReviewItemPolicy: the items of reviews about the targets the viewer sees
// (an item carries its target's actual and value); written only by package
// workflow.
func ReviewItemPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			tenant,
			privacy.ReviewItemQueryRuleFunc(func(ctx context.Context, q *ent.ReviewItemQuery) error {
				return inReach(ctx, itemsInReach, q.Where)
			}),
		},
		Mutation: systemWritesOnly,
	}
}

// through is the reach of records seen through another's: the events,
// revisions and review items of the targets in reach, the review cycles of
// the teams in reach.
func through[P, Q ~func(*entsql.Selector)](reach func(context.Context) (P, error), has func(...P) Q) func(context.Context) (Q, error) {
	return func(ctx context.Context) (Q, error) {
		p, err := reach(ctx)
		if p == nil {
			return nil, err
		}
		return has(p), err
	}
}

var (
	eventsInReach    = through(targetsInReach, targetevent.HasTargetWith)
	revisionsInReach = through(targetsInReach, targetrevision.HasTargetWith)
	cyclesInReach    = through(teamsInReach, reviewcycle.HasTeamWith)
	itemsInReach     = through(targetsInReach, reviewitem.HasTargetWith)
	factorsReadable  = through(teamsReadable, marketfactor.HasTeamWith)
)
