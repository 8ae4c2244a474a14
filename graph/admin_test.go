package graph_test

import (
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
)

const createUser = `mutation($in: CreateUserInput!) { createUser(input: $in) { user { id email role active team { name } } } }`
const updateUser = `mutation($in: UpdateUserInput!) { updateUser(input: $in) { user { id email role active team { name } } } }`
const createTeam = `mutation($in: CreateTeamInput!) { createTeam(input: $in) { team { id name parent { name } managers { edges { node { email } } } } } }`
const updateTeam = `mutation($in: UpdateTeamInput!) { updateTeam(input: $in) { team { id name parent { name } members { totalCount } managers { totalCount } } } }`

func TestAdminManagesUsers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		admin := s.As(t, w.users["admin"])

		var created struct {
			CreateUser struct {
				User struct {
					ID, Email, Role string
					Team            struct{ Name string }
				}
			}
		}
		admin.MustQuery(t, createUser, map[string]any{"in": map[string]any{
			"email": "New.Rep@Example.Test", "name": "New Rep", "role": "REP", "teamID": w.ids["B"],
			"password": "a long enough password", "hiredAt": "2026-10-01T00:00:00Z",
		}}, &created)
		u := created.CreateUser.User
		if u.Email != "new.rep@example.test" || u.Role != "REP" || u.Team.Name != "B" {
			t.Fatalf("created %+v", u)
		}
		sess := signIn(t, s, "new.rep@example.test", "a long enough password")

		// The new rep's team manager now reaches them; another team's does not.
		var seen struct{ Users struct{ TotalCount int } }
		s.As(t, w.users["mB"]).MustQuery(t, `query($id: ID!) { users(where: {id: $id}) { totalCount } }`, map[string]any{"id": u.ID}, &seen)
		if seen.Users.TotalCount != 1 {
			t.Error("team B's manager does not see the new member")
		}
		s.As(t, w.users["mA"]).MustQuery(t, `query($id: ID!) { users(where: {id: $id}) { totalCount } }`, map[string]any{"id": u.ID}, &seen)
		if seen.Users.TotalCount != 0 {
			t.Error("team A's manager sees team B's new member")
		}

		for _, tc := range []struct {
			name, code, field string
			in                map[string]any
		}{
			{"taken email, other case", "CONFLICT", "", map[string]any{"email": "REPA@example.test", "name": "x", "password": "long enough pw"}},
			{"short password", "BAD_USER_INPUT", "password", map[string]any{"email": "a@example.test", "name": "x", "password": "short"}},
			{"team of another organization", "NOT_FOUND", "teamID", map[string]any{"email": "b@example.test", "name": "x", "teamID": w.ids["G"]}},
			{"empty name", "BAD_USER_INPUT", "name", map[string]any{"email": "c@example.test", "name": ""}},
		} {
			e := admin.MustFail(t, tc.code, createUser, map[string]any{"in": tc.in})
			if tc.field != "" && e.Extensions["field"] != tc.field {
				t.Errorf("%s: field %v, want %s (%s)", tc.name, e.Extensions["field"], tc.field, e.Message)
			}
		}
		for _, who := range []string{"mA", "repA"} {
			s.As(t, w.users[who]).MustFail(t, "FORBIDDEN", createUser, map[string]any{"in": map[string]any{
				"email": who + "-made@example.test", "name": "x"}})
			s.As(t, w.users[who]).MustFail(t, "FORBIDDEN", updateUser, map[string]any{"in": map[string]any{
				"id": w.ids[who], "role": "ADMIN"}})
		}
		if n := s.Client.User.Query().Where(user.EmailHasSuffix("-made@example.test")).CountX(apitest.Sys()); n != 0 {
			t.Errorf("%d users created by non-admins", n)
		}

		// Deactivation signs the user out and keeps them out.
		admin.MustQuery(t, updateUser, map[string]any{"in": map[string]any{"id": u.ID, "active": false}}, nil)
		s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": sess.RefreshToken})
		s.MustFail(t, "UNAUTHENTICATED", login, map[string]any{"in": map[string]any{
			"email": "new.rep@example.test", "password": "a long enough password"}})

		// An admin cannot lock themself out, nor reach another organization.
		admin.MustFail(t, "BAD_USER_INPUT", updateUser, map[string]any{"in": map[string]any{"id": w.ids["admin"], "active": false}})
		admin.MustFail(t, "BAD_USER_INPUT", updateUser, map[string]any{"in": map[string]any{"id": w.ids["admin"], "role": "REP"}})
		admin.MustFail(t, "NOT_FOUND", updateUser, map[string]any{"in": map[string]any{"id": w.ids["repG"], "name": "taken over"}})
		if g := s.Client.User.GetX(apitest.Sys(), w.ids["repG"]); g.Name == "taken over" {
			t.Error("an admin renamed a user of another organization")
		}
	})
}

