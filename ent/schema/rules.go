package schema

// The invariants of the sales record, enforced as schema hooks so that they
// hold for every writer: the API, the demo generator and imports alike.

import (
	"context"
	"strings"

	"entgo.io/ent"

	"kpiflow/access"
	gen "kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/hook"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/record"
)

// Hooks implements ent.Schema.
func (User) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(normalizeEmail, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
		hook.On(userTenancy, ent.OpCreate|ent.OpUpdateOne),
	}
}

// userTenancy keeps a user's team and managed teams in their organization.
func userTenancy(next ent.Mutator) ent.Mutator {
	return hook.UserFunc(func(ctx context.Context, m *gen.UserMutation) (ent.Value, error) {
		org, err := mutationOrg(ctx, m.Op(), m.OrganizationID, m.OldOrganizationID)
		if err != nil {
			return nil, err
		}
		if t, ok := m.TeamID(); ok {
			if err := teamsOf(ctx, m.Client(), org, "teamID", t); err != nil {
				return nil, err
			}
			// A move to another team is dated: the user's history in the
			// new team counts from it. (A user created in a team joined it
			// at their hire.)
			if m.Op().Is(ent.OpUpdateOne) {
				old, err := m.OldTeamID(ctx)
				if err != nil {
					return nil, err
				}
				if old == nil || *old != t {
					m.SetTeamJoinedAt(now())
				}
			}
		}
		if err := teamsOf(ctx, m.Client(), org, "managedTeamIDs", m.ManagedTeamsIDs()...); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// teamsOf checks that the teams are of the organization (and visible).
func teamsOf(ctx context.Context, client *gen.Client, org pulid.ID, field string, ids ...pulid.ID) error {
	ids = unique(ids)
	if len(ids) == 0 {
		return nil
	}
	n, err := client.Team.Query().Where(team.IDIn(ids...), team.OrganizationID(org)).Count(ctx)
	if err != nil {
		return err
	}
	if n != len(ids) {
		return errcode.BadInput(field, "no such team")
	}
	return nil
}

// usersOf checks that the users are of the organization (and visible).
func usersOf(ctx context.Context, client *gen.Client, org pulid.ID, field string, ids ...pulid.ID) error {
	ids = unique(ids)
	if len(ids) == 0 {
		return nil
	}
	n, err := client.User.Query().Where(user.IDIn(ids...), user.OrganizationID(org)).Count(ctx)
	if err != nil {
		return err
	}
	if n != len(ids) {
		return errcode.BadInput(field, "no such user")
	}
	return nil
}

func unique(ids []pulid.ID) []pulid.ID {
	seen := map[pulid.ID]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// maxTeamDepth bounds the team tree (access.MaxTeamDepth).
const maxTeamDepth = access.MaxTeamDepth

// Hooks implements ent.Schema.
func (Team) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(teamRules, ent.OpCreate|ent.OpUpdateOne),
	}
}

// teamRules keeps a team's parent, managers and members in its
// organization, and the team tree a tree: no team is its own ancestor.
func teamRules(next ent.Mutator) ent.Mutator {
	return hook.TeamFunc(func(ctx context.Context, m *gen.TeamMutation) (ent.Value, error) {
		org, err := mutationOrg(ctx, m.Op(), m.OrganizationID, m.OldOrganizationID)
		if err != nil {
			return nil, err
		}
		client := m.Client()
		if err := usersOf(ctx, client, org, "managerIDs", m.ManagersIDs()...); err != nil {
			return nil, err
		}
		if added := m.MembersIDs(); len(added) > 0 {
			if err := usersOf(ctx, client, org, "memberIDs", added...); err != nil {
				return nil, err
			}
			// A user is a member of one team: joining this one is leaving
			// their previous one. The join is dated (their history in the
			// team counts from it), except for members already in it.
			joining := client.User.Update().Where(user.IDIn(added...))
			if self, ok := m.ID(); ok {
				joining.Where(user.Or(user.TeamIDIsNil(), user.TeamIDNEQ(self)))
			}
			if err := joining.SetTeamJoinedAt(now()).Exec(ctx); err != nil {
				return nil, err
			}
			if err := client.User.Update().Where(user.IDIn(added...), user.TeamIDNotNil()).ClearTeam().Exec(ctx); err != nil {
				return nil, err
			}
		}
		if parent, ok := m.ParentID(); ok {
			if err := teamsOf(ctx, client, org, "parentID", parent); err != nil {
				return nil, err
			}
			self, _ := m.ID()
			depth := 1
			for at := &parent; at != nil; depth++ {
				if *at == self {
					return nil, errcode.BadInput("parentID", "a team cannot be placed under itself or its own sub-team")
				}
				if depth > maxTeamDepth {
					return nil, errcode.BadInput("parentID", "teams nest at most %d levels deep", maxTeamDepth)
				}
				t, err := client.Team.Query().Where(team.ID(*at)).Select(team.FieldParentID).Only(ctx)
				if err != nil {
					return nil, err
				}
				at = t.ParentID
			}
		}
		return next.Mutate(ctx, m)
	})
}

// normalizeEmail lower-cases and trims the email, so that the unique index
// on (organization_id, email) is case-insensitive on every database.
func normalizeEmail(next ent.Mutator) ent.Mutator {
	return hook.UserFunc(func(ctx context.Context, m *gen.UserMutation) (ent.Value, error) {
		if e, ok := m.Email(); ok {
			m.SetEmail(strings.ToLower(strings.TrimSpace(e)))
		}
		return next.Mutate(ctx, m)
	})
}

// Hooks implements ent.Schema.
func (Organization) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(withBuiltinKPIs, ent.OpCreate)}
}

