package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/ent/refreshtoken"
	"kpiflow/ent/user"
)

const logoutOp = `mutation($t: String!) { logout(input: {refreshToken: $t}) { ok } }`

// The role, team, managed teams and activity in force are the stored ones,
// whatever the access token says: a change made anywhere (here straight in
// the database, as any writer could) applies to the very next request.
func TestStoredRoleTeamAndActivityAreInForce(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		east := s.Team(t, org, "East", "")
		west := s.Team(t, org, "West", "")
		admin := s.User(t, org, "admin@acme.test", user.RoleAdmin, nil)
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, east)
		asAdmin, asRep := s.As(t, admin), s.As(t, rep)
		create := `mutation($in: CreateUserInput!) { createUser(input: $in) { user { id } } }`
		newUser := func(email string) map[string]any {
			return map[string]any{"in": map[string]any{"email": email, "name": "New", "role": "ADMIN"}}
		}
		asAdmin.MustQuery(t, create, newUser("one@acme.test"), nil)

		// Demoted: the old token has the stored role's rights.
		s.Client.User.UpdateOne(admin).SetRole(user.RoleRep).ExecX(apitest.Sys())
		asAdmin.MustFail(t, "FORBIDDEN", create, newUser("two@acme.test"))
		if n := s.Client.User.Query().Where(user.Email("two@acme.test")).CountX(apitest.Sys()); n != 0 {
			t.Error("a demoted admin's old token created a user")
		}

		// Moved to another team: the reach is the stored team's.
		teams := func() string {
			var r struct {
				Teams struct {
					Edges []struct{ Node struct{ Name string } }
				}
			}
			asRep.MustQuery(t, `{ teams { edges { node { name } } } }`, nil, &r)
			var names []string
			for _, e := range r.Teams.Edges {
				names = append(names, e.Node.Name)
			}
			return strings.Join(names, ",")
		}
		if got := teams(); got != "East" {
			t.Fatalf("the rep sees teams %q, want East", got)
		}
		s.Client.User.UpdateOne(rep).SetTeamID(west.ID).ExecX(apitest.Sys())
		if got := teams(); got != "West" {
			t.Errorf("after the move the rep sees teams %q, want West", got)
		}

		// Made a manager of a team, then of none: the reach is the stored
		// one, sub-teams included, on the next request each time.
		manager := s.User(t, org, "manager@acme.test", user.RoleManager, nil)
		squad := s.Team(t, org, "Squad", east.ID)
		asManager := s.As(t, manager)
		managerTeams := func() string {
			var r struct {
				Teams struct {
					Edges []struct{ Node struct{ Name string } }
				}
			}
			asManager.MustQuery(t, `{ teams(orderBy: {field: NAME}) { edges { node { name } } } }`, nil, &r)
			var names []string
			for _, e := range r.Teams.Edges {
				names = append(names, e.Node.Name)
			}
			return strings.Join(names, ",")
		}
		if got := managerTeams(); got != "" {
			t.Fatalf("a manager of no team sees teams %q", got)
		}
		s.Client.Team.UpdateOne(east).AddManagers(manager).ExecX(apitest.Sys())
		if got := managerTeams(); got != "East,Squad" {
			t.Errorf("made manager of East, the manager sees teams %q, want East,Squad", got)
		}
		s.Client.Team.UpdateOne(squad).ClearParent().ExecX(apitest.Sys())
		if got := managerTeams(); got != "East" {
			t.Errorf("the squad moved out of East, the manager sees teams %q, want East", got)
		}
		s.Client.Team.UpdateOne(east).RemoveManagers(manager).ExecX(apitest.Sys())
		if got := managerTeams(); got != "" {
			t.Errorf("no longer a manager, the manager sees teams %q", got)
		}

		// Deactivated: the old token is refused.
		s.Client.User.UpdateOne(rep).SetActive(false).ExecX(apitest.Sys())
		asRep.MustFail(t, "UNAUTHENTICATED", `{ viewer { id } }`, nil)
	})
}

