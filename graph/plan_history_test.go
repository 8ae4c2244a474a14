package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/target"
	"kpiflow/ent/user"
	"kpiflow/enum"
)

// day is a UTC date of the fixtures.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

// closeDeal records a deal of the owner, credited to the team, closed on
// the day.
func (w *planWorld) closeDeal(t *testing.T, owner *ent.User, team *ent.Team, stage deal.Stage, minor int64, closed time.Time) {
	t.Helper()
	w.s.Client.Deal.Create().SetOwnerID(owner.ID).SetTeamID(team.ID).SetName("d").SetCustomerName("c").
		SetAmount(minor).SetStage(stage).SetOpenedAt(closed.AddDate(0, 0, -20)).SetClosedAt(closed).ExecX(apitest.Sys())
}

// holdMeetings records n meetings of the owner held on the day, of no deal.
func (w *planWorld) holdMeetings(t *testing.T, owner *ent.User, team *ent.Team, n int, held time.Time) {
	t.Helper()
	for i := 0; i < n; i++ {
		w.s.Client.Meeting.Create().SetOwnerID(owner.ID).SetTeamID(team.ID).SetKind("DEMO").
			SetScheduledAt(held).SetHeldAt(held).SetStatus("HELD").ExecX(apitest.Sys())
	}
}

