package graph_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/graph"
)

// listsOfObjects are the fields that may return a plain list of objects
// rather than a connection, and why. Every other list of objects in the
// schema is a connection's edges (or nodes).
var listsOfObjects = map[string]string{
	// Relay's own: the objects of the IDs asked, in their order.
	"Query.nodes": "the objects of the IDs given, as many as given",
	// Computed whole, in one pass, and shown whole: a page of them would
	// compute them all again. Each of their elements is a Node, so a cache
	// keeps and updates them one by one.
	"Scorecard.results":  "one per enabled KPI of the organization, computed in one statement per record source",
	"KPITrend.points":    "one per period of the range asked, at most kpi.MaxTrendPeriods, the points of one chart",
	"TeamRollup.members": "the team's members side by side with the team's value and the sum of their targets, computed in one statement per source",
	"Target.history":     "one point per review of the target's period and its close: the points of one chart",
	// A bounded look back, newest first, read for a whole list at once.
	"Target.earlierTargets": "at most 24 earlier targets of the same scope, KPI and kind, newest first: the past an approver weighs, read for a whole list of targets in one statement",
	// Value objects of one answer, without identity.
	"TargetAssessment.evidence":       "the few completed periods behind one baseline, kept with the target",
	"TargetAssessment.coherence":      "the few ratio sets one target is part of in its scope and period, at most one per ratio KPI",
	"WhatItTakes.history":             "the few comparable periods behind the ratios (the realism check's, 4 by default)",
	"WhatItTakes.requirements":        "one per aggregate reached through the organization's few ratio KPIs",
	"TargetAssessment.whatItTakes":    "what whatItTakes gave for the proposed value, kept with it: one per aggregate reached",
	"ImportPayload.rejected":          "the rows one import refused, at most the rows it was given (1000)",
	"OrganizationSettings.minSamples": "one per KPI of the organization, part of its settings object",
	"Team.marketFactors":              "a team's newest few factors, at most 48 (first), loaded for a whole list of teams in one statement",
	// The parts of one computation, shown whole beside its sums.
	"AllocateTeamTargetPayload.shares":     "one per rep of the team, summing to the team target: a page of them would not add up",
	"AllocateTeamTargetPayload.teamShares": "one per direct sub-team, summing to the team target: a page of them would not add up",
	"TargetReconciliation.members":         "one per rep of the team, beside the sums of their targets, computed in one statement per source",
	"TargetReconciliation.subTeams":        "one per direct sub-team, beside the sum of their team targets, computed with the members' in one statement",
}

// Every field returning a list of objects is a connection, but for the
// few listed above: walked over the served schema, so that a new list
// fails here until it is a connection or listed with its reason.
func TestListsAreConnections(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	seen := map[string]bool{}
	for _, d := range schema.Types {
		if (d.Kind != ast.Object && d.Kind != ast.Interface) || d.BuiltIn || strings.HasPrefix(d.Name, "__") {
			continue
		}
		for _, f := range d.Fields {
			if f.Type.Elem == nil || strings.HasPrefix(f.Name, "__") {
				continue
			}
			switch schema.Types[f.Type.Name()].Kind {
			case ast.Object, ast.Interface, ast.Union:
			default:
				continue // lists of scalars and enums
			}
			name := d.Name + "." + f.Name
			if strings.HasSuffix(d.Name, "Connection") && (f.Name == "edges" || f.Name == "nodes") {
				continue
			}
			if _, ok := listsOfObjects[name]; ok {
				seen[name] = true
				continue
			}
			t.Errorf("%s returns %s, a plain list of objects: make it a connection (edges, pageInfo, totalCount), or list it with its reason in listsOfObjects", name, f.Type)
		}
	}
	for name := range listsOfObjects {
		if !seen[name] {
			t.Errorf("listsOfObjects names %s, which is not a list of objects (any more): take it out", name)
		}
	}
}
