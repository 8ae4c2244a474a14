package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/oklog/ulid/v2"

	"kpiflow/apitest"
	"kpiflow/ent/user"
)

// node(id:) and nodes(ids:) say the same of an ID they cannot resolve: one
// NOT_FOUND error, "not found", at the field (node) or at the ID's index
// (nodes), whatever the ID: of no known type, of a known type and no row,
// of another organization's object, or malformed.
func TestNodeAndNodesNotFoundAlike(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		other := s.Org(t, "Other", "USD")
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		stranger := s.User(t, other, "rep@other.test", user.RoleRep, nil)
		as := s.As(t, rep)
		unknown := map[string]string{
			"an unknown prefix":               "zzz_" + ulid.Make().String(),
			"an unknown ID of a known prefix": rep.ID.Prefix() + "_" + ulid.Make().String(),
			"another organization's object":   string(stranger.ID),
			"a malformed ID":                  "not an id",
			"a known prefix, no ULID":         rep.ID.Prefix() + "_x",
		}
		check := func(what, field string, r *apitest.Response, path ...any) {
			t.Helper()
			if len(r.Errors) != 1 {
				t.Errorf("%s, %s: want one error, got %s", what, field, r.RawBody)
				return
			}
			e := r.Errors[0]
			if e.Code() != "NOT_FOUND" || e.Message != "not found" || fmt.Sprint(e.Path) != fmt.Sprint(append([]any{}, path...)) {
				t.Errorf("%s, %s: %s", what, field, r.RawBody)
			}
		}
		for what, id := range unknown {
			r := as.Query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			check(what, "node", r, "node")
			if string(r.Data) != `{"node":null}` {
				t.Errorf("%s: node: %s", what, r.Data)
			}
			r = as.Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{id}})
			check(what, "nodes", r, "nodes", 0)
			if string(r.Data) != `{"nodes":[null]}` {
				t.Errorf("%s: nodes: %s", what, r.Data)
			}
			r = as.Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{string(rep.ID), id}})
			check(what, "nodes with another", r, "nodes", 1)
			var got struct{ Nodes []*struct{ ID string } }
			if err := json.Unmarshal(r.Data, &got); err != nil || len(got.Nodes) != 2 || got.Nodes[0] == nil ||
				got.Nodes[0].ID != string(rep.ID) || got.Nodes[1] != nil {
				t.Errorf("%s: nodes with another: %s", what, r.Data)
			}
		}
	})
}
