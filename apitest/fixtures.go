package apitest

import (
	"sync"
	"testing"
	"time"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

// Org creates an organization with a currency (and UTC, fiscal year from
// January).
func (s *Server) Org(t testing.TB, name, currency string) *ent.Organization {
	t.Helper()
	o, err := s.Client.Organization.Create().
		SetName(name).SetCurrency(currency).SetTimezone("UTC").
		Save(Sys())
	if err != nil {
		t.Fatalf("creating organization %s: %v", name, err)
	}
	return o
}

// Team creates a team of an organization, under parent when it is not "".
func (s *Server) Team(t testing.TB, org *ent.Organization, name string, parent pulid.ID) *ent.Team {
	t.Helper()
	c := s.Client.Team.Create().SetName(name).SetOrganizationID(org.ID)
	if parent != "" {
		c.SetParentID(parent)
	}
	tm, err := c.Save(Sys())
	if err != nil {
		t.Fatalf("creating team %s: %v", name, err)
	}
	return tm
}

// Password is the password of every user the fixtures create.
const Password = "correct horse battery staple"

var (
	hashOnce sync.Once
	hash     string
	hashErr  error
)

func passwordHash(t testing.TB) string {
	hashOnce.Do(func() { hash, hashErr = auth.HashPassword(Password, PasswordParams) })
	if hashErr != nil {
		t.Fatal(hashErr)
	}
	return hash
}

// User creates a user of an organization with a role, member of team when
// it is not nil.
func (s *Server) User(t testing.TB, org *ent.Organization, email string, role user.Role, team *ent.Team) *ent.User {
	t.Helper()
	c := s.Client.User.Create().
		SetOrganizationID(org.ID).SetEmail(email).SetName(email).SetRole(role).
		SetPasswordHash(passwordHash(t)).
		SetHiredAt(time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC))
	if team != nil {
		c.SetTeamID(team.ID)
	}
	u, err := c.Save(Sys())
	if err != nil {
		t.Fatalf("creating user %s: %v", email, err)
	}
	return u
}

// Manage makes the user a manager of the teams.
func (s *Server) Manage(t testing.TB, u *ent.User, teams ...*ent.Team) {
	t.Helper()
	for _, tm := range teams {
		if err := s.Client.Team.UpdateOne(tm).AddManagers(u).Exec(Sys()); err != nil {
			t.Fatalf("making %s a manager of %s: %v", u.Email, tm.Name, err)
		}
	}
}
