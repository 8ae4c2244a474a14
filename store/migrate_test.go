package store_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	"kpiflow/apitest"
	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/migrate"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/store"
)

// beforeMeetingTeams is the schema as it was before meetings stored their
// team: the meetings table without team_id, its foreign key and its index.
func beforeMeetingTeams() []*schema.Table {
	old := *migrate.MeetingsTable
	old.Columns, old.ForeignKeys, old.Indexes = nil, nil, nil
	for _, c := range migrate.MeetingsTable.Columns {
		if c.Name != "team_id" {
			old.Columns = append(old.Columns, c)
		}
	}
	for _, fk := range migrate.MeetingsTable.ForeignKeys {
		if fk.Columns[0].Name != "team_id" {
			old.ForeignKeys = append(old.ForeignKeys, fk)
		}
	}
	for _, ix := range migrate.MeetingsTable.Indexes {
		if ix.Columns[0].Name != "team_id" {
			old.Indexes = append(old.Indexes, ix)
		}
	}
	var tables []*schema.Table
	for _, t := range migrate.Tables {
		if t == migrate.MeetingsTable {
			t = &old
		}
		tables = append(tables, t)
	}
	return tables
}

// Migrating a database of before meetings stored their team gives each
// meeting its owner's team at that moment, the team it counted toward
// until then, exactly once: a later migration, after people moved or
// joined a team, changes nothing. It keeps an organization's built-in KPI
// of a retired definition, with its ID (its targets' KPI), under its new
// key, beside the key's new built-in, once.
func TestMigrateKeepsHistory(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			sys := apitest.Sys()
			st, err := store.Open(ctx, apitest.DatabaseURL(t, b))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			m, err := schema.NewMigrate(entsql.OpenDB(st.Dialect, st.DB))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Create(ctx, beforeMeetingTeams()...); err != nil {
				t.Fatal(err)
			}
			c := st.Client
			org := c.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("UTC").SaveX(sys)
			east := c.Team.Create().SetOrganizationID(org.ID).SetName("East").SaveX(sys)
			central := c.Team.Create().SetOrganizationID(org.ID).SetName("Central").SaveX(sys)
			newUser := func(email string, team *ent.Team) *ent.User {
				u := c.User.Create().SetOrganizationID(org.ID).SetEmail(email).SetName(email).
					SetPasswordHash("x").SetRole(user.RoleRep)
				if team != nil {
					u.SetTeamID(team.ID)
				}
				return u.SaveX(sys)
			}
			a, loner := newUser("a@acme.test", east), newUser("loner@acme.test", nil)
			ph := func(n int) string {
				if st.Dialect == dialect.Postgres {
					return "$" + strconv.Itoa(n)
				}
				return "?"
			}
			var phs []string
			for i := 1; i <= 9; i++ {
				phs = append(phs, ph(i))
			}
			insert := `INSERT INTO meetings (id, created_at, updated_at, kind, scheduled_at, duration_minutes, status, held_at, organization_id, owner_id)
				VALUES (` + strings.Join(phs[:8], ", ") + ", " + ph(9) + ", " + ph(10) + ")"
			held := time.Date(2026, 7, 10, 10, 0, 0, 0, time.UTC)
			var ids []pulid.ID
			for _, owner := range []*ent.User{a, a, loner} {
				id := pulid.New("meet")
				ids = append(ids, id)
				if _, err := st.DB.ExecContext(ctx, insert, string(id), held, held, "DEMO", held, 30, "HELD", held, string(org.ID), string(owner.ID)); err != nil {
					t.Fatal(err)
				}
			}
			// An organization of before: its conversion rate was deals per
			// meeting.
			conv := c.KPI.Query().Where(entkpi.Key("MEETING_CONVERSION_RATE")).OnlyX(sys)
			oldDef, _ := json.Marshal(definition.Retired[0].Definition)
			if _, err := st.DB.ExecContext(ctx, "UPDATE "+entkpi.Table+" SET definition = "+ph(1)+" WHERE id = "+ph(2), string(oldDef), string(conv.ID)); err != nil {
				t.Fatal(err)
			}

			migrateAll := func() {
				t.Helper()
				if err := st.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			check := func(when string) {
				t.Helper()
				for i, want := range []*pulid.ID{&east.ID, &east.ID, nil} {
					got := c.Meeting.GetX(sys, ids[i]).TeamID
					if (got == nil) != (want == nil) || (got != nil && *got != *want) {
						t.Errorf("%s: meeting %d counts toward %s, want %s", when, i, show(got), show(want))
					}
				}
				kept, err := c.KPI.Get(sys, conv.ID)
				if err != nil {
					t.Fatalf("%s: the KPI of the old conversion rate: %v", when, err)
				}
				if kept.Key != "DEALS_CLOSED_PER_100_MEETINGS" || kept.Builtin || !equalJSON(t, kept.Definition, definition.Retired[0].Definition) {
					t.Errorf("%s: the old conversion rate is kept as %s (builtin %v) %+v", when, kept.Key, kept.Builtin, kept.Definition)
				}
				fresh := c.KPI.Query().Where(entkpi.Key("MEETING_CONVERSION_RATE")).AllX(sys)
				if len(fresh) != 1 || !fresh[0].Builtin || fresh[0].ID == conv.ID {
					t.Fatalf("%s: MEETING_CONVERSION_RATE is %+v", when, fresh)
				}
				for _, bi := range definition.Builtins {
					if bi.Key == "MEETING_CONVERSION_RATE" && !equalJSON(t, fresh[0].Definition, bi.Definition) {
						t.Errorf("%s: MEETING_CONVERSION_RATE is defined as %+v", when, fresh[0].Definition)
					}
				}
				if n := c.KPI.Query().CountX(sys); n != len(definition.Builtins)+1 {
					t.Errorf("%s: %d KPIs, want the built-ins and the kept one", when, n)
				}
			}
			migrateAll()
			check("migrated")
			// People move and join teams; migrating again changes nothing.
			c.User.UpdateOne(a).SetTeamID(central.ID).ExecX(sys)
			c.User.UpdateOne(loner).SetTeamID(central.ID).ExecX(sys)
			migrateAll()
			check("migrated again")
			// Start-up adds missing built-ins: none is missing.
			if err := kpi.EnsureAllBuiltins(ctx, c); err != nil {
				t.Fatal(err)
			}
			check("started")
		})
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(x) == string(y)
}

func show(id *pulid.ID) string {
	if id == nil {
		return "no team"
	}
	return string(*id)
}

// The teams' managers are indexed by user (every signed-in request looks
// its viewer's managed teams up), and a later migration keeps the index,
// which ent does not declare.
func TestManagersIndexedByUser(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			st := apitest.OpenStore(t, b)
			ctx := context.Background()
			if err := st.Migrate(ctx); err != nil { // a second time: apitest migrated once
				t.Fatal(err)
			}
			q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'team_managers_user_id'`
			if st.Dialect == dialect.Postgres {
				q = `SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'team_managers_user_id'`
			}
			var n int
			if err := st.DB.QueryRowContext(ctx, q).Scan(&n); err != nil || n != 1 {
				t.Errorf("the index team_managers_user_id: %d found (%v), want 1", n, err)
			}
		})
	}
}
