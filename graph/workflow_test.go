package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kpiflow/access"
	"kpiflow/apitest"
	"kpiflow/ent/deal"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/targetevent"
	"kpiflow/enum"
	"kpiflow/kpi"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

// The workflow tests run in FY2027 Q4 of newKPIWorld's calendar (November
// 2026 to January 2027 in New York): the current quarter at apitest.Now,
// the pinned clock of test servers.

const targetFields = `id status version value { value }
	rationale allowedActions approver { email } proposer { email }
	assessment { band proposed { value } baseline { value } expected { value } marketFactor bestEver { value } evidence { period value { value } weight } }
	pendingAdjustment { reasonCode comment value { value } }
	events { totalCount edges { node { action fromStatus toStatus comment version } } }
	revisions { totalCount edges { node { action value { value } } } }`

type targetJSON struct {
	ID             string
	Status         string
	Version        int
	Value          struct{ Value string }
	Rationale      string
	AllowedActions []string
	Approver       *struct{ Email string }
	Proposer       struct{ Email string }
	Assessment     *struct {
		Band         string
		Proposed     kpiNumber
		Baseline     *kpiNumber
		Expected     *kpiNumber
		MarketFactor float64
		BestEver     *kpiNumber
		Evidence     []struct {
			Period string
			Value  *kpiNumber
			Weight float64
		}
	}
	PendingAdjustment *struct {
		ReasonCode, Comment string
	}
	Events struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				Action, FromStatus, ToStatus, Comment string
				Version                               int
			}
		}
	}
	Revisions struct{ TotalCount int }
}

func (w *kpiWorld) kpiID(t testing.TB, key string) pulid.ID {
	t.Helper()
	for _, k := range w.s.Client.KPI.Query().Where(entkpi.OrganizationID(w.org.ID)).AllX(apitest.Sys()) {
		if k.Key == key {
			return k.ID
		}
	}
	t.Fatalf("no KPI %s", key)
	return ""
}

// do runs a workflow mutation and returns the target.
func (w *kpiWorld) do(t *testing.T, as *apitest.Server, mutation string, input map[string]any) targetJSON {
	t.Helper()
	var r map[string]struct{ Target targetJSON }
	as.MustQuery(t, fmt.Sprintf(`mutation($in: %s) { %s(input: $in) { target { %s } } }`,
		inputType(mutation), mutation, targetFields), map[string]any{"in": input}, &r)
	return r[mutation].Target
}

func (w *kpiWorld) fail(t *testing.T, as *apitest.Server, code, mutation string, input map[string]any) apitest.Error {
	t.Helper()
	return as.MustFail(t, code, fmt.Sprintf(`mutation($in: %s) { %s(input: $in) { target { id } } }`,
		inputType(mutation), mutation), map[string]any{"in": input})
}

func inputType(mutation string) string {
	switch mutation {
	case "createTargetDraft", "proposeTarget":
		return "CreateTargetDraftInput!"
	case "updateTargetDraft":
		return "UpdateTargetDraftInput!"
	case "approveTargetWithChanges", "reviseTarget":
		return "TargetValueDecisionInput!"
	case "requestTargetAdjustment":
		return "TargetAdjustmentInput!"
	}
	return "TargetDecisionInput!"
}

const q4 = "FY2027 Q4"

