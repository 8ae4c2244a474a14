package schema

import (
	"fmt"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"kpiflow/ent/schema/pulid"
	"kpiflow/money"
	"kpiflow/settings"
)

// Organization is the tenant: every other row belongs to exactly one.
type Organization struct{ ent.Schema }

// Mixin implements ent.Schema.
func (Organization) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("org"), TimeMixin{}}
}

// Fields implements ent.Schema.
func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").
			NotEmpty().
			MaxLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("currency").
			Comment("ISO 4217 code; all money of the organization is in it").
			Validate(func(s string) error {
				if !money.ValidCurrency(s) {
					return fmt.Errorf("%q is not an ISO 4217 currency code", s)
				}
				return nil
			}),
		field.String("timezone").
			Comment("IANA time zone in which period boundaries are computed").
			Validate(func(s string) error {
				if s == "" {
					return fmt.Errorf("a time zone is required")
				}
				_, err := time.LoadLocation(s)
				if err != nil {
					return fmt.Errorf("%q is not an IANA time zone", s)
				}
				return nil
			}),
		field.Int("fiscal_year_start_month").
			Range(1, 12).
			Default(1).
			Comment("1 = January"),
		field.JSON("settings", &settings.Settings{}).
			Optional().
			Comment("thresholds, grace, ramp schedule and review rules; none: the defaults").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Annotations implements ent.Schema.
func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}