// wsClosed reports whether the connection ends (closed, or the
// subscription completed or failed) within a few seconds, skipping the
// data messages before.
func wsClosed(t *testing.T, c *websocket.Conn) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c, &m); err != nil {
			return ctx.Err() == nil // closed by the server, not our timeout
		}
		switch m.Type {
		case "complete", "error":
			return true
		}
	}
}

// Every way a session ends takes effect on the next request: its access
// token is refused, its refresh token too, and its open WebSocket
// connections end — on another replica too, with PostgreSQL. A change of
// the user that leaves the session (their team) ends its connections,
// whose viewer no longer stands.
func TestEndedSessionsEndOnTheNextRequest(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		admin := s.User(t, org, "admin@acme.test", user.RoleAdmin, nil)
		asAdmin := s.As(t, admin)
		team := s.Team(t, org, "East", "")
		ws := s // where the WebSocket connects
		if s.Backend.Name == "postgres" {
			ws = s.Replica(t)
		}
		update := `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { id } } }`
		cases := []struct {
			name string
			// end ends the session of u; keep, when not nil, is a session
			// of u that must survive.
			end  func(t *testing.T, u *ent.User, sess *auth.Session) (keep *auth.Session)
			role user.Role
			// stays: the session is not ended, but the viewer of its
			// connections changed: they end, its requests go on.
			stays bool
		}{
			{name: "logout", role: user.RoleRep, end: func(t *testing.T, u *ent.User, sess *auth.Session) *auth.Session {
				s.WithToken("").MustQuery(t, logoutOp, map[string]any{"t": sess.RefreshToken}, nil)
				return nil
			}},
			{name: "password change", role: user.RoleRep, end: func(t *testing.T, u *ent.User, sess *auth.Session) *auth.Session {
				asAdmin.MustQuery(t, update, map[string]any{"in": map[string]any{"id": u.ID, "password": "a brand new password"}}, nil)
				return nil
			}},
			{name: "deactivation", role: user.RoleRep, end: func(t *testing.T, u *ent.User, sess *auth.Session) *auth.Session {
				asAdmin.MustQuery(t, update, map[string]any{"in": map[string]any{"id": u.ID, "active": false}}, nil)
				return nil
			}},
			{name: "role change", role: user.RoleRep, end: func(t *testing.T, u *ent.User, sess *auth.Session) *auth.Session {
				asAdmin.MustQuery(t, update, map[string]any{"in": map[string]any{"id": u.ID, "role": "MANAGER"}}, nil)
				return nil
			}},
			{name: "team change", role: user.RoleRep, stays: true, end: func(t *testing.T, u *ent.User, sess *auth.Session) *auth.Session {
				asAdmin.MustQuery(t, update, map[string]any{"in": map[string]any{"id": u.ID, "teamID": team.ID}}, nil)
				return nil
			}},
			{name: "own password change", role: user.RoleAdmin, end: func(t *testing.T, u *ent.User, sess *auth.Session) *auth.Session {
				here := s.Session(t, u)
				s.WithToken(here.AccessToken).MustQuery(t, update,
					map[string]any{"in": map[string]any{"id": u.ID, "password": "a brand new password"}}, nil)
				return here
			}},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u := s.User(t, org, "user"+string(rune('a'+i))+"@acme.test", c.role, nil)
				sess := s.Session(t, u)
				conn, err := dialGraphQL(t, ws, "", map[string]any{"Authorization": "Bearer " + sess.AccessToken})
				if err != nil {
					t.Fatal(err)
				}
				if m, err := wsRead(t, conn); err != nil || m.Type != "connection_ack" {
					t.Fatalf("init: %+v %v", m, err)
				}
				if err := wsjson.Write(context.Background(), conn, wsMessage{ID: "1", Type: "subscribe",
					Payload: map[string]any{"query": inboxSub}}); err != nil {
					t.Fatal(err)
				}
				if m, err := wsRead(t, conn); err != nil || m.Type != "next" {
					t.Fatalf("the first inbox: %+v %v", m, err)
				}
				s.WithToken(sess.AccessToken).MustQuery(t, `{ viewer { id } }`, nil, nil)

				keep := c.end(t, u, sess)

				if c.stays {
					s.WithToken(sess.AccessToken).MustQuery(t, `{ viewer { id } }`, nil, nil)
				} else {
					s.WithToken(sess.AccessToken).MustFail(t, "UNAUTHENTICATED", `{ viewer { id } }`, nil)
					s.WithToken("").MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": sess.RefreshToken})
				}
				if !wsClosed(t, conn) {
					t.Error("the WebSocket connection of the ended session stays open")
				}
				if keep != nil {
					s.WithToken(keep.AccessToken).MustQuery(t, `{ viewer { id } }`, nil, nil)
					s.WithToken("").MustQuery(t, refresh, map[string]any{"t": keep.RefreshToken}, nil)
				}
			})
		}
	})
}

