// Package web serves kpiflow's pages from the binary itself, the console
// (the SPA reps and managers use) and GraphiQL: the files
// that `npm run build` writes to web/dist (committed, so that building the
// server needs no Node), embedded at compile time. Nothing a page loads
// comes from another origin.
package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// files is dist/ itself.
var files = func() fs.FS {
	f, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	return f
}()

// ContentSecurityPolicy is the policy of every page: everything from the
// page's own origin only. GraphiQL's stylesheet carries its fonts and icons
// as data: URLs inside it, which load nothing from anywhere.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// contentTypes are the types of the files a build writes, independent of
// the machine's MIME tables.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".json":  "application/json",
	".map":   "application/json",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".txt":   "text/plain; charset=utf-8",
}

// ContentType is the Content-Type a file of that name is served with.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Files lists the embedded files, as the paths they are stored at
// (Page says where the pages are served).
func Files() []string {
	var out []string
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, "/"+p)
		}
		return nil
	})
	return out
}

// The pages and the addresses they are served at: each page at one
// address only (its file's own path is 404).
const (
	consoleFile  = "index.html"
	graphiqlFile = "graphiql.html"
	// GraphiQLPath is where GraphiQL is served when it is enabled.
	GraphiQLPath = "/graphiql"
)

// Reserved are the paths of the server's own routes and their subtrees
// (the API, the health checks, the metrics, the build's assets, GraphiQL):
// the console's history fallback never answers under them, so that a route
// that is off (the SDL without introspection, /metrics in production) or a
// missing asset is a plain 404, never the console's page with 200.
var Reserved = []string{"/graphql", "/healthz", "/readyz", "/metrics", "/assets", GraphiQLPath}

// reserved tells whether p is one of the Reserved paths or under one.
func reserved(p string) bool {
	for _, r := range Reserved {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// Page is the address a page file is served at, or "" for a file that is
// not a page (served at its own path).
func Page(file string) string {
	switch strings.TrimPrefix(file, "/") {
	case consoleFile:
		return "/"
	case graphiqlFile:
		return GraphiQLPath
	}
	return ""
}

// Options says which pages are served.
type Options struct {
	// GraphiQL serves GraphiQL at /graphiql.
	GraphiQL bool
}

// Handler serves the console at "/" and at every path of its own routes
// (the history fallback: a GET of a path that is neither a file of the
// build nor Reserved is the console's page, whose router shows the
// screen), GraphiQL at /graphiql when enabled, and the built files at their
// paths: those under /assets/ have their content's hash in their names and
// are cached for good; the pages and the other files are revalidated each
// time. A missing file (a path whose last segment has an extension) is
// 404, as is every Reserved path that reaches it.
func Handler(o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean("/" + r.URL.Path)
		var name string
		switch {
		case p == GraphiQLPath && o.GraphiQL:
			name = graphiqlFile
		case Page(p) != "" || reserved(p) && !strings.HasPrefix(p, "/assets/"):
			http.NotFound(w, r) // a page's file (one address per page), or a route that is off
			return
		default:
			name = strings.TrimPrefix(p, "/")
			if _, err := fs.Stat(files, name); err != nil || name == "" {
				if strings.HasPrefix(p, "/assets/") || path.Ext(p) != "" {
					http.NotFound(w, r)
					return
				}
				name = consoleFile // one of the console's routes
			}
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ContentType(name))
		h.Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(name, "assets/") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		if strings.HasSuffix(name, ".html") {
			h.Set("Content-Security-Policy", ContentSecurityPolicy)
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
		}
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(b)
	})
}

// ConsoleOperations are the console's operations, by name: the text of each
// with the fragments it uses, as the build wrote them (dist/operations.json,
// from the console's .graphql documents). A server locked down to
// registered operations runs these too, so that the console it serves
// works there.
func ConsoleOperations() (map[string]string, error) {
	b, err := fs.ReadFile(files, "operations.json")
	if err != nil {
		return nil, fmt.Errorf("the console's operations: %w", err)
	}
	var m struct {
		Operations map[string]string `json:"operations"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the console's operations: %w", err)
	}
	return m.Operations, nil
}
