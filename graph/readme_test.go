package graph_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"kpiflow/graph"
)

// The GraphQL examples of README.md are valid against the schema: an
// example that no longer works is worse than none.
func TestReadmeExamplesAreValid(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var examples []string
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		examples = append(examples, m[1])
	}
	// The queries inside curl examples, as JSON strings.
	for _, m := range regexp.MustCompile(`"query": "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(b), -1) {
		examples = append(examples, strings.ReplaceAll(m[1], `\"`, `"`))
	}
	if len(examples) < 5 {
		t.Fatalf("found %d examples; the pattern no longer matches README.md", len(examples))
	}
	for _, q := range examples {
		// Several operations in one block are checked one by one.
		for _, op := range splitOperations(q) {
			if _, errs := gqlparser.LoadQuery(schema, op); errs != nil {
				t.Errorf("README example does not validate: %v\n%s", errs, op)
			}
		}
	}
}

func splitOperations(block string) []string {
	var ops []string
	var cur []string
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		if (strings.HasPrefix(trimmed, "query") || strings.HasPrefix(trimmed, "mutation")) && len(cur) > 0 && strings.TrimSpace(strings.Join(cur, "")) != "" {
			ops = append(ops, strings.Join(cur, "\n"))
			cur = nil
		}
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		cur = append(cur, line)
	}
	if strings.TrimSpace(strings.Join(cur, "")) != "" {
		ops = append(ops, strings.Join(cur, "\n"))
	}
	return ops
}