func TestProposeApproveAndAudit(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
		deals := w.kpiID(t, "DEALS_CLOSED")

		// r1's wins by quarter, oldest first: FY2026 Q4 1 (d8), FY2027 Q1 2,
		// Q2 1 (d5), Q3 0. Baseline (1×1 + 2×2 + 1×3 + 0×4) / 10 = 0.8;
		// proposing 1 is 1.25 of it: a stretch, under the best (2) × 1.2.
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "1", "rationale": "one more than last quarter"})
		if p.Status != "PROPOSED" || p.Version != 2 || p.Value.Value != "1" || p.Proposer.Email != "r1@acme.test" {
			t.Fatalf("proposed %+v", p)
		}
		a := p.Assessment
		if a == nil || a.Band != "STRETCH" || !near(a.Baseline, 0.8) || !near(a.Expected, 0.8) || a.MarketFactor != 1 || !near(a.BestEver, 2) {
			t.Fatalf("assessment %+v", a)
		}
		var periods []string
		for _, e := range a.Evidence {
			periods = append(periods, fmt.Sprintf("%s=%v×%v", e.Period, *e.Value, e.Weight))
		}
		if got := strings.Join(periods, " "); got != "FY2026 Q4=1×1 FY2027 Q1=2×2 FY2027 Q2=1×3 FY2027 Q3=0×4" {
			t.Errorf("evidence %s", got)
		}
		if strings.Join(p.AllowedActions, ",") != "WITHDRAW" {
			t.Errorf("the proposer may %v, want only WITHDRAW", p.AllowedActions)
		}

		// Nobody decides what they proposed; a stale version is a conflict.
		w.fail(t, rep, "FORBIDDEN", "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": 2})
		w.fail(t, mgr, "CONFLICT", "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": 1})
		w.fail(t, mgr, "BAD_USER_INPUT", "rejectTarget", map[string]any{"targetId": p.ID, "expectedVersion": 2})
		w.fail(t, mgr, "BAD_USER_INPUT", "requestTargetChanges", map[string]any{"targetId": p.ID, "expectedVersion": 2, "comment": "  "})
		w.fail(t, mgr, "INVALID_TRANSITION", "reviseTarget", map[string]any{"targetId": p.ID, "expectedVersion": 2, "value": "2"})

		approved := w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": 2, "comment": "go"})
		if approved.Status != "APPROVED" || approved.Version != 3 || approved.Approver == nil || approved.Approver.Email != "me@acme.test" {
			t.Fatalf("approved %+v", approved)
		}
		var trail []string
		for _, e := range approved.Events.Edges {
			trail = append(trail, fmt.Sprintf("%s:%s>%s@%d", e.Node.Action, e.Node.FromStatus, e.Node.ToStatus, e.Node.Version))
		}
		if got := strings.Join(trail, " "); got != "CREATE_DRAFT:DRAFT>DRAFT@1 SUBMIT:DRAFT>PROPOSED@2 APPROVE:PROPOSED>APPROVED@3" {
			t.Errorf("events %s", got)
		}
		w.fail(t, mgr, "INVALID_TRANSITION", "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": 3})

		// The scorecard shows the approved target beside the actual: no win
		// yet this quarter, with part of it gone, is off track.
		sc := w.scorecard(t, w.r1, map[string]any{"userID": w.r1.ID}, map[string]any{"label": q4})
		for _, r := range sc.Scorecard.Results {
			switch r.Kpi.Key {
			case "DEALS_CLOSED":
				if r.Target == nil || r.Attainment != float64(0) || r.Status != "OFF_TRACK" {
					t.Errorf("DEALS_CLOSED on the scorecard: target %v attainment %v status %v", r.Target, r.Attainment, r.Status)
				}
			default:
				if r.Target != nil || r.Status != nil {
					t.Errorf("%s has a target on the scorecard: %+v", r.Kpi.Key, r)
				}
			}
		}

		// One open target per scope, KPI and period.
		w.fail(t, rep, "CONFLICT", "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		// Not for the past, nor outside one's reach, nor nonsense values.
		w.fail(t, rep, "BAD_USER_INPUT", "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r1.ID,
			"period": map[string]any{"label": "FY2027 Q1"}, "value": "3"})
		w.fail(t, rep, "NOT_FOUND", "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r3.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		w.fail(t, rep, "BAD_USER_INPUT", "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r1.ID,
			"period": map[string]any{"label": "FY2028 Q1"}, "value": "1.5"})
		w.fail(t, rep, "BAD_USER_INPUT", "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "WIN_RATE"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "101"})
		w.fail(t, rep, "BAD_USER_INPUT", "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "REVENUE_WON"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "-5.00"})

		// An approved target changes through an adjustment a manager approves.
		adj := w.do(t, rep, "requestTargetAdjustment", map[string]any{"targetId": p.ID, "expectedVersion": 3,
			"value": "2", "reasonCode": "MARKET_CHANGE", "comment": "a new territory"})
		if adj.PendingAdjustment == nil || adj.PendingAdjustment.ReasonCode != "MARKET_CHANGE" || adj.Value.Value != "1" {
			t.Fatalf("adjustment requested %+v", adj)
		}
		var inbox struct {
			Inbox struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Reason string
						Target struct{ ID string }
					}
				}
			}
		}
		mgr.MustQuery(t, `{ inbox { totalCount edges { node { reason target { id } } } } }`, nil, &inbox)
		if inbox.Inbox.TotalCount != 1 || inbox.Inbox.Edges[0].Node.Reason != "DECIDE_ADJUSTMENT" || inbox.Inbox.Edges[0].Node.Target.ID != p.ID {
			t.Errorf("manager's inbox %+v", inbox)
		}
		adjusted := w.do(t, mgr, "approveTargetAdjustment", map[string]any{"targetId": p.ID, "expectedVersion": 4})
		if adjusted.Value.Value != "2" || adjusted.PendingAdjustment != nil || adjusted.Revisions.TotalCount != 2 {
			t.Errorf("adjusted %+v", adjusted)
		}
		if n := s.Client.TargetEvent.Query().Where(targetevent.TargetID(pulid.ID(p.ID))).CountX(apitest.Sys()); n != 5 {
			t.Errorf("%d events, want 5", n)
		}
		// Events are append-only, whoever asks.
		first := s.Client.TargetEvent.Query().FirstX(apitest.Sys())
		if err := s.Client.TargetEvent.DeleteOne(first).Exec(apitest.Sys()); err == nil {
			t.Error("an event was deleted")
		}
		if _, err := s.Client.TargetRevision.Delete().Exec(apitest.Sys()); err == nil {
			t.Error("revisions were deleted")
		}
		if n := s.Client.TargetEvent.Query().Where(targetevent.TargetID(pulid.ID(p.ID))).CountX(apitest.Sys()); n != 5 {
			t.Errorf("%d events after the attempts, want 5", n)
		}
	})
}

