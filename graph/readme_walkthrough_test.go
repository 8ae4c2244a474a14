package graph_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"kpiflow/apitest"
	"kpiflow/demo"
	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/target"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/graph"
	"kpiflow/kpi"
)

// walkthroughOp is one operation of a README walkthrough, with the user
// its comment signs in as.
type walkthroughOp struct {
	as, name, text string
	vars           []string
}

// readmeWalkthrough returns the operations of the first GraphQL block of
// the README section that contains marker, in order, each with the user
// of the last "# As <email>" comment before it.
func readmeWalkthrough(t *testing.T, section, marker string) []walkthroughOp {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n## "+section+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", section)
	}
	text = text[i+1:]
	if j := strings.Index(text[3:], "\n## "); j >= 0 {
		text = text[:j+3]
	}
	var block string
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(text, -1) {
		if strings.Contains(m[1], marker) {
			block = m[1]
			break
		}
	}
	if block == "" {
		t.Fatalf("no walkthrough block with %q in README's %s", marker, section)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	as := regexp.MustCompile(`^#\s*As (\S+@\S+?):`)
	var ops []walkthroughOp
	user := ""
	var cur []string
	flush := func() {
		src := strings.TrimSpace(strings.Join(cur, "\n"))
		cur = nil
		if src == "" {
			return
		}
		doc, errs := gqlparser.LoadQuery(schema, src)
		if errs != nil || len(doc.Operations) != 1 {
			t.Fatalf("README walkthrough operation does not validate: %v\n%s", errs, src)
		}
		op := walkthroughOp{as: user, name: doc.Operations[0].Name, text: src}
		for _, v := range doc.Operations[0].VariableDefinitions {
			op.vars = append(op.vars, v.Variable)
		}
		if op.as == "" || op.name == "" {
			t.Fatalf("a README walkthrough operation without a name or a user to sign in as:\n%s", src)
		}
		ops = append(ops, op)
	}
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			flush()
			if m := as.FindStringSubmatch(trimmed); m != nil {
				user = m[1]
			}
			continue
		}
		if strings.HasPrefix(trimmed, "query") || strings.HasPrefix(trimmed, "mutation") {
			flush()
		}
		cur = append(cur, line)
	}
	flush()
	return ops
}

// README's "Planning a quarter" walkthrough runs, operation by operation,
// as the users it names, against a seeded demo: none may fail, and what
// they show is the demo's plan (East under-covered, the region covered by
// its teams, a split summing to its target, a coherence check and the
// meetings step). The period is the demo's next quarter by its label (the
// README's {kind: QUARTER, offset: 1} on the real clock).
func TestReadmePlanningWalkthroughRuns(t *testing.T) {
	ops := readmeWalkthrough(t, "Planning a quarter", "query EastPlan")
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		sys := apitest.Sys()
		if _, err := demo.Seed(sys, s.Client, demo.Options{Seed: 1, Now: apitest.Now}); err != nil {
			t.Fatal(err)
		}
		org := s.Client.Organization.Query().OnlyX(sys)
		cal, err := kpi.NewCalendar(org.FiscalYearStartMonth, org.Timezone)
		if err != nil {
			t.Fatal(err)
		}
		region := s.Client.Team.Query().Where(team.ParentIDIsNil()).OnlyX(sys)
		planned := s.Client.Target.Query().Where(target.TeamID(region.ID), target.PeriodEndGT(apitest.Now)).
			Order(ent.Desc(target.FieldPeriodStart)).FirstX(sys)
		next, err := cal.Period(kpi.PeriodKind(planned.PeriodKind), planned.PeriodYear, planned.PeriodIndex)
		if err != nil {
			t.Fatal(err)
		}
		kpiID := func(key string) string {
			return string(s.Client.KPI.Query().Where(entkpi.Key(key)).OnlyIDX(sys))
		}
		vars := map[string]any{
			"period":      map[string]any{"label": next.Label()},
			"east":        string(s.Client.Team.Query().Where(team.Name("East")).OnlyIDX(sys)),
			"region":      string(region.ID),
			"revenue":     kpiID("REVENUE_WON"),
			"dealsClosed": kpiID("DEALS_CLOSED"),
			"dealSize":    kpiID("AVERAGE_DEAL_SIZE"),
			"rep":         string(s.Client.User.Query().Where(user.Email("rep@demo.kpiflow.test")).OnlyIDX(sys)),
		}
		results := map[string]json.RawMessage{}
		for _, op := range ops {
			u, err := s.Client.User.Query().Where(user.Email(op.as)).Only(sys)
			if err != nil {
				t.Fatalf("%s signs in as %s: %v", op.name, op.as, err)
			}
			given := map[string]any{}
			for _, v := range op.vars {
				val, ok := vars[v]
				if !ok {
					t.Fatalf("%s: the walkthrough test binds no $%s: bind it here and say in the README what it is", op.name, v)
				}
				given[v] = val
			}
			var data json.RawMessage
			s.As(t, u).MustQuery(t, op.text, given, &data)
			results[op.name] = data
			// What later operations take from this one.
			switch op.name {
			case "DraftDeals":
				var r struct {
					CreateTargetDraft struct{ Target struct{ ID string } }
				}
				decodeJSON(t, data, &r)
				vars["target"] = r.CreateTargetDraft.Target.ID
			case "MyDrafts":
				var r struct {
					Inbox struct {
						Edges []struct {
							Node struct {
								Target struct {
									Kpi   struct{ Key string }
									Value struct{ Value string }
								}
							}
						}
					}
				}
				decodeJSON(t, data, &r)
				for _, e := range r.Inbox.Edges {
					if e.Node.Target.Kpi.Key == "REVENUE_WON" {
						vars["value"] = e.Node.Target.Value.Value
					}
				}
			}
		}
		for _, name := range []string{"EastPlan", "EastInbox", "RegionPlan", "DraftDeals", "DryRun", "Allocate", "MyDrafts", "CheckDealSize", "WhatMyRevenueTakes"} {
			if results[name] == nil {
				t.Fatalf("the walkthrough no longer runs %s: %v", name, ops)
			}
		}
		checkWalkthrough(t, results)
	})
}

