package graph_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/graph"
)

// floatRatios are the only Float fields of the schema, by field name (a
// where input's predicates, such as paceGT, go by their field's name):
// unit-less numbers, each described as a ratio, and one measurement.
// Money and values in a KPI's unit are never Float: they are Money,
// Decimal or KPIValue.
var floatRatios = map[string]string{
	"attainment":              "actual against target: 1 = 100%",
	"finalAttainment":         "attainment frozen at a period's close",
	"pace":                    "progress against the share of the target due: 1 = on pace",
	"ratio":                   "proposed against expected in a realism check",
	"difference":              "a ratio target against what its parts imply: (target − implied) ÷ implied",
	"marketFactor":            "a multiplier of expected values",
	"teamMarketFactor":        "the team's multiplier, applied or not",
	"factor":                  "a market factor",
	"weight":                  "the relative weight of a period of evidence",
	"share":                   "the ramp schedule's share of a fully ramped rep's value",
	"rampSchedule":            "shares of a fully ramped rep's value by month of tenure",
	"belowBaseline":           "a band bound: proposed against expected",
	"realistic":               "a band bound: proposed against expected",
	"stretch":                 "a band bound: proposed against expected",
	"bestEverFactor":          "a multiplier of the best period ever",
	"change":                  "a review's projection against the target beyond which it suggests a change",
	"minElapsed":              "the share of a period elapsed before a review suggests a change",
	"onTrack":                 "a pace bound: 1 = 100% of pace",
	"atRisk":                  "a pace bound: 1 = 100% of pace",
	"coverage":                "members' approved targets against the team target: 1 = covered",
	"openCoverage":            "members' open targets against the team target",
	"subTeamsCoverage":        "sub-teams' targets against the parent's",
	"historicalShare":         "a rep's share of the team's past value",
	"tolerance":               "how far above a team target its members' may sum, or the largest |difference| of a coherent set: a share",
	"reconciliationTolerance": "how far above a team target its members' may sum, a share of it",
	// Not ratios, each described by its unit:
	"cycleDays":       "one deal's sales cycle in days, named with its unit (a measurement of a record, not a KPI value)",
	"KPIValue.number": "a KPI value's number for charts, beside its exact Decimal value and its Money",
}

// intAllowed are Int fields whose names contain a word of money or of a
// KPI value without being one.
var intAllowed = map[string]string{
	"expectedVersion": "a target's version counter (optimistic locking), not an expected value",
}

// moneyWords are the words of a field's name that say money or a value in
// a unit; moneyPhrases the same in a description.
var (
	moneyWords   = map[string]bool{"amount": true, "money": true, "price": true, "revenue": true, "cost": true, "value": true, "baseline": true, "projection": true, "median": true, "proposed": true, "sum": true, "minor": true, "actual": true, "expected": true, "best": true, "target": true, "cents": true}
	moneyPhrases = regexp.MustCompile(`(?i)money|amount|minor unit|currency|in the KPI's unit|cents`)
	nameWords    = regexp.MustCompile(`[A-Z]?[a-z]+|[A-Z]+`)
	wherePreds   = regexp.MustCompile(`(NEQ|GTE|GT|LTE|LT|NotIn|In)$`)
)

// numberField is a Float or Int field, input field or argument of the
// served schema.
type numberField struct {
	where, name, description, typ string
	derived                       bool // a generated where-input predicate of another field
}

func numberFields(s *ast.Schema) []numberField {
	var out []numberField
	add := func(where, name, description string, t *ast.Type, derived bool) {
		if n := t.Name(); n == "Float" || n == "Int" {
			out = append(out, numberField{where, name, description, n, derived})
		}
	}
	names := make([]string, 0, len(s.Types))
	for n := range s.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, tn := range names {
		def := s.Types[tn]
		if strings.HasPrefix(tn, "__") || def.BuiltIn {
			continue
		}
		where := strings.HasSuffix(tn, "WhereInput")
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			name := f.Name
			if where {
				name = wherePreds.ReplaceAllString(name, "")
			}
			add(tn+"."+f.Name, name, f.Description, f.Type, where)
			for _, a := range f.Arguments {
				add(tn+"."+f.Name+"("+a.Name+")", a.Name, a.Description, a.Type, false)
			}
		}
	}
	return out
}

// Money is never a number (DESIGN §3), and no number of the schema is a
// value in a unit: every Float is a documented ratio of floatRatios, and no
// Int is named or described as money or a KPI value. Enumerated from the
// served schema, so a new field is checked as it is added.
func TestNoMoneyOrValueIsANumber(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	fields := numberFields(s)
	if len(fields) < 50 {
		t.Fatalf("only %d Float and Int fields found", len(fields))
	}
	seen := map[string]bool{}
	for _, f := range fields {
		// Paging arguments and a where input's predicates of another
		// type's field are named for what they count.
		if f.typ == "Float" {
			key := f.where
			reason, ok := floatRatios[key]
			if !ok {
				key = f.name
				reason, ok = floatRatios[key]
			}
			seen[key] = seen[key] || ok
			d := strings.ToLower(f.description)
			switch {
			case !ok:
				t.Errorf("%s is a Float: money and KPI values are Money, Decimal or KPIValue; a ratio goes on floatRatios with its reason", f.where)
			case !f.derived && key != "cycleDays" && key != "KPIValue.number" && !strings.Contains(d, "ratio") && !strings.Contains(d, "unit-less"):
				t.Errorf("%s (%s) is not described as a ratio: %q", f.where, reason, f.description)
			}
			continue
		}
		if _, ok := intAllowed[f.name]; ok {
			seen[f.name] = true
			continue
		}
		for _, w := range nameWords.FindAllString(f.name, -1) {
			if moneyWords[strings.ToLower(w)] {
				t.Errorf("%s is an Int named for money or a value (%q)", f.where, w)
			}
		}
		if !f.derived && moneyPhrases.MatchString(f.description) {
			t.Errorf("%s is an Int described as money or a value: %q", f.where, f.description)
		}
	}
	// The allow-lists hold only what the schema has.
	for name := range floatRatios {
		if !seen[name] {
			t.Errorf("floatRatios lists %s, which no Float field is", name)
		}
	}
	for name := range intAllowed {
		if !seen[name] {
			t.Errorf("intAllowed lists %s, which no Int field is", name)
		}
	}
}
