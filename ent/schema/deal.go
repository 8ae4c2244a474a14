package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kpiflow/ent/schema/pulid"
	"kpiflow/money"
)

// Deal is a sales opportunity owned by a rep. It is closed when it is WON or
// LOST; closing records the sales-cycle length.
type Deal struct{ ent.Schema }

// Mixin implements ent.Schema.
func (Deal) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("deal"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (Deal) Fields() []ent.Field {
	return []ent.Field{
		field.String("owner_id").
			GoType(pulid.ID("")),
		field.String("team_id").
			GoType(pulid.ID("")).
			Comment("the team whose results the deal counts toward"),
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("customer_name").
			NotEmpty().
			MaxLen(200).
			Annotations(entgql.OrderField("CUSTOMER_NAME")),
		field.Int64("amount").
			NonNegative().
			Max(money.MaxMinor).
			Comment("in minor units of the organization's currency, at most money.MaxMinor").
			Annotations(
				entgql.OrderField("AMOUNT"),
				// Exposed as Money and set as a Decimal by graph/sales.graphql:
				// GraphQL's Int is 32 bits wide.
				entgql.Skip(entgql.SkipType, entgql.SkipWhereInput,
					entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
			),
		field.Enum("stage").
			NamedValues(
				"Prospecting", "PROSPECTING",
				"Qualified", "QUALIFIED",
				"Proposal", "PROPOSAL",
				"Negotiation", "NEGOTIATION",
				"Won", "WON",
				"Lost", "LOST",
			).
			Default("PROSPECTING").
			Annotations(entgql.OrderField("STAGE")),
		field.Time("opened_at").
			Default(now).
			Annotations(entgql.OrderField("OPENED_AT")),
		field.Time("closed_at").
			Optional().
			Nillable().
			Comment("set when, and only when, the deal is WON or LOST"),
		field.Int64("cycle_micros").
			Optional().
			Nillable().
			Comment("length of the sales cycle, from opened_at to closed_at, in microseconds (the precision times are stored with); an integer, so that sums are exact").
			Annotations(entgql.Skip(entgql.SkipAll)), // shown as cycleDays (graph/sales.graphql)
		field.String("external_id").
			Optional().
			Nillable().
			MaxLen(200).
			Comment("the deal's ID in the system it was imported from, unique in the organization"),
	}
}

// Edges implements ent.Schema.
func (Deal) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", User.Type).
			Ref("deals").
			Field("owner_id").
			Unique().
			Required(),
		edge.From("team", Team.Type).
			Ref("deals").
			Field("team_id").
			Unique().
			Required().
			// createDeal takes an optional teamID that defaults to the
			// owner's team (graph/sales.graphql).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput)),
		edge.To("meetings", Meeting.Type).
			Annotations(entgql.RelayConnection()),
	}
}

// Indexes implements ent.Schema. They serve the KPI queries: deals closed in
// a period, per organization, owner or team.
func (Deal) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "stage", "closed_at"),
		index.Fields("owner_id", "closed_at"),
		index.Fields("team_id", "closed_at"),
		index.Fields("organization_id", "external_id").Unique(),
		// Lists of the latest deals, the usual first page of a client.
		index.Fields("organization_id", "opened_at"),
	}
}

// Annotations implements ent.Schema.
func (Deal) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
