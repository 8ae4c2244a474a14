package graph_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/enum"
)

// planWorld is an organization with a team of reps, a manager of the team,
// a sub-team, and team targets for FY2027 Q1 (the quarter after
// apitest.Now) inserted as fixtures.
type planWorld struct {
	s            *apitest.Server
	org          *ent.Organization
	team, sub    *ent.Team
	manager, adm *ent.User
	outsider     *ent.User // a manager of another team
	reps         []*ent.User
}

func newPlanWorld(t *testing.T, s *apitest.Server, name, currency string, reps int) *planWorld {
	t.Helper()
	w := &planWorld{s: s, org: s.Org(t, name, currency)}
	dom := strings.ToLower(name) + ".test"
	w.team = s.Team(t, w.org, "Sales", "")
	w.sub = s.Team(t, w.org, "Sales North", w.team.ID)
	other := s.Team(t, w.org, "Other", "")
	w.manager = s.User(t, w.org, "manager@"+dom, user.RoleManager, nil)
	w.outsider = s.User(t, w.org, "outsider@"+dom, user.RoleManager, nil)
	w.adm = s.User(t, w.org, "admin@"+dom, user.RoleAdmin, nil)
	s.Manage(t, w.manager, w.team)
	s.Manage(t, w.outsider, other)
	for i := 0; i < reps; i++ {
		w.reps = append(w.reps, s.User(t, w.org, fmt.Sprintf("rep%d@%s", i, dom), user.RoleRep, w.team))
	}
	// A rep of the sub-team: not a direct member, so never allocated to.
	s.User(t, w.org, "north@"+dom, user.RoleRep, w.sub)
	return w
}

func (w *planWorld) kpi(t *testing.T, key string) *ent.KPI {
	t.Helper()
	return w.s.Client.KPI.Query().Where(entkpi.OrganizationID(w.org.ID), entkpi.Key(key)).OnlyX(apitest.Sys())
}

// target inserts a target for FY2027 Q1 (fiscal years from January).
func (w *planWorld) target(t *testing.T, k *ent.KPI, userID, teamID *pulid.ID, value float64, status enum.TargetStatus) *ent.Target {
	t.Helper()
	c := w.s.Client.Target.Create().SetOrganizationID(w.org.ID).SetKpiID(k.ID).
		SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(2027).SetPeriodIndex(1).
		SetPeriodStart(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)).SetPeriodEnd(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)).
		SetValue(value).SetStatus(status).SetProposerID(w.manager.ID)
	if userID != nil {
		c.SetUserID(*userID).SetScopeKey("user:" + string(*userID)).SetProposerID(*userID)
	} else {
		c.SetTeamID(*teamID).SetScopeKey("team:" + string(*teamID))
	}
	return c.SaveX(apitest.Sys())
}

// won records a deal won by the rep in the team in FY2026 Q3, a completed
// comparable quarter of FY2027 Q1.
func (w *planWorld) won(t *testing.T, rep *ent.User, minor int64) {
	t.Helper()
	w.s.Client.Deal.Create().SetOwnerID(rep.ID).SetTeamID(w.team.ID).SetName("d").SetCustomerName("c").
		SetAmount(minor).SetStage(deal.StageWon).SetOpenedAt(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)).
		SetClosedAt(time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC)).ExecX(apitest.Sys())
}

const allocateMutation = `mutation($in: AllocateTeamTargetInput!) { allocateTeamTarget(input: $in) {
  method appliedMethod dryRun teamTarget { id }
  shares { user { id email } value { value display } weight overridden kept
    target { id status allocationMethod allocatedFrom { id } proposer { id } value { value } } } } }`

type allocationJSON struct {
	AllocateTeamTarget struct {
		Method, AppliedMethod string
		DryRun                bool
		TeamTarget            struct{ ID string }
		Shares                []struct {
			User       struct{ ID, Email string }
			Value      struct{ Value, Display string }
			Weight     float64
			Overridden bool
			Kept       bool
			Target     *struct {
				ID, Status, AllocationMethod string
				AllocatedFrom                struct{ ID string }
				Proposer                     struct{ ID string }
				Value                        struct{ Value string }
			}
		}
	}
}

func (w *planWorld) allocate(t *testing.T, as *ent.User, in map[string]any) allocationJSON {
	t.Helper()
	var out allocationJSON
	w.s.As(t, as).MustQuery(t, allocateMutation, map[string]any{"in": in}, &out)
	return out
}

