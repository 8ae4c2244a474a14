package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/ent/user"
	"kpiflow/graph"
)

// Abusive operations are refused before any resolver or statement runs.
func TestAbuseLimits(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		s.ActAs(t, s.User(t, org, "admin@acme.test", user.RoleAdmin, nil))
		// 16 deep: one more than DefaultLimits.MaxDepth.
		deep := "{ viewer { team { " + strings.Repeat("parent { ", 13) + "name" + strings.Repeat(" }", 15) + " }"
		aliases := "{"
		for i := range 31 {
			aliases += fmt.Sprintf(" a%d: viewer { id }", i)
		}
		aliases += " }"
		for _, c := range []struct{ name, query, limit string }{
			{"depth", deep, "depth"},
			{"complexity", `{ users(first: 500) { edges { node { deals(first: 500) { edges { node { meetings(first: 500) { totalCount } } } } } } } }`, "complexity"},
			{"complexity of defaults", `{ teams { edges { node { members { edges { node { deals { edges { node { meetings { totalCount } } } } } } } } } } }`, "complexity"},
			{"aliases", aliases, "aliases"},
		} {
			before := s.Store.Statements()
			e := s.MustFail(t, "BAD_USER_INPUT", c.query, nil)
			if e.Extensions["limit"] != c.limit {
				t.Errorf("%s: %+v", c.name, e)
			}
			if d := s.Store.Statements() - before; d != 0 {
				t.Errorf("%s: %d statements ran", c.name, d)
			}
		}
		// Within the limits: a moderate page of nested data.
		s.MustQuery(t, `{ users(first: 20) { edges { node { deals(first: 20) { edges { node { meetings(first: 10) { totalCount } } } } } } } }`, nil, nil)
		// Introspection is not counted: GraphiQL's query is deep.
		s.MustQuery(t, `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }`, nil, nil)

		huge := "{ viewer { " + strings.Repeat("id ", 12000) + "} }"
		r := s.Query(t, huge, nil)
		if len(r.Errors) == 0 || !strings.Contains(strings.ToLower(r.Errors[0].Message), "token") {
			t.Errorf("a query of 12000 tokens: %s", r.RawBody[:min(len(r.RawBody), 300)])
		}
	})
}

func post(t *testing.T, s *apitest.Server, contentType, accept string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp, b.Bytes()
}

// GraphQL over HTTP, as its specification asks.
func TestGraphQLOverHTTP(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		q := func(query string) []byte { b, _ := json.Marshal(map[string]any{"query": query}); return b }

		// A request error: 200 in application/json, 400 without "data" in
		// application/graphql-response+json.
		resp, body := post(t, s, "application/json", "application/json", q("{ nope }"))
		if resp.StatusCode != 200 || !strings.Contains(string(body), "GRAPHQL_VALIDATION_FAILED") {
			t.Errorf("validation error in application/json: %d %s", resp.StatusCode, body)
		}
		resp, body = post(t, s, "application/json", "application/graphql-response+json", q("{ nope }"))
		if resp.StatusCode != 400 || strings.Contains(string(body), `"data"`) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/graphql-response+json") {
			t.Errorf("validation error in graphql-response+json: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		resp, body = post(t, s, "application/json", "application/graphql-response+json", q("{ viewer { id "))
		if resp.StatusCode != 400 || strings.Contains(string(body), `"data"`) {
			t.Errorf("parse error in graphql-response+json: %d %s", resp.StatusCode, body)
		}
		// A field error is not a request error: 200 with data.
		resp, body = post(t, s, "application/json", "application/graphql-response+json", q("{ __typename viewer { id } }"))
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"data"`) {
			t.Errorf("field error in graphql-response+json: %d %s", resp.StatusCode, body)
		}

		// What is not read at all.
		for _, c := range []struct {
			name, contentType string
			body              []byte
			status            int
		}{
			{"a form (CSRF)", "application/x-www-form-urlencoded", []byte("query=%7B__typename%7D"), 415},
			{"plain text (CSRF)", "text/plain", q("{ __typename }"), 415},
			{"multipart", "multipart/form-data; boundary=x", []byte("--x--"), 415},
			{"a batch", "application/json", []byte(`[{"query":"{ __typename }"},{"query":"{ __typename }"}]`), 400},
			{"not JSON", "application/json", []byte(`{"query":`), 400},
			{"over 1 MiB", "application/json", append(append([]byte(`{"query":"{ __typename }","x":"`), bytes.Repeat([]byte("a"), 1<<20)...), '"', '}'), 413},
		} {
			resp, body := post(t, s, c.contentType, "", c.body)
			if resp.StatusCode != c.status || !strings.Contains(string(body), "errors") {
				t.Errorf("%s: %d %s", c.name, resp.StatusCode, body[:min(len(body), 200)])
			}
		}
		// A raw query is accepted only with the preflight header.
		resp, body = post(t, s, "application/graphql", "", []byte("{ __typename }"))
		if resp.StatusCode != 415 {
			t.Errorf("a raw query without the preflight header: %d %s", resp.StatusCode, body)
		}
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader("{ __typename }"))
		req.Header.Set("Content-Type", "application/graphql")
		req.Header.Set(graph.PreflightHeader, "1")
		if r := s.Do(t, req); r.Status != 200 || !strings.Contains(string(r.Data), "Query") {
			t.Errorf("a raw query with the preflight header: %d %s", r.Status, r.RawBody)
		}
		resp, _ = post(t, s, "application/json; charset=utf-8", "", q("{ __typename }"))
		if resp.StatusCode != 200 {
			t.Errorf("JSON with a charset: %d", resp.StatusCode)
		}

		// GET runs queries only; a mutation over GET is 405.
		get := func(query string) *http.Response {
			resp, err := http.Get(s.URL + "/graphql?query=" + url.QueryEscape(query))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		if resp := get("{ __typename }"); resp.StatusCode != 200 {
			t.Errorf("GET query: %d", resp.StatusCode)
		}
		if resp := get(`mutation { logout(input: {refreshToken: "x"}) { ok } }`); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET mutation: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

// Each viewer has a request rate; over it, 429 and RATE_LIMITED, without
// slowing anyone else down.
func TestRateLimitPerViewer(t *testing.T) {
	b := apitest.Backends(t)[0]
	s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *graph.Options) {
		o.RateLimit = graph.RateLimit{PerSecond: 0.5, Burst: 3}
	})
	org := s.Org(t, "Acme", "USD")
	a := s.As(t, s.User(t, org, "a@acme.test", user.RoleRep, nil))
	b2 := s.As(t, s.User(t, org, "b@acme.test", user.RoleRep, nil))
	for i := 0; i < 3; i++ {
		a.MustQuery(t, `{ viewer { id } }`, nil, nil)
	}
	r := a.Query(t, `{ viewer { id } }`, nil)
	if r.Status != http.StatusTooManyRequests || len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" || r.Header.Get("Retry-After") == "" {
		t.Errorf("the fourth request at once: %d %s", r.Status, r.RawBody)
	}
	b2.MustQuery(t, `{ viewer { id } }`, nil, nil)
}

// Browsers may call the API from the allowed origins only.
func TestCORS(t *testing.T) {
	b := apitest.Backends(t)[0]
	s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *graph.Options) {
		o.AllowedOrigins = []string{"app.example.com", "http://localhost:5173"}
	})
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, s.URL+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, origin := range []string{"https://app.example.com", "http://localhost:5173"} {
		resp := preflight(origin)
		if resp.Header.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
			t.Errorf("%s: preflight %d %v", origin, resp.StatusCode, resp.Header)
		}
	}
	for _, origin := range []string{"https://evil.example", "http://localhost:8081", "https://app.example.com.evil.example"} {
		if resp := preflight(origin); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s was allowed", origin)
		}
	}
}

