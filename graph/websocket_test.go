package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"kpiflow/apitest"
	"kpiflow/ent/user"
)

type wsMessage struct {
	ID      string         `json:"id,omitempty"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload,omitempty"`
}

// dialGraphQL opens a graphql-transport-ws connection and sends
// connection_init with the payload.
func dialGraphQL(t *testing.T, s *apitest.Server, origin string, init map[string]any) (*websocket.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.CloseNow() })
	if err := wsjson.Write(ctx, c, wsMessage{Type: "connection_init", Payload: init}); err != nil {
		return nil, err
	}
	return c, nil
}

func wsRead(t *testing.T, c *websocket.Conn) (wsMessage, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c, &m); err != nil {
			return m, err
		}
		if m.Type != "ping" && m.Type != "pong" {
			return m, nil
		}
	}
}

func TestWebSocketAuthentication(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		token := s.Session(t, rep).AccessToken
		query := func(c *websocket.Conn) wsMessage {
			t.Helper()
			if err := wsjson.Write(context.Background(), c, wsMessage{ID: "1", Type: "subscribe",
				Payload: map[string]any{"query": "{ viewer { email } }"}}); err != nil {
				t.Fatal(err)
			}
			m, err := wsRead(t, c)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}

		for _, init := range []map[string]any{
			{"Authorization": "Bearer " + token},
			{"accessToken": token},
		} {
			c, err := dialGraphQL(t, s, "", init)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := wsRead(t, c); err != nil || m.Type != "connection_ack" {
				t.Fatalf("init %v: %+v %v", init, m, err)
			}
			m := query(c)
			if m.Type != "next" || !strings.Contains(toJSON(m.Payload), `"email":"rep@acme.test"`) {
				t.Errorf("viewer over WebSocket: %+v", m)
			}
		}

		// Anonymous: connected, but refused every field that needs a token.
		c, err := dialGraphQL(t, s, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := wsRead(t, c); err != nil || m.Type != "connection_ack" {
			t.Fatalf("anonymous init: %+v %v", m, err)
		}
		if m := query(c); !strings.Contains(toJSON(m.Payload), "UNAUTHENTICATED") {
			t.Errorf("anonymous viewer over WebSocket: %+v", m)
		}

		// A refused token closes the connection.
		c, err = dialGraphQL(t, s, "", map[string]any{"Authorization": "Bearer " + token + "x"})
		if err != nil {
			t.Fatal(err)
		}
		if m, err := wsRead(t, c); err == nil {
			t.Errorf("a forged token was acknowledged: %+v", m)
		}

		// Pages of other origins may not connect.
		if _, err := dialGraphQL(t, s, "https://evil.example", nil); err == nil {
			t.Error("a WebSocket from another origin was accepted")
		}
		if _, err := dialGraphQL(t, s, s.URL, nil); err != nil {
			t.Errorf("a WebSocket from the server's own origin was refused: %v", err)
		}
	})
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
