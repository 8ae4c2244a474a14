package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kpiflow/ent/schema/pulid"
	"kpiflow/enum"
	"kpiflow/workflow/realism"
)

// MaxCommentLen bounds every comment and rationale of the target workflow
// (bytes, as ent's MaxLen counts).
const MaxCommentLen = 5000

// textColumn keeps a bounded comment's PostgreSQL column text, as it was
// before the bound: the bound is the writers' (ent's validators), and rows
// written before it need no migration.
var textColumn = map[string]string{dialect.Postgres: "text"}

// sharedEnum annotates an enum field of one of package enum's types (its
// GoType): the field's GraphQL enum is the concept's, declared once in
// graph/enums.graphql, so that every field of the concept, and its where
// input, has that one enum.
func sharedEnum(gqlName string) entgql.Annotation {
	return entgql.Annotation{Type: gqlName, Skip: entgql.SkipEnumField}
}

// Target is the value a KPI should reach for a scope (a user or a team) in a
// period, and where it stands in the workflow of DESIGN.md §6. Its status
// and value change only through package workflow.
type Target struct{ ent.Schema }

// Mixin implements ent.Schema.
func (Target) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("tgt"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (Target) Fields() []ent.Field {
	skipInputs := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
	return []ent.Field{
		field.String("kpi_id").GoType(pulid.ID("")).Immutable(),
		field.String("user_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Comment("the user the target is for; or teamID"),
		field.String("team_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Comment("the team the target is for; or userID"),
		field.String("scope_key").Immutable().
			Comment("user:<id> or team:<id>: one column, so that a unique index covers both kinds of scope").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("period_kind").GoType(enum.PeriodKind("")).Annotations(sharedEnum("PeriodKind")).Immutable(),
		field.Int("period_year").Immutable(),
		field.Int("period_index").Immutable(),
		field.Time("period_start").Immutable().Annotations(entgql.OrderField("PERIOD_START")),
		field.Time("period_end").Immutable(),
		field.Float("value").
			Comment("in the KPI's unit; MONEY in minor units").
			Annotations(entgql.Skip(entgql.SkipType, entgql.SkipWhereInput), skipInputs),
		field.Enum("status").GoType(enum.TargetStatus("")).Annotations(sharedEnum("TargetStatus")).Default(string(enum.StatusDraft)).
			Annotations(entgql.OrderField("STATUS"), skipInputs),
		field.Int("version").Default(1).
			Comment("increases with every change: pass it back as expectedVersion").
			Annotations(skipInputs),
		field.String("proposer_id").GoType(pulid.ID("")).Immutable(),
		field.String("approver_id").GoType(pulid.ID("")).Optional().Nillable().Annotations(skipInputs),
		field.Text("rationale").Optional().MaxLen(MaxCommentLen),
		field.JSON("assessment", &realism.Assessment{}).Optional().
			Comment("the realism check made when the target was submitted").
			Annotations(entgql.Type("TargetAssessment"), entgql.Skip(entgql.SkipWhereInput), skipInputs),
		field.Float("pending_value").Optional().Nillable().
			Comment("an adjustment requested and not yet decided").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("pending_reason").GoType(enum.ReasonCode("")).Annotations(sharedEnum("ReasonCode")).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipWhereInput), skipInputs),
		field.Text("pending_comment").Optional().Nillable().MaxLen(MaxCommentLen).SchemaType(textColumn).Annotations(skipInputs),
		field.Float("final_actual").Optional().Nillable().
			Comment("the actual frozen when the period closed").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("final_attainment").Optional().Nillable().
			Comment("a ratio, 1 = 100%: the attainment frozen when the period closed").
			Annotations(entgql.Skip(entgql.SkipWhereInput), skipInputs),
		field.Enum("allocation_method").GoType(enum.AllocationMethod("")).Annotations(sharedEnum("AllocationMethod")).
			Optional().Nillable().Immutable().
			Comment("for a draft made by allocateTeamTarget: how the team's target was divided").
			Annotations(skipInputs),
		field.String("allocated_from_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Comment("for a draft made by allocateTeamTarget: the team target it is a share of").
			Annotations(skipInputs),
	}
}

// Edges implements ent.Schema.
func (Target) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("kpi", KPI.Type).Field("kpi_id").Unique().Required().Immutable(),
		edge.To("user", User.Type).Field("user_id").Unique().Immutable(),
		edge.To("team", Team.Type).Field("team_id").Unique().Immutable(),
		edge.To("proposer", User.Type).Field("proposer_id").Unique().Required().Immutable(),
		edge.To("approver", User.Type).Field("approver_id").Unique(),
		edge.To("events", TargetEvent.Type).Annotations(entgql.RelayConnection()),
		edge.To("revisions", TargetRevision.Type).Annotations(entgql.RelayConnection()),
		edge.To("allocations", Target.Type).
			Comment("the drafts an allocation of this team target made").
			Annotations(entgql.RelayConnection()).
			From("allocated_from").Field("allocated_from_id").Unique().Immutable().
			Comment("the team target this draft is a share of"),
	}
}

// Indexes implements ent.Schema.
func (Target) Indexes() []ent.Index {
	return []ent.Index{
		// At most one open target per scope, KPI and period.
		index.Fields("kpi_id", "scope_key", "period_kind", "period_year", "period_index").
			Unique().
			Annotations(entsql.IndexWhere("status IN ('DRAFT', 'PROPOSED', 'CHANGES_REQUESTED', 'APPROVED')")),
		index.Fields("organization_id", "status", "period_end"),
		index.Fields("user_id"),
		index.Fields("team_id"),
	}
}