// In allowlist mode only registered operations run, by hash or by text;
// without it, automatic persisted queries save the bandwidth of repeats.
func TestPersistedOperations(t *testing.T) {
	b := apitest.Backends(t)[0]
	const viewerQuery = `query Me { viewer { email } }`
	dir := t.TempDir()
	sum := sha256.Sum256([]byte(viewerQuery))
	hash := hex.EncodeToString(sum[:])
	manifest, _ := json.Marshal(map[string]string{hash: viewerQuery})
	path := dir + "/operations.json"
	if err := os.WriteFile(path, manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	ops, err := graph.LoadOperations(path)
	if err != nil {
		t.Fatal(err)
	}
	locked := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *graph.Options) { o.Operations = ops })
	org := locked.Org(t, "Acme", "USD")
	locked.ActAs(t, locked.User(t, org, "rep@acme.test", user.RoleRep, nil))
	persisted := func(s *apitest.Server, body map[string]any) *apitest.Response {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		return s.Do(t, req)
	}
	byHash := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if r := persisted(locked, byHash); len(r.Errors) != 0 || !strings.Contains(string(r.Data), "rep@acme.test") {
		t.Errorf("a registered operation by hash: %s", r.RawBody)
	}
	locked.MustQuery(t, viewerQuery, nil, nil)
	locked.MustFail(t, "BAD_USER_INPUT", `{ viewer { id } }`, nil)
	if r := persisted(locked, map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}}); len(r.Errors) != 1 {
		t.Errorf("an unknown hash: %s", r.RawBody)
	}

	// Automatic persisted queries: the hash alone is unknown at first, and
	// known once the text was sent with it.
	open := apitest.NewServer(t, b)
	org2 := open.Org(t, "Acme", "USD")
	open.ActAs(t, open.User(t, org2, "rep@acme.test", user.RoleRep, nil))
	if r := persisted(open, byHash); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "PersistedQueryNotFound") {
		t.Errorf("APQ before registration: %s", r.RawBody)
	}
	withText := map[string]any{"query": viewerQuery, "extensions": byHash["extensions"]}
	if r := persisted(open, withText); len(r.Errors) != 0 {
		t.Errorf("APQ registration: %s", r.RawBody)
	}
	if r := persisted(open, byHash); len(r.Errors) != 0 {
		t.Errorf("APQ by hash: %s", r.RawBody)
	}
}
