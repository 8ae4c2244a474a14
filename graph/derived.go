package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/ent"
	"kpiflow/ent/privacy"
	"kpiflow/ent/schema/pulid"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/viewer"
)

// node resolves an ID, stored or derived (nodeid.go).
func (r *Resolver) node(ctx context.Context, id pulid.ID) (ent.Noder, error) {
	if isDerived(id) {
		return r.derivedNode(ctx, id)
	}
	return ent.FromContext(ctx).Noder(ctx, id, ent.WithNodeType(ent.IDToType))
}

// nodes resolves IDs, stored or derived, in the order given: the stored
// ones at once (one statement per type), the derived ones each computed.
func (r *Resolver) nodes(ctx context.Context, ids []pulid.ID) ([]ent.Noder, error) {
	client := ent.FromContext(ctx)
	var stored []pulid.ID
	var at []int // the index in ids of each stored ID
	for i, id := range ids {
		if !isDerived(id) {
			stored, at = append(stored, id), append(at, i)
		}
	}
	if len(stored) == len(ids) && len(ids) > 1 {
		// ent reports each ID it cannot resolve at its index.
		return client.Noders(ctx, ids, ent.WithNodeType(ent.IDToType))
	}
	out := make([]ent.Noder, len(ids))
	switch {
	case len(stored) == 1:
		// ent answers a list of one ID with the ID's error, not at its index.
		n, err := client.Noder(ctx, stored[0], ent.WithNodeType(ent.IDToType))
		if err != nil {
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(at[0])), nodeError(err))
		}
		out[at[0]] = n
	case len(stored) > 1:
		// ent reports each ID it cannot resolve at its index in the list it
		// was given: collect those errors and report them at the index the
		// ID has in ids.
		sub := graphql.WithResponseContext(ctx, func(ctx context.Context, err error) *gqlerror.Error {
			return &gqlerror.Error{Err: err, Message: err.Error(), Path: graphql.GetPath(ctx)}
		}, graphql.DefaultRecover)
		found, err := client.Noders(sub, stored, ent.WithNodeType(ent.IDToType))
		if err != nil {
			return nil, err
		}
		for j, n := range found {
			out[at[j]] = n
		}
		for _, e := range graphql.GetErrors(sub) {
			j, ok := lastIndex(e.Path)
			if !ok || j >= len(at) {
				continue
			}
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(at[j])), nodeError(e.Unwrap()))
		}
	}
	for i, id := range ids {
		if !isDerived(id) {
			continue
		}
		n, err := r.derivedNode(ctx, id)
		if err != nil {
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(i)), nodeError(err))
			continue
		}
		out[i] = n
	}
	return out, nil
}

// nodeError is the error of one ID of nodes(ids:), reported at its index
// as node(id:) reports it: NOT_FOUND for what is missing or out of sight;
// any other error as a resolver's (errors.go masks it).
func nodeError(err error) error {
	if hidden(err) {
		return errcode.New(errcode.NotFound, "not found")
	}
	return resolverError{err}
}

func lastIndex(p ast.Path) (int, bool) {
	if len(p) == 0 {
		return 0, false
	}
	i, ok := p[len(p)-1].(ast.PathIndex)
	return int(i), ok
}

// derivedNode computes the object a derived ID names, with the viewer's
// rights and through the code of the query that returns it: an object the
// viewer could not query, and an ID this server would not make, are not
// found.
func (r *Resolver) derivedNode(ctx context.Context, id pulid.ID) (ent.Noder, error) {
	n, err := r.derived(ctx, id)
	switch {
	case err == nil && n != nil:
		return n, nil
	case err == nil || hidden(err):
		return nil, &ent.NotFoundError{}
	}
	return nil, err
}

// hidden reports whether an error says the viewer may not have what they
// asked for, or that it does not exist (or cannot: a period out of range).
func hidden(err error) bool {
	if ent.IsNotFound(err) || errors.Is(err, privacy.Deny) {
		return true
	}
	var g *gqlerror.Error // entgql's "could not resolve to a node"
	if errors.As(err, &g) && g.Extensions != nil && fmt.Sprint(g.Extensions["code"]) == string(errcode.NotFound) {
		return true
	}
	e, ok := errcode.As(err)
	if !ok {
		return false
	}
	switch e.Code {
	case errcode.NotFound, errcode.Forbidden, errcode.BadUserInput, errcode.InvalidTransition:
		return true
	}
	return false
}

