package graph_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The executor marshals plain leaf fields without gqlgen's per-field
// machinery, field middleware included (ent/gqlgen.go, leafFields): a
// field middleware added to the server would silently skip them. This
// fails when the server's code installs one, so that whoever adds it
// looks again at leafFields.
func TestNoFieldMiddleware(t *testing.T) {
	var files []string
	for _, dir := range []string{".", "../httpapi", "../request", ".."} {
		m, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "generated.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, use := range []string{".AroundFields(", "InterceptField("} {
			if strings.Contains(string(src), use) {
				t.Errorf("%s installs a field middleware (%s): leaf fields skip it; see leafFields in ent/gqlgen.go", f, use)
			}
		}
	}
}