// A region's target reaches its teams: allocated among the region's direct
// sub-teams (among: SUB_TEAMS), by the history credited to each sub-team
// and the teams below it, as DRAFT team targets their managers submit.
// Counted by hand over the comparable quarters FY2025 Q4 – FY2026 Q3:
// Sales North 600.00 (FY2026 Q3), Sales South 300.00 and 100.00 credited
// to its own sub-team South-1, so 600 : 400. 1,000.01 of the region is
// 600.006 and 400.004: the cent left goes to the larger remainder, North:
// 600.01 and 400.00.
func TestAllocateAmongSubTeams(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 0) // Sales: no reps, a region of teams
		north := w.sub
		south := s.Team(t, w.org, "Sales South", w.team.ID)
		south1 := s.Team(t, w.org, "South-1", south.ID)
		northManager := s.User(t, w.org, "north.manager@acme.test", user.RoleManager, nil)
		s.Manage(t, northManager, north)
		northRep := s.Client.User.Query().Where(user.Email("north@acme.test")).OnlyX(apitest.Sys())
		southRep := s.User(t, w.org, "south@acme.test", user.RoleRep, south1)
		w.closeDeal(t, northRep, north, deal.StageWon, 600_00, day(2026, 8, 10))
		w.closeDeal(t, southRep, south1, deal.StageWon, 300_00, day(2026, 5, 10))
		w.closeDeal(t, southRep, south1, deal.StageWon, 100_00, day(2026, 9, 10))
		w.closeDeal(t, southRep, south1, deal.StageWon, 999_00, day(2026, 10, 10)) // the running quarter: not history
		revenue := w.kpi(t, "REVENUE_WON")
		region := w.target(t, revenue, nil, &w.team.ID, 1_000_01, enum.StatusApproved)

		const q = `mutation($in: AllocateTeamTargetInput!) { allocateTeamTarget(input: $in) { among appliedMethod
			shares { user { email } } teamShares { team { name } value { value } weight overridden
			target { status allocationMethod allocatedFrom { id } proposer { email } team { name } } } } }`
		type share struct {
			Team       struct{ Name string }
			Value      struct{ Value string }
			Weight     float64
			Overridden bool
			Target     *struct {
				Status, AllocationMethod string
				AllocatedFrom            struct{ ID string }
				Proposer                 struct{ Email string }
				Team                     struct{ Name string }
			}
		}
		var out struct {
			AllocateTeamTarget struct {
				Among, AppliedMethod string
				Shares               []struct{}
				TeamShares           []share
			}
		}
		show := func() string {
			var parts []string
			for _, sh := range out.AllocateTeamTarget.TeamShares {
				p := fmt.Sprintf("%s %s %.2f %v", sh.Team.Name, sh.Value.Value, sh.Weight, sh.Overridden)
				if sh.Target != nil {
					p += fmt.Sprintf(" %s %s %s by %s", sh.Target.Status, sh.Target.AllocationMethod, sh.Target.Team.Name, sh.Target.Proposer.Email)
					if sh.Target.AllocatedFrom.ID != string(region.ID) {
						p += " from " + sh.Target.AllocatedFrom.ID
					}
				}
				parts = append(parts, p)
			}
			return out.AllocateTeamTarget.Among + " " + out.AllocateTeamTarget.AppliedMethod + ": " + strings.Join(parts, "; ")
		}
		mgr := s.As(t, w.manager)
		in := map[string]any{"targetId": region.ID, "method": "HISTORY", "among": "SUB_TEAMS", "dryRun": true}
		mgr.MustQuery(t, q, map[string]any{"in": in}, &out)
		if got, want := show(), "SUB_TEAMS HISTORY: Sales North 600.01 0.60 false; Sales South 400.00 0.40 false"; got != want {
			t.Errorf("dry run:\n got %s\nwant %s", got, want)
		}
		// By capacity: North has one fully ramped rep, South two (one in
		// South-1, one more here): 1 : 2, so 333.336… and 666.673…, the cent
		// to North's larger remainder: 333.34 and 666.67.
		s.User(t, w.org, "south2@acme.test", user.RoleRep, south1)
		in["method"] = "CAPACITY"
		mgr.MustQuery(t, q, map[string]any{"in": in}, &out)
		if got, want := show(), "SUB_TEAMS CAPACITY: Sales North 333.34 0.33 false; Sales South 666.67 0.67 false"; got != want {
			t.Errorf("by capacity:\n got %s\nwant %s", got, want)
		}
		// Equally: 500.005 each, the cent to the smaller team ID.
		in["method"] = "EQUAL"
		mgr.MustQuery(t, q, map[string]any{"in": in}, &out)
		want := "SUB_TEAMS EQUAL: Sales North 500.01 0.50 false; Sales South 500.00 0.50 false"
		if south.ID < north.ID {
			want = "SUB_TEAMS EQUAL: Sales South 500.01 0.50 false; Sales North 500.00 0.50 false"
		}
		if got := show(); got != want {
			t.Errorf("equally:\n got %s\nwant %s", got, want)
		}
		in["method"] = "HISTORY"
		// Overridden by team: South fixed at 100.00, the rest to North.
		in["overrides"] = []map[string]any{{"teamID": south.ID, "value": "100.00"}}
		mgr.MustQuery(t, q, map[string]any{"in": in}, &out)
		if got, want := show(), "SUB_TEAMS HISTORY: Sales North 900.01 1.00 false; Sales South 100.00 0.00 true"; got != want {
			t.Errorf("overridden:\n got %s\nwant %s", got, want)
		}
		// Refused: a rep's override among sub-teams, a team that is no
		// direct sub-team, and the reps of a team that has none.
		for _, c := range []struct {
			in    map[string]any
			field string
		}{
			{map[string]any{"targetId": region.ID, "method": "EQUAL", "among": "SUB_TEAMS", "overrides": []map[string]any{{"userID": northRep.ID, "value": "1"}}}, "overrides[0].userID"},
			{map[string]any{"targetId": region.ID, "method": "EQUAL", "among": "SUB_TEAMS", "overrides": []map[string]any{{"teamID": south1.ID, "value": "1"}}}, "overrides[0].teamID"},
			{map[string]any{"targetId": region.ID, "method": "EQUAL", "among": "SUB_TEAMS", "overrides": []map[string]any{{"teamID": south.ID, "userID": northRep.ID, "value": "1"}}}, "overrides[0]"},
			{map[string]any{"targetId": region.ID, "method": "EQUAL"}, "targetId"},
		} {
			e := mgr.MustFail(t, "BAD_USER_INPUT", q, map[string]any{"in": c.in})
			if e.Extensions["field"] != c.field {
				t.Errorf("%v: field %v, want %s (%s)", c.in, e.Extensions["field"], c.field, e.Message)
			}
		}
		if n := s.Client.Target.Query().Where(target.AllocatedFromID(region.ID)).CountX(apitest.Sys()); n != 0 {
			t.Fatalf("dry runs and refusals wrote %d drafts", n)
		}
		delete(in, "overrides")
		in["dryRun"] = false
		mgr.MustQuery(t, q, map[string]any{"in": in}, &out)
		// North's draft is its manager's to submit; South has no manager, so
		// the region's manager who allocated proposes it.
		if got, want := show(), "SUB_TEAMS HISTORY: Sales North 600.01 0.60 false DRAFT HISTORY Sales North by north.manager@acme.test; "+
			"Sales South 400.00 0.40 false DRAFT HISTORY Sales South by manager@acme.test"; got != want {
			t.Errorf("written:\n got %s\nwant %s", got, want)
		}
		// Again, now that both sub-teams have an open team target: refused,
		// unless a sub-team is overridden with its target's value, which
		// keeps it; another value is refused on that override.
		if e := mgr.MustFail(t, "CONFLICT", q, map[string]any{"in": in}); !strings.Contains(e.Message, "Sales North (600.01, DRAFT)") ||
			!strings.Contains(e.Message, "Sales South (400.00, DRAFT)") {
			t.Errorf("a second allocation among sub-teams: %s", e.Message)
		}
		e := mgr.MustFail(t, "BAD_USER_INPUT", q, map[string]any{"in": map[string]any{"targetId": region.ID, "method": "HISTORY", "among": "SUB_TEAMS",
			"overrides": []map[string]any{{"teamID": north.ID, "value": "600.01"}, {"teamID": south.ID, "value": "300"}}}})
		if e.Extensions["field"] != "overrides[1].value" {
			t.Errorf("an override other than the sub-team's target: %v %s", e.Extensions["field"], e.Message)
		}
		var kept struct {
			AllocateTeamTarget struct {
				TeamShares []struct {
					Team   struct{ Name string }
					Kept   bool
					Target *struct{ ID string }
				}
			}
		}
		mgr.MustQuery(t, `mutation($in: AllocateTeamTargetInput!) { allocateTeamTarget(input: $in) { teamShares { team { name } kept target { id } } } }`,
			map[string]any{"in": map[string]any{"targetId": region.ID, "method": "HISTORY", "among": "SUB_TEAMS",
				"overrides": []map[string]any{{"teamID": north.ID, "value": "600.01"}, {"teamID": south.ID, "value": "400"}}}}, &kept)
		for _, sh := range kept.AllocateTeamTarget.TeamShares {
			if !sh.Kept || sh.Target == nil {
				t.Errorf("%s keeps its target: %+v", sh.Team.Name, sh)
			}
		}
		if n := s.Client.Target.Query().Where(target.AllocatedFromID(region.ID)).CountX(apitest.Sys()); n != 2 {
			t.Fatalf("keeping both sub-teams' targets: %d drafts, want the 2 of the first allocation", n)
		}
		northDraft := s.Client.Target.Query().Where(target.AllocatedFromID(region.ID), target.TeamID(north.ID)).OnlyIDX(apitest.Sys())
		if got := w.reasons(t, northManager, northDraft); fmt.Sprint(got) != fmt.Sprint([]string{"SUBMIT_ALLOCATED_DRAFT " + string(northDraft)}) {
			t.Errorf("North's manager's inbox: %v", got)
		}
		// The region reconciled against its sub-teams: its members' targets
		// are theirs.
		var rec reconciliationJSON
		const rq = `query($team: ID!, $kpi: ID!) { teamRollup(team: $team, kpi: $kpi, period: {label: "FY2027 Q1"}) {
			reconciliation { teamTarget { id } basis approved { value } proposed { value } drafts { value } gap { value }
			coverage openCoverage covered tolerance subTeamsSum { value } subTeamsCoverage
			members { user { email } target { id status } share historicalShare }
			subTeams { team { name } target { id } share historicalShare } } } }`
		var basis struct {
			TeamRollup struct{ Reconciliation struct{ Basis string } }
		}
		vars := map[string]any{"team": w.team.ID, "kpi": revenue.ID}
		mgr.MustQuery(t, rq, vars, &rec)
		mgr.MustQuery(t, rq, vars, &basis)
		r := rec.TeamRollup.Reconciliation
		got := fmt.Sprintf("%s approved %s proposed %s drafts %s gap %s coverage %s open %s covered %v subteams %s",
			basis.TeamRollup.Reconciliation.Basis, r.Approved.Value, r.Proposed.Value, r.Drafts.Value, r.Gap.Value,
			f(r.Coverage), f(r.OpenCoverage), *r.Covered, r.SubTeamsSum.Value)
		if want := "SUB_TEAMS approved 0.00 proposed 0.00 drafts 1000.01 gap 1000.01 coverage 0 open 1 covered false subteams 1000.01"; got != want {
			t.Errorf("the region's reconciliation:\n got %s\nwant %s", got, want)
		}
		var hist []string
		var subHist struct {
			TeamRollup struct {
				Reconciliation struct {
					SubTeams []struct {
						Team            struct{ Name string }
						HistoricalShare *float64
					}
				}
			}
		}
		mgr.MustQuery(t, rq, vars, &subHist)
		for _, st := range subHist.TeamRollup.Reconciliation.SubTeams {
			hist = append(hist, st.Team.Name+" "+f(st.HistoricalShare))
		}
		if fmt.Sprint(hist) != "[Sales North 0.6 Sales South 0.4]" {
			t.Errorf("sub-teams' historical shares: %v", hist)
		}
		if got := w.reasons(t, w.manager, region.ID); len(got) != 1 {
			t.Errorf("the region's target, uncovered, in its manager's inbox: %v", got)
		}
		// Once both sub-teams' targets are approved the region is covered:
		// out of its manager's inbox.
		s.Client.Target.Update().Where(target.AllocatedFromID(region.ID)).SetStatus(enum.StatusApproved).ExecX(apitest.Sys())
		if got := w.reasons(t, w.manager, region.ID); len(got) != 0 {
			t.Errorf("the region's target, covered by its sub-teams, in its manager's inbox: %v", got)
		}
		mgr.MustQuery(t, rq, vars, &rec)
		if r := rec.TeamRollup.Reconciliation; r.Approved.Value != "1000.01" || !*r.Covered {
			t.Errorf("covered by the sub-teams: approved %s covered %v", r.Approved.Value, *r.Covered)
		}
	})
}

