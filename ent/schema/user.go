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

// User is a person who signs in: an admin, a manager or a sales rep.
type User struct{ ent.Schema }

// Mixin implements ent.Schema.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("user"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").
			NotEmpty().
			MaxLen(320).
			Comment("unique in the organization, whatever its case; stored lower-cased").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("password_hash").
			Optional().
			Nillable().
			Sensitive().
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("role").
			NamedValues(
				"Admin", "ADMIN",
				"Manager", "MANAGER",
				"Rep", "REP",
			).
			Default("REP").
			Annotations(entgql.OrderField("ROLE")),
		field.String("team_id").
			GoType(pulid.ID("")).
			Optional().
			Nillable(),
		field.Bool("active").
			Default(true),
		field.Time("hired_at").
			Default(now).
			Comment("start of the user's tenure, for ramping targets").
			Annotations(entgql.OrderField("HIRED_AT")),
		field.Time("team_joined_at").
			Optional().
			Nillable().
			Comment("when the user joined their current team, set when their team changes; none: since their hire (or before kpiflow kept it). History credited to the team counts from the later of the two").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Edges implements ent.Schema.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("team", Team.Type).
			Ref("members").
			Field("team_id").
			Unique(),
		edge.From("managed_teams", Team.Type).
			Ref("managers").
			Annotations(entgql.RelayConnection()),
		// A user's deals and meetings change hands only through the deal
		// and meeting mutations, whose rules they must pass.
		edge.To("deals", Deal.Type).
			Annotations(entgql.RelayConnection(),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("meetings", Meeting.Type).
			Annotations(entgql.RelayConnection(),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("refresh_tokens", RefreshToken.Type).
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes implements ent.Schema.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "email").Unique(),
		index.Fields("team_id"),
	}
}

// Annotations implements ent.Schema.
func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
