package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/user"
)

// A mutation retried with its Idempotency-Key has one effect, however many
// retries arrive and however concurrently.
func TestIdempotencyKey(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		s.ActAs(t, rep)
		body := func(kind string) []byte {
			b, _ := json.Marshal(map[string]any{
				"query":     `mutation($in: CreateMeetingInput!) { createMeeting(input: $in) { meeting { id } } }`,
				"variables": map[string]any{"in": map[string]any{"ownerID": rep.ID, "kind": kind, "scheduledAt": "2026-03-01T10:00:00Z"}},
			})
			return b
		}
		send := func(key string, b []byte) (*apitest.Response, string) {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", key)
			r := s.Do(t, req)
			var out struct {
				CreateMeeting struct{ Meeting struct{ ID string } }
			}
			_ = json.Unmarshal(r.Data, &out)
			return r, out.CreateMeeting.Meeting.ID
		}

		const n = 10
		ids := make([]string, n)
		replayed := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, id := send("order-42", body("DEMO"))
				ids[i], replayed[i] = id, r.Header.Get("Idempotent-Replayed") == "true"
			}()
		}
		wg.Wait()
		first := 0
		for i, id := range ids {
			if id == "" || id != ids[0] {
				t.Errorf("retry %d got meeting %q, the first %q", i, id, ids[0])
			}
			if !replayed[i] {
				first++
			}
		}
		if first != 1 {
			t.Errorf("%d responses were not replays, want exactly 1", first)
		}
		if m := s.Client.Meeting.Query().CountX(apitest.Sys()); m != 1 {
			t.Errorf("%d meetings stored, want 1", m)
		}

		// The same key with another request is refused and changes nothing.
		r, _ := send("order-42", body("DISCOVERY"))
		if r.Status != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("same key, other request: %d %s", r.Status, r.RawBody)
		}
		// Another key is another request; keys are per viewer.
		if _, id := send("order-43", body("DEMO")); id == "" || id == ids[0] {
			t.Errorf("a new key gave %q", id)
		}
		other := s.As(t, s.User(t, org, "other@acme.test", user.RoleAdmin, nil))
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body("DEMO")))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "order-42")
		if r := other.Do(t, req); len(r.Errors) != 0 || r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("another viewer's order-42: %s", r.RawBody)
		}
		if m := s.Client.Meeting.Query().CountX(apitest.Sys()); m != 3 {
			t.Errorf("%d meetings, want 3", m)
		}
	})
}