func TestChangesRequestedTeamTargetsAndMarket(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep2, mgr, admin := s.As(t, w.r2), s.As(t, w.mE), s.As(t, w.adm)
		deals := w.kpiID(t, "DEALS_CLOSED")

		p := w.do(t, rep2, "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r2.ID,
			"period": map[string]any{"label": q4}, "value": "4"})
		back := w.do(t, mgr, "requestTargetChanges", map[string]any{"targetId": p.ID, "expectedVersion": p.Version, "comment": "too high for a quarter"})
		if back.Status != "CHANGES_REQUESTED" {
			t.Fatalf("%+v", back)
		}
		var inbox struct {
			Inbox struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Reason  string
						Comment *string
					}
				}
			}
		}
		rep2.MustQuery(t, `{ inbox { totalCount edges { node { reason comment } } } }`, nil, &inbox)
		if inbox.Inbox.TotalCount != 1 || inbox.Inbox.Edges[0].Node.Reason != "REVISE_PROPOSAL" ||
			inbox.Inbox.Edges[0].Node.Comment == nil || *inbox.Inbox.Edges[0].Node.Comment != "too high for a quarter" {
			t.Errorf("rep's inbox %+v", inbox)
		}
		revised := w.do(t, rep2, "reviseTarget", map[string]any{"targetId": p.ID, "expectedVersion": back.Version, "value": "2"})
		if revised.Status != "PROPOSED" || revised.Value.Value != "2" {
			t.Errorf("revised %+v", revised)
		}
		final := w.do(t, mgr, "approveTargetWithChanges", map[string]any{"targetId": p.ID, "expectedVersion": revised.Version,
			"value": "3", "comment": "the pipeline supports 3"})
		if final.Status != "APPROVED" || final.Value.Value != "3" || final.Revisions.TotalCount != 3 {
			t.Errorf("approved with changes %+v", final)
		}

		// A team's target is decided above the team: East has no parent, so
		// only an ADMIN decides it, and its own manager proposes it.
		team := w.do(t, mgr, "proposeTarget", map[string]any{"kpiID": deals, "teamID": w.east.ID,
			"period": map[string]any{"label": q4}, "value": "3"})
		w.fail(t, mgr, "FORBIDDEN", "approveTarget", map[string]any{"targetId": team.ID, "expectedVersion": team.Version})
		w.fail(t, rep2, "NOT_FOUND", "approveTarget", map[string]any{"targetId": team.ID, "expectedVersion": team.Version})
		w.do(t, admin, "approveTarget", map[string]any{"targetId": team.ID, "expectedVersion": team.Version})
		w.fail(t, rep2, "FORBIDDEN", "proposeTarget", map[string]any{"kpiID": deals, "teamID": w.east1.ID,
			"period": map[string]any{"label": q4}, "value": "3"})

		// The market factor scales what history predicts: East's team
		// history FY2026 Q4 1, Q1 3, Q2 1, Q3 0 gives (1 + 6 + 3 + 0) / 10 = 1.
		var sug struct {
			SuggestTarget struct {
				Suggested  *struct{ Value string }
				Assessment struct {
					Baseline     kpiNumber
					MarketFactor float64
					Expected     struct{ Value string }
				}
			}
		}
		suggest := `query($kpi: ID!, $scope: TargetScopeInput!) { suggestTarget(kpi: $kpi, scope: $scope, period: {label: "FY2028 Q1"}) {
			suggested { value } assessment { baseline { value } marketFactor expected { value } } } }`
		mgr.MustQuery(t, `mutation($team: ID!) { setMarketFactor(input: {teamID: $team, period: {label: "FY2028 Q1"}, factor: 1.6, comment: "new product"}) { factor period { label } } }`,
			map[string]any{"team": w.east.ID}, nil)
		mgr.MustQuery(t, suggest, map[string]any{"kpi": deals, "scope": map[string]any{"teamID": w.east.ID}}, &sug)
		sa := sug.SuggestTarget.Assessment
		if sa.MarketFactor != 1.6 {
			t.Errorf("suggestion %+v", sug.SuggestTarget)
		}
		// East's baseline 1 × 1.6: expected 1.6, a suggestion of a count is whole.
		if sug.SuggestTarget.Suggested == nil || sa.Expected.Value != "1.6" || sug.SuggestTarget.Suggested.Value != "2" {
			t.Errorf("suggested %+v for expected %v", sug.SuggestTarget.Suggested, sa.Expected)
		}
		// The sub-team East1 inherits East's factor.
		mgr.MustQuery(t, suggest, map[string]any{"kpi": deals, "scope": map[string]any{"teamID": w.east1.ID}}, &sug)
		if sug.SuggestTarget.Assessment.MarketFactor != 1.6 {
			t.Errorf("East1's market factor %v, want East's 1.6", sug.SuggestTarget.Assessment.MarketFactor)
		}
		rep2.MustFail(t, "FORBIDDEN", `mutation($team: ID!) { setMarketFactor(input: {teamID: $team, period: {label: "FY2028 Q1"}, factor: 2}) { factor } }`,
			map[string]any{"team": w.east1.ID})
		mgr.MustFail(t, "BAD_USER_INPUT", `mutation($team: ID!) { setMarketFactor(input: {teamID: $team, period: {label: "FY2028 Q1"}, factor: 50}) { factor } }`,
			map[string]any{"team": w.east.ID})
	})
}

