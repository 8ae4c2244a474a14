// Package enum holds the Go types of kpiflow's enumerations that the
// database stores and the GraphQL API serves: one type per concept, used by
// every ent field that holds it (GoType), by the packages that work with it
// (kpi, workflow) and, through its MarshalGQL/UnmarshalGQL methods, by the
// one GraphQL enum of the concept.
//
// It imports nothing of kpiflow, so that ent/schema and the generated ent
// packages may import it without cycles.
package enum

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// PeriodKind is the length of a period: a fiscal MONTH, QUARTER or YEAR
// (DESIGN.md §5). GraphQL: PeriodKind.
type PeriodKind string

// The kinds of period.
const (
	PeriodMonth   PeriodKind = "MONTH"
	PeriodQuarter PeriodKind = "QUARTER"
	PeriodYear    PeriodKind = "YEAR"
)

// Values implements ent's EnumValues.
func (PeriodKind) Values() []string { return []string{"MONTH", "QUARTER", "YEAR"} }

// Valid reports whether k is one of PeriodMonth, PeriodQuarter, PeriodYear.
func (k PeriodKind) Valid() bool { return k.Months() != 0 }

// Months is the number of calendar months in a period of kind k, or 0 if k
// is not a kind.
func (k PeriodKind) Months() int {
	switch k {
	case PeriodMonth:
		return 1
	case PeriodQuarter:
		return 3
	case PeriodYear:
		return 12
	}
	return 0
}

// PerYear is the number of periods of kind k in a fiscal year (the largest
// index), or 0 if k is not a kind.
func (k PeriodKind) PerYear() int {
	if n := k.Months(); n != 0 {
		return 12 / n
	}
	return 0
}

// TargetStatus is a target's place in the workflow (DESIGN.md §6).
// GraphQL: TargetStatus.
type TargetStatus string

// The states of a target.
const (
	StatusDraft            TargetStatus = "DRAFT"
	StatusProposed         TargetStatus = "PROPOSED"
	StatusChangesRequested TargetStatus = "CHANGES_REQUESTED"
	StatusApproved         TargetStatus = "APPROVED"
	StatusRejected         TargetStatus = "REJECTED"
	StatusWithdrawn        TargetStatus = "WITHDRAWN"
	StatusClosed           TargetStatus = "CLOSED"
)

// Values implements ent's EnumValues.
func (TargetStatus) Values() []string {
	return []string{"DRAFT", "PROPOSED", "CHANGES_REQUESTED", "APPROVED", "REJECTED", "WITHDRAWN", "CLOSED"}
}

// Open reports whether a target in the state holds its (scope, KPI,
// period): at most one target per triple is open.
func (s TargetStatus) Open() bool {
	return s == StatusDraft || s == StatusProposed || s == StatusChangesRequested || s == StatusApproved
}

// TargetAction is something done to a target: what an event or a revision
// records, and what allowedActions lists. GraphQL: TargetAction.
type TargetAction string

// The actions on a target. CREATE_DRAFT, ADJUST (a review's decision) and
// CLOSE (kpiflow's own, at a period's end) are recorded but never offered
// as allowed actions.
const (
	ActionCreateDraft        TargetAction = "CREATE_DRAFT"
	ActionUpdateDraft        TargetAction = "UPDATE_DRAFT"
	ActionSubmit             TargetAction = "SUBMIT"
	ActionWithdraw           TargetAction = "WITHDRAW"
	ActionApprove            TargetAction = "APPROVE"
	ActionApproveWithChanges TargetAction = "APPROVE_WITH_CHANGES"
	ActionReject             TargetAction = "REJECT"
	ActionRequestChanges     TargetAction = "REQUEST_CHANGES"
	ActionRevise             TargetAction = "REVISE"
	ActionRequestAdjustment  TargetAction = "REQUEST_ADJUSTMENT"
	ActionApproveAdjustment  TargetAction = "APPROVE_ADJUSTMENT"
	ActionRejectAdjustment   TargetAction = "REJECT_ADJUSTMENT"
	ActionAdjust             TargetAction = "ADJUST"
	ActionClose              TargetAction = "CLOSE"
)

// Values implements ent's EnumValues.
func (TargetAction) Values() []string {
	return []string{"CREATE_DRAFT", "UPDATE_DRAFT", "SUBMIT", "WITHDRAW", "APPROVE", "APPROVE_WITH_CHANGES",
		"REJECT", "REQUEST_CHANGES", "REVISE", "REQUEST_ADJUSTMENT", "APPROVE_ADJUSTMENT", "REJECT_ADJUSTMENT",
		"ADJUST", "CLOSE"}
}

// ReasonCode says why an approved target's value changed: on an adjustment
// request, its event and its revision. GraphQL: ReasonCode.
type ReasonCode string

// The reasons.
const (
	ReasonMarketChange   ReasonCode = "MARKET_CHANGE"
	ReasonTeamChange     ReasonCode = "TEAM_CHANGE"
	ReasonDataCorrection ReasonCode = "DATA_CORRECTION"
	ReasonPerformance    ReasonCode = "PERFORMANCE"
	ReasonOther          ReasonCode = "OTHER"
)