// History counts a rep's periods only from their hire: a period that ended
// before it is none of theirs, not a zero. Counted by hand over the
// comparable quarters FY2025 Q4 – FY2026 Q3 of FY2027 Q1: old (hired in
// 2024) won 1,000.00 in each; new (hired 1 May 2026) won 1,500.00 in
// FY2026 Q2 and 500.00 in Q3: a mean of 1,000.00 over their two quarters,
// like old's over four (not 500.00 over four). 3,000.01 by HISTORY is
// 1,500.00 each and the cent to the smaller ID.
//
// What 10,000.00 of revenue takes of new, over their two quarters: won 2
// and 1 (1,500.00 and 500.00), lost 1 and 2, 4 and 7 meetings held (of no
// deal). Average deal size 2,000.00 ÷ 3 = 666.67: 15 deals won; win rate
// 3 ÷ 6 = 50%: 30 deals closed; meetings per closed deal 11 ÷ 6 = 1.83:
// 30 × 11 ÷ 6 = 55 meetings held, above the best quarter's 7 (typical 5.5,
// the median of two quarters, not 2 of four with two zeros); none of them
// on a won deal: 0.
func TestHistoryCountsPeriodsFromHire(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 0)
		old := s.User(t, w.org, "old@acme.test", user.RoleRep, w.team)
		recent := s.User(t, w.org, "new@acme.test", user.RoleRep, w.team)
		s.Client.User.UpdateOne(recent).SetHiredAt(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)).ExecX(apitest.Sys())
		for _, d := range []time.Time{day(2025, 11, 10), day(2026, 2, 10), day(2026, 5, 10), day(2026, 8, 10)} {
			w.closeDeal(t, old, w.team, deal.StageWon, 1_000_00, d)
		}
		w.closeDeal(t, recent, w.team, deal.StageWon, 1_000_00, day(2026, 5, 12))
		w.closeDeal(t, recent, w.team, deal.StageWon, 500_00, day(2026, 6, 2))
		w.closeDeal(t, recent, w.team, deal.StageLost, 700_00, day(2026, 6, 3))
		w.closeDeal(t, recent, w.team, deal.StageWon, 500_00, day(2026, 8, 12))
		w.closeDeal(t, recent, w.team, deal.StageLost, 200_00, day(2026, 8, 13))
		w.closeDeal(t, recent, w.team, deal.StageLost, 200_00, day(2026, 9, 13))
		w.holdMeetings(t, recent, w.team, 4, day(2026, 5, 20))
		w.holdMeetings(t, recent, w.team, 7, day(2026, 8, 20))
		revenue := w.kpi(t, "REVENUE_WON")
		tt := w.target(t, revenue, nil, &w.team.ID, 3_000_01, enum.StatusApproved)
		a := w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "HISTORY", "dryRun": true})
		want := map[string]string{old.Email: "1500.00", recent.Email: "1500.00"}
		if old.ID < recent.ID {
			want[old.Email] = "1500.01"
		} else {
			want[recent.Email] = "1500.01"
		}
		for _, sh := range a.AllocateTeamTarget.Shares {
			if sh.Value.Value != want[sh.User.Email] || sh.Weight != 0.5 {
				t.Errorf("%s: %s (weight %v), want %s (0.5)", sh.User.Email, sh.Value.Value, sh.Weight, want[sh.User.Email])
			}
		}
		var rec reconciliationJSON
		s.As(t, w.manager).MustQuery(t, reconcileQuery, map[string]any{"team": w.team.ID, "kpi": revenue.ID}, &rec)
		for _, m := range rec.TeamRollup.Reconciliation.Members {
			if f(m.HistoricalShare) != "0.5" {
				t.Errorf("%s's historical share %s, want 0.5", m.User.Email, f(m.HistoricalShare))
			}
		}

		const tq = `query($kpi: ID!, $scope: TargetScopeInput!, $value: Decimal!) {
			whatItTakes(kpi: $kpi, scope: $scope, period: {label: "FY2027 Q1"}, value: $value) {
			history { label } requirements { kpi { key } name via { key } relation from historicalRatio { value }
			required { value } best { value } typical { value } exceedsBest } } }`
		var r takesJSON
		s.As(t, recent).MustQuery(t, tq, map[string]any{"kpi": revenue.ID, "scope": map[string]any{"userID": recent.ID}, "value": "10000"}, &r)
		var labels []string
		for _, p := range r.WhatItTakes.History {
			labels = append(labels, p.Label)
		}
		if fmt.Sprint(labels) != "[FY2026 Q2 FY2026 Q3]" {
			t.Errorf("new's history: %v", labels)
		}
		wantTakes := []string{
			"DEALS_CLOSED(DEALS_CLOSED) via AVERAGE_DEAL_SIZE from REVENUE_WON: ratio 666.67 required 15 best 2 typical 1.5 exceeds true",
			"WIN_RATE denominator(-) via WIN_RATE from DEALS_CLOSED: ratio 50 required 30 best 3 typical 3 exceeds true",
			"MEETINGS_HELD(MEETINGS_HELD) via meetings held per closed deal from WIN_RATE denominator: ratio 1.83 required 55 best 7 typical 5.5 exceeds true",
			"MEETING_CONVERSION_RATE numerator(-) via MEETING_CONVERSION_RATE from MEETINGS_HELD: ratio 0 required 0 best 0 typical 0 exceeds false",
		}
		if got := r.show(); strings.Join(got, "\n") != strings.Join(wantTakes, "\n") {
			t.Errorf("what it takes of new:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantTakes, "\n"))
		}
	})
}

