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

// ReviewCycle is one periodic review of a team's running targets, opened
// at a point of the team's review cadence (DESIGN.md §8). A team has at
// most one cycle per cadence point: the unique index makes opening it
// exactly-once across server replicas.
type ReviewCycle struct{ ent.Schema }

// Mixin implements ent.Schema.
func (ReviewCycle) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("rev"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (ReviewCycle) Fields() []ent.Field {
	return []ent.Field{
		field.String("team_id").GoType(pulid.ID("")).Immutable(),
		field.Enum("cadence").GoType(enum.ReviewCadence("")).Annotations(sharedEnum("ReviewCadence")).Immutable(),
		field.Time("point").Immutable().Comment("the cadence point the cycle reviews").
			Annotations(entgql.OrderField("POINT")),
		field.Time("due_at").Immutable().Comment("when the review is overdue: the next cadence point"),
		field.Enum("status").Values("OPEN", "COMPLETED").Default("OPEN"),
		field.Time("completed_at").Optional().Nillable(),
		field.String("completed_by_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges implements ent.Schema.
func (ReviewCycle) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("team", Team.Type).Field("team_id").Unique().Required().Immutable(),
		edge.To("items", ReviewItem.Type).Annotations(entgql.RelayConnection()),
		edge.To("completed_by", User.Type).Field("completed_by_id").Unique(),
	}
}

// Indexes implements ent.Schema.
func (ReviewCycle) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("team_id", "point").Unique(),
		index.Fields("organization_id", "status", "due_at"),
	}
}

// Annotations implements ent.Schema.
func (ReviewCycle) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField()}
}

// ReviewItem is one approved target in a review: where it stands at the
// cadence point, what kpiflow suggests, and the manager's decision.
type ReviewItem struct{ ent.Schema }

// Mixin implements ent.Schema.
func (ReviewItem) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("ritm"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (ReviewItem) Fields() []ent.Field {
	return []ent.Field{
		field.String("cycle_id").GoType(pulid.ID("")).Immutable(),
		field.String("target_id").GoType(pulid.ID("")).Immutable(),
		// In the KPI's unit (MONEY in minor units): shown as KPIValue
		// (actual, expected, projection in graph/workflow.graphql).
		field.Float("actual_to_date").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("expected_to_date").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("pace").Optional().Nillable().Immutable().
			Comment("a ratio, 1 = on pace: the actual to date against the expected to date"),
		field.Float("projection").Optional().Nillable().Immutable().
			Comment("the actual projected to the period's end at the current rate").Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("track").GoType(enum.KPIStatus("")).Annotations(sharedEnum("KPIStatus")).Optional().Nillable().Immutable().
			Comment("none when the target could not be graded (no actual yet)"),
		field.Enum("suggested_action").Values("KEEP", "RAISE", "LOWER").Immutable(),
		field.Float("suggested_value").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("target_value").Optional().Nillable().Immutable().
			Comment("the target's value in force when the cycle opened").Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("suggestion_reason").Immutable(),
		field.Enum("decision").GoType(enum.ReviewDecision("")).Annotations(sharedEnum("ReviewDecision")).Optional().Nillable(),
		field.String("decided_by_id").GoType(pulid.ID("")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		// What an ADJUST decided, kept with the item: the target's own
		// value moves on (a later adjustment), the review's decision not.
		field.Float("decision_value").Optional().Nillable().
			Comment("for ADJUST: the value decided, in the KPI's unit (MONEY in minor units, as targets store it)").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("decision_reason").GoType(enum.ReasonCode("")).Optional().Nillable().
			Comment("for ADJUST: the reason code of the adjustment").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Text("decision_comment").Optional().Nillable().MaxLen(MaxCommentLen).SchemaType(textColumn).
			Comment("for ADJUST: why").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges implements ent.Schema.
func (ReviewItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("cycle", ReviewCycle.Type).Ref("items").Field("cycle_id").Unique().Required().Immutable(),
		edge.To("target", Target.Type).Field("target_id").Unique().Required().Immutable(),
		edge.To("decided_by", User.Type).Field("decided_by_id").Unique(),
	}
}

// Indexes implements ent.Schema.
func (ReviewItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("cycle_id", "target_id").Unique()}
}

// Annotations implements ent.Schema.
func (ReviewItem) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
