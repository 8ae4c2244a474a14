package apitest

import (
	"context"
	"testing"
	"time"

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
		Save(context.Background())
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
	tm, err := c.Save(context.Background())
	if err != nil {
		t.Fatalf("creating team %s: %v", name, err)
	}
	return tm
}

// User creates a user of an organization with a role, member of team when
// it is not nil.
func (s *Server) User(t testing.TB, org *ent.Organization, email string, role user.Role, team *ent.Team) *ent.User {
	t.Helper()
	c := s.Client.User.Create().
		SetOrganizationID(org.ID).SetEmail(email).SetName(email).SetRole(role).
		SetHiredAt(time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC))
	if team != nil {
		c.SetTeamID(team.ID)
	}
	u, err := c.Save(context.Background())
	if err != nil {
		t.Fatalf("creating user %s: %v", email, err)
	}
	return u
}
