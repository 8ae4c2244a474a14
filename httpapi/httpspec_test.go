package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/ent/user"
	"kpiflow/httpapi"
)

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
		req.Header.Set(httpapi.PreflightHeader, "1")
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
	s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) {
		o.RateLimit = httpapi.RateLimit{PerSecond: 0.5, Burst: 3}
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
	s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) {
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

// A request whose statements do not finish in time is cancelled and
// answered UNAVAILABLE at the timeout, rather than hanging.
func TestRequestTimeout(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		if b.Name != "postgres" {
			continue // SQLite readers are never blocked by a writer in WAL mode
		}
		s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) {
			o.RequestTimeout = time.Second
		})
		org := s.Org(t, "Acme", "USD")
		s.ActAs(t, s.User(t, org, "admin@acme.test", user.RoleAdmin, nil))
		// Another session holds the deals table.
		tx, err := s.Store.DB.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("LOCK TABLE deals IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		r := s.Query(t, `{ deals { totalCount } }`, nil)
		took := time.Since(start)
		_ = tx.Rollback()
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAVAILABLE" {
			t.Errorf("a blocked query: %s", r.RawBody)
		}
		if took < time.Second || took > 10*time.Second {
			t.Errorf("answered after %v, want about the 1s timeout", took)
		}
		s.MustQuery(t, `{ deals { totalCount } }`, nil, nil)
	}
}