// values returns the shares' values in the order of the reps' IDs, and
// checks that the shares are in that order.
func (a allocationJSON) values(t *testing.T) []string {
	t.Helper()
	var ids, vals []string
	for _, s := range a.AllocateTeamTarget.Shares {
		ids, vals = append(ids, s.User.ID), append(vals, s.Value.Value)
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("shares not by user ID: %v", ids)
	}
	return vals
}

// byID returns the reps sorted by ID: the order of the shares, and of the
// tie-break.
func byID(reps []*ent.User) []*ent.User {
	out := append([]*ent.User(nil), reps...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// The split sums exactly to the team target with awkward numbers: the
// rest of an integer division goes one minor unit each to the largest
// fractional remainders, ties to the smaller user ID (DESIGN.md §6).
func TestAllocateTeamTargetExactSums(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		// 1,000.00 USD equally over 7 reps: 142.857142…: 14285 minor units
		// each and 5 left, all with the remainder 5/7: the five smallest IDs
		// get 142.86, the other two 142.85 (5 × 142.86 + 2 × 142.85 = 1,000.00).
		w := newPlanWorld(t, s, "Acme", "USD", 7)
		revenue := w.kpi(t, "REVENUE_WON")
		tt := w.target(t, revenue, nil, &w.team.ID, 100_000, enum.StatusApproved)
		a := w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL", "dryRun": true})
		want := []string{"142.86", "142.86", "142.86", "142.86", "142.86", "142.85", "142.85"}
		if got := a.values(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("1,000.00 over 7: %v, want %v", got, want)
		}
		if !a.AllocateTeamTarget.DryRun || a.AllocateTeamTarget.AppliedMethod != "EQUAL" || a.AllocateTeamTarget.Shares[0].Target != nil {
			t.Errorf("a dry run: %+v", a.AllocateTeamTarget)
		}
		if n := s.Client.Target.Query().CountX(apitest.Sys()); n != 1 {
			t.Errorf("a dry run wrote: %d targets, want the team's alone", n)
		}

		// Overrides first: rep0 400.00, the 600.00 left in six parts of 100.00.
		reps := byID(w.reps)
		a = w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL", "dryRun": true,
			"overrides": []any{map[string]any{"userID": reps[3].ID, "value": "400.00"}}})
		want = []string{"100.00", "100.00", "100.00", "400.00", "100.00", "100.00", "100.00"}
		if got := a.values(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("override 400.00 and 600.00 over 6: %v, want %v", got, want)
		}
		if sh := a.AllocateTeamTarget.Shares[3]; !sh.Overridden || sh.Weight != 0 {
			t.Errorf("the overridden share: %+v", sh)
		}
		// Overrides summing to the whole leave nothing for the others: 0.00.
		a = w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL", "dryRun": true,
			"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "1000"}}})
		if got := a.values(t); got[0] != "1000.00" || got[1] != "0.00" || got[6] != "0.00" {
			t.Errorf("an override of the whole: %v", got)
		}

		// JPY has no minor digits; by CAPACITY with tenures of 0 and 1
		// month at 1 January 2027 (ramp 0.25, 0.5) and two fully ramped reps:
		// weights 1, 1, 0.5, 0.25 of 2.75: 1,000,000 × each: 363636.36…,
		// 363636.36…, 181818.18…, 90909.09…: floors sum to 999,999 and the
		// one yen left goes to the larger remainder (.36…), tied between the
		// two ramped reps: the smaller ID.
		j := newPlanWorld(t, s, "Nippon", "JPY", 4)
		jr := byID(j.reps)
		s.Client.User.UpdateOne(jr[0]).SetHiredAt(time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)).ExecX(apitest.Sys())
		s.Client.User.UpdateOne(jr[1]).SetHiredAt(time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)).ExecX(apitest.Sys())
		jt := j.target(t, j.kpi(t, "REVENUE_WON"), nil, &j.team.ID, 1_000_000, enum.StatusDraft)
		a = j.allocate(t, j.manager, map[string]any{"targetId": jt.ID, "method": "CAPACITY", "dryRun": true})
		want = []string{"90909", "181818", "363637", "363636"}
		if got := a.values(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("¥1,000,000 by capacity: %v, want %v", got, want)
		}
		if got := a.AllocateTeamTarget.Shares[2].Weight; got < 0.3636 || got > 0.3637 {
			t.Errorf("a ramped rep's weight: %v, want 1/2.75", got)
		}
	})
}