// Concurrent conflicting decisions on one proposal have exactly one winner
// and leave exactly one event.
func TestConcurrentDecisionsHaveOneWinner(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		rep := s.As(t, w.r1)
		deciders := []*apitest.Server{s.As(t, w.mE), s.As(t, w.adm)}
		p := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": w.kpiID(t, "DEALS_CLOSED"), "userID": w.r1.ID,
			"period": map[string]any{"label": q4}, "value": "1"})
		before := s.Client.TargetEvent.Query().CountX(apitest.Sys())
		n := 50
		if s.Backend.Name == "sqlite" {
			n = 20 // one writer at a time: the contention is the same, the wait longer
		}
		actions := []string{"approveTarget", "rejectTarget", "requestTargetChanges"}
		var wg sync.WaitGroup
		outcomes := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := actions[i%len(actions)]
				r := deciders[i%2].Query(t, fmt.Sprintf(`mutation($in: TargetDecisionInput!) { %s(input: $in) { target { id } } }`, a),
					map[string]any{"in": map[string]any{"targetId": p.ID, "expectedVersion": p.Version, "comment": "decided"}})
				if len(r.Errors) == 0 {
					outcomes[i] = "OK"
				} else {
					outcomes[i] = r.Errors[0].Code()
				}
			}()
		}
		wg.Wait()
		won := 0
		for _, o := range outcomes {
			switch o {
			case "OK":
				won++
			case "CONFLICT", "INVALID_TRANSITION":
			default:
				t.Errorf("unexpected outcome %s", o)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d decisions won, want exactly 1: %v", won, n, outcomes)
		}
		if d := s.Client.TargetEvent.Query().CountX(apitest.Sys()) - before; d != 1 {
			t.Errorf("%d new events, want 1", d)
		}
		tg := s.Client.Target.GetX(apitest.Sys(), pulid.ID(p.ID))
		if tg.Version != p.Version+1 || tg.Status == enum.StatusProposed {
			t.Errorf("target after the race: version %d status %s", tg.Version, tg.Status)
		}
	})
}

