package httpapi_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/httpapi"
	"kpiflow/web"
)

// TestPagesAreServedFromTheBinary: the console at / and GraphiQL at
// /graphiql, and every file of the web build (enumerated from the embedded
// files, so a new asset is covered too), come from the server itself, with
// their content types and cache headers; each page refers only to files the
// server has, by absolute paths of its own origin, and its
// Content-Security-Policy allows only that origin.
func TestPagesAreServedFromTheBinary(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		get := webGetter(t, s)
		files := map[string]bool{}
		for _, f := range web.Files() {
			files[f] = true
		}
		pages := map[string]string{"/": "the console", web.GraphiQLPath: "GraphiQL"}
		bodies := map[string]string{}
		for path, what := range pages {
			resp, page := get(path)
			bodies[path] = page
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s (%s) = %d", path, what, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("GET %s Content-Type = %q", path, ct)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("GET %s Cache-Control = %q, want no-cache: the page names the current assets", path, cc)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			for _, directive := range strings.Split(csp, ";") {
				for _, source := range strings.Fields(directive)[1:] {
					switch source {
					case "'self'", "'none'", "data:":
					default:
						t.Errorf("GET %s: Content-Security-Policy allows %s in %q", path, source, strings.TrimSpace(directive))
					}
				}
			}
			if !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("GET %s: Content-Security-Policy = %q, want default-src 'self'", path, csp)
			}
			if !strings.Contains(page, `<div id="root">`) {
				t.Errorf("GET %s is not %s's page:\n%s", path, what, page)
			}
			// Every address the page refers to is one of the server's own files.
			refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1)
			if len(refs) == 0 {
				t.Fatalf("%s's page refers to no script or stylesheet:\n%s", what, page)
			}
			for _, m := range refs {
				if !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
					t.Errorf("%s's page refers to %q, not to a file of its own origin", what, m[1])
				} else if !files[m[1]] {
					t.Errorf("%s's page refers to %q, which the binary does not have", what, m[1])
				}
			}
		}
		if bodies["/"] == bodies[web.GraphiQLPath] {
			t.Error("the console and GraphiQL are the same page")
		}
		if !strings.Contains(bodies[web.GraphiQLPath], "GraphiQL") {
			t.Errorf("GET %s is not GraphiQL's page", web.GraphiQLPath)
		}

		for _, f := range web.Files() {
			if web.Page(f) != "" {
				continue // served at the page's address: below, its file's path is 404
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

		// The history fallback: the console's routes (and any other path
		// that is neither a file nor one of the server's routes) are the
		// console's page, whose router shows the screen.
		for _, path := range []string{"/inbox", "/targets", "/targets/VGFyZ2V0OjE", "/propose/", "/nothing", "/a/b/c"} {
			resp, body := get(path)
			if resp.StatusCode != 200 || body != bodies["/"] {
				t.Errorf("GET %s = %d, want the console's page", path, resp.StatusCode)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("GET %s Cache-Control = %q", path, cc)
			}
			if resp.Header.Get("Content-Security-Policy") != web.ContentSecurityPolicy {
				t.Errorf("GET %s is served without the pages' Content-Security-Policy", path)
			}
		}
		// Never the fallback: a page's file (one address per page), a
		// missing file, and every path under the server's own routes.
		missing := []string{"/index.html", "/graphiql.html", "/assets/missing-00000000.js", "/assets", "/missing.js",
			"/../go.mod", "/favicon.ico", "/graphiql/x"}
		for _, r := range web.Reserved {
			missing = append(missing, r+"/nothing")
		}
		for _, path := range missing {
			if resp, body := get(path); resp.StatusCode != http.StatusNotFound || body == bodies["/"] {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
		// Pages are read, not written to.
		resp, err := http.Post(s.URL+"/inbox", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST /inbox = %d, want 405", resp.StatusCode)
		}
		// The API's own routes are not shadowed by the pages.
		if resp, body := get("/healthz"); resp.StatusCode != 200 || body != "ok\n" {
			t.Errorf("GET /healthz = %d %q", resp.StatusCode, body)
		}
		if resp, body := get("/readyz"); resp.StatusCode != 200 || body != "ok\n" {
			t.Errorf("GET /readyz = %d %q", resp.StatusCode, body)
		}
		if resp, body := get("/graphql?query=%7B__typename%7D"); resp.StatusCode != 200 || !strings.Contains(body, `"__typename"`) {
			t.Errorf("GET /graphql = %d %q", resp.StatusCode, body)
		}
		if resp, body := get("/graphql/schema.graphql"); resp.StatusCode != 200 || !strings.Contains(body, "type Query") {
			t.Errorf("GET /graphql/schema.graphql = %d", resp.StatusCode)
		}
		if resp, body := get("/metrics"); resp.StatusCode != 200 || body == bodies["/"] {
			t.Errorf("GET /metrics = %d", resp.StatusCode)
		}
	})
}

func webGetter(t *testing.T, s *apitest.Server) func(string) (*http.Response, string) {
	return func(path string) (*http.Response, string) {
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
}

// TestNoGraphiQLWhenThePlaygroundIsOff: GraphiQL is 404 and the console
// is served all the same (it is the product, in production too); with the
// playground off, as in production, /metrics is not there either and does
// not fall back to the console.
func TestNoGraphiQLWhenThePlaygroundIsOff(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) {
				o.Playground, o.Production = false, true
			})
			get := webGetter(t, s)
			for _, path := range []string{web.GraphiQLPath, web.GraphiQLPath + "/", "/graphiql.html", "/metrics"} {
				if resp, _ := get(path); resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s with the playground off = %d, want 404", path, resp.StatusCode)
				}
			}
			for _, path := range []string{"/", "/inbox"} {
				if resp, body := get(path); resp.StatusCode != 200 || !strings.Contains(body, `<div id="root">`) {
					t.Errorf("GET %s with the playground off = %d, want the console", path, resp.StatusCode)
				}
			}
		})
	}
}
