package graph_test

import (
	"fmt"
	"reflect"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/enum"
)

const setFactor = `mutation($team: ID!, $label: String!, $f: Float!, $c: String) {
	setMarketFactor(input: {teamID: $team, period: {label: $label}, factor: $f, comment: $c}) { factor } }`

const teamFactors = `query($team: ID!, $first: Int, $kind: PeriodKind) { node(id: $team) { ... on Team {
	marketFactors(first: $first, kind: $kind) { id factor comment updatedAt period { label startsAt } setBy { email } } } } }`

type factorJSON struct {
	ID, Comment, UpdatedAt string
	Factor                 float64
	Period                 struct{ Label, StartsAt string }
	SetBy                  *struct{ Email string }
}

func readFactors(t *testing.T, as *apitest.Server, team *ent.Team, vars map[string]any) []factorJSON {
	t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["team"] = team.ID
	var out struct {
		Node struct{ MarketFactors []factorJSON }
	}
	as.MustQuery(t, teamFactors, vars, &out)
	return out.Node.MarketFactors
}

func factorLabels(fs []factorJSON) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Period.Label)
	}
	return out
}

// A team's market factors are listed newest period first (a year before
// its first quarter and month, which start with it), at most first of
// them (1 to 48), of one kind when asked; whoever reads the team reads
// them, nobody else (another organization, a rep of another team), and
// node(id:) resolves each as the list shows it.
func TestTeamMarketFactors(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		east, west := s.Team(t, org, "East", ""), s.Team(t, org, "West", "")
		mgr := s.User(t, org, "me@acme.test", user.RoleManager, nil)
		s.Manage(t, mgr, east)
		admin := s.User(t, org, "admin@acme.test", user.RoleAdmin, nil)
		r1 := s.User(t, org, "r1@acme.test", user.RoleRep, east)
		r3 := s.User(t, org, "r3@acme.test", user.RoleRep, west)
		other := s.Org(t, "Other", "USD")
		otherTeam := s.Team(t, other, "East", "")
		otherAdmin := s.User(t, other, "admin@other.test", user.RoleAdmin, nil)

		m := s.As(t, mgr)
		for i, label := range []string{"FY2026 Q4", "FY2026 M01", "FY2027 Q2", "FY2026", "FY2026 M11", "FY2027 Q1"} {
			m.MustQuery(t, setFactor, map[string]any{"team": east.ID, "label": label, "f": 1 + float64(i)/10, "c": "because " + label}, nil)
		}
		// Set again: the same factor, changed; not a second one.
		m.MustQuery(t, setFactor, map[string]any{"team": east.ID, "label": "FY2026 Q4", "f": 0.9, "c": "slower"}, nil)
		// The payload gives the factor set and the team's list with it.
		var set struct {
			SetMarketFactor struct {
				MarketFactor struct {
					ID     string
					Factor float64
					Period struct{ Label string }
				}
				Team struct{ MarketFactors []struct{ ID string } }
			}
		}
		m.MustQuery(t, `mutation($team: ID!) { setMarketFactor(input: {teamID: $team, period: {label: "FY2027 Q3"}, factor: 1.05}) {
			marketFactor { id factor period { label } } team { marketFactors(first: 1) { id } } } }`, map[string]any{"team": east.ID}, &set)
		if p := set.SetMarketFactor; p.MarketFactor.Factor != 1.05 || p.MarketFactor.Period.Label != "FY2027 Q3" ||
			len(p.Team.MarketFactors) != 1 || p.Team.MarketFactors[0].ID != p.MarketFactor.ID {
			t.Errorf("setMarketFactor's payload: %+v", p)
		}
		s.Client.MarketFactor.DeleteOneID(pulid.ID(set.SetMarketFactor.MarketFactor.ID)).ExecX(apitest.Sys())
		s.As(t, otherAdmin).MustQuery(t, setFactor, map[string]any{"team": otherTeam.ID, "label": "FY2026 Q4", "f": 2.0}, nil)

		all := []string{"FY2027 Q2", "FY2027 Q1", "FY2026 M11", "FY2026 Q4", "FY2026", "FY2026 M01"}
		a := s.As(t, admin)
		got := readFactors(t, a, east, nil)
		if labels := factorLabels(got); !reflect.DeepEqual(labels, all) {
			t.Fatalf("the factors are %v, want %v", labels, all)
		}
		q4 := got[3]
		if q4.Factor != 0.9 || q4.Comment != "slower" || q4.SetBy == nil || q4.SetBy.Email != "me@acme.test" ||
			q4.Period.StartsAt != "2026-10-01T00:00:00Z" || q4.UpdatedAt == "" {
			t.Errorf("the factor set twice: %+v", q4)
		}
		if got[0].Factor != 1.2 || got[0].Comment != "because FY2027 Q2" {
			t.Errorf("FY2027 Q2: %+v", got[0])
		}
		for _, c := range []struct {
			vars map[string]any
			want []string
		}{
			{map[string]any{"first": 2}, all[:2]},
			{map[string]any{"first": 48}, all},
			{map[string]any{"kind": "QUARTER"}, []string{"FY2027 Q2", "FY2027 Q1", "FY2026 Q4"}},
			{map[string]any{"kind": "MONTH", "first": 1}, []string{"FY2026 M11"}},
			{map[string]any{"kind": "YEAR"}, []string{"FY2026"}},
		} {
			if labels := factorLabels(readFactors(t, a, east, c.vars)); !reflect.DeepEqual(labels, c.want) {
				t.Errorf("%v: %v, want %v", c.vars, labels, c.want)
			}
		}
		if labels := factorLabels(readFactors(t, a, west, nil)); len(labels) != 0 {
			t.Errorf("West has no factor, got %v", labels)
		}
		// Without first, the newest 12.
		var months []*ent.MarketFactorCreate
		for i := 1; i <= 13; i++ {
			months = append(months, s.Client.MarketFactor.Create().SetOrganizationID(org.ID).SetTeamID(west.ID).SetSetByID(admin.ID).
				SetPeriodKind(enum.PeriodMonth).SetPeriodYear(2025).SetPeriodIndex(i%12+1).SetFactor(1))
			if i == 13 {
				months[i-1].SetPeriodYear(2024)
			}
		}
		s.Client.MarketFactor.CreateBulk(months...).ExecX(apitest.Sys())
		if fs := readFactors(t, a, west, nil); len(fs) != 12 || fs[0].Period.Label != "FY2025 M12" || fs[11].Period.Label != "FY2025 M01" {
			t.Errorf("West's factors by default: %v", factorLabels(fs))
		}
		if fs := readFactors(t, a, west, map[string]any{"first": 48}); len(fs) != 13 || fs[12].Period.Label != "FY2024 M02" {
			t.Errorf("West's 48 newest factors: %v", factorLabels(fs))
		}
		for _, first := range []int{0, -1, 49, 1000} {
			e := a.MustFail(t, "BAD_USER_INPUT", teamFactors, map[string]any{"team": east.ID, "first": first})
			if e.Extensions["field"] != "first" {
				t.Errorf("first: %d: %+v", first, e)
			}
		}

		// node(id:) gives each factor as listed.
		for _, f := range got {
			var r struct{ Node factorJSON }
			a.MustQuery(t, `query($id: ID!) { node(id: $id) { ... on MarketFactor { id factor comment updatedAt period { label startsAt } setBy { email } } } }`,
				map[string]any{"id": f.ID}, &r)
			if !reflect.DeepEqual(r.Node, f) {
				t.Errorf("node(%s) = %+v, listed as %+v", f.ID, r.Node, f)
			}
		}

		// The team's rep reads them (and who set them: a manager of their
		// team); a rep of another team reads neither the team nor its
		// factors.
		if labels := factorLabels(readFactors(t, s.As(t, r1), east, map[string]any{"first": 1})); !reflect.DeepEqual(labels, all[:1]) {
			t.Errorf("the team's rep reads %v", labels)
		}
		stranger := s.As(t, r3)
		stranger.MustFail(t, "NOT_FOUND", teamFactors, map[string]any{"team": east.ID})
		stranger.MustFail(t, "NOT_FOUND", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": got[0].ID})
		var list struct {
			Teams struct {
				Edges []struct {
					Node struct {
						Name          string
						MarketFactors []factorJSON
					}
				}
			}
		}
		stranger.MustQuery(t, `{ teams(first: 10) { edges { node { name marketFactors { id setBy { email } } } } } }`, nil, &list)
		if len(list.Teams.Edges) != 1 || list.Teams.Edges[0].Node.Name != "West" || len(list.Teams.Edges[0].Node.MarketFactors) != 12 {
			t.Fatalf("a rep of West lists %+v", list)
		}
		// West's factors were set by an admin whom West's rep does not read:
		// the factors are listed, their setter is null.
		for _, f := range list.Teams.Edges[0].Node.MarketFactors {
			if f.SetBy != nil {
				t.Errorf("a rep of West reads the setter %+v", f.SetBy)
			}
		}

		// Another organization's admin sees their own factor only.
		oa := s.As(t, otherAdmin)
		oa.MustFail(t, "NOT_FOUND", teamFactors, map[string]any{"team": east.ID})
		oa.MustFail(t, "NOT_FOUND", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": got[0].ID})
		if fs := readFactors(t, oa, otherTeam, nil); len(fs) != 1 || fs[0].Factor != 2 || fs[0].Period.Label != "FY2026 Q4" {
			t.Errorf("the other organization's factors: %+v", fs)
		}
	})
}