// Values implements ent's EnumValues.
func (ReasonCode) Values() []string {
	return []string{"MARKET_CHANGE", "TEAM_CHANGE", "DATA_CORRECTION", "PERFORMANCE", "OTHER"}
}

// ReviewCadence is how often a team's targets are reviewed (DESIGN.md §8):
// a team's setting and each review cycle's. GraphQL: ReviewCadence.
type ReviewCadence string

// The cadences.
const (
	CadenceWeekly    ReviewCadence = "WEEKLY"
	CadenceBiweekly  ReviewCadence = "BIWEEKLY"
	CadenceMonthly   ReviewCadence = "MONTHLY"
	CadenceQuarterly ReviewCadence = "QUARTERLY"
)

// Values implements ent's EnumValues.
func (ReviewCadence) Values() []string { return []string{"WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY"} }

// ReviewDecision is a manager's decision on a review item: keep the target
// or adjust it. GraphQL: ReviewDecision.
type ReviewDecision string

// The decisions.
const (
	DecisionKeep   ReviewDecision = "KEEP"
	DecisionAdjust ReviewDecision = "ADJUST"
)

// Values implements ent's EnumValues.
func (ReviewDecision) Values() []string { return []string{"KEEP", "ADJUST"} }

// AllocationMethod is how a team's target was divided among its members
// (allocateTeamTarget): by each member's share of the team's history,
// equally, or by ramp-adjusted headcount. GraphQL: AllocationMethod.
type AllocationMethod string

// The methods.
const (
	AllocationHistory  AllocationMethod = "HISTORY"
	AllocationEqual    AllocationMethod = "EQUAL"
	AllocationCapacity AllocationMethod = "CAPACITY"
)

// Values implements ent's EnumValues.
func (AllocationMethod) Values() []string { return []string{"HISTORY", "EQUAL", "CAPACITY"} }

// KPIStatus grades a pace (DESIGN.md §4): a KPI result's status and a
// review item's track. GraphQL: KPIStatus.
type KPIStatus string

// The statuses.
const (
	OnTrack  KPIStatus = "ON_TRACK"
	AtRisk   KPIStatus = "AT_RISK"
	OffTrack KPIStatus = "OFF_TRACK"
)

// Values implements ent's EnumValues.
func (KPIStatus) Values() []string { return []string{"ON_TRACK", "AT_RISK", "OFF_TRACK"} }

// valuer is every type of the package.
type valuer interface {
	~string
	Values() []string
}

func marshal[T valuer](w io.Writer, v T) { _, _ = io.WriteString(w, strconv.Quote(string(v))) }

func unmarshal[T valuer](v any, name string) (T, error) {
	s, ok := v.(string)
	if !ok || !slices.Contains(T("").Values(), s) {
		return "", fmt.Errorf("%v is not a valid %s", v, name)
	}
	return T(s), nil
}

// MarshalGQL implements graphql.Marshaler.
func (k PeriodKind) MarshalGQL(w io.Writer) { marshal(w, k) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (k *PeriodKind) UnmarshalGQL(v any) (err error) {
	*k, err = unmarshal[PeriodKind](v, "PeriodKind")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (s TargetStatus) MarshalGQL(w io.Writer) { marshal(w, s) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *TargetStatus) UnmarshalGQL(v any) (err error) {
	*s, err = unmarshal[TargetStatus](v, "TargetStatus")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (a TargetAction) MarshalGQL(w io.Writer) { marshal(w, a) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (a *TargetAction) UnmarshalGQL(v any) (err error) {
	*a, err = unmarshal[TargetAction](v, "TargetAction")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (r ReasonCode) MarshalGQL(w io.Writer) { marshal(w, r) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (r *ReasonCode) UnmarshalGQL(v any) (err error) {
	*r, err = unmarshal[ReasonCode](v, "ReasonCode")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (c ReviewCadence) MarshalGQL(w io.Writer) { marshal(w, c) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (c *ReviewCadence) UnmarshalGQL(v any) (err error) {
	*c, err = unmarshal[ReviewCadence](v, "ReviewCadence")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (d ReviewDecision) MarshalGQL(w io.Writer) { marshal(w, d) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (d *ReviewDecision) UnmarshalGQL(v any) (err error) {
	*d, err = unmarshal[ReviewDecision](v, "ReviewDecision")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (s KPIStatus) MarshalGQL(w io.Writer) { marshal(w, s) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *KPIStatus) UnmarshalGQL(v any) (err error) {
	*s, err = unmarshal[KPIStatus](v, "KPIStatus")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (m AllocationMethod) MarshalGQL(w io.Writer) { marshal(w, m) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (m *AllocationMethod) UnmarshalGQL(v any) (err error) {
	*m, err = unmarshal[AllocationMethod](v, "AllocationMethod")
	return err
}