// withBuiltinKPIs gives every new organization the built-in KPIs, in the
// transaction that creates it.
func withBuiltinKPIs(next ent.Mutator) ent.Mutator {
	return hook.OrganizationFunc(func(ctx context.Context, m *gen.OrganizationMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		if err := kpi.EnsureBuiltins(ctx, m.Client(), v.(*gen.Organization).ID); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// Hooks implements ent.Schema.
func (Deal) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(dealRules, ent.OpCreate|ent.OpUpdateOne),
		hook.Reject(ent.OpUpdate), // bulk updates would bypass the rules
	}
}

// dealRules keeps a deal consistent: it belongs to its owner's organization,
// it counts toward a team of that organization, closedAt is set exactly when
// it is WON or LOST and never before openedAt, and closing records the cycle
// length.
func dealRules(next ent.Mutator) ent.Mutator {
	return hook.DealFunc(func(ctx context.Context, m *gen.DealMutation) (ent.Value, error) {
		if err := dealTenancy(ctx, m); err != nil {
			return nil, err
		}
		if err := dealClosing(ctx, m); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

func dealTenancy(ctx context.Context, m *gen.DealMutation) error {
	client := m.Client()
	org, err := mutationOrg(ctx, m.Op(), m.OrganizationID, m.OldOrganizationID)
	if err != nil {
		return err
	}
	if ownerID, ok := m.OwnerID(); ok {
		owner, err := client.User.Query().Where(user.ID(ownerID)).
			Select(user.FieldOrganizationID, user.FieldTeamID).Only(ctx)
		if gen.IsNotFound(err) || (err == nil && org != "" && owner.OrganizationID != org) {
			return errcode.BadInput("ownerID", "no such user")
		}
		if err != nil {
			return err
		}
		if org == "" {
			org = owner.OrganizationID
			m.SetOrganizationID(org)
		}
		if _, ok := m.TeamID(); !ok && m.Op().Is(ent.OpCreate) {
			if owner.TeamID == nil {
				return errcode.BadInput("teamID", "the owner belongs to no team: give the deal's team")
			}
			m.SetTeamID(*owner.TeamID)
		}
	}
	if teamID, ok := m.TeamID(); ok {
		n, err := client.Team.Query().Where(team.ID(teamID), team.OrganizationID(org)).Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errcode.BadInput("teamID", "no such team")
		}
	}
	return nil
}

// mutationOrg returns the organization a created or updated row belongs to,
// or "" for a create that has not set it yet.
func mutationOrg(ctx context.Context, op ent.Op, set func() (pulid.ID, bool), old func(context.Context) (pulid.ID, error)) (pulid.ID, error) {
	if op.Is(ent.OpCreate) {
		org, _ := set()
		return org, nil
	}
	return old(ctx)
}

// dealClosing applies the closing rules (record.Close) to the mutation:
// closedAt set exactly when the deal is WON or LOST, never before openedAt
// nor in the future, and closing records the cycle length.
func dealClosing(ctx context.Context, m *gen.DealMutation) error {
	c := record.Closing{}
	var openedSet bool
	c.Stage, _ = m.Stage()
	c.OpenedAt, openedSet = m.OpenedAt()
	c.OpenedSet = openedSet
	if closedAt, ok := m.ClosedAt(); ok {
		c.ClosedAt = &closedAt
	}
	c.ClosedCleared = m.ClosedAtCleared()
	if !m.Op().Is(ent.OpCreate) {
		var err error
		if c.OldStage, err = m.OldStage(ctx); err != nil {
			return err
		}
		if _, ok := m.Stage(); !ok {
			c.Stage = c.OldStage
		}
		if c.OldClosedAt, err = m.OldClosedAt(ctx); err != nil {
			return err
		}
		if !openedSet {
			if c.OpenedAt, err = m.OldOpenedAt(ctx); err != nil {
				return err
			}
		}
	}
	closedAt, cycle, err := record.Close(c, now())
	if err != nil {
		return err
	}
	if closedAt == nil {
		if c.OldClosedAt != nil { // reopened
			m.ClearClosedAt()
			m.ClearCycleMicros()
		}
		return nil
	}
	if c.ClosedAt == nil {
		m.SetClosedAt(*closedAt)
	}
	m.SetCycleMicros(*cycle)
	return nil
}

// Hooks implements ent.Schema.
func (Meeting) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(meetingRules, ent.OpCreate|ent.OpUpdateOne),
		hook.Reject(ent.OpUpdate),
	}
}

// meetingRules keeps a meeting consistent: it belongs to its owner's
// organization, its deal is of the same organization, heldAt is set
// exactly when it was HELD (by default at its scheduled time), and it
// counts toward its owner's team of when it was recorded or held.
func meetingRules(next ent.Mutator) ent.Mutator {
	return hook.MeetingFunc(func(ctx context.Context, m *gen.MeetingMutation) (ent.Value, error) {
		if err := meetingTenancy(ctx, m); err != nil {
			return nil, err
		}
		if err := meetingHeld(ctx, m); err != nil {
			return nil, err
		}
		if err := meetingTeam(ctx, m); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

func meetingTenancy(ctx context.Context, m *gen.MeetingMutation) error {
	client := m.Client()
	org, err := mutationOrg(ctx, m.Op(), m.OrganizationID, m.OldOrganizationID)
	if err != nil {
		return err
	}
	if ownerID, ok := m.OwnerID(); ok {
		owner, err := client.User.Query().Where(user.ID(ownerID)).
			Select(user.FieldOrganizationID).Only(ctx)
		if gen.IsNotFound(err) || (err == nil && org != "" && owner.OrganizationID != org) {
			return errcode.BadInput("ownerID", "no such user")
		}
		if err != nil {
			return err
		}
		if org == "" {
			org = owner.OrganizationID
			m.SetOrganizationID(org)
		}
	}
	if dealID, ok := m.DealID(); ok {
		n, err := client.Deal.Query().Where(deal.ID(dealID), deal.OrganizationID(org)).Count(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errcode.BadInput("dealID", "no such deal")
		}
	}
	return nil
}

// meetingTeam records the team a meeting counts toward, as a deal does
// (DESIGN.md §3: history does not move when people change teams): the
// owner's team when the meeting is recorded, and again when it becomes
// HELD (a meeting scheduled in one team and held after its owner moved
// counts toward the team it was held for) or changes owner. Any other
// change, re-imports of the same row included, keeps the team: moving a
// rep rewrites none of their meetings. An owner of no team gives a meeting
// of no team (it counts toward its owner and the organization only).
// kpiflow's own writers may set the team themselves.
func meetingTeam(ctx context.Context, m *gen.MeetingMutation) error {
	if _, ok := m.TeamID(); ok || m.TeamIDCleared() {
		return nil
	}
	owner, ownerSet := m.OwnerID()
	creating := m.Op().Is(ent.OpCreate)
	var ownerChanged bool
	var oldStatus, status meeting.Status
	if !creating {
		oldOwner, err := m.OldOwnerID(ctx)
		if err != nil {
			return err
		}
		if !ownerSet {
			owner = oldOwner
		}
		if oldStatus, err = m.OldStatus(ctx); err != nil {
			return err
		}
		var statusSet bool
		if status, statusSet = m.Status(); !statusSet {
			status = oldStatus
		}
		ownerChanged = owner != oldOwner
	}
	stamp := record.StampsTeam(creating, ownerChanged, oldStatus, status)
	if !stamp {
		return nil
	}
	u, err := m.Client().User.Query().Where(user.ID(owner)).Select(user.FieldTeamID).Only(ctx)
	if err != nil {
		return err
	}
	if u.TeamID == nil {
		if !m.Op().Is(ent.OpCreate) {
			m.ClearTeamID()
		}
		return nil
	}
	m.SetTeamID(*u.TeamID)
	return nil
}

// meetingHeld applies the holding rules (record.Hold) to the mutation:
// heldAt set exactly when the meeting is HELD, by default at its scheduled
// time, and never in the future.
func meetingHeld(ctx context.Context, m *gen.MeetingMutation) error {
	h := record.Holding{}
	var statusSet, scheduledSet bool
	h.Status, statusSet = m.Status()
	h.ScheduledAt, scheduledSet = m.ScheduledAt()
	if !m.Op().Is(ent.OpCreate) {
		var err error
		if !statusSet {
			if h.Status, err = m.OldStatus(ctx); err != nil {
				return err
			}
		}
		if !scheduledSet {
			if h.ScheduledAt, err = m.OldScheduledAt(ctx); err != nil {
				return err
			}
		}
		if h.OldHeldAt, err = m.OldHeldAt(ctx); err != nil {
			return err
		}
	}
	if heldAt, ok := m.HeldAt(); ok {
		h.HeldAt = &heldAt
	}
	h.HeldCleared = m.HeldAtCleared()
	heldAt, err := record.Hold(h, now())
	if err != nil {
		return err
	}
	switch {
	case heldAt == nil && h.OldHeldAt != nil:
		m.ClearHeldAt()
	case heldAt != nil && h.HeldAt == nil && h.OldHeldAt == nil:
		m.SetHeldAt(*heldAt)
	}
	return nil
}

// Hooks implements ent.Schema.
func (TargetEvent) Hooks() []ent.Hook { return []ent.Hook{appendOnly} }

// Hooks implements ent.Schema.
func (TargetRevision) Hooks() []ent.Hook { return []ent.Hook{appendOnly} }

// appendOnly refuses to change or delete audit records, whoever asks:
// unlike privacy rules, hooks run for the system's own work too.
var appendOnly = hook.On(hook.Reject(ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne),
	ent.OpUpdate|ent.OpUpdateOne|ent.OpDelete|ent.OpDeleteOne)
