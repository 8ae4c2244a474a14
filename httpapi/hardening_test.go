package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/ent/user"
	"kpiflow/httpapi"
)

// coded checks that a raw response body is a GraphQL error response with
// the code.
func coded(t *testing.T, what string, status, wantStatus int, body []byte, code string) {
	t.Helper()
	var r struct {
		Errors []apitest.Error `json:"errors"`
	}
	if status != wantStatus || json.Unmarshal(body, &r) != nil || len(r.Errors) != 1 || r.Errors[0].Code() != code {
		t.Errorf("%s: want %d and one %s error, got %d %s", what, wantStatus, code, status, body[:min(len(body), 300)])
	}
}

func noErrorLogs(t *testing.T, s *apitest.Server) {
	t.Helper()
	for _, l := range strings.Split(s.Logs(), "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") {
			t.Errorf("the server logged: %s", l)
		}
	}
}

// A request body of the wrong shape is 400 with a code, over POST and
// GET, and never a panic.
func TestMalformedRequestShapes(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		for _, body := range []string{
			`"{ viewer { id } }"`, `123`, `null`, `true`, `{"query": 123}`, `{"query": {"a": 1}}`, `{"query": ["{ __typename }"]}`,
			`{"query": "{ __typename }", "variables": "{}"}`, `{"query": "{ __typename }", "variables": [1]}`,
			`{"query": "{ __typename }", "variables": 5}`, `{"query": "{ __typename }", "operationName": 5}`,
			`{"query": "{ __typename }", "operationName": {}}`, `{"query": "{ __typename }", "extensions": "x"}`,
			`{"query": "{ __typename }", "extensions": []}`,
		} {
			resp, b := post(t, s, "application/json", "", []byte(body))
			coded(t, "POST "+body, resp.StatusCode, http.StatusBadRequest, b, "BAD_USER_INPUT")
		}
		for _, params := range []string{"variables=%5B1%5D", "variables=%22x%22", "variables=5", "extensions=%5B%5D", "extensions=true"} {
			resp, err := http.Get(s.URL + "/graphql?query=" + url.QueryEscape("{ __typename }") + "&" + params)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			coded(t, "GET "+params, resp.StatusCode, http.StatusBadRequest, b, "BAD_USER_INPUT")
		}
		// Null members are absent members.
		for _, body := range []string{
			`{"query": "{ __typename }", "variables": null, "operationName": null, "extensions": null}`,
			`{"query": "{ __typename }", "variables": {}, "extensions": {}}`,
		} {
			if resp, b := post(t, s, "application/json", "", []byte(body)); resp.StatusCode != 200 || !strings.Contains(string(b), "Query") {
				t.Errorf("%s: %d %s", body, resp.StatusCode, b)
			}
		}
		noErrorLogs(t, s)
	})
}

// /graphql answers GET and POST; any other method is 405 with Allow and a
// coded body.
func TestOtherMethods(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, "TRACE"} {
			req, _ := http.NewRequest(m, s.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.Header.Get("Allow") != "GET, POST" {
				t.Errorf("%s: Allow %q", m, resp.Header.Get("Allow"))
			}
			if m == http.MethodHead {
				if resp.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("HEAD: %d", resp.StatusCode)
				}
				continue
			}
			coded(t, m, resp.StatusCode, http.StatusMethodNotAllowed, b, "BAD_USER_INPUT")
		}
	})
}

func production(t *testing.T, b apitest.Backend, configure func(*httpapi.Options)) *apitest.Server {
	t.Helper()
	return apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) {
		o.Production, o.Introspection, o.Playground = true, false, false
		if configure != nil {
			configure(o)
		}
	})
}

// In production, introspection is a client error (FORBIDDEN) refused
// before anything runs, logged at info at most; the SDL is not served.
func TestIntrospectionOff(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		p := production(t, s.Backend, nil)
		org := p.Org(t, "Acme", "USD")
		signedIn := p.As(t, p.User(t, org, "rep@acme.test", user.RoleRep, nil))
		for _, c := range []*apitest.Server{p, signedIn} {
			for _, q := range []string{
				`{ __schema { types { name } } }`,
				`{ __type(name: "Deal") { name } }`,
				`query { ...F } fragment F on Query { __schema { queryType { name } } }`,
				`query { ... on Query { __type(name: "Query") { name } } }`,
				`{ viewer { id } __schema { queryType { name } } }`,
			} {
				c.MustFail(t, "FORBIDDEN", q, nil)
			}
			c.MustQuery(t, `{ __typename }`, nil, nil)
		}
		signedIn.MustQuery(t, `{ viewer { __typename id } }`, nil, nil)
		noErrorLogs(t, p)
		resp, err := http.Get(p.URL + "/graphql/schema.graphql")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("the SDL without introspection: %d", resp.StatusCode)
		}
	})
}

// /metrics: open in development; in production only behind its token, or
// on a separate address (NoMetrics here).
func TestMetricsAccess(t *testing.T) {
	b := apitest.Backends(t)[0]
	get := func(s *apitest.Server, token string) int {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(apitest.NewServer(t, b), ""); got != 200 {
		t.Errorf("development: %d", got)
	}
	if got := get(production(t, b, nil), ""); got != 404 {
		t.Errorf("production without a metrics token: %d", got)
	}
	withToken := production(t, b, func(o *httpapi.Options) { o.MetricsToken = "metrics-secret" })
	for token, want := range map[string]int{"": 401, "wrong": 401, "metrics-secret": 200} {
		if got := get(withToken, token); got != want {
			t.Errorf("production with a metrics token, sent %q: %d, want %d", token, got, want)
		}
	}
	if got := get(apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) { o.NoMetrics = true }), ""); got != 404 {
		t.Errorf("metrics served apart: %d", got)
	}
}
