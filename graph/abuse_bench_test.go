package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/graph"
)

// abusiveShapes are the most expensive operations we could write under
// the default limits (10,000 parser tokens, a 1 MiB body): what each asks
// of the parser and the validator before any limit of the executor runs.
func abusiveShapes() []struct{ name, query string } {
	return append(overLimitShapes(), atLimitShapes()...)
}

// atLimitShapes are the worst shapes within MaxFields: they run.
func atLimitShapes() []struct{ name, query string } {
	n := graph.DefaultLimits.MaxFields
	rep := func(s string, n int) string { return strings.Repeat(s, n) }
	var distinct strings.Builder
	distinct.WriteString("{ ")
	for i := range n / 2 {
		fmt.Fprintf(&distinct, "...F%d ", i)
	}
	distinct.WriteString("} ")
	for i := range n / 2 {
		fmt.Fprintf(&distinct, "fragment F%d on Query { __typename } ", i)
	}
	return []struct{ name, query string }{
		{"at the limit: same field", "{ " + rep("__typename ", n) + "}"},
		{"at the limit: same field with a selection", "{ " + rep("viewer { id } ", n/2) + "}"},
		{"at the limit: same field in inline fragments", "{ " + rep("... on Query { __typename } ", n/2) + "}"},
		{"at the limit: distinct fragments of the same field", distinct.String()},
		{"a string of 1 MiB", `{ __type(name: "` + rep("a", 1<<20-100) + `") { name } }`},
	}
}

func overLimitShapes() []struct{ name, query string } {
	tokens := graph.DefaultLimits.MaxTokens - 10
	rep := func(s string, n int) string { return strings.Repeat(s, n) }
	var aliases strings.Builder
	for i := range tokens / 3 {
		fmt.Fprintf(&aliases, "a%d: __typename ", i)
	}
	var vars, frags, ops strings.Builder
	for i := range tokens / 5 {
		fmt.Fprintf(&vars, "$v%d: Int ", i)
	}
	for i := range tokens / 8 {
		fmt.Fprintf(&frags, "fragment F%d on Query { __typename } ", i)
	}
	for i := range tokens / 5 {
		fmt.Fprintf(&ops, "query Q%d { __typename } ", i)
	}
	half := tokens / 2
	return []struct{ name, query string }{
		{"same field 9,990 times", "{ " + rep("__typename ", tokens) + "}"},
		{"distinct aliases", "{ " + aliases.String() + "}"},
		{"same field with a selection", "{ " + rep("viewer { id } ", tokens/4) + "}"},
		{"fragment spread many times", "{ " + rep("...F ", half) + "} fragment F on Query { " + rep("__typename ", half-8) + "}"},
		{"spreads of spreads", "{ " + rep("...A ", 50) + "} fragment A on Query { " + rep("...B ", 50) + "} fragment B on Query { " +
			rep("...C ", 50) + "} fragment C on Query { " + rep("__typename ", tokens-170) + "}"},
		{"inline fragments", "{ " + rep("... on Query { __typename } ", tokens/6) + "}"},
		{"deep nesting", rep("{ ... on Query ", tokens/4) + "{ __typename }" + rep(" }", tokens/4)},
		{"many directives", "{ __typename " + rep("@skip(if: false) ", tokens/6) + "}"},
		{"many arguments", "{ node(" + rep("id: \"x\" ", tokens/3) + ") { id } }"},
		{"many variables", "query(" + vars.String() + ") { __typename }"},
		{"many fragments", "{ __typename } " + frags.String()},
		{"many operations", ops.String()},
	}
}

// Every abusive shape is refused with a code, before validation does
// quadratic work: the figures are in docs/BENCHMARKS.md (go test ./graph
// -run XXX -bench WorstRequests).
func TestAbusiveShapesRefused(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		for _, c := range overLimitShapes() {
			r := s.Query(t, c.query, nil)
			if len(r.Errors) == 0 {
				t.Errorf("%s: answered %s", c.name, r.RawBody[:min(200, len(r.RawBody))])
				continue
			}
			switch code := r.Errors[0].Code(); code {
			case "BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED":
			default:
				t.Errorf("%s: code %q: %s", c.name, code, r.RawBody[:min(300, len(r.RawBody))])
			}
		}
	})
}

func BenchmarkWorstRequests(b *testing.B) {
	s := apitest.NewServer(b, apitest.Backends(b)[0])
	for _, c := range abusiveShapes() {
		body, _ := json.Marshal(map[string]any{"query": c.query})
		b.Run(c.name, func(b *testing.B) {
			var slowest time.Duration
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var out bytes.Buffer
				_, _ = out.ReadFrom(resp.Body)
				resp.Body.Close()
				slowest = max(slowest, time.Since(start))
			}
			b.ReportMetric(float64(len(body)), "bytes")
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
		})
	}
}
