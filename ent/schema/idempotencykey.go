package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kpiflow/access"
	"kpiflow/ent/schema/pulid"
)

// IdempotencyKey remembers a mutation sent with an Idempotency-Key header
// and its response, so that a retry gets the same answer instead of doing
// the work twice (graph/idempotency.go).
type IdempotencyKey struct{ ent.Schema }

// Mixin implements ent.Schema.
func (IdempotencyKey) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("idem"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("viewer_id").GoType(pulid.ID("")).Immutable(),
		field.String("key").MaxLen(255).Immutable(),
		field.String("request_hash").Immutable().Comment("SHA-256 of the operation and its variables"),
		field.Bool("done").Default(false),
		field.Int("status").Optional().Comment("the HTTP status of the stored response"),
		field.Text("response").Optional().Sensitive(),
		field.Time("expires_at").Immutable(),
	}
}

// Indexes implements ent.Schema.
func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("viewer_id", "key").Unique(),
		index.Fields("expires_at"),
	}
}

// Annotations implements ent.Schema.
func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy implements ent.Schema.
func (IdempotencyKey) Policy() ent.Policy { return access.SystemOnlyPolicy() }