// An allocation writes one DRAFT per rep, of the rep's to submit, recording
// the team target and the method; a count of 10 over 3 is 4, 3, 3.
func TestAllocateTeamTargetWritesDrafts(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 3)
		deals := w.kpi(t, "DEALS_CLOSED")
		tt := w.target(t, deals, nil, &w.team.ID, 10, enum.StatusProposed)
		a := w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL"})
		if got := a.values(t); fmt.Sprint(got) != "[4 3 3]" {
			t.Errorf("10 over 3: %v, want [4 3 3]", got)
		}
		reps := byID(w.reps)
		for i, sh := range a.AllocateTeamTarget.Shares {
			tg := sh.Target
			if tg == nil || tg.Status != "DRAFT" || tg.AllocationMethod != "EQUAL" || tg.AllocatedFrom.ID != string(tt.ID) ||
				tg.Proposer.ID != string(reps[i].ID) || tg.Value.Value != sh.Value.Value {
				t.Fatalf("share %d's draft: %+v", i, tg)
			}
		}
		// The team target lists its allocations.
		var listed struct {
			Node struct {
				Allocations struct{ TotalCount int }
			}
		}
		s.As(t, w.manager).MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Target { allocations(first: 10) { totalCount } } } }`,
			map[string]any{"id": tt.ID}, &listed)
		if listed.Node.Allocations.TotalCount != 3 {
			t.Errorf("the team target's allocations: %d, want 3", listed.Node.Allocations.TotalCount)
		}
		// Each draft is in its rep's inbox, and the rep submits it.
		rep := reps[0]
		var inbox struct {
			Inbox struct {
				Edges []struct {
					Node struct {
						Reason string
						Target struct {
							ID      string
							Version int
						}
					}
				}
			}
		}
		s.As(t, rep).MustQuery(t, `{ inbox(first: 10) { edges { node { reason target { id version } } } } }`, nil, &inbox)
		if len(inbox.Inbox.Edges) != 1 || inbox.Inbox.Edges[0].Node.Reason != "SUBMIT_ALLOCATED_DRAFT" ||
			inbox.Inbox.Edges[0].Node.Target.ID != a.AllocateTeamTarget.Shares[0].Target.ID {
			t.Fatalf("the rep's inbox: %+v", inbox)
		}
		s.As(t, rep).MustQuery(t, `mutation($id: ID!, $v: Int!) { submitTarget(input: {targetId: $id, expectedVersion: $v}) { target { status } } }`,
			map[string]any{"id": inbox.Inbox.Edges[0].Node.Target.ID, "v": inbox.Inbox.Edges[0].Node.Target.Version}, nil)
		s.As(t, rep).MustQuery(t, `{ inbox(first: 10) { edges { node { reason target { id version } } } } }`, nil, &inbox)
		if len(inbox.Inbox.Edges) != 0 {
			t.Errorf("a submitted draft stays in the inbox: %+v", inbox)
		}
		// A second allocation would collide with the reps' open targets:
		// refused, naming them, and nothing written.
		before := s.Client.Target.Query().CountX(apitest.Sys())
		e := s.As(t, w.manager).MustFail(t, "CONFLICT", allocateMutation, map[string]any{"in": map[string]any{"targetId": tt.ID, "method": "EQUAL"}})
		if !strings.Contains(e.Message, "rep0@acme.test") {
			t.Errorf("the conflict names the reps: %s", e.Message)
		}
		if after := s.Client.Target.Query().CountX(apitest.Sys()); after != before {
			t.Errorf("a refused allocation wrote %d targets", after-before)
		}
		if !strings.Contains(e.Message, "(4, PROPOSED)") || !strings.Contains(e.Message, "(3, DRAFT)") {
			t.Errorf("the conflict names the open targets' values and statuses: %s", e.Message)
		}

		// A member overridden with the value of their open target keeps it:
		// no draft for them, the share names that target. An override of
		// another value is refused on that override's value, naming the
		// value that would keep it.
		first := a.AllocateTeamTarget.Shares
		e = s.As(t, w.manager).MustFail(t, "BAD_USER_INPUT", allocateMutation, map[string]any{"in": map[string]any{"targetId": tt.ID, "method": "EQUAL",
			"overrides": []any{map[string]any{"userID": reps[1].ID, "value": "3"}, map[string]any{"userID": reps[0].ID, "value": "5"}}}})
		if field, _ := e.Extensions["field"].(string); field != "overrides[1].value" || !strings.Contains(e.Message, "open target of 4") {
			t.Errorf("an override other than the open target's value: %s %v", e.Message, e.Extensions)
		}
		// Only rep 2 is left unkept: still a conflict, naming rep 2 alone.
		e = s.As(t, w.manager).MustFail(t, "CONFLICT", allocateMutation, map[string]any{"in": map[string]any{"targetId": tt.ID, "method": "EQUAL",
			"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "4"}, map[string]any{"userID": reps[1].ID, "value": "3"}}}})
		if !strings.Contains(e.Message, reps[2].Email) || strings.Contains(e.Message, reps[0].Email) || strings.Contains(e.Message, reps[1].Email) {
			t.Errorf("the conflict names the members not kept: %s", e.Message)
		}
		if after := s.Client.Target.Query().CountX(apitest.Sys()); after != before {
			t.Errorf("a refused allocation wrote %d targets", after-before)
		}
		// Rep 2 withdraws their draft; rep 0 and rep 1 keep theirs, and the
		// 3 left go to rep 2 in a new draft.
		s.As(t, reps[2]).MustQuery(t, `mutation($id: ID!, $v: Int!) { withdrawTarget(input: {targetId: $id, expectedVersion: $v}) { target { status } } }`,
			map[string]any{"id": first[2].Target.ID, "v": 1}, nil)
		for _, dry := range []bool{true, false} {
			a = w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL", "dryRun": dry,
				"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "4"}, map[string]any{"userID": reps[1].ID, "value": "3"}}})
			sh := a.AllocateTeamTarget.Shares
			if fmt.Sprint(a.values(t)) != "[4 3 3]" || !sh[0].Kept || !sh[1].Kept || sh[2].Kept ||
				sh[0].Target == nil || sh[0].Target.ID != first[0].Target.ID || sh[0].Target.Status != "PROPOSED" ||
				sh[1].Target == nil || sh[1].Target.ID != first[1].Target.ID || sh[1].Target.Status != "DRAFT" {
				t.Fatalf("dry run %v: rep 0 and 1 keep their targets: %+v", dry, sh)
			}
			if dry && sh[2].Target != nil {
				t.Errorf("a dry run made a draft: %+v", sh[2])
			}
			if !dry && (sh[2].Target == nil || sh[2].Target.ID == first[2].Target.ID || sh[2].Target.Status != "DRAFT" ||
				sh[2].Target.AllocatedFrom.ID != string(tt.ID)) {
				t.Errorf("rep 2's new draft: %+v", sh[2].Target)
			}
		}
		if after := s.Client.Target.Query().CountX(apitest.Sys()); after != before+1 {
			t.Errorf("the allocation wrote %d targets, want 1 (rep 2's)", after-before)
		}
		// Everyone overridden and kept: nothing left to write, and nothing written.
		a = w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL",
			"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "4"}, map[string]any{"userID": reps[1].ID, "value": "3"},
				map[string]any{"userID": reps[2].ID, "value": "3"}}})
		if sh := a.AllocateTeamTarget.Shares; !sh[0].Kept || !sh[1].Kept || !sh[2].Kept {
			t.Errorf("all kept: %+v", sh)
		}
		if after := s.Client.Target.Query().CountX(apitest.Sys()); after != before+1 {
			t.Errorf("an allocation keeping every target wrote %d targets", after-before-1)
		}
	})
}

// HISTORY divides by each rep's share of the team's comparable completed
// periods; a rep without history gets 0, and when none of the reps has
// any the split falls back to EQUAL and says so.
func TestAllocateTeamTargetByHistory(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 3)
		revenue := w.kpi(t, "REVENUE_WON")
		tt := w.target(t, revenue, nil, &w.team.ID, 100_000, enum.StatusApproved)
		a := w.allocate(t, w.adm, map[string]any{"targetId": tt.ID, "method": "HISTORY", "dryRun": true})
		if a.AllocateTeamTarget.AppliedMethod != "EQUAL" || fmt.Sprint(a.values(t)) != "[333.34 333.33 333.33]" {
			t.Errorf("no history at all: %s %v, want EQUAL [333.34 333.33 333.33]", a.AllocateTeamTarget.AppliedMethod, a.values(t))
		}
		reps := byID(w.reps)
		w.won(t, reps[0], 200_00)
		w.won(t, reps[0], 100_00) // rep 0: 300.00 in FY2026 Q3
		w.won(t, reps[2], 100_00) // rep 2: 100.00; rep 1 none
		a = w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "HISTORY", "dryRun": true})
		if a.AllocateTeamTarget.AppliedMethod != "HISTORY" || fmt.Sprint(a.values(t)) != "[750.00 0.00 250.00]" {
			t.Errorf("history 300 : 0 : 100: %s %v, want HISTORY [750.00 0.00 250.00]", a.AllocateTeamTarget.AppliedMethod, a.values(t))
		}
		// With the only reps with history overridden, the others have none:
		// EQUAL for the rest.
		a = w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "HISTORY", "dryRun": true,
			"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "500"}, map[string]any{"userID": reps[2].ID, "value": "100"}}})
		if a.AllocateTeamTarget.AppliedMethod != "EQUAL" || fmt.Sprint(a.values(t)) != "[500.00 400.00 100.00]" {
			t.Errorf("overrides of those with history: %s %v", a.AllocateTeamTarget.AppliedMethod, a.values(t))
		}
	})
}

// Every bad allocation is refused with its code and writes nothing.
func TestAllocateTeamTargetRefusals(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 2)
		revenue := w.kpi(t, "REVENUE_WON")
		tt := w.target(t, revenue, nil, &w.team.ID, 100_000, enum.StatusApproved)
		reps := byID(w.reps)
		repTarget := w.target(t, revenue, &reps[0].ID, nil, 500, enum.StatusRejected)
		rejected := w.target(t, w.kpi(t, "DEALS_CLOSED"), nil, &w.team.ID, 5, enum.StatusRejected)
		ratio := w.target(t, w.kpi(t, "WIN_RATE"), nil, &w.team.ID, 30, enum.StatusApproved)
		average := w.target(t, w.kpi(t, "AVERAGE_DEAL_SIZE"), nil, &w.team.ID, 500_00, enum.StatusApproved)
		empty := w.target(t, revenue, nil, &w.sub.ID, 100, enum.StatusApproved)
		s.Client.User.Delete().Where(user.TeamID(w.sub.ID)).ExecX(apitest.Sys())
		before := s.Client.Target.Query().CountX(apitest.Sys())
		for _, c := range []struct {
			name, code, field string
			as                *ent.User
			in                map[string]any
		}{
			{"a ratio KPI", "BAD_USER_INPUT", "targetId", w.manager, map[string]any{"targetId": ratio.ID, "method": "EQUAL"}},
			{"an average KPI", "BAD_USER_INPUT", "targetId", w.manager, map[string]any{"targetId": average.ID, "method": "EQUAL"}},
			{"a user's target", "BAD_USER_INPUT", "targetId", w.adm, map[string]any{"targetId": repTarget.ID, "method": "EQUAL"}},
			{"a rejected target", "BAD_USER_INPUT", "targetId", w.manager, map[string]any{"targetId": rejected.ID, "method": "EQUAL"}},
			{"a team without reps", "BAD_USER_INPUT", "targetId", w.adm, map[string]any{"targetId": empty.ID, "method": "EQUAL"}},
			{"not a rep of the team", "BAD_USER_INPUT", "overrides[0].userID", w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL",
				"overrides": []any{map[string]any{"userID": w.manager.ID, "value": "1"}}}},
			{"an override twice", "BAD_USER_INPUT", "overrides[1].userID", w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL",
				"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "1"}, map[string]any{"userID": reps[0].ID, "value": "2"}}}},
			{"overrides above the target", "BAD_USER_INPUT", "overrides", w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL",
				"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "600"}, map[string]any{"userID": reps[1].ID, "value": "400.01"}}}},
			{"every rep overridden, short", "BAD_USER_INPUT", "overrides", w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL",
				"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "600"}, map[string]any{"userID": reps[1].ID, "value": "300"}}}},
			{"an override below zero", "BAD_USER_INPUT", "overrides[0].value", w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL",
				"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "-1"}}}},
			{"an override of a fraction of a cent", "BAD_USER_INPUT", "overrides[0].value", w.manager, map[string]any{"targetId": tt.ID, "method": "EQUAL",
				"overrides": []any{map[string]any{"userID": reps[0].ID, "value": "1.001"}}}},
			{"a rep (team targets out of sight)", "NOT_FOUND", "", reps[0], map[string]any{"targetId": tt.ID, "method": "EQUAL"}},
			{"another team's manager (the target out of sight)", "NOT_FOUND", "", w.outsider, map[string]any{"targetId": tt.ID, "method": "EQUAL"}},
			{"no such target", "NOT_FOUND", "", w.manager, map[string]any{"targetId": "tgt_01J00000000000000000000000", "method": "EQUAL"}},
		} {
			e := s.As(t, c.as).MustFail(t, c.code, allocateMutation, map[string]any{"in": c.in})
			if c.field != "" && e.Extensions["field"] != c.field {
				t.Errorf("%s: field %v, want %s (%s)", c.name, e.Extensions["field"], c.field, e.Message)
			}
		}
		if after := s.Client.Target.Query().CountX(apitest.Sys()); after != before {
			t.Errorf("refusals wrote %d targets", after-before)
		}
	})
}
