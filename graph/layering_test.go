package graph_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Package graph is the schema, its resolvers and the executor: the HTTP
// layer is package httpapi, and what both read of a request is package
// request. graph's own files import nothing of net/http's world.
func TestGraphLeavesHTTPToHTTPAPI(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	forbidden := []string{"net/http", "github.com/rs/cors", "github.com/prometheus/", "kpiflow/httpapi"}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, p := range forbidden {
				if path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
					t.Errorf("%s imports %s: the HTTP layer belongs in package httpapi", name, path)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d files of package graph checked", checked)
	}
}
