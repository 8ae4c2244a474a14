package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kpiflow/access"
	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/kpi"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

const rollupQuery = `query($team: ID!, $kpi: ID!) { teamRollup(team: $team, kpi: $kpi, period: {label: "FY2027 Q1"}) {
  actual { money { amount } } target { money { amount } }
  membersTargetSum { money { amount } } attainment frozen
  liveActual { money { amount } }
  members { user { email } actual { money { amount } } target { money { amount } }
    attainment frozen liveActual { money { amount } } } } }`

type moneyJSON *struct {
	Money struct{ Amount string }
}

type rolledJSON struct {
	Actual, Target, LiveActual moneyJSON
	Attainment                 *float64
	Frozen                     bool
}

func amountOf(m moneyJSON) string {
	if m == nil {
		return "-"
	}
	return m.Money.Amount
}

func (r rolledJSON) show() string {
	a := "-"
	if r.Attainment != nil {
		a = fmt.Sprintf("%.5f", *r.Attainment)
	}
	s := fmt.Sprintf("%s/%s %s", amountOf(r.Actual), amountOf(r.Target), a)
	if r.Frozen {
		s += " frozen, live " + amountOf(r.LiveActual)
	} else if r.LiveActual != nil {
		s += " live?"
	}
	return s
}

// A team's rollup shows the team's own target beside the sum of its
// members' approved targets, and each member's target (DESIGN.md §4);
// once the targets close, the rollup and the scorecard show the frozen
// actuals and attainments, with the live values beside them, labelled.
// Every figure is counted by hand from newKPIWorld's record.
func TestRollupTargetsAndFrozenResults(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		engine := kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}
		then := workflow.NewServiceAt(engine, func() time.Time { return utc("2026-02-03T12:00:00Z") })
		as := func(u *ent.User) context.Context {
			return viewer.NewContext(context.Background(), viewer.New(u.ID, w.org.ID, u.Role, access.LoadScope(s.Client, u.ID)))
		}
		revenue := w.kpiID(t, "REVENUE_WON")
		label := "FY2027 Q1"
		set := func(proposer, decider *ent.User, n workflow.NewTarget) {
			t.Helper()
			n.KPI, n.Period = revenue, kpi.PeriodRequest{Label: &label}
			tg, err := then.Propose(as(proposer), s.Client, n)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := then.Act(as(decider), s.Client, tg.ID, workflow.Approve, workflow.Decision{ExpectedVersion: tg.Version}); err != nil {
				t.Fatal(err)
			}
		}
		set(w.r1, w.mE, workflow.NewTarget{User: &w.r1.ID, Value: "20000.00"})
		set(w.r2, w.mE, workflow.NewTarget{User: &w.r2.ID, Value: "5000.00"})
		set(w.mE, w.adm, workflow.NewTarget{Team: &w.east.ID, Value: "30000.00"})
		// A target of West's, which East's rollup must not count.
		set(w.r3, w.adm, workflow.NewTarget{User: &w.r3.ID, Value: "1000.00"})

		read := func() (rolledJSON, string, map[string]string) {
			var r struct {
				TeamRollup struct {
					rolledJSON
					MembersTargetSum moneyJSON
					Members          []struct {
						rolledJSON
						User struct{ Email string }
					}
				}
			}
			s.As(t, w.mE).MustQuery(t, rollupQuery, map[string]any{"team": w.east.ID, "kpi": revenue}, &r)
			members := map[string]string{}
			for _, m := range r.TeamRollup.Members {
				members[m.User.Email] = m.show()
			}
			return r.TeamRollup.rolledJSON, amountOf(r.TeamRollup.MembersTargetSum), members
		}
		// FY2027 Q1, revenue won: East (with East1) d1 10,000.00 + d2
		// 5,000.00 + d4 7,000.50 = 22,000.50; r1 15,000.00; r2 7,000.50.
		team, sum, members := read()
		if got := team.show(); got != "22000.50/30000.00 0.73335" || sum != "25000.00" {
			t.Errorf("East: %s, members' targets %s; want 22000.50/30000.00 0.73335 and 25000.00", got, sum)
		}
		checkValues(t, "East's members", members, map[string]string{
			"r1@acme.test": "15000.00/20000.00 0.75000",
			"r2@acme.test": "7000.50/5000.00 1.40010",
		})

		// The quarter closes; then d1 (won, 10,000.00) turns out lost.
		if _, err := workflow.NewService(engine).ClosePeriods(apitest.Sys(), s.Client, w.org.ID); err != nil {
			t.Fatal(err)
		}
		d1 := s.Client.Deal.Query().Where(deal.OwnerID(w.r1.ID), deal.Amount(1_000_000)).OnlyX(apitest.Sys())
		s.Client.Deal.UpdateOne(d1).SetStage(deal.StageLost).ExecX(apitest.Sys())

		team, sum, members = read()
		if got := team.show(); got != "22000.50/30000.00 0.73335 frozen, live 12000.50" || sum != "25000.00" {
			t.Errorf("East after the close: %s, members' targets %s", got, sum)
		}
		checkValues(t, "East's members after the close", members, map[string]string{
			"r1@acme.test": "15000.00/20000.00 0.75000 frozen, live 5000.00",
			"r2@acme.test": "7000.50/5000.00 1.40010 frozen, live 7000.50",
		})
		// The scorecard beside the same targets reads the same.
		var sc struct {
			Scorecard struct {
				Results []struct {
					rolledJSON
					Kpi struct{ Key string }
				}
			}
		}
		for _, c := range []struct {
			as    *ent.User
			scope map[string]any
			want  string
		}{
			{w.mE, map[string]any{"teamID": w.east.ID}, "22000.50/30000.00 0.73335 frozen, live 12000.50"},
			{w.r1, map[string]any{"userID": w.r1.ID}, "15000.00/20000.00 0.75000 frozen, live 5000.00"},
			{w.adm, map[string]any{"organization": true}, "13000.50/- -"}, // no organization targets: live, d1 lost
		} {
			s.As(t, c.as).MustQuery(t, `query($scope: ScopeInput!) { scorecard(scope: $scope, period: {label: "FY2027 Q1"}) {
				results { kpi { key } actual { money { amount } } target { money { amount } }
				attainment frozen liveActual { money { amount } } } } }`, map[string]any{"scope": c.scope}, &sc)
			found := false
			for _, r := range sc.Scorecard.Results {
				if r.Kpi.Key == "REVENUE_WON" {
					found = true
					if got := r.show(); got != c.want {
						t.Errorf("scorecard of %v: REVENUE_WON %s, want %s", c.scope, got, c.want)
					}
				}
			}
			if !found {
				t.Errorf("scorecard of %v has no REVENUE_WON", c.scope)
			}
		}
	})
}