// A logout racing a refresh of the same session ends the session: once
// both have answered, no token of it works and none is left unrevoked.
func TestLogoutRacingRefreshEndsTheSession(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		u := s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		anon := s.WithToken("")
		const rounds = 12
		for round := range rounds {
			sess := s.Session(t, u)
			// Rotate once, so that the token raced is not the session's row.
			var r struct{ RefreshToken session }
			anon.MustQuery(t, refresh, map[string]any{"t": sess.RefreshToken}, &r)
			token := r.RefreshToken.RefreshToken
			var wg sync.WaitGroup
			var refreshed *apitest.Response
			wg.Add(2)
			go func() {
				defer wg.Done()
				refreshed = anon.Query(t, refresh, map[string]any{"t": token})
			}()
			go func() {
				defer wg.Done()
				anon.MustQuery(t, logoutOp, map[string]any{"t": token}, nil)
			}()
			wg.Wait()
			tokens := []string{sess.RefreshToken, token}
			access := []string{sess.AccessToken, r.RefreshToken.AccessToken}
			if len(refreshed.Errors) == 0 {
				var out struct{ RefreshToken session }
				if err := json.Unmarshal(refreshed.Data, &out); err != nil {
					t.Fatal(err)
				}
				tokens = append(tokens, out.RefreshToken.RefreshToken)
				access = append(access, out.RefreshToken.AccessToken)
			}
			for _, tok := range tokens {
				if r := anon.Query(t, refresh, map[string]any{"t": tok}); len(r.Errors) == 0 {
					t.Errorf("round %d: a refresh token works after the logout", round)
				}
			}
			for _, tok := range access {
				if r := s.WithToken(tok).Query(t, `{ viewer { id } }`, nil); len(r.Errors) == 0 {
					t.Errorf("round %d: an access token works after the logout", round)
				}
			}
			if n := s.Client.RefreshToken.Query().Where(refreshtoken.Family(string(sess.Viewer.Session)),
				refreshtoken.RevokedAtIsNil()).CountX(apitest.Sys()); n != 0 {
				t.Errorf("round %d: %d tokens of the session are left unrevoked", round, n)
			}
		}
	})
}

// Authenticating a valid token costs one statement (the user with their
// session and reach), made only when a field needs the viewer; a forged or
// absent one, none. { viewer { id } } is that statement alone: the viewer
// field shows the row it read.
func TestAuthenticationCostsOneStatement(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		admin := s.As(t, s.User(t, org, "admin@acme.test", user.RoleAdmin, nil))
		for _, c := range []struct {
			name  string
			srv   *apitest.Server
			query string
			want  int64
		}{
			{"anonymous", s.WithToken(""), `{ __typename }`, 0},
			{"signed in, no field needs the viewer", admin, `{ __typename }`, 0},
			{"signed in, the viewer", admin, `{ viewer { id } }`, 1},
		} {
			before := s.Store.Statements()
			c.srv.MustQuery(t, c.query, nil, nil)
			if d := s.Store.Statements() - before; d != c.want {
				t.Errorf("%s: %s made %d statements, want %d", c.name, c.query, d, c.want)
			}
		}
	})
}
