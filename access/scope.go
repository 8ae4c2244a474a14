package access

import (
	"context"
	"fmt"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/viewer"
)

// LoadScope returns the loader of a viewer's reach in the team tree, for
// viewer.New: the user's own team, and the teams they manage with all
// their sub-teams. It reads with the system's rights, once per request and
// only when a policy needs it: one query for the user, one for the managed
// teams and one per level of sub-teams below them.
func LoadScope(client *ent.Client, userID pulid.ID) func(context.Context) (viewer.Scope, error) {
	return func(ctx context.Context) (viewer.Scope, error) {
		u, err := client.User.Get(viewer.System(ctx), userID)
		if err != nil {
			return viewer.Scope{}, fmt.Errorf("access: loading the viewer: %w", err)
		}
		return LoadScopeOf(client, u)(ctx)
	}
}

// LoadScopeOf is LoadScope for a user row already read (by the request's
// authentication): its team is the one in force, and only the managed
// teams remain to be read.
func LoadScopeOf(client *ent.Client, u *ent.User) func(context.Context) (viewer.Scope, error) {
	userID := u.ID
	return func(ctx context.Context) (viewer.Scope, error) {
		ctx = viewer.System(ctx)
		var s viewer.Scope
		var err error
		if u.TeamID != nil {
			s.Team = *u.TeamID
		}
		// The managed teams and, level by level, their sub-teams: team trees
		// are shallow (a region, its teams, perhaps squads), so this is a
		// handful of small indexed queries.
		frontier, err := client.Team.Query().
			Where(team.HasManagersWith(user.ID(userID))).
			IDs(ctx)
		if err != nil {
			return s, fmt.Errorf("access: loading managed teams: %w", err)
		}
		seen := map[pulid.ID]bool{}
		for len(frontier) > 0 {
			var next []pulid.ID
			for _, t := range frontier {
				if !seen[t] {
					seen[t] = true
					s.Managed = append(s.Managed, t)
					next = append(next, t)
				}
			}
			if len(next) == 0 {
				break
			}
			frontier, err = client.Team.Query().Where(team.ParentIDIn(next...)).IDs(ctx)
			if err != nil {
				return s, fmt.Errorf("access: loading sub-teams: %w", err)
			}
		}
		return s, nil
	}
}
