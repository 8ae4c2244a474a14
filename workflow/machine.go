package workflow

import (
	"fmt"

	"kpiflow/enum"
)

// State is a target's place in the workflow (DESIGN.md §6): package
// enum's TargetStatus.
type State = enum.TargetStatus

// The states of a target.
const (
	Draft            = enum.StatusDraft
	Proposed         = enum.StatusProposed
	ChangesRequested = enum.StatusChangesRequested
	Approved         = enum.StatusApproved
	Rejected         = enum.StatusRejected
	Withdrawn        = enum.StatusWithdrawn
	Closed           = enum.StatusClosed
)

// States lists every state.
var States = []State{Draft, Proposed, ChangesRequested, Approved, Rejected, Withdrawn, Closed}

// Action is something done to a target: package enum's TargetAction.
type Action = enum.TargetAction

// The actions of the workflow; a target's first event and revision record
// enum.ActionCreateDraft, which is no transition.
const (
	UpdateDraft        = enum.ActionUpdateDraft
	Submit             = enum.ActionSubmit
	Withdraw           = enum.ActionWithdraw
	Approve            = enum.ActionApprove
	ApproveWithChanges = enum.ActionApproveWithChanges
	Reject             = enum.ActionReject
	RequestChanges     = enum.ActionRequestChanges
	Revise             = enum.ActionRevise
	RequestAdjustment  = enum.ActionRequestAdjustment
	ApproveAdjustment  = enum.ActionApproveAdjustment
	RejectAdjustment   = enum.ActionRejectAdjustment
	Adjust             = enum.ActionAdjust
	Close              = enum.ActionClose
)

// Actions lists every action of a transition.
var Actions = []Action{UpdateDraft, Submit, Withdraw, Approve, ApproveWithChanges, Reject, RequestChanges,
	Revise, RequestAdjustment, ApproveAdjustment, RejectAdjustment, Adjust, Close}

// Role is the part an actor plays for one target.
type Role string

// The roles of the workflow.
const (
	// Proposer is whoever proposed the target (a rep for themself, or a
	// manager for a member or a team).
	Proposer Role = "PROPOSER"
	// Approver is a manager who may decide the target — of its team, or
	// of the parent team for a team target — or an ADMIN, and never the
	// proposer.
	Approver Role = "APPROVER"
	// System is kpiflow itself: period close.
	System Role = "SYSTEM"
)

// Rule is one allowed (state, action): the state it leads to, who may take
// it, and what it needs.
type Rule struct {
	To State
	By Role
	// NeedsComment: reject, request changes and adjustments must say why.
	NeedsComment bool
	// SetsValue: the action gives the target a (new) value.
	SetsValue bool
	// NeedsReason: the action records a reason code (adjustments).
	NeedsReason bool
}

// table is the whole workflow: every (state, action) not in it is not
// allowed. It is the only description of the workflow; the diagram of
// DESIGN.md §6 is drawn from it.
var table = map[State]map[Action]Rule{
	Draft: {
		UpdateDraft: {To: Draft, By: Proposer, SetsValue: true},
		Submit:      {To: Proposed, By: Proposer},
		Withdraw:    {To: Withdrawn, By: Proposer},
	},
	Proposed: {
		Approve:            {To: Approved, By: Approver},
		ApproveWithChanges: {To: Approved, By: Approver, SetsValue: true, NeedsComment: true},
		Reject:             {To: Rejected, By: Approver, NeedsComment: true},
		RequestChanges:     {To: ChangesRequested, By: Approver, NeedsComment: true},
		Withdraw:           {To: Withdrawn, By: Proposer},
	},
	ChangesRequested: {
		Revise:   {To: Proposed, By: Proposer, SetsValue: true},
		Withdraw: {To: Withdrawn, By: Proposer},
	},
	Approved: {
		RequestAdjustment: {To: Approved, By: Proposer, SetsValue: true, NeedsComment: true, NeedsReason: true},
		ApproveAdjustment: {To: Approved, By: Approver},
		RejectAdjustment:  {To: Approved, By: Approver, NeedsComment: true},
		Adjust:            {To: Approved, By: Approver, SetsValue: true, NeedsComment: true, NeedsReason: true},
		Close:             {To: Closed, By: System},
	},
}

// RuleFor returns the rule of taking the action in the state, and whether
// the action is allowed there at all.
func RuleFor(s State, a Action) (Rule, bool) {
	r, ok := table[s][a]
	return r, ok
}

// Allowed lists the actions allowed in a state, in the order of Actions.
func Allowed(s State) []Action {
	var out []Action
	for _, a := range Actions {
		if _, ok := table[s][a]; ok {
			out = append(out, a)
		}
	}
	return out
}

// Step checks taking the action in the state by an actor in the given
// roles, and returns the state it leads to. roles holds every role the
// actor plays for the target; a proposer is never an approver of their
// own target, whatever else they are.
func Step(s State, a Action, roles map[Role]bool) (State, Rule, error) {
	r, ok := RuleFor(s, a)
	if !ok {
		return s, r, &TransitionError{From: s, Action: a}
	}
	if r.By == Approver && roles[Proposer] {
		return s, r, &RoleError{Action: a, Role: r.By, Reason: "nobody decides a target they proposed"}
	}
	if !roles[r.By] {
		return s, r, &RoleError{Action: a, Role: r.By}
	}
	return r.To, r, nil
}

// TransitionError is an action not allowed in the target's state.
type TransitionError struct {
	From   State
	Action Action
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("%s is not allowed on a %s target", e.Action, e.From)
}

// RoleError is an action the actor may not take on this target.
type RoleError struct {
	Action Action
	Role   Role
	Reason string
}

func (e *RoleError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s: %s", e.Action, e.Reason)
	}
	return fmt.Sprintf("%s is for the target's %s", e.Action, e.Role)
}
