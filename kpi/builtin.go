package kpi

import (
	"context"
	"fmt"

	"kpiflow/ent"
	"kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/kpi/definition"
	"kpiflow/viewer"
)

// EnsureBuiltins gives the organization every built-in KPI it lacks. It runs
// when an organization is created, and at start-up for organizations
// created before a built-in was added.
func EnsureBuiltins(ctx context.Context, client *ent.Client, org pulid.ID) error {
	ctx = viewer.System(ctx)
	have, err := client.KPI.Query().Where(kpi.OrganizationID(org), kpi.Builtin(true)).
		Select(kpi.FieldKey).Strings(ctx)
	if err != nil {
		return fmt.Errorf("kpi: %w", err)
	}
	exists := map[string]bool{}
	for _, k := range have {
		exists[k] = true
	}
	var creates []*ent.KPICreate
	for i, b := range definition.Builtins {
		if exists[b.Key] {
			continue
		}
		creates = append(creates, client.KPI.Create().
			SetOrganizationID(org).
			SetKey(b.Key).
			SetName(b.Name).
			SetDescription(b.Description).
			SetUnit(b.Unit).
			SetDirection(b.Direction).
			SetDefinition(b.Definition).
			SetMinSample(b.MinSample).
			SetBuiltin(true).
			SetPosition(i+1))
	}
	if len(creates) == 0 {
		return nil
	}
	if err := client.KPI.CreateBulk(creates...).Exec(ctx); err != nil {
		return fmt.Errorf("kpi: adding built-in KPIs: %w", err)
	}
	return nil
}

// EnsureAllBuiltins runs EnsureBuiltins for every organization.
func EnsureAllBuiltins(ctx context.Context, client *ent.Client) error {
	orgs, err := client.Organization.Query().IDs(viewer.System(ctx))
	if err != nil {
		return fmt.Errorf("kpi: %w", err)
	}
	for _, o := range orgs {
		if err := EnsureBuiltins(ctx, client, o); err != nil {
			return err
		}
	}
	return nil
}