func TestAdminManagesTeams(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		admin := s.As(t, w.users["admin"])
		var created struct {
			CreateTeam struct {
				Team struct {
					ID, Name string
					Parent   struct{ Name string }
				}
			}
		}
		admin.MustQuery(t, createTeam, map[string]any{"in": map[string]any{
			"name": "B2", "parentID": w.ids["B"], "reviewCadence": "WEEKLY", "managerIDs": []any{w.ids["mB"]},
		}}, &created)
		b2 := created.CreateTeam.Team
		if b2.Parent.Name != "B" {
			t.Fatalf("created %+v", b2)
		}
		admin.MustQuery(t, updateTeam, map[string]any{"in": map[string]any{
			"id": b2.ID, "addMemberIDs": []any{w.ids["repA2"]},
		}}, nil)
		if tm := s.Client.User.GetX(apitest.Sys(), w.ids["repA2"]); tm.TeamID == nil || string(*tm.TeamID) != b2.ID {
			t.Errorf("repA2 is in team %v, want B2", tm.TeamID)
		}

		for _, tc := range []struct {
			name, field, q string
			in             map[string]any
		}{
			{"parent of another organization", "parentID", createTeam, map[string]any{"name": "x", "parentID": w.ids["G"]}},
			{"manager of another organization", "managerIDs", createTeam, map[string]any{"name": "x", "managerIDs": []any{w.ids["adminG"]}}},
			{"empty name", "name", createTeam, map[string]any{"name": ""}},
			{"under itself", "parentID", updateTeam, map[string]any{"id": w.ids["A"], "parentID": w.ids["A"]}},
			{"under its own sub-team", "parentID", updateTeam, map[string]any{"id": w.ids["R"], "parentID": w.ids["A1"]}},
			{"member of another organization", "memberIDs", updateTeam, map[string]any{"id": w.ids["A"], "addMemberIDs": []any{w.ids["repG"]}}},
		} {
			code := "BAD_USER_INPUT"
			if strings.Contains(tc.name, "another organization") {
				code = "NOT_FOUND" // a reference to no object the viewer may link
			}
			e := admin.MustFail(t, code, tc.q, map[string]any{"in": tc.in})
			if e.Extensions["field"] != tc.field {
				t.Errorf("%s: field %v, want %s (%s)", tc.name, e.Extensions["field"], tc.field, e.Message)
			}
		}
		if p := s.Client.Team.GetX(apitest.Sys(), w.ids["R"]); p.ParentID != nil {
			t.Errorf("R got a parent: %v", *p.ParentID)
		}
		if n := s.Client.Team.Query().Where(team.Name("x")).CountX(apitest.Sys()); n != 0 {
			t.Errorf("%d refused teams were created", n)
		}
		s.As(t, w.users["mA"]).MustFail(t, "FORBIDDEN", createTeam, map[string]any{"in": map[string]any{"name": "mine"}})
		s.As(t, w.users["mA"]).MustFail(t, "FORBIDDEN", updateTeam, map[string]any{"in": map[string]any{"id": w.ids["A"], "name": "mine"}})
		s.As(t, w.users["adminG"]).MustFail(t, "NOT_FOUND", updateTeam, map[string]any{"in": map[string]any{"id": w.ids["A"], "name": "mine"}})
		if a := s.Client.Team.GetX(apitest.Sys(), w.ids["A"]); a.Name != "A" {
			t.Errorf("team A renamed to %q", a.Name)
		}
	})
}
