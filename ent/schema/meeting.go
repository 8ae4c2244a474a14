package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kpiflow/ent/schema/pulid"
)

// Meeting is a sales meeting of a rep, optionally about a deal.
type Meeting struct{ ent.Schema }

// Mixin implements ent.Schema.
func (Meeting) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("meet"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (Meeting) Fields() []ent.Field {
	return []ent.Field{
		field.String("owner_id").
			GoType(pulid.ID("")),
		field.String("team_id").
			GoType(pulid.ID("")).
			Optional().
			Nillable().
			Comment("the team the meeting counts toward: its owner's team when it was recorded, and again when it was held (ent/schema/rules.go); history does not move with people").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("deal_id").
			GoType(pulid.ID("")).
			Optional().
			Nillable(),
		field.Enum("kind").
			NamedValues(
				"Discovery", "DISCOVERY",
				"Demo", "DEMO",
				"Proposal", "PROPOSAL",
				"Negotiation", "NEGOTIATION",
				"FollowUp", "FOLLOW_UP",
			).
			Annotations(entgql.OrderField("KIND")),
		field.Time("scheduled_at").
			Annotations(entgql.OrderField("SCHEDULED_AT")),
		field.Int("duration_minutes").
			Range(1, 24*60).
			Default(30),
		field.Enum("status").
			NamedValues(
				"Scheduled", "SCHEDULED",
				"Held", "HELD",
				"Cancelled", "CANCELLED",
				"NoShow", "NO_SHOW",
			).
			Default("SCHEDULED").
			Annotations(entgql.OrderField("STATUS")),
		field.Time("held_at").
			Optional().
			Nillable().
			Comment("set when, and only when, the meeting was HELD"),
		field.Text("notes").
			Optional().
			MaxLen(20000),
		field.String("external_id").
			Optional().
			Nillable().
			MaxLen(200).
			Comment("the meeting's ID in the system it was imported from, unique in the organization"),
	}
}

// Edges implements ent.Schema.
func (Meeting) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", User.Type).
			Ref("meetings").
			Field("owner_id").
			Unique().
			Required(),
		edge.From("team", Team.Type).
			Ref("meetings").
			Field("team_id").
			Unique().
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.From("deal", Deal.Type).
			Ref("meetings").
			Field("deal_id").
			Unique(),
	}
}

// Indexes implements ent.Schema. They serve the KPI queries: meetings held
// in a period, per organization or owner.
func (Meeting) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "status", "held_at"),
		index.Fields("owner_id", "held_at"),
		index.Fields("team_id", "held_at"),
		index.Fields("deal_id"),
		index.Fields("organization_id", "external_id").Unique(),
	}
}

// Annotations implements ent.Schema.
func (Meeting) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