// assessTarget checks the value it previews against the scope's other open
// targets of the period, as a submitted target's assessment does, the
// value standing for any open target of its KPI there. By hand: revenue
// 1,000,000.00 and 10 deals imply an average deal size of 100,000.00, so
// 50,000.00 differs by −50%; 20 deals previewed instead of the 10 (with
// 50,000.00 a deal) imply 50,000.00: coherent.
func TestAssessTargetPreviewsCoherence(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 1)
		rep := w.reps[0]
		rev := w.target(t, w.kpi(t, "REVENUE_WON"), &rep.ID, nil, 1_000_000_00, enum.StatusApproved)
		deals := w.target(t, w.kpi(t, "DEALS_CLOSED"), &rep.ID, nil, 10, enum.StatusProposed)
		w.target(t, w.kpi(t, "WIN_RATE"), &rep.ID, nil, 50, enum.StatusProposed) // its denominator has no KPI: no set
		const q = `query($kpi: ID!, $user: ID!, $value: Decimal!) { assessTarget(kpi: $kpi, scope: {userID: $user},
			period: {label: "FY2027 Q1"}, value: $value) { band coherence { ratio { id } numerator { id } denominator { id }
			previewed ratioValue { value } numeratorValue { value } denominatorValue { value } implied { value } difference coherent } } }`
		type part struct{ ID string }
		var out struct {
			AssessTarget struct {
				Coherence []struct {
					Ratio, Numerator, Denominator                *part
					Previewed                                    *string
					RatioValue, NumeratorValue, DenominatorValue valueJSON
					Implied                                      *valueJSON
					Difference                                   *float64
					Coherent                                     bool
				}
			}
		}
		id := func(p *part) string {
			if p == nil {
				return "-"
			}
			return p.ID
		}
		show := func() []string {
			var lines []string
			for _, c := range out.AssessTarget.Coherence {
				lines = append(lines, fmt.Sprintf("%s %s/%s previewed %s: %s = %s / %s implied %s diff %.4f coherent %v",
					id(c.Ratio), id(c.Numerator), id(c.Denominator), *c.Previewed, c.RatioValue.Value, c.NumeratorValue.Value,
					c.DenominatorValue.Value, c.Implied.Value, *c.Difference, c.Coherent))
			}
			return lines
		}
		as := s.As(t, rep)
		as.MustQuery(t, q, map[string]any{"kpi": w.kpi(t, "AVERAGE_DEAL_SIZE").ID, "user": rep.ID, "value": "50000"}, &out)
		want := []string{fmt.Sprintf("- %s/%s previewed RATIO: 50000.00 = 1000000.00 / 10 implied 100000.00 diff -0.5000 coherent false", rev.ID, deals.ID)}
		if got := show(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("previewing the ratio:\n got %v\nwant %v", got, want)
		}
		ads := w.target(t, w.kpi(t, "AVERAGE_DEAL_SIZE"), &rep.ID, nil, 50_000_00, enum.StatusDraft)
		as.MustQuery(t, q, map[string]any{"kpi": w.kpi(t, "DEALS_CLOSED").ID, "user": rep.ID, "value": "20"}, &out)
		want = []string{fmt.Sprintf("%s %s/- previewed DENOMINATOR: 50000.00 = 1000000.00 / 20 implied 50000.00 diff 0.0000 coherent true", ads.ID, rev.ID)}
		if got := show(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("previewing a part:\n got %v\nwant %v", got, want)
		}
		// A KPI in no set with the scope's targets: none.
		as.MustQuery(t, q, map[string]any{"kpi": w.kpi(t, "MEETINGS_HELD").ID, "user": rep.ID, "value": "20"}, &out)
		if len(out.AssessTarget.Coherence) != 0 {
			t.Errorf("MEETINGS_HELD previewed: %v", show())
		}
	})
}

