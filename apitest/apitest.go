// Package apitest runs kpiflow's API for tests: the real HTTP handler on a
// real database, SQLite and PostgreSQL alike. Each test gets a database of
// its own.
//
// PostgreSQL is used when KPIFLOW_TEST_DATABASE_URL names a server whose
// user may create databases (scripts/test.sh starts one). In CI (CI=true)
// its absence fails the tests instead of skipping PostgreSQL.
package apitest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/graph"
	"kpiflow/httpapi"
	"kpiflow/live"
	"kpiflow/store"
	"kpiflow/viewer"
)

// Backend is a kind of database the suite runs on.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// adminURL is the PostgreSQL server's URL, where databases are created.
	adminURL string
}

// PostgresBackend is a PostgreSQL server to run on, given its URL.
func PostgresBackend(adminURL string) Backend { return Backend{Name: "postgres", adminURL: adminURL} }

// Backends returns the databases to run on: SQLite always, and PostgreSQL
// when KPIFLOW_TEST_DATABASE_URL is set.
func Backends(t testing.TB) []Backend {
	t.Helper()
	b := []Backend{{Name: "sqlite"}}
	if u := os.Getenv("KPIFLOW_TEST_DATABASE_URL"); u != "" {
		b = append(b, Backend{Name: "postgres", adminURL: u})
	} else if os.Getenv("CI") == "true" {
		t.Fatal("KPIFLOW_TEST_DATABASE_URL is not set: CI runs every test on PostgreSQL too (use `make test`)")
	}
	return b
}

// Each runs f once per backend, as subtests named after the backends.
func Each(t *testing.T, f func(t *testing.T, s *Server)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f(t, NewServer(t, b))
		})
	}
}

// OpenStore opens a new, migrated, empty database on the backend; it is
// closed (and on PostgreSQL dropped) when the test ends.
func OpenStore(t testing.TB, b Backend) *store.Store {
	t.Helper()
	return OpenURL(t, DatabaseURL(t, b))
}

// OpenURL opens and migrates the database at dbURL; it is closed when the
// test ends.
func OpenURL(t testing.TB, dbURL string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("opening %s: %v", dbURL, err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrating %s: %v", dbURL, err)
	}
	return st
}

// DatabaseURL returns the URL of a new, empty database on the backend,
// which is removed when the test ends.
func DatabaseURL(t testing.TB, b Backend) string {
	t.Helper()
	switch b.Name {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "kpiflow.db")
	case "postgres":
		return createDatabase(t, b.adminURL)
	}
	t.Fatalf("unknown backend %q", b.Name)
	return ""
}

// createDatabase creates a uniquely named database on the server and
// returns its URL; the database is dropped when the test ends.
func createDatabase(t testing.TB, adminURL string) string {
	t.Helper()
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "kpiflow_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("creating a PostgreSQL test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Server is kpiflow's HTTP handler serving a test database.
type Server struct {
	Backend Backend
	Store   *store.Store
	Client  *ent.Client
	Auth    *auth.Service
	URL     string // base URL of the HTTP server
	logs    *SyncBuffer
	// token is sent as the bearer token of every request, when not "".
	token string
	// client sends the requests (default http.DefaultClient).
	client *http.Client
	// tokens and configure made the server, for Replica.
	tokens    auth.TokenConfig
	configure func(*httpapi.Options)
}

// Secret is the JWT secret of test servers.
var Secret = []byte("kpiflow-test-secret-of-at-least-32-bytes")

// PasswordParams are cheap argon2id parameters, to keep tests fast; the
// stored hash carries them, so they only ever apply to test users.
var PasswordParams = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1}

// Now is the instant test servers take for now: 28 November 2026, noon
// UTC, in FY2027 Q4 of a calendar whose year starts in February.
var Now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Sys is a context with the system's rights, for setting up and checking
// test data directly through the ent client.
func Sys() context.Context { return viewer.System(context.Background()) }

// NewServer starts the real handler on a new database of the backend.
func NewServer(t testing.TB, b Backend) *Server {
	t.Helper()
	return NewServerWithTokens(t, b, auth.TokenConfig{Secret: Secret})
}

// NewServerWithTokens is NewServer with its own access-token configuration.
func NewServerWithTokens(t testing.TB, b Backend, tokens auth.TokenConfig) *Server {
	t.Helper()
	return NewServerWith(t, b, tokens, nil)
}

// NewServerWith is NewServer with its own access-token configuration and
// handler options, set by configure (which may be nil).
func NewServerWith(t testing.TB, b Backend, tokens auth.TokenConfig, configure func(*httpapi.Options)) *Server {
	t.Helper()
	return newServerOn(t, b, OpenStore(t, b), tokens, configure)
}

// Replica starts a second server on the same database, as a second
// replica of a deployment would be: its own process state (connections,
// listener, subscriptions), the same data and token keys.
func (s *Server) Replica(t testing.TB) *Server {
	t.Helper()
	return newServerOn(t, s.Backend, OpenURL(t, s.Store.URL), s.tokens, s.configure)
}