func (r *Resolver) derived(ctx context.Context, id pulid.ID) (ent.Noder, error) {
	prefix, parts, _ := splitDerived(id)
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	// scope reads a scope part; an organization's scope is the viewer's
	// own organization or nothing.
	scope := func(s string) (kpi.ScopeRequest, bool) {
		sr, org, ok := parseScope(s)
		return sr, ok && (!sr.Organization || org == v.OrgID)
	}
	switch {
	case prefix == prefixScorecard && len(parts) == 2:
		sr, ok1 := scope(parts[0])
		pr, _, ok2 := parsePeriod(parts[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		sc, err := r.scorecard(ctx, sr, pr)
		if err != nil || sc.ID != id {
			return nil, err
		}
		return sc, nil
	case prefix == prefixKPIResult && len(parts) == 3:
		sr, ok1 := scope(parts[0])
		pr, _, ok2 := parsePeriod(parts[2])
		if !ok1 || !ok2 || !storedID(pulid.ID(parts[1]), "kpi") {
			return nil, nil
		}
		sc, err := r.scorecard(ctx, sr, pr)
		if err != nil {
			return nil, err
		}
		for _, res := range sc.Results {
			if res.ID == id {
				return res, nil
			}
		}
		return nil, nil
	case prefix == prefixKPITrend && len(parts) == 5:
		sr, ok1 := scope(parts[0])
		first, firstKind, ok2 := parsePeriod(parts[3])
		last, lastKind, ok3 := parsePeriod(parts[4])
		kind := kpi.PeriodKind(parts[2])
		if !ok1 || !ok2 || !ok3 || firstKind != kind || lastKind != kind || !storedID(pulid.ID(parts[1]), "kpi") {
			return nil, nil
		}
		t, err := r.kpiTrend(ctx, sr, pulid.ID(parts[1]), first, last, kind)
		if err != nil || t.ID != id {
			return nil, err
		}
		return t, nil
	case prefix == prefixTrendPoint && len(parts) == 3:
		sr, ok1 := scope(parts[0])
		pr, kind, ok2 := parsePeriod(parts[2])
		if !ok1 || !ok2 || !storedID(pulid.ID(parts[1]), "kpi") {
			return nil, nil
		}
		t, err := r.kpiTrend(ctx, sr, pulid.ID(parts[1]), pr, pr, kind)
		if err != nil || len(t.Points) != 1 || t.Points[0].ID != id {
			return nil, err
		}
		return t.Points[0], nil
	case (prefix == prefixTeamRollup && len(parts) == 3) || (prefix == prefixRollupMember && len(parts) == 4):
		pr, _, ok := parsePeriod(parts[2])
		if !ok || !storedID(pulid.ID(parts[0]), "team") || !storedID(pulid.ID(parts[1]), "kpi") {
			return nil, nil
		}
		roll, err := r.teamRollup(ctx, pulid.ID(parts[0]), pulid.ID(parts[1]), pr)
		if err != nil {
			return nil, err
		}
		if prefix == prefixTeamRollup {
			if roll.ID != id {
				return nil, nil
			}
			return roll, nil
		}
		for _, m := range roll.Members {
			if m.ID == id {
				return m, nil
			}
		}
		return nil, nil
	case prefix == prefixHistoryPoint && len(parts) == 2:
		tid := pulid.ID(parts[0])
		if !storedID(tid, "tgt") || parts[1] != historyClose && !storedID(pulid.ID(parts[1]), "rev") {
			return nil, nil
		}
		client := ent.FromContext(ctx)
		t, err := client.Target.Get(ctx, tid)
		if err != nil {
			return nil, err
		}
		points, err := targetHistory(ctx, client, t)
		if err != nil {
			return nil, err
		}
		for _, p := range points {
			if p.ID == id {
				return p, nil
			}
		}
		return nil, nil
	case prefix == prefixInboxItem && len(parts) == 2:
		return r.inboxItem(ctx, id)
	}
	return nil, nil
}