func decodeJSON(t *testing.T, data json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}

// checkWalkthrough checks what the walkthrough's answers show.
func checkWalkthrough(t *testing.T, results map[string]json.RawMessage) {
	t.Helper()
	var east struct {
		TeamRollup struct {
			Reconciliation struct {
				Basis      string
				TeamTarget struct{ ID, Status, AllocationMethod string }
				Coverage   float64
				Covered    bool
				Members    []struct {
					User   struct{ Email string }
					Target struct{ Status string }
				}
			}
		}
	}
	decodeJSON(t, results["EastPlan"], &east)
	r := east.TeamRollup.Reconciliation
	var statuses []string
	for _, m := range r.Members {
		statuses = append(statuses, m.Target.Status)
	}
	if r.Basis != "REPS" || r.TeamTarget.Status != "APPROVED" || r.TeamTarget.AllocationMethod != "HISTORY" ||
		r.Covered || r.Coverage <= 0 || r.Coverage >= 1 || len(r.Members) != 4 {
		t.Errorf("East's plan: %s", results["EastPlan"])
	}
	if !strings.Contains(string(results["EastInbox"]), `"reason":"TEAM_TARGET_UNCOVERED","target":{"id":"`+r.TeamTarget.ID+`"`) {
		t.Errorf("East's target not in its manager's inbox: %s", results["EastInbox"])
	}
	var region struct {
		TeamRollup struct {
			Reconciliation struct {
				Basis    string
				Covered  bool
				SubTeams []struct{ HistoricalShare float64 }
			}
		}
	}
	decodeJSON(t, results["RegionPlan"], &region)
	if rr := region.TeamRollup.Reconciliation; rr.Basis != "SUB_TEAMS" || !rr.Covered || len(rr.SubTeams) != 3 {
		t.Errorf("the region's plan: %s", results["RegionPlan"])
	}
	type shares struct {
		AllocateTeamTarget struct {
			Shares []struct {
				User       struct{ Email string }
				Value      struct{ Value string }
				Overridden bool
				Target     *struct{ Status string }
			}
		}
	}
	sum := func(name string) (float64, shares) {
		var a shares
		decodeJSON(t, results[name], &a)
		total := 0.0
		for _, sh := range a.AllocateTeamTarget.Shares {
			v, _ := strconv.ParseFloat(sh.Value.Value, 64)
			total += v
		}
		return total, a
	}
	if n, _ := sum("DryRun"); n != 60 {
		t.Errorf("the dry run sums to %v, not 60: %s", n, results["DryRun"])
	}
	var a shares
	var n float64
	if n, a = sum("Allocate"); n != 60 || len(a.AllocateTeamTarget.Shares) != 4 {
		t.Errorf("the allocation: %s", results["Allocate"])
	}
	for _, sh := range a.AllocateTeamTarget.Shares {
		if (sh.User.Email == "rep@demo.kpiflow.test") != sh.Overridden || sh.Target == nil || sh.Target.Status != "DRAFT" ||
			sh.User.Email == "rep@demo.kpiflow.test" && sh.Value.Value != "12" {
			t.Errorf("a share: %+v", sh)
		}
	}
	mine := string(results["MyDrafts"])
	if strings.Count(mine, `"reason":"SUBMIT_ALLOCATED_DRAFT"`) != 2 {
		t.Errorf("the rep's drafts to submit: %s", mine)
	}
	var check struct {
		AssessTarget struct {
			Coherence []struct {
				Previewed      string
				NumeratorValue struct{ Display string }
				Numerator      struct{ Kpi struct{ Key string } }
				Denominator    struct{ Kpi struct{ Key string } }
				Coherent       bool
				Difference     *float64
			}
		}
	}
	decodeJSON(t, results["CheckDealSize"], &check)
	if c := check.AssessTarget.Coherence; len(c) != 1 || c[0].Previewed != "RATIO" || c[0].Numerator.Kpi.Key != "REVENUE_WON" ||
		c[0].Denominator.Kpi.Key != "DEALS_CLOSED" || c[0].Difference == nil || math.IsNaN(*c[0].Difference) {
		t.Errorf("the deal size's coherence: %s", results["CheckDealSize"])
	}
	if !strings.Contains(string(results["WhatMyRevenueTakes"]), `"relation":"meetings held per closed deal"`) {
		t.Errorf("what the revenue takes has no meetings step: %s", results["WhatMyRevenueTakes"])
	}
	t.Logf("walkthrough: East %s, region %s", fmt.Sprint(statuses), results["RegionPlan"])
}