func near[T ~float64](p *T, want float64) bool { return nearTo(p, want, 1e-9) }

func nearTo[T ~float64](p *T, want, within float64) bool {
	return p != nil && float64(*p) > want-within && float64(*p) < want+within
}

// kpiNumber reads a KPIValue selected as { value } as a number.
type kpiNumber float64

func (n *kpiNumber) UnmarshalJSON(b []byte) error {
	var v struct{ Value string }
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	f, err := strconv.ParseFloat(v.Value, 64)
	*n = kpiNumber(f)
	return err
}

const rampQuery = `query($kpi: ID!, $user: ID!, $value: Decimal!) { assessTarget(kpi: $kpi, scope: {userID: $user},
	period: {label: "FY2027 Q4"}, value: $value) { band baseline { value } expected { value } ratio
	ramp { tenureMonths share scaled rampedAfterMonths peers
		fullyRampedMedian { value } baseline { value } } } }`

type rampJSON struct {
	AssessTarget struct {
		Band               string
		Baseline, Expected *kpiNumber
		Ratio              *float64
		Ramp               *struct {
			TenureMonths, RampedAfterMonths, Peers int
			Share                                  float64
			Scaled                                 bool
			FullyRampedMedian, Baseline            *kpiNumber
		}
	}
}

// A rep with too little history borrows a baseline: the median of the
// baselines of their team's fully ramped reps, times the organization's
// ramp schedule's share for their month of tenure; with no fully ramped
// peer with data there is nothing to compare, and no band against zero.
func TestRampingRepBorrowsTheTeamsBaseline(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		sys := apitest.Sys()
		dealsClosed := w.kpiID(t, "DEALS_CLOSED")
		// r1, East's only other rep, hired 15 October 2025, is fully
		// ramped (3 months on the default schedule) from 15 January 2026:
		// of the comparable quarters before FY2027 Q4, FY2026 Q4 (from 1
		// November 2025) started before that and does not count; FY2027
		// Q1, Q2 and Q3 do, with 2, 1 and 0 deals at weights 2, 3 and 4: a
		// baseline of 7/9. The newbie, hired 15 September 2026, is in their
		// third month on 1 November (tenure 2): 75% of 7/9 = 7/12.
		s.Client.User.UpdateOne(w.r1).SetHiredAt(utc("2025-10-15T04:00:00Z")).ExecX(sys)
		newbie := s.User(t, w.org, "newbie@acme.test", "REP", w.east)
		s.Client.User.UpdateOne(newbie).SetHiredAt(utc("2026-09-15T04:00:00Z")).ExecX(sys)
		var r rampJSON
		s.As(t, newbie).MustQuery(t, rampQuery, map[string]any{"kpi": dealsClosed, "user": newbie.ID, "value": "1"}, &r)
		a := r.AssessTarget
		if a.Ramp == nil || a.Ramp.TenureMonths != 2 || a.Ramp.Share != 0.75 || !a.Ramp.Scaled || a.Ramp.RampedAfterMonths != 3 ||
			a.Ramp.Peers != 1 || !nearTo(a.Baseline, 7.0/12, 0.005) || !nearTo(a.Expected, 7.0/12, 0.005) {
			t.Fatalf("ramp %+v baseline %v expected %v", a.Ramp, a.Baseline, a.Expected)
		}
		// 1 against 7/12 is 1.71: UNREALISTIC.
		if a.Band != "UNREALISTIC" || a.Ratio == nil || *a.Ratio < 12.0/7-1e-9 || *a.Ratio > 12.0/7+1e-9 {
			t.Errorf("band %s ratio %v, want UNREALISTIC at 12/7", a.Band, a.Ratio)
		}
		// The schedule is the organization's: with [0.5, 1] r1 is ramped
		// from 15 November 2025 (FY2026 Q4 still does not count: it began
		// on 1 November) and the newbie, past one month, is too: 7/9.
		s.As(t, w.adm).MustQuery(t, updateSettings, map[string]any{"in": map[string]any{"rampSchedule": []float64{0.5, 1}}}, nil)
		s.As(t, newbie).MustQuery(t, rampQuery, map[string]any{"kpi": dealsClosed, "user": newbie.ID, "value": "1"}, &r)
		if a := r.AssessTarget; a.Ramp == nil || a.Ramp.Share != 1 || a.Ramp.RampedAfterMonths != 1 || !nearTo(a.Baseline, 7.0/9, 0.005) || a.Band != "STRETCH" {
			t.Errorf("with the schedule [0.5, 1]: ramp %+v baseline %v band %s", a.Ramp, a.Baseline, a.Band)
		}
		// With r1 hired on 1 September 2026, no peer is fully ramped before
		// the comparable quarters end: nothing to compare. The newbie's own
		// quarter (FY2027 Q3, no deal) gives an expected 0, and no band is
		// computed against zero.
		s.Client.User.UpdateOne(w.r1).SetHiredAt(utc("2026-09-01T04:00:00Z")).ExecX(sys)
		s.As(t, newbie).MustQuery(t, rampQuery, map[string]any{"kpi": dealsClosed, "user": newbie.ID, "value": "3"}, &r)
		if a := r.AssessTarget; a.Band != "INSUFFICIENT_HISTORY" || a.Ratio != nil {
			t.Errorf("no fully ramped peer: band %s ratio %v ramp %+v, want INSUFFICIENT_HISTORY", a.Band, a.Ratio, a.Ramp)
		}
		// Hired on 1 November, the newbie has no quarter of their own
		// either: the ramp says there is no peer, and there is no baseline.
		s.Client.User.UpdateOne(newbie).SetHiredAt(utc("2026-11-01T04:00:00Z")).ExecX(sys)
		s.As(t, newbie).MustQuery(t, rampQuery, map[string]any{"kpi": dealsClosed, "user": newbie.ID, "value": "3"}, &r)
		if a := r.AssessTarget; a.Band != "INSUFFICIENT_HISTORY" || a.Baseline != nil || a.Ramp == nil || a.Ramp.Peers != 0 ||
			a.Ramp.FullyRampedMedian != nil || a.Ramp.TenureMonths != 0 || a.Ramp.Share != 0.5 {
			t.Errorf("a new rep with no peer: band %s baseline %v ramp %+v", a.Band, a.Baseline, a.Ramp)
		}
	})
}