// What it takes at ratios given instead of the history's, by hand, for
// the rep of TestHistoryCountsPeriodsFromHire: 10,000.00 at 2,500.00 a
// deal is 4 deals won; at a 40% win rate 10 deals closed; at 3 meetings
// per closed deal 30 meetings held; the ratio not given (meetings on won
// deals, 0 in the history) is the history's. Bad ratios are refused with
// the field named.
func TestWhatItTakesAtGivenRatios(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 0)
		rep := s.User(t, w.org, "new@acme.test", user.RoleRep, w.team)
		w.closeDeal(t, rep, w.team, deal.StageWon, 1_000_00, day(2026, 5, 12))
		w.closeDeal(t, rep, w.team, deal.StageLost, 700_00, day(2026, 6, 3))
		w.holdMeetings(t, rep, w.team, 4, day(2026, 5, 20))
		const q = `query($kpi: ID!, $scope: TargetScopeInput!, $ratios: [GivenRatioInput!], $meetings: Decimal) {
			whatItTakes(kpi: $kpi, scope: $scope, period: {label: "FY2027 Q1"}, value: "10000", ratios: $ratios, meetingsPerClosedDeal: $meetings) {
			requirements { name historicalRatio { value } givenRatio { value } required { value } } } }`
		vars := map[string]any{"kpi": w.kpi(t, "REVENUE_WON").ID, "scope": map[string]any{"userID": rep.ID},
			"ratios":   []map[string]any{{"kpi": w.kpi(t, "AVERAGE_DEAL_SIZE").ID, "value": "2500"}, {"kpi": w.kpi(t, "WIN_RATE").ID, "value": "40"}},
			"meetings": "3"}
		var out struct {
			WhatItTakes struct {
				Requirements []struct {
					Name                                  string
					HistoricalRatio, GivenRatio, Required *valueJSON
				}
			}
		}
		as := s.As(t, rep)
		as.MustQuery(t, q, vars, &out)
		v := func(x *valueJSON) string {
			if x == nil {
				return "-"
			}
			return x.Value
		}
		var got []string
		for _, r := range out.WhatItTakes.Requirements {
			got = append(got, fmt.Sprintf("%s: history %s given %s required %s", r.Name, v(r.HistoricalRatio), v(r.GivenRatio), v(r.Required)))
		}
		want := []string{
			"DEALS_CLOSED: history 1000.00 given 2500.00 required 4",
			"WIN_RATE denominator: history 50 given 40 required 10",
			"MEETINGS_HELD: history 2 given 3 required 30",
			"MEETING_CONVERSION_RATE numerator: history 0 given - required 0",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("at given ratios:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, c := range []struct {
			ratios   []map[string]any
			meetings any
			field    string
		}{
			{[]map[string]any{{"kpi": w.kpi(t, "REVENUE_WON").ID, "value": "1"}}, nil, "ratios[0].kpi"},
			{[]map[string]any{{"kpi": w.kpi(t, "WIN_RATE").ID, "value": "0"}}, nil, "ratios[0].value"},
			{[]map[string]any{{"kpi": w.kpi(t, "WIN_RATE").ID, "value": "101"}}, nil, "ratios[0].value"},
			{[]map[string]any{{"kpi": w.kpi(t, "WIN_RATE").ID, "value": "40"}, {"kpi": w.kpi(t, "WIN_RATE").ID, "value": "41"}}, nil, "ratios[1]"},
			{[]map[string]any{{"kpi": w.kpi(t, "AVERAGE_DEAL_SIZE").ID, "value": "0.001"}}, nil, "ratios[0].value"},
			{nil, "0", "meetingsPerClosedDeal"},
		} {
			bad := map[string]any{"kpi": vars["kpi"], "scope": vars["scope"], "ratios": c.ratios, "meetings": c.meetings}
			e := as.MustFail(t, "BAD_USER_INPUT", q, bad)
			if e.Extensions["field"] != c.field {
				t.Errorf("%v %v: field %v, want %s (%s)", c.ratios, c.meetings, e.Extensions["field"], c.field, e.Message)
			}
		}
	})
}