// Market factors on a list of teams cost one statement for the whole list
// (and one for who set them), whatever the number of teams: the same for 3
// teams as for 60, each with its own newest factors.
func TestMarketFactorStatementsDoNotGrow(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		const query = `{ teams(first: 100) { edges { node { name
			marketFactors(first: 3) { id factor period { label } setBy { email } }
			months: marketFactors(first: 2, kind: MONTH) { factor } } } } }`
		count := func(n int) int64 {
			org := s.Org(t, fmt.Sprintf("Org %d", n), "USD")
			admin := s.User(t, org, fmt.Sprintf("admin@org%d.test", n), user.RoleAdmin, nil)
			sys := apitest.Sys()
			for i := 0; i < n; i++ {
				tm := s.Team(t, org, fmt.Sprintf("Team %03d", i), "")
				var fs []*ent.MarketFactorCreate
				for _, p := range []struct {
					kind        enum.PeriodKind
					year, index int
				}{{enum.PeriodQuarter, 2026, 1}, {enum.PeriodQuarter, 2026, 3}, {enum.PeriodMonth, 2026, 5}, {enum.PeriodMonth, 2026, 12}, {enum.PeriodYear, 2027, 1}} {
					fs = append(fs, s.Client.MarketFactor.Create().SetOrganizationID(org.ID).SetTeamID(tm.ID).SetSetByID(admin.ID).
						SetPeriodKind(p.kind).SetPeriodYear(p.year).SetPeriodIndex(p.index).SetFactor(1+float64(i)/100))
				}
				s.Client.MarketFactor.CreateBulk(fs...).ExecX(sys)
			}
			c := s.As(t, admin)
			c.MustQuery(t, query, nil, nil)
			before := s.Store.Statements()
			var out struct {
				Teams struct {
					Edges []struct {
						Node struct {
							Name          string
							MarketFactors []struct {
								Factor float64
								Period struct{ Label string }
								SetBy  *struct{ Email string }
							}
							Months []struct{ Factor float64 }
						}
					}
				}
			}
			c.MustQuery(t, query, nil, &out)
			stmts := s.Store.Statements() - before
			if len(out.Teams.Edges) != n {
				t.Fatalf("%d teams listed, want %d", len(out.Teams.Edges), n)
			}
			for i, e := range out.Teams.Edges {
				want := 1 + float64(i)/100
				labels := []string{}
				for _, f := range e.Node.MarketFactors {
					labels = append(labels, f.Period.Label)
					if f.Factor != want || f.SetBy == nil || f.SetBy.Email != admin.Email {
						t.Fatalf("%s: %+v", e.Node.Name, f)
					}
				}
				if !reflect.DeepEqual(labels, []string{"FY2027", "FY2026 M12", "FY2026 Q3"}) || len(e.Node.Months) != 2 {
					t.Fatalf("%s: %v and %d months", e.Node.Name, labels, len(e.Node.Months))
				}
			}
			return stmts
		}
		few, many := count(3), count(60)
		t.Logf("%d statements for 3 teams, %d for 60", few, many)
		// The viewer, the teams, each marketFactors field's factors (two
		// fields), and the setters of the first.
		if few != 5 || many != 5 {
			t.Errorf("%d statements for 3 teams, %d for 60; want 5 for both", few, many)
		}
	})
}
