package workflow

import (
	"errors"
	"testing"
)

// want is the expected outcome of every (state, action), written out by
// hand from DESIGN.md §6 rather than read from the table.
var want = map[State]map[Action]State{
	Draft:            {UpdateDraft: Draft, Submit: Proposed, Withdraw: Withdrawn},
	Proposed:         {Approve: Approved, ApproveWithChanges: Approved, Reject: Rejected, RequestChanges: ChangesRequested, Withdraw: Withdrawn},
	ChangesRequested: {Revise: Proposed, Withdraw: Withdrawn},
	Approved:         {RequestAdjustment: Approved, ApproveAdjustment: Approved, RejectAdjustment: Approved, Adjust: Approved, Close: Closed},
	Rejected:         {},
	Withdrawn:        {},
	Closed:           {},
}

var by = map[Action]Role{
	UpdateDraft: Proposer, Submit: Proposer, Withdraw: Proposer, Revise: Proposer, RequestAdjustment: Proposer,
	Approve: Approver, ApproveWithChanges: Approver, Reject: Approver, RequestChanges: Approver,
	ApproveAdjustment: Approver, RejectAdjustment: Approver, Adjust: Approver, Close: System,
}

// Every state × every action × every kind of actor.
func TestTransitionTable(t *testing.T) {
	actors := map[string]map[Role]bool{
		"proposer":            {Proposer: true},
		"approver":            {Approver: true},
		"proposer & approver": {Proposer: true, Approver: true},
		"system":              {System: true},
		"nobody":              {},
	}
	for _, s := range States {
		for _, a := range Actions {
			for name, roles := range actors {
				to, _, err := Step(s, a, roles)
				wantTo, allowed := want[s][a]
				var te *TransitionError
				var re *RoleError
				switch {
				case !allowed:
					if !errors.As(err, &te) || to != s {
						t.Errorf("%s %s by %s: %v → %s, want a TransitionError", s, a, name, err, to)
					}
				case roles[by[a]] && !(by[a] == Approver && roles[Proposer]):
					if err != nil || to != wantTo {
						t.Errorf("%s %s by %s: %v → %s, want %s", s, a, name, err, to, wantTo)
					}
				default:
					if !errors.As(err, &re) || to != s {
						t.Errorf("%s %s by %s: %v → %s, want a RoleError", s, a, name, err, to)
					}
				}
			}
		}
	}
}

func TestCommentsAndValues(t *testing.T) {
	for _, c := range []struct {
		s       State
		a       Action
		comment bool
		value   bool
		reason  bool
	}{
		{Proposed, Reject, true, false, false},
		{Proposed, RequestChanges, true, false, false},
		{Proposed, ApproveWithChanges, true, true, false},
		{Proposed, Approve, false, false, false},
		{ChangesRequested, Revise, false, true, false},
		{Approved, RequestAdjustment, true, true, true},
		{Approved, Adjust, true, true, true},
		{Approved, RejectAdjustment, true, false, false},
		{Draft, UpdateDraft, false, true, false},
	} {
		r, ok := RuleFor(c.s, c.a)
		if !ok || r.NeedsComment != c.comment || r.SetsValue != c.value || r.NeedsReason != c.reason {
			t.Errorf("%s %s: %+v", c.s, c.a, r)
		}
	}
}

func TestOpenStates(t *testing.T) {
	for _, s := range States {
		want := s == Draft || s == Proposed || s == ChangesRequested || s == Approved
		if s.Open() != want {
			t.Errorf("%s.Open() = %v", s, s.Open())
		}
	}
	if got := Allowed(Proposed); len(got) != 5 {
		t.Errorf("Allowed(PROPOSED) = %v", got)
	}
}
