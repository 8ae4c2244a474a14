package access

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"kpiflow/ent/organization"
	"kpiflow/ent/predicate"
	"kpiflow/ent/privacy"
	"kpiflow/ent/target"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
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
	"MarketFactor":   all,
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

// usersReadable: the users of the viewer's reach, and the owners of the
// deals and meetings and the proposers of the targets they read.
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
	return user.Or(base, user.HasDealsWith(deals), user.HasMeetingsWith(meetings), proposerOf(targets)), privacy.Skip
}

// proposerOf: the users who proposed a target matching p (targets have no
// edge back to their proposer).
func proposerOf(p predicate.Target) predicate.User {
	return func(s *entsql.Selector) {
		t := entsql.Table(target.Table)
		proposers := entsql.Dialect(s.Dialect()).Select(t.C(target.FieldProposerID)).From(t)
		p(proposers)
		s.Where(entsql.In(s.C(user.FieldID), proposers))
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
