package graph_test

import (
	"fmt"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/targetevent"
	"kpiflow/enum"
)

// transition is the expected outcome of an action in a state, written out
// by hand from DESIGN.md §6: who may take it, and the state it leads to.
type transition struct {
	by string // "proposer" or "approver"
	to string
}

var expectedTransitions = map[string]map[string]transition{
	"DRAFT": {
		"updateTargetDraft": {"proposer", "DRAFT"}, "submitTarget": {"proposer", "PROPOSED"}, "withdrawTarget": {"proposer", "WITHDRAWN"},
	},
	"PROPOSED": {
		"approveTarget": {"approver", "APPROVED"}, "approveTargetWithChanges": {"approver", "APPROVED"},
		"rejectTarget": {"approver", "REJECTED"}, "requestTargetChanges": {"approver", "CHANGES_REQUESTED"},
		"withdrawTarget": {"proposer", "WITHDRAWN"},
	},
	"CHANGES_REQUESTED": {
		"reviseTarget": {"proposer", "PROPOSED"}, "withdrawTarget": {"proposer", "WITHDRAWN"},
	},
	"APPROVED": {
		"requestTargetAdjustment": {"proposer", "APPROVED"},
	},
	"APPROVED+PENDING": {
		"approveTargetAdjustment": {"approver", "APPROVED"}, "rejectTargetAdjustment": {"approver", "APPROVED"},
	},
	"REJECTED":  {},
	"WITHDRAWN": {},
}

var workflowActions = []string{"updateTargetDraft", "submitTarget", "withdrawTarget", "approveTarget", "approveTargetWithChanges",
	"rejectTarget", "requestTargetChanges", "reviseTarget", "requestTargetAdjustment", "approveTargetAdjustment", "rejectTargetAdjustment"}

// Every state × every action × every kind of viewer, through the API:
// allowed → the expected state, exactly one new event and version + 1;
// not allowed → the expected code, and the target unchanged.
func TestEveryTransitionThroughTheAPI(t *testing.T) {
	t.Parallel() // long: runs beside the other long tests of the package
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		deals := w.kpiID(t, "DEALS_CLOSED")
		viewers := map[string]*apitest.Server{
			"proposer": s.As(t, w.r1),  // the rep, for themself
			"approver": s.As(t, w.mE),  // East's manager
			"admin":    s.As(t, w.adm), // also an approver
			"outsider": s.As(t, w.r3),  // West's rep: the target is out of sight
		}
		n := 0
		// fresh makes a new target of r1's in the state, in a quarter of its own.
		fresh := func(state string) (pulid.ID, int) {
			t.Helper()
			n++
			period := fmt.Sprintf("FY%d Q%d", 2028+n/4, n%4+1)
			rep, mgr := viewers["proposer"], viewers["approver"]
			tg := w.do(t, rep, "createTargetDraft", map[string]any{"kpiID": deals, "userID": w.r1.ID,
				"period": map[string]any{"label": period}, "value": "1"})
			step := func(as *apitest.Server, m string, extra map[string]any) {
				in := map[string]any{"targetId": tg.ID, "expectedVersion": tg.Version}
				for k, v := range extra {
					in[k] = v
				}
				tg = w.do(t, as, m, in)
			}
			switch state {
			case "DRAFT":
			case "PROPOSED":
				step(rep, "submitTarget", nil)
			case "CHANGES_REQUESTED":
				step(rep, "submitTarget", nil)
				step(mgr, "requestTargetChanges", map[string]any{"comment": "c"})
			case "APPROVED":
				step(rep, "submitTarget", nil)
				step(mgr, "approveTarget", nil)
			case "APPROVED+PENDING":
				step(rep, "submitTarget", nil)
				step(mgr, "approveTarget", nil)
				step(rep, "requestTargetAdjustment", map[string]any{"value": "2", "reasonCode": "OTHER", "comment": "c"})
			case "REJECTED":
				step(rep, "submitTarget", nil)
				step(mgr, "rejectTarget", map[string]any{"comment": "c"})
			case "WITHDRAWN":
				step(rep, "withdrawTarget", nil)
			}
			return pulid.ID(tg.ID), tg.Version
		}
		for state, allowed := range expectedTransitions {
			for _, action := range workflowActions {
				for who, as := range viewers {
					id, version := fresh(state)
					before := s.Client.Target.GetX(apitest.Sys(), id)
					events := s.Client.TargetEvent.Query().Where(targetevent.TargetID(id)).CountX(apitest.Sys())
					in := map[string]any{"targetId": id, "expectedVersion": version, "value": "3", "comment": "because",
						"reasonCode": "PERFORMANCE"}
					switch inputType(action) {
					case "TargetDecisionInput!":
						delete(in, "value")
						delete(in, "reasonCode")
					case "TargetValueDecisionInput!", "UpdateTargetDraftInput!":
						delete(in, "reasonCode")
						if action == "updateTargetDraft" {
							delete(in, "comment")
						}
					}
					r := as.Query(t, fmt.Sprintf(`mutation($in: %s) { %s(input: $in) { target { status version } } }`, inputType(action), action),
						map[string]any{"in": in})
					rule, ok := allowed[action]
					may := ok && (who == rule.by || (rule.by == "approver" && who == "admin"))
					var wantCode string
					switch {
					case who == "outsider":
						wantCode = "NOT_FOUND"
					case !ok:
						wantCode = "INVALID_TRANSITION"
					case !may:
						wantCode = "FORBIDDEN"
					}
					after := s.Client.Target.GetX(apitest.Sys(), id)
					newEvents := s.Client.TargetEvent.Query().Where(targetevent.TargetID(id)).CountX(apitest.Sys()) - events
					what := fmt.Sprintf("%s: %s by %s", state, action, who)
					if wantCode == "" {
						if len(r.Errors) > 0 {
							t.Errorf("%s: %s", what, r.RawBody)
							continue
						}
						if string(after.Status) != rule.to || after.Version != version+1 || newEvents != 1 {
							t.Errorf("%s: status %s version %d events +%d; want %s, %d, +1", what, after.Status, after.Version, newEvents, rule.to, version+1)
						}
						continue
					}
					if len(r.Errors) != 1 || r.Errors[0].Code() != wantCode {
						t.Errorf("%s: want %s, got %s", what, wantCode, r.RawBody)
					}
					if after.Status != before.Status || after.Version != before.Version || after.Value != before.Value || newEvents != 0 ||
						(after.PendingValue == nil) != (before.PendingValue == nil) {
						t.Errorf("%s: a refused action changed the target", what)
					}
				}
			}
		}
		if open := s.Client.Target.Query().Where(target.StatusIn(enum.StatusDraft, enum.StatusProposed)).CountX(apitest.Sys()); open == 0 {
			t.Error("no open targets: the fixture did not run")
		}
	})
}
