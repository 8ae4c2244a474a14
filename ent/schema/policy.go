package schema

import (
	"entgo.io/ent"

	"kpiflow/access"
)

// The privacy policies live in package access, the one place of
// authorization; these methods attach them to the schemas.

// Policy implements ent.Schema.
func (Organization) Policy() ent.Policy { return access.OrganizationPolicy() }

// Policy implements ent.Schema.
func (Team) Policy() ent.Policy { return access.TeamPolicy() }

// Policy implements ent.Schema.
func (User) Policy() ent.Policy { return access.UserPolicy() }

// Policy implements ent.Schema.
func (Deal) Policy() ent.Policy { return access.DealPolicy() }

// Policy implements ent.Schema.
func (Meeting) Policy() ent.Policy { return access.MeetingPolicy() }

// Policy implements ent.Schema.
func (RefreshToken) Policy() ent.Policy { return access.RefreshTokenPolicy() }

// Policy implements ent.Schema.
func (KPI) Policy() ent.Policy { return access.KPIPolicy() }

// Policy implements ent.Schema.
func (Target) Policy() ent.Policy { return access.TargetPolicy() }

// Policy implements ent.Schema.
func (TargetEvent) Policy() ent.Policy { return access.TargetEventPolicy() }

// Policy implements ent.Schema.
func (TargetRevision) Policy() ent.Policy { return access.TargetRevisionPolicy() }

// Policy implements ent.Schema.
func (MarketFactor) Policy() ent.Policy { return access.MarketFactorPolicy() }

// Policy implements ent.Schema. Reviews are written by package workflow.
func (ReviewCycle) Policy() ent.Policy { return access.ReviewPolicy() }

// Policy implements ent.Schema.
func (ReviewItem) Policy() ent.Policy { return access.ReviewItemPolicy() }
