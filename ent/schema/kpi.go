package schema

import (
	"errors"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kpiflow/ent/schema/pulid"
	"kpiflow/kpi/definition"
)

// KPI is the definition of a key performance indicator of an
// organization: a built-in one or one the organization defined.
type KPI struct{ ent.Schema }

// Mixin implements ent.Schema.
func (KPI) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("kpi"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (KPI) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").
			Immutable().
			Validate(func(s string) error {
				if !definition.ValidKey(s) {
					return errors.New("must be 2 to 64 upper-case letters, digits and underscores, starting with a letter")
				}
				return nil
			}).
			Comment("stable identifier, unique in the organization, such as WIN_RATE").
			Annotations(entgql.OrderField("KEY")),
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("description").
			Optional().
			MaxLen(2000),
		field.Enum("unit").
			GoType(definition.Unit("")).
			Immutable(),
		field.Enum("direction").
			GoType(definition.Direction("")),
		field.JSON("definition", definition.Definition{}).
			Comment("how the KPI is computed").
			Annotations(entgql.Type("KPIDefinition"), entgql.Skip(entgql.SkipWhereInput)),
		field.Bool("enabled").
			Default(true).
			Comment("whether scorecards show the KPI"),
		field.Int("min_sample").
			NonNegative().
			Default(0).
			Comment("below this many rows behind a value, the value is flagged low-confidence"),
		field.Bool("builtin").
			Default(false).
			Immutable().
			Comment("whether the KPI is one of kpiflow's own, whose definition cannot change"),
		field.Bool("market_factor_override").
			Optional().
			Nillable().
			Comment("whether a team's market factor scales the KPI's expected value, when set; unset: as its unit says (kpi.MarketFactorApplies)").
			Annotations(entgql.Skip(entgql.SkipAll)), // shown resolved, as KPI.marketFactorApplies
		field.Int("position").
			Default(100).
			Comment("where scorecards show the KPI, lowest first").
			Annotations(entgql.OrderField("POSITION")),
	}
}

// Indexes implements ent.Schema.
func (KPI) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "key").Unique(),
	}
}

// Annotations implements ent.Schema.
func (KPI) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField("kpis"),
		entgql.MultiOrder(),
	}
}
