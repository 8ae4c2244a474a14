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

// RefreshToken is a refresh token of a user's session, stored only as its
// hash. Every refresh replaces it with a new one of the same family; using
// a replaced token again revokes the whole family (reuse detection).
type RefreshToken struct{ ent.Schema }

// Mixin implements ent.Schema.
func (RefreshToken) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("rtok"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("user_id").
			GoType(pulid.ID("")).
			Immutable(),
		field.String("token_hash").
			Unique().
			Immutable().
			Sensitive(),
		field.String("family").
			Immutable().
			Comment("the ID of the first token of the session; shared by all its rotations"),
		field.Time("expires_at").
			Immutable(),
		field.Time("replaced_at").
			Optional().
			Nillable(),
		field.Time("revoked_at").
			Optional().
			Nillable(),
	}
}

// Edges implements ent.Schema.
func (RefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).
			Ref("refresh_tokens").
			Field("user_id").
			Unique().
			Required().
			Immutable(),
	}
}

// Indexes implements ent.Schema.
func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("family"),
		index.Fields("user_id"),
	}
}

// Annotations implements ent.Schema.
func (RefreshToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