// A move to another team is dated (User.teamJoinedAt), by updateUser or by
// updateTeam's addMemberIDs, not for a member already in the team; and
// the rep's history in the team counts from it. By hand: old won 1,000.00
// in the team in each of FY2025 Q4 – FY2026 Q3; moved (hired in 2024,
// joined on 1 May 2026) won 1,000.00 in it in FY2026 Q2 and Q3: both weigh
// 1,000.00 a quarter, so 2,000.01 is 1,000.00 each and the cent to the
// smaller ID (by their hire alone, moved would weigh 500.00 a quarter).
func TestHistoryInATeamCountsFromJoiningIt(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newPlanWorld(t, s, "Acme", "USD", 0)
		other := s.Team(t, w.org, "Elsewhere", "")
		old := s.User(t, w.org, "old@acme.test", user.RoleRep, w.team)
		moved := s.User(t, w.org, "moved@acme.test", user.RoleRep, other)
		third := s.User(t, w.org, "third@acme.test", user.RoleRep, other)
		admin := s.As(t, w.adm)
		joined := func(u *ent.User) *time.Time {
			return s.Client.User.GetX(apitest.Sys(), u.ID).TeamJoinedAt
		}
		if joined(moved) != nil {
			t.Fatalf("a user created in a team joined it at their hire: %v", joined(moved))
		}
		before := time.Now().Add(-time.Minute)
		admin.MustQuery(t, `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { teamJoinedAt } } }`,
			map[string]any{"in": map[string]any{"id": moved.ID, "teamID": w.team.ID}}, nil)
		admin.MustQuery(t, updateTeam, map[string]any{"in": map[string]any{"id": w.team.ID, "addMemberIDs": []any{third.ID, old.ID}}}, nil)
		for _, u := range []*ent.User{moved, third} {
			if j := joined(u); j == nil || j.Before(before) {
				t.Errorf("%s moved: joined %v", u.Email, j)
			}
		}
		if j := joined(old); j != nil {
			t.Errorf("old, already a member, re-added: joined %v", j)
		}
		s.Client.User.DeleteOneID(third.ID).ExecX(apitest.Sys())
		s.Client.User.UpdateOneID(moved.ID).SetTeamJoinedAt(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)).ExecX(apitest.Sys())
		for _, d := range []time.Time{day(2025, 11, 10), day(2026, 2, 10), day(2026, 5, 10), day(2026, 8, 10)} {
			w.closeDeal(t, old, w.team, deal.StageWon, 1_000_00, d)
		}
		w.closeDeal(t, moved, other, deal.StageWon, 5_000_00, day(2026, 2, 12)) // before the move, for the other team
		w.closeDeal(t, moved, w.team, deal.StageWon, 1_000_00, day(2026, 5, 12))
		w.closeDeal(t, moved, w.team, deal.StageWon, 1_000_00, day(2026, 8, 12))
		tt := w.target(t, w.kpi(t, "REVENUE_WON"), nil, &w.team.ID, 2_000_01, enum.StatusApproved)
		a := w.allocate(t, w.manager, map[string]any{"targetId": tt.ID, "method": "HISTORY", "dryRun": true})
		want := map[string]string{old.Email: "1000.00", moved.Email: "1000.00"}
		if old.ID < moved.ID {
			want[old.Email] = "1000.01"
		} else {
			want[moved.Email] = "1000.01"
		}
		if len(a.AllocateTeamTarget.Shares) != 2 {
			t.Fatalf("shares: %+v", a.AllocateTeamTarget.Shares)
		}
		for _, sh := range a.AllocateTeamTarget.Shares {
			if sh.Value.Value != want[sh.User.Email] || sh.Weight != 0.5 {
				t.Errorf("%s: %s (weight %v), want %s (0.5)", sh.User.Email, sh.Value.Value, sh.Weight, want[sh.User.Email])
			}
		}
	})
}
