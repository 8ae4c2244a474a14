package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/targetevent"
	"kpiflow/enum"
)

// FuzzTargetWorkflow drives random sequences of actions by random actors
// through the API and checks the invariants after every step: the status
// is the one the hand-written transition table predicts, every successful
// transition left exactly one event, refused ones none, and there is never
// more than one open target per scope, KPI and period. `go test` runs the
// seeds; `go test -fuzz FuzzTargetWorkflow ./graph/` explores.
func FuzzTargetWorkflow(f *testing.F) {
	for _, seed := range [][]byte{
		{0, 3, 9, 27, 40},
		{1, 1, 4, 10, 22, 33, 2},
		{7, 8, 13, 21, 34, 55, 89},
		{0, 0, 0, 5, 5, 5, 30, 31, 32},
	} {
		f.Add(seed)
	}
	s := apitest.NewServer(f, apitest.Backends(f)[0]) // SQLite: many short runs
	w := newKPIWorld(f, s)
	deals := w.kpiID(f, "DEALS_CLOSED")
	actors := []*apitest.Server{s.As(f, w.r1), s.As(f, w.mE), s.As(f, w.adm)}
	actorRole := []string{"proposer", "approver", "admin"}
	run := 0
	f.Fuzz(func(t *testing.T, steps []byte) {
		if len(steps) > 24 {
			steps = steps[:24]
		}
		run++
		period := map[string]any{"label": fmt.Sprintf("FY%d Q%d", 2030+run/4, run%4+1)}
		var id pulid.ID
		state, version, events := "", 0, 0
		pending := false
		for _, b := range steps {
			actor := int(b) % len(actors)
			op := int(b) / len(actors) % (len(workflowActions) + 1)
			if op == len(workflowActions) || id == "" { // (re)create
				r := actors[0].Query(t, `mutation($in: CreateTargetDraftInput!) { createTargetDraft(input: $in) { target { id version } } }`,
					map[string]any{"in": map[string]any{"kpiID": deals, "userID": w.r1.ID, "period": period, "value": "1"}})
				open := state == "DRAFT" || state == "PROPOSED" || state == "CHANGES_REQUESTED" || state == "APPROVED"
				switch {
				case open && (len(r.Errors) != 1 || r.Errors[0].Code() != "CONFLICT"):
					t.Fatalf("a second open target: %s", r.RawBody)
				case !open && len(r.Errors) > 0:
					t.Fatalf("create: %s", r.RawBody)
				case !open:
					var out struct {
						CreateTargetDraft struct{ Target struct{ ID string } }
					}
					mustDecode(t, r, &out)
					id, state, version, events, pending = pulid.ID(out.CreateTargetDraft.Target.ID), "DRAFT", 1, 1, false
				}
				continue
			}
			action := workflowActions[op]
			in := map[string]any{"targetId": id, "expectedVersion": version, "comment": "c", "value": "2", "reasonCode": "OTHER"}
			switch inputType(action) {
			case "TargetDecisionInput!":
				delete(in, "value")
				delete(in, "reasonCode")
			case "TargetValueDecisionInput!":
				delete(in, "reasonCode")
			case "UpdateTargetDraftInput!":
				delete(in, "reasonCode")
				delete(in, "comment")
			}
			r := actors[actor].Query(t, fmt.Sprintf(`mutation($in: %s) { %s(input: $in) { target { status version } } }`, inputType(action), action),
				map[string]any{"in": in})
			key := state
			if state == "APPROVED" && pending {
				key = "APPROVED+PENDING"
			}
			rule, ok := expectedTransitions[key][action]
			who := actorRole[actor]
			allowed := ok && (who == rule.by || (rule.by == "approver" && who == "admin"))
			if allowed != (len(r.Errors) == 0) {
				t.Fatalf("%s %s by %s: allowed %v, got %s", key, action, who, allowed, r.RawBody)
			}
			if allowed {
				state, version, events = rule.to, version+1, events+1
				switch action {
				case "requestTargetAdjustment":
					pending = true
				case "approveTargetAdjustment", "rejectTargetAdjustment":
					pending = false
				}
			}
			tg := s.Client.Target.GetX(apitest.Sys(), id)
			n := s.Client.TargetEvent.Query().Where(targetevent.TargetID(id)).CountX(apitest.Sys())
			if string(tg.Status) != state || tg.Version != version || n != events || (tg.PendingValue != nil) != pending {
				t.Fatalf("after %s by %s: status %s v%d %d events pending %v; want %s v%d %d events pending %v",
					action, who, tg.Status, tg.Version, n, tg.PendingValue != nil, state, version, events, pending)
			}
		}
		open := s.Client.Target.Query().Where(target.UserID(w.r1.ID), target.KpiID(deals),
			target.StatusIn(enum.StatusDraft, enum.StatusProposed, enum.StatusChangesRequested, enum.StatusApproved),
			target.PeriodYear(2030+run/4), target.PeriodIndex(run%4+1)).CountX(apitest.Sys())
		if open > 1 {
			t.Fatalf("%d open targets for one scope, KPI and period", open)
		}
	})
}

func mustDecode(t *testing.T, r *apitest.Response, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(err)
	}
}