func newServerOn(t testing.TB, b Backend, st *store.Store, tokens auth.TokenConfig, configure func(*httpapi.Options)) *Server {
	t.Helper()
	logs := &SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := auth.NewService(st.Client, auth.Config{
		Tokens:   tokens,
		Password: PasswordParams,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := httpapi.Options{
		Options: graph.Options{
			Client:        st.Client,
			Dialect:       st.Dialect,
			Auth:          svc,
			Logger:        logger,
			Introspection: true,
			// "Now" is pinned, so that the current quarter, paces and overdue
			// reviews do not move under the tests as the calendar does.
			Clock: func() time.Time { return Now },
			Live:  live.New(st.Client, st.Dialect, st.URL, logger),
		},
		Ready:      st.Ping,
		Playground: true,
		// Tests send requests as fast as they can: no rate limit unless
		// the test asks for one.
		RateLimit: httpapi.RateLimit{PerSecond: -1},
	}
	if err := o.Live.Listen(context.Background()); err != nil {
		t.Fatalf("listening for notices: %v", err)
	}
	t.Cleanup(o.Live.Close)
	if configure != nil {
		configure(&o)
	}
	h := httpapi.NewHandler(o)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &Server{Backend: b, Store: st, Client: st.Client, Auth: svc, URL: hs.URL, logs: logs,
		tokens: tokens, configure: configure}
}

// As returns the server acting as the user: its requests carry an access
// token of the user.
func (s *Server) As(t testing.TB, u *ent.User) *Server {
	t.Helper()
	return s.WithToken(s.Session(t, u).AccessToken)
}

// Session signs the user in (without their password) and returns the new
// session: its access token works while the session lasts.
func (s *Server) Session(t testing.TB, u *ent.User) *auth.Session {
	t.Helper()
	sess, err := s.Auth.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// ActAs makes the server act as the user from now on.
func (s *Server) ActAs(t testing.TB, u *ent.User) {
	t.Helper()
	*s = *s.As(t, u)
}

// WithToken returns the server sending token as the bearer token ("" for
// an anonymous caller).
func (s *Server) WithToken(token string) *Server {
	c := *s
	c.token = token
	return &c
}

// From returns the server receiving requests from another client address:
// a loopback address such as 127.0.0.2, which the requests are sent from.
func (s *Server) From(ip string) *Server {
	c := *s
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.client = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	return &c
}

// errorLogs returns the server's error log lines, to explain a failure.
func (s *Server) errorLogs() string {
	var out []string
	for _, l := range strings.Split(s.Logs(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "\nserver errors:\n" + strings.Join(out, "\n")
}

// Logs returns what the server has logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Response is a GraphQL response.
type Response struct {
	Status  int
	Header  http.Header
	Data    json.RawMessage `json:"data"`
	Errors  []Error         `json:"errors"`
	RawBody []byte
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e Error) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// Query posts a GraphQL operation and decodes the response.
func (s *Server) Query(t testing.TB, query string, vars map[string]any) *Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return s.Do(t, req)
}

// Do sends a request to the server and decodes a GraphQL response.
func (s *Server) Do(t testing.TB, req *http.Request) *Response {
	t.Helper()
	if s.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	ctx, cancel := context.WithTimeout(req.Context(), 60*time.Second)
	defer cancel()
	client := s.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, RawBody: raw}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		// The server writes the data as gqlgen marshaled it rather than
		// through encoding/json (httpapi.writeResponse): every response
		// of every test is checked to be what encoding/json would have
		// written, valid JSON, compact, with its HTML escapes (the
		// responses httpapi writes itself end with a newline).
		if canonical, err := json.Marshal(json.RawMessage(raw)); err != nil || !bytes.Equal(canonical, bytes.TrimSuffix(raw, []byte("\n"))) {
			t.Fatalf("the response is not as encoding/json writes it (%v):\n%s\n%s", err, raw, canonical)
		}
		if err := json.Unmarshal(raw, r); err != nil {
			t.Fatalf("decoding %q: %v", raw, err)
		}
	}
	return r
}

// MustQuery is Query that fails the test on any GraphQL error, and decodes
// the data into out (when out is not nil).
func (s *Server) MustQuery(t testing.TB, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.Query(t, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("query failed (HTTP %d): %s%s", r.Status, r.RawBody, s.errorLogs())
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
}

// MustFail runs an operation that must fail with exactly one error of the
// given code, and returns that error.
func (s *Server) MustFail(t testing.TB, code, query string, vars map[string]any) Error {
	t.Helper()
	r := s.Query(t, query, vars)
	if len(r.Errors) != 1 {
		t.Fatalf("want one %s error, got (HTTP %d): %s", code, r.Status, r.RawBody)
	}
	if got := r.Errors[0].Code(); got != code {
		t.Fatalf("want code %s, got %s: %s", code, got, r.RawBody)
	}
	return r.Errors[0]
}

// SyncBuffer is a buffer that goroutines may write and read at once (a
// server's log, read by the test that runs it).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
