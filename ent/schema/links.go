package schema

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent"

	"kpiflow/access"
	gen "kpiflow/ent"
	"kpiflow/ent/privacy"
	"kpiflow/ent/schema/pulid"
)

// edgesOf are the edges of every schema with the tenant mixin, by type
// name, for linksInReach. A schema missing here fails its first mutation
// that links anything.
var edgesOf = map[string]func() []ent.Edge{
	"Team": Team{}.Edges, "User": User{}.Edges, "Deal": Deal{}.Edges, "Meeting": Meeting{}.Edges,
	"KPI": KPI{}.Edges, "Target": Target{}.Edges, "TargetEvent": TargetEvent{}.Edges,
	"TargetRevision": TargetRevision{}.Edges, "MarketFactor": MarketFactor{}.Edges,
	"ReviewCycle": ReviewCycle{}.Edges, "ReviewItem": ReviewItem{}.Edges,
	"RefreshToken": RefreshToken{}.Edges, "IdempotencyKey": IdempotencyKey{}.Edges,
}

// edgeTarget returns the type at the other end of a schema's edge.
func edgeTarget(typ, name string) (string, error) {
	edges, ok := edgesOf[typ]
	if !ok {
		return "", fmt.Errorf("schema: the edges of %s are unknown", typ)
	}
	for _, e := range edges() {
		d := e.Descriptor()
		if d.Name == name {
			return d.Type, nil
		}
		if d.Ref != nil && d.Ref.Name == name {
			return d.Ref.Type, nil
		}
	}
	return "", fmt.Errorf("schema: %s has no edge %s", typ, name)
}

// linksInReach makes every edge a viewer's mutation sets, adds or removes
// lead only to objects the viewer may link (access.MayLink): else the
// mutation is NOT_FOUND, as for an ID that does not exist. It binds every
// edge of every schema with the tenant mixin; kpiflow's own work
// (viewer.System: the workflow, the demo, imports' bookkeeping) has its own
// rules and is not checked here. The organization edge is the tenant
// rules' (access.tenantWrite).
func linksInReach(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		// DecisionFromContext gives a nil decision for viewer.System's
		// privacy.Allow.
		if d, ok := privacy.DecisionFromContext(ctx); ok && d == nil {
			return next.Mutate(ctx, m)
		}
		cm, ok := m.(interface{ Client() *gen.Client })
		if !ok {
			return nil, fmt.Errorf("schema: %T has no client", m)
		}
		check := func(edges []string, ids func(string) []ent.Value) error {
			for _, e := range edges {
				if e == "organization" {
					continue
				}
				typ, err := edgeTarget(m.Type(), e)
				if err != nil {
					return err
				}
				var list []pulid.ID
				for _, v := range ids(e) {
					id, ok := v.(pulid.ID)
					if !ok {
						return fmt.Errorf("schema: %s.%s: an ID of type %T", m.Type(), e, v)
					}
					list = append(list, id)
				}
				if err := access.MayLink(ctx, cm.Client(), typ, inputField(edgeTargetUnique(m.Type(), e), e), list); err != nil {
					return err
				}
			}
			return nil
		}
		if err := check(m.AddedEdges(), m.AddedIDs); err != nil {
			return nil, err
		}
		if err := check(m.RemovedEdges(), m.RemovedIDs); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

func edgeTargetUnique(typ, name string) bool {
	for _, e := range edgesOf[typ]() {
		d := e.Descriptor()
		if d.Name == name {
			return d.Unique
		}
		if d.Ref != nil && d.Ref.Name == name {
			return d.Ref.Unique
		}
	}
	return false
}

// inputField is the GraphQL input field of an edge: ownerID, meetingIDs.
func inputField(unique bool, edge string) string {
	parts := strings.Split(edge, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	name := strings.Join(parts, "")
	if unique {
		return name + "ID"
	}
	if strings.HasSuffix(name, "ren") { // children
		name = strings.TrimSuffix(name, "ren")
	} else {
		name = strings.TrimSuffix(name, "s")
	}
	return name + "IDs"
}
