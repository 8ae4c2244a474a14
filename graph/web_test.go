package graph_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/graph"
	"kpiflow/web"
)

// TestGraphiQLIsServedFromTheBinary: the page at / and every file of the
// web build (enumerated from the embedded files, so a new asset is covered
// too) come from the server itself, with their content types and cache
// headers; the page refers only to files the server has, by relative
// addresses, and its Content-Security-Policy allows only its own origin.
func TestGraphiQLIsServedFromTheBinary(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		get := func(path string) (*http.Response, string) {
			t.Helper()
			resp, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, string(b)
		}

		resp, page := get("/")
		if resp.StatusCode != 200 {
			t.Fatalf("GET / = %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET / Content-Type = %q", ct)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET / Cache-Control = %q, want no-cache: the page names the current assets", cc)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, directive := range strings.Split(csp, ";") {
			for _, source := range strings.Fields(directive)[1:] {
				switch source {
				case "'self'", "'none'", "data:":
				default:
					t.Errorf("Content-Security-Policy allows %s in %q", source, strings.TrimSpace(directive))
				}
			}
		}
		if !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("Content-Security-Policy = %q, want default-src 'self'", csp)
		}
		if !strings.Contains(page, `<div id="root">`) {
			t.Errorf("GET / is not the GraphiQL page:\n%s", page)
		}

		// Every address the page refers to is one of the server's own files.
		refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
		if len(refs) == 0 {
			t.Fatalf("the page refers to no script or stylesheet:\n%s", page)
		}
		files := map[string]bool{}
		for _, f := range web.Files() {
			files[f] = true
		}
		for _, m := range refs {
			if !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
				t.Errorf("the page refers to %q, not to a file of its own origin", m[1])
			} else if !files[m[1]] {
				t.Errorf("the page refers to %q, which the binary does not have", m[1])
			}
		}

		for _, f := range web.Files() {
			if f == "/index.html" {
				continue // served at /
			}
			resp, body := get(f)
			if resp.StatusCode != 200 || body == "" {
				t.Errorf("GET %s = %d with %d bytes", f, resp.StatusCode, len(body))
				continue
			}
			if ct, want := resp.Header.Get("Content-Type"), web.ContentType(f); ct != want || want == "application/octet-stream" {
				t.Errorf("GET %s Content-Type = %q (a build file of a type the server does not know?)", f, ct)
			}
			want := "no-cache"
			if strings.HasPrefix(f, "/assets/") {
				want = "public, max-age=31536000, immutable"
				if !regexp.MustCompile(`-[A-Za-z0-9_-]{8}\.[a-z0-9]+$`).MatchString(f) {
					t.Errorf("%s is cached for good but its name carries no content hash", f)
				}
			}
			if cc := resp.Header.Get("Cache-Control"); cc != want {
				t.Errorf("GET %s Cache-Control = %q, want %q", f, cc, want)
			}
			if n := resp.Header.Get("X-Content-Type-Options"); n != "nosniff" {
				t.Errorf("GET %s X-Content-Type-Options = %q", f, n)
			}
		}

		for _, path := range []string{"/assets/missing-00000000.js", "/index.html", "/nothing", "/../go.mod"} {
			if resp, _ := get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
		// The API's own routes are not shadowed by the pages.
		if resp, body := get("/healthz"); resp.StatusCode != 200 || body != "ok\n" {
			t.Errorf("GET /healthz = %d %q", resp.StatusCode, body)
		}
	})
}

// TestNoGraphiQLWhenThePlaygroundIsOff: nothing of the pages is served.
func TestNoGraphiQLWhenThePlaygroundIsOff(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *graph.Options) {
				o.Playground = false
			})
			for _, f := range append(web.Files(), "/") {
				resp, err := http.Get(s.URL + f)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s with the playground off = %d, want 404", f, resp.StatusCode)
				}
			}
		})
	}
}
