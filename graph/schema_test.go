package graph_test

import (
	"flag"
	"io"
	"net/http"
	"os"
	"testing"

	"kpiflow/apitest"
	"kpiflow/graph"
)

var update = flag.Bool("update", false, "rewrite docs/schema.graphql from the schema")

// The committed SDL (docs/schema.graphql) is the schema the server serves
// at /graphql/schema.graphql. After a schema change: go test ./graph -run
// TestPublishedSchema -update, and review the diff for breaking changes.
func TestPublishedSchema(t *testing.T) {
	sdl := graph.SDL()
	if *update {
		if err := os.WriteFile("../docs/schema.graphql", []byte(sdl), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile("../docs/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != sdl {
		t.Error("docs/schema.graphql is stale: run go test ./graph -run TestPublishedSchema -update")
	}
	s := apitest.NewServer(t, apitest.Backends(t)[0])
	resp, err := http.Get(s.URL + "/graphql/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	served, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(served) != string(committed) {
		t.Errorf("the served SDL (HTTP %d, %d bytes) is not the committed one (%d bytes)", resp.StatusCode, len(served), len(committed))
	}
}
