package access

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"kpiflow/ent/organization"
	"kpiflow/ent/privacy"
)

// reach is, per ent type, the predicate of the rows of the viewer's
// organization that the viewer may read (nil: all of them). The query
// policies apply exactly these, so that Readable and the policies are one
// rule.
var reach = map[string]func(context.Context) (func(*entsql.Selector), error){
	"Team":           sel(teamsInReach),
	"User":           sel(usersInReach),
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