// Annotations implements ent.Schema.
func (Target) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
	}
}

// TargetEvent is the append-only audit record of one workflow transition:
// never updated, never deleted.
type TargetEvent struct{ ent.Schema }

// Mixin implements ent.Schema.
func (TargetEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("tev"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (TargetEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("target_id").GoType(pulid.ID("")).Immutable(),
		field.String("actor_id").GoType(pulid.ID("")).Optional().Nillable().Immutable().
			Comment("who acted; none for kpiflow itself (period close)"),
		field.Enum("action").GoType(enum.TargetAction("")).Annotations(sharedEnum("TargetAction")).Immutable(),
		field.Enum("from_status").GoType(enum.TargetStatus("")).Annotations(sharedEnum("TargetStatus")).Immutable(),
		field.Enum("to_status").GoType(enum.TargetStatus("")).Annotations(sharedEnum("TargetStatus")).Immutable(),
		field.Float("old_value").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("new_value").Optional().Nillable().Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Text("comment").Optional().MaxLen(MaxCommentLen).SchemaType(textColumn).Immutable(),
		field.Enum("reason_code").GoType(enum.ReasonCode("")).Annotations(sharedEnum("ReasonCode")).Optional().Nillable().Immutable(),
		field.Int("version").Immutable().Comment("the target's version after the transition"),
	}
}

// Edges implements ent.Schema.
func (TargetEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("target", Target.Type).Ref("events").Field("target_id").Unique().Required().Immutable(),
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable(),
	}
}

// Indexes implements ent.Schema.
func (TargetEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("target_id", "version")}
}

// Annotations implements ent.Schema.
func (TargetEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// TargetRevision is one value a target had: every value it ever had is
// kept, with who set it, when and why.
type TargetRevision struct{ ent.Schema }

// Mixin implements ent.Schema.
func (TargetRevision) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("trev"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (TargetRevision) Fields() []ent.Field {
	return []ent.Field{
		field.String("target_id").GoType(pulid.ID("")).Immutable(),
		field.String("author_id").GoType(pulid.ID("")).Optional().Nillable().Immutable(),
		field.Float("value").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Enum("action").GoType(enum.TargetAction("")).Annotations(sharedEnum("TargetAction")).Immutable(),
		field.Enum("reason_code").GoType(enum.ReasonCode("")).Annotations(sharedEnum("ReasonCode")).Optional().Nillable().Immutable(),
		field.Text("comment").Optional().MaxLen(MaxCommentLen).SchemaType(textColumn).Immutable(),
	}
}

// Edges implements ent.Schema.
func (TargetRevision) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("target", Target.Type).Ref("revisions").Field("target_id").Unique().Required().Immutable(),
		edge.To("author", User.Type).Field("author_id").Unique().Immutable(),
	}
}

// Indexes implements ent.Schema.
func (TargetRevision) Indexes() []ent.Index {
	return []ent.Index{index.Fields("target_id", "created_at")}
}

// Annotations implements ent.Schema.
func (TargetRevision) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// MarketFactor is a manager's expectation of the market for a team in a
// period: 1.10 means the market should give 10% more (DESIGN.md §3, §7).
type MarketFactor struct{ ent.Schema }

// Mixin implements ent.Schema.
func (MarketFactor) Mixin() []ent.Mixin {
	return []ent.Mixin{pulid.MixinWithPrefix("mkt"), TimeMixin{}, TenantMixin{}}
}

// Fields implements ent.Schema.
func (MarketFactor) Fields() []ent.Field {
	return []ent.Field{
		field.String("team_id").GoType(pulid.ID("")).Immutable(),
		// The period is shown as a Period of the organization's calendar
		// (graph: MarketFactor.period), not as its parts.
		field.Enum("period_kind").GoType(enum.PeriodKind("")).Annotations(sharedEnum("PeriodKind"), entgql.Skip(entgql.SkipAll)).Immutable(),
		field.Int("period_year").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("period_index").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Float("factor").Range(0.1, 10).
			Comment("a ratio, 1 = neutral: 1.10 means the market is expected to give 10% more in the period"),
		field.Text("comment").Optional().MaxLen(MaxCommentLen).SchemaType(textColumn).
			Comment("why the factor was set, as its setter wrote it"),
		// Who set it is MarketFactor.setBy, null when the viewer may not
		// read that user (the edge below is required, its GraphQL field
		// would not be).
		field.String("set_by_id").GoType(pulid.ID("")).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges implements ent.Schema.
func (MarketFactor) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("team", Team.Type).Field("team_id").Unique().Required().Immutable(),
		edge.To("set_by", User.Type).Field("set_by_id").Unique().Required().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes implements ent.Schema.
func (MarketFactor) Indexes() []ent.Index {
	return []ent.Index{index.Fields("team_id", "period_kind", "period_year", "period_index").Unique()}
}

// Annotations implements ent.Schema.
// A market factor is a Node (read through Team.marketFactors, resolved by
// node(id:)); it has no list, filter or ent mutation of its own
// (setMarketFactor writes it).
func (MarketFactor) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField,
		entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
