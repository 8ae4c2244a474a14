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
// a replaced token again revokes the whole family (reuse detection), except
// within a short grace period, while its successor is unused: then it gets
// the same successor (two tabs refreshing at once).
//
// The family's first token (ID = family) is the session: its revoked_at is
// the session's, which access tokens are checked against, and every change
// to the session's tokens first updates that row, so that they serialize.
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
		field.Bytes("successor_sealed").
			Optional().
			Nillable().
			Sensitive().
			Comment("the successor token, sealed with a key derived from this token, which only its holder has"),
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
