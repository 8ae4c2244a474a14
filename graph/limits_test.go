package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/ent/user"
	"kpiflow/graph"
	"kpiflow/httpapi"
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
			{"complexity of a plain list's first", `{ targets(first: 100) { edges { node { earlierTargets(first: 24) { earlierTargets(first: 24) { earlierTargets(first: 24) { id } } } } } } }`, "complexity"},
			{"complexity of a plain list's default first", `{ targets(first: 100) { edges { node { earlierTargets { earlierTargets { earlierTargets { earlierTargets { id } } } } } } } }`, "complexity"},
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
		s.MustQuery(t, `{ targets(first: 100) { edges { node { earlierTargets(first: 24) { earlierTargets(first: 8) { id } } } } } }`, nil, nil)
		// Introspection is not counted: GraphiQL's query is deep.
		s.MustQuery(t, `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }`, nil, nil)

		huge := "{ viewer { " + strings.Repeat("id ", 12000) + "} }"
		r := s.Query(t, huge, nil)
		if len(r.Errors) == 0 || !strings.Contains(strings.ToLower(r.Errors[0].Message), "token") {
			t.Errorf("a query of 12000 tokens: %s", r.RawBody[:min(len(r.RawBody), 300)])
		}
	})
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
	locked := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) { o.Operations = ops })
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
