package schema

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"kpiflow/ent/schema/pulid"
	"kpiflow/record"
)

// now is the clock of the schema: UTC, truncated to the microsecond that
// PostgreSQL stores, so that SQLite and PostgreSQL hold identical instants.
func now() time.Time { return record.Now() }

// TimeMixin adds created_at and updated_at to a schema, and normalizes every
// time field of every write to UTC microseconds. SQLite compares times as
// text, which is only correct when all of them are written in one zone.
type TimeMixin struct{ mixin.Schema }

// Fields implements ent.Mixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").
			Default(now).
			Immutable().
			Annotations(
				entgql.OrderField("CREATED_AT"),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
			),
		field.Time("updated_at").
			Default(now).
			UpdateDefault(now).
			Annotations(
				entgql.OrderField("UPDATED_AT"),
				entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
			),
	}
}

// Hooks implements ent.Mixin.
func (TimeMixin) Hooks() []ent.Hook {
	return []ent.Hook{normalizeTimes}
}

type timeSetter interface {
	Fields() []string
	Field(string) (ent.Value, bool)
	SetField(string, ent.Value) error
}

func normalizeTimes(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		ts := timeSetter(m)
		for _, name := range ts.Fields() {
			v, _ := ts.Field(name)
			if t, ok := v.(time.Time); ok {
				if err := ts.SetField(name, record.Instant(t)); err != nil {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

// TenantMixin makes a schema belong to one Organization, the tenant. The
// organization of a row never changes.
type TenantMixin struct{ mixin.Schema }

// Fields implements ent.Mixin.
func (TenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("organization_id").
			GoType(pulid.ID("")).
			Immutable().
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Hooks implements ent.Mixin: every edge a viewer's mutation links leads
// to an object the viewer may link (links.go).
func (TenantMixin) Hooks() []ent.Hook {
	return []ent.Hook{linksInReach}
}

// Edges implements ent.Mixin.
func (TenantMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("organization", Organization.Type).
			Field("organization_id").
			Unique().
			Required().
			Immutable().
			Annotations(entgql.Skip(
				entgql.SkipMutationCreateInput,
				entgql.SkipMutationUpdateInput,
				entgql.SkipWhereInput,
			)),
	}
}
