package access

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

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
	"kpiflow/viewer"
)

// reach is, per ent type, the predicate of the rows of the viewer's
// organization that the viewer may read (nil: all of them). The query
// policies apply exactly these, so that Readable and the policies are one
// rule.
var reach = map[string]func(context.Context) (func(*entsql.Selector), error){
	"Team":           sel(teamsReadable),
	"User":           sel(usersReadable),
	"Deal":           sel(dealsInReach),
	"Meeting":        sel(meetingsInReach),
	"Target":         sel(targetsInReach),
	"TargetEvent":    sel(eventsInReach),
	"TargetRevision": sel(revisionsInReach),
	"ReviewCycle":    sel(cyclesInReach),
	"ReviewItem":     sel(itemsInReach),
	"KPI":            all,
	"MarketFactor":   sel(factorsReadable),
}

func all(context.Context) (func(*entsql.Selector), error) { return nil, nil }

func sel[P ~func(*entsql.Selector)](r func(context.Context) (P, error)) func(context.Context) (func(*entsql.Selector), error) {
	return func(ctx context.Context) (func(*entsql.Selector), error) {
		p, err := r(ctx)
		if err == privacy.Skip {
			err = nil
		}
		if err != nil || p == nil {
			return nil, err
		}
		return p, nil
	}
}

// Readable returns the predicate of the rows of an ent type (its name, such
// as "Deal") that the viewer may read, their organization included: what
// the type's privacy policy lets a query of that type return. It is for
// predicates that reach rows of other types than the queried one (a
// where-input's edge predicates), which ent's privacy does not filter.
func Readable(ctx context.Context, typ string) (func(*entsql.Selector), error) {
	v, err := current(ctx)
	if err != nil {
		return nil, err
	}
	if typ == "Organization" {
		return entsql.FieldEQ(organization.FieldID, v.OrgID), nil
	}
	r, ok := reach[typ]
	if !ok {
		return nil, fmt.Errorf("access: no read rule for %s", typ)
	}
	tenant := entsql.FieldEQ("organization_id", v.OrgID)
	p, err := r(ctx)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return tenant, nil
	}
	return func(s *entsql.Selector) {
		tenant(s)
		p(s)
	}, nil
}

// What a record requires comes with it. A viewer reads, beyond the users
// and teams of their reach, the objects that the records they read cannot
// be shown without: the owner and the team of a deal (a deal counted toward
// a manager's team may be owned by a rep of another team; a rep's deal
// stays counted toward their former team, and so do their meetings), the
// owner of a meeting, the proposer of a target (a
// team's target proposed by a manager of the region above). So a list and
// the nodes in it follow one rule: what is listed is readable whole.
// (Review cycles and items require their team and target, which their own
// rules already demand.)
//
// People who act on what a viewer reads are readable too (DESIGN.md §6: a
// rep sees who decided their proposal): whoever decided or adjusted a
// target the viewer reads (its approver, the actors of its events, the
// authors of its revisions), decided one of its review items or completed a
// review cycle the viewer reads; and the managers of the viewer's own team
// and of the teams above it, who decide the viewer's targets. They are
// readable as any user of the viewer's reach is, whole: their name, role
// and work email are the organization's directory, not a secret among its
// members; what they own (deals, meetings, targets) stays under its own
// rules.

// usersReadable: the users of the viewer's reach, the owners of the deals
// and meetings and the proposers of the targets they read, and the people
// who act on what they read.
func usersReadable(ctx context.Context) (predicate.User, error) {
	base, err := usersInReach(ctx)
	if base == nil {
		return nil, err
	}
	deals, err := dealsInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	meetings, err := meetingsInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	targets, err := targetsInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	events, err := eventsInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	revisions, err := revisionsInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	items, err := itemsInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	cycles, err := cyclesInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	s, err := viewer.FromContext(ctx).Scope(ctx)
	if err != nil {
		return nil, err
	}
	readable := []predicate.User{base, user.HasDealsWith(deals), user.HasMeetingsWith(meetings),
		usersIn(target.Table, target.FieldProposerID, targets),
		usersIn(target.Table, target.FieldApproverID, targets),
		usersIn(targetevent.Table, targetevent.FieldActorID, events),
		usersIn(targetrevision.Table, targetrevision.FieldAuthorID, revisions),
		usersIn(reviewitem.Table, reviewitem.FieldDecidedByID, items),
		usersIn(reviewcycle.Table, reviewcycle.FieldCompletedByID, cycles),
	}
	if s.Team != "" {
		readable = append(readable, user.HasManagedTeamsWith(selfOrAbove(s.Team, MaxTeamDepth)))
	}
	return user.Or(readable...), privacy.Skip
}

// MaxTeamDepth bounds the team tree: regions, teams, squads and a little
// more. Deeper trees are a modelling mistake, and a bound keeps the walks
// over the tree short (ent/schema refuses a deeper team).
const MaxTeamDepth = 8

// selfOrAbove: the team and its ancestors, up to depth levels of the tree:
// its ID, its parent's (one primary-key lookup), its grandparent's (two),
// and so on. (A descent from every team, "has a child that is or has ...",
// says the same but is planned badly by PostgreSQL: a hundred times
// slower.)
func selfOrAbove(t pulid.ID, depth int) predicate.Team {
	return func(s *entsql.Selector) {
		preds := []*entsql.Predicate{entsql.EQ(s.C(team.FieldID), t)}
		for level := 1; level < depth; level++ {
			var up *entsql.Selector
			for i := 0; i < level; i++ {
				at := entsql.Table(team.Table).As(fmt.Sprintf("above_%d_%d", level, i))
				q := entsql.Dialect(s.Dialect()).Select(at.C(team.FieldParentID)).From(at)
				if up == nil {
					q.Where(entsql.EQ(at.C(team.FieldID), t))
				} else {
					q.Where(entsql.In(at.C(team.FieldID), up))
				}
				up = q
			}
			preds = append(preds, entsql.In(s.C(team.FieldID), up))
		}
		s.Where(entsql.Or(preds...))
	}
}

// usersIn: the users whose ID is in column of the rows of table that match
// p (the records name them with an ID column, and have no edge back).
func usersIn[P ~func(*entsql.Selector)](table, column string, p P) predicate.User {
	return func(s *entsql.Selector) {
		t := entsql.Table(table)
		ids := entsql.Dialect(s.Dialect()).Select(t.C(column)).From(t)
		p(ids)
		s.Where(entsql.In(s.C(user.FieldID), ids))
	}
}

// teamsReadable: the teams of the viewer's reach, and the teams of the
// deals they read.
func teamsReadable(ctx context.Context) (predicate.Team, error) {
	base, err := teamsInReach(ctx)
	if base == nil {
		return nil, err
	}
	deals, err := dealsInReach(ctx)
	if err != privacy.Skip {
		return nil, err
	}
	return team.Or(base, team.HasDealsWith(deals)), privacy.Skip
}