// When its period has ended (and the grace period with it), an approved
// target closes with its result frozen: later edits to the record no
// longer change what the API shows for it.
func TestPeriodCloseFreezesTheResult(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		engine := kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}
		then := workflow.NewServiceAt(engine, func() time.Time { return utc("2026-02-03T12:00:00Z") })
		rep := viewer.NewContext(context.Background(), viewer.New(w.r1.ID, w.org.ID, w.r1.Role, access.LoadScope(s.Client, w.r1.ID)))
		mgr := viewer.NewContext(context.Background(), viewer.New(w.mE.ID, w.org.ID, w.mE.Role, access.LoadScope(s.Client, w.mE.ID)))
		label := "FY2027 Q1"
		tg, err := then.Propose(rep, s.Client, workflow.NewTarget{KPI: w.kpiID(t, "DEALS_CLOSED"), User: &w.r1.ID,
			Period: kpi.PeriodRequest{Label: &label}, Value: "4"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := then.Act(mgr, s.Client, tg.ID, workflow.Approve, workflow.Decision{ExpectedVersion: tg.Version}); err != nil {
			t.Fatal(err)
		}
		now := workflow.NewService(engine)
		for i := 0; i < 2; i++ { // a second pass (another replica) finds nothing left
			n, err := now.ClosePeriods(apitest.Sys(), s.Client, w.org.ID)
			if err != nil || n != 1-i {
				t.Fatalf("pass %d closed %d: %v", i, n, err)
			}
		}
		read := func() (string, string) {
			var r struct {
				Node struct {
					Status     string
					Actual     struct{ Value string }
					Attainment float64
				}
			}
			s.As(t, w.r1).MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Target { status actual { value } attainment } } }`,
				map[string]any{"id": tg.ID}, &r)
			return r.Node.Status, fmt.Sprintf("%s %.2f", r.Node.Actual.Value, r.Node.Attainment)
		}
		// r1 won d1 and d2 in FY2027 Q1: 2 of 4.
		if status, got := read(); status != "CLOSED" || got != "2 0.50" {
			t.Fatalf("closed target: %s %s, want CLOSED 2 0.50", status, got)
		}
		// A late correction: the lost deal d3 was won after all.
		d3 := s.Client.Deal.Query().Where(deal.OwnerID(w.r1.ID), deal.StageEQ(deal.StageLost)).OnlyX(apitest.Sys())
		s.Client.Deal.UpdateOne(d3).SetStage(deal.StageWon).ExecX(apitest.Sys())
		if _, got := read(); got != "2 0.50" {
			t.Errorf("after a late edit the closed result reads %s, want it frozen at 2 0.50", got)
		}
	})
}

// A target's evidence is of completed periods only: for FY2028 Q1, asked
// for while FY2027 Q4 runs (test servers' now is 28 November 2026), the
// evidence is the four quarters up to FY2027 Q3, as for FY2027 Q4 itself,
// and not the few weeks of Q4 so far, which as the newest would weigh most.
func TestEvidenceIsOfCompletedPeriods(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		for _, label := range []string{q4, "FY2028 Q1", "FY2028 Q2"} {
			var r struct {
				SuggestTarget struct {
					Assessment struct {
						Baseline *kpiNumber
						Evidence []struct {
							Period string
							Value  *kpiNumber
							Weight float64
						}
					}
				}
			}
			s.As(t, w.r1).MustQuery(t, `query($kpi: ID!, $user: ID!, $label: String!) { suggestTarget(kpi: $kpi,
				scope: {userID: $user}, period: {label: $label}) { assessment { baseline { value } evidence { period value { value } weight } } } }`,
				map[string]any{"kpi": w.kpiID(t, "DEALS_CLOSED"), "user": w.r1.ID, "label": label}, &r)
			var got []string
			for _, e := range r.SuggestTarget.Assessment.Evidence {
				got = append(got, fmt.Sprintf("%s=%v×%v", e.Period, *e.Value, e.Weight))
			}
			// r1's wins: FY2026 Q4 1 (d8), FY2027 Q1 2, Q2 1 (d5), Q3 0.
			if s := strings.Join(got, " "); s != "FY2026 Q4=1×1 FY2027 Q1=2×2 FY2027 Q2=1×3 FY2027 Q3=0×4" ||
				!near(r.SuggestTarget.Assessment.Baseline, 0.8) {
				t.Errorf("%s: evidence %s, baseline %v", label, s, r.SuggestTarget.Assessment.Baseline)
			}
		}
	})
}

// A team's market factor moves only the KPIs the market acts on: counts
// and money by default, not durations and percentages; a KPI's own setting
// wins, and the assessment says what was applied.
func TestMarketFactorOnlyWhereTheMarketActs(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		s.As(t, w.mE).MustQuery(t, `mutation($team: ID!) { setMarketFactor(input: {teamID: $team, period: {label: "FY2027 Q4"},
			factor: 1.1, comment: "the market gives 10% more"}) { factor } }`, map[string]any{"team": w.east.ID}, nil)
		type assessment struct {
			Baseline, Expected             *kpiNumber
			MarketFactor, TeamMarketFactor float64
			MarketFactorApplies            bool
		}
		suggest := func(key string) assessment {
			var r struct {
				SuggestTarget struct{ Assessment assessment }
			}
			s.As(t, w.r1).MustQuery(t, `query($kpi: ID!, $user: ID!) { suggestTarget(kpi: $kpi, scope: {userID: $user}, period: {label: "FY2027 Q4"}) {
				assessment { baseline { value } expected { value } marketFactor teamMarketFactor marketFactorApplies } } }`,
				map[string]any{"kpi": w.kpiID(t, key), "user": w.r1.ID}, &r)
			return r.SuggestTarget.Assessment
		}
		// DEALS_CLOSED, a count: r1's baseline is 0.8 (TestProposeApproveAndAudit), expected 0.88.
		if a := suggest("DEALS_CLOSED"); !a.MarketFactorApplies || a.MarketFactor != 1.1 || a.TeamMarketFactor != 1.1 ||
			!near(a.Baseline, 0.8) || !near(a.Expected, 0.88) {
			t.Errorf("DEALS_CLOSED: %+v", a)
		}
		// SALES_CYCLE_LENGTH, in days: a bigger market does not lengthen it.
		if a := suggest("SALES_CYCLE_LENGTH"); a.MarketFactorApplies || a.MarketFactor != 1 || a.TeamMarketFactor != 1.1 ||
			a.Baseline == nil || !nearTo(a.Expected, float64(*a.Baseline), 1e-6) {
			t.Errorf("SALES_CYCLE_LENGTH: %+v", a)
		}
		// The KPI's own setting wins, both ways.
		var k struct {
			UpdateKpi struct {
				Kpi struct{ MarketFactorApplies bool }
			}
		}
		for key, applies := range map[string]bool{"DEALS_CLOSED": false, "SALES_CYCLE_LENGTH": true} {
			s.As(t, w.adm).MustQuery(t, `mutation($id: ID!, $on: Boolean!) { updateKPI(input: {id: $id, marketFactorApplies: $on}) {
				kpi { marketFactorApplies } } }`, map[string]any{"id": w.kpiID(t, key), "on": applies}, &k)
			if k.UpdateKpi.Kpi.MarketFactorApplies != applies {
				t.Errorf("%s: marketFactorApplies = %v after setting %v", key, k.UpdateKpi.Kpi.MarketFactorApplies, applies)
			}
		}
		if a := suggest("DEALS_CLOSED"); a.MarketFactorApplies || a.MarketFactor != 1 || !near(a.Expected, 0.8) {
			t.Errorf("DEALS_CLOSED, the factor switched off: %+v", a)
		}
		if a := suggest("SALES_CYCLE_LENGTH"); !a.MarketFactorApplies || a.MarketFactor != 1.1 || a.Baseline == nil ||
			!nearTo(a.Expected, float64(*a.Baseline)*1.1, 2e-6) {
			t.Errorf("SALES_CYCLE_LENGTH, the factor switched on: %+v", a)
		}
	})
}
