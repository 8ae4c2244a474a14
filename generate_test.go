package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsUpToDate regenerates the code in a copy of the module
// and fails when any generated file differs from the committed one, or when
// generation adds or removes a file.
func TestGeneratedCodeIsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("regeneration takes a while; not in -short mode")
	}
	if os.Getenv("KPIFLOW_CI_CHECKS_GENERATED") == "1" {
		t.Skip(".ci/run regenerates in the checkout and fails on any difference itself, after the suite")
	}
	copyDir := t.TempDir()
	if err := copyTree(".", copyDir); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "generate", "./...")
	cmd.Dir = copyDir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
	for _, dir := range []string{"ent", "graph"} {
		want := files(t, dir)
		got := files(t, filepath.Join(copyDir, dir))
		for name, content := range got {
			old, ok := want[name]
			switch {
			case !ok:
				t.Errorf("generation adds %s/%s, which is not committed", dir, name)
			case !bytes.Equal(old, content):
				t.Errorf("%s/%s is stale: run go generate ./...", dir, name)
			}
		}
		for name := range want {
			if _, ok := got[name]; !ok {
				t.Errorf("%s/%s is no longer generated", dir, name)
			}
		}
	}
}

func files(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// copyTree copies the module's sources, without version control, local
// data and build output.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			switch rel {
			case ".git", "data", "bin":
				return filepath.SkipDir
			}
			if d.Name() == "node_modules" { // the web/ and examples/ npm installs
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}
