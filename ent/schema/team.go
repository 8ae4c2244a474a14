package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
)

// Team is a sales team or a region of teams: teams form a tree, and KPIs
// roll up from a team to its parent.
type Team struct{ ent.Schema }

// Mixin implements ent.Schema.
func (Team) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("team"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (Team) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("parent_id").
			GoType(pulid.ID("")).
			Optional().
			Nillable(),
		field.Enum("review_cadence").GoType(enum.ReviewCadence("")).Annotations(sharedEnum("ReviewCadence")).
			Default(string(enum.CadenceMonthly)),
	}
}

// Edges implements ent.Schema.
func (Team) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Team.Type).
			Annotations(entgql.RelayConnection(),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)).
			From("parent").
			Field("parent_id").
			Unique(),
		edge.To("managers", User.Type).
			Annotations(entgql.RelayConnection()),
		edge.To("members", User.Type).
			Annotations(entgql.RelayConnection()),
		edge.To("meetings", Meeting.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("deals", Deal.Type).
			Annotations(entgql.RelayConnection(),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes implements ent.Schema.
func (Team) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "name"),
		index.Fields("parent_id"),
	}
}

// Annotations implements ent.Schema.
func (Team) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
