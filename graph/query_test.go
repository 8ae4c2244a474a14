package graph_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/user"
)

type page struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage     bool   `json:"hasNextPage"`
		HasPreviousPage bool   `json:"hasPreviousPage"`
		StartCursor     string `json:"startCursor"`
		EndCursor       string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string `json:"cursor"`
		Node   struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Stage string `json:"stage"`
		} `json:"node"`
	} `json:"edges"`
}

func (p page) names() string {
	var n []string
	for _, e := range p.Edges {
		n = append(n, e.Node.Name)
	}
	return strings.Join(n, ",")
}

const dealsPage = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: DealWhereInput, $orderBy: [DealOrder!]) {
  deals(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name stage } }
  }
}`

// seedDeals stores deals named d01…dNN for the rep, with stage and amount
// varying by number: every third is WON, every fifth LOST.
func seedDeals(t *testing.T, s *apitest.Server, rep *ent.User, n int) []*ent.Deal {
	t.Helper()
	ctx := apitest.Sys()
	var out []*ent.Deal
	opened := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		c := s.Client.Deal.Create().SetOwnerID(rep.ID).
			SetName(fmt.Sprintf("d%02d", i)).SetCustomerName(fmt.Sprintf("c%d", i%4)).
			SetAmount(int64(i) * 1000).SetOpenedAt(opened)
		switch {
		case i%3 == 0:
			c.SetStage(deal.StageWon).SetClosedAt(opened.AddDate(0, 0, i))
		case i%5 == 0:
			c.SetStage(deal.StageLost).SetClosedAt(opened.AddDate(0, 0, i))
		}
		out = append(out, c.SaveX(ctx))
	}
	return out
}

func TestDealsPagination(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		seedDeals(t, s, f.rep, 7)
		byName := []map[string]any{{"field": "NAME"}}
		var p1, p2, p3 struct{ Deals page }
		s.MustQuery(t, dealsPage, map[string]any{"first": 3, "orderBy": byName}, &p1)
		if got := p1.Deals.names(); got != "d01,d02,d03" || !p1.Deals.PageInfo.HasNextPage || p1.Deals.TotalCount != 7 {
			t.Fatalf("first page = %s (next %v, total %d)", got, p1.Deals.PageInfo.HasNextPage, p1.Deals.TotalCount)
		}
		s.MustQuery(t, dealsPage, map[string]any{"first": 3, "after": p1.Deals.PageInfo.EndCursor, "orderBy": byName}, &p2)
		if got := p2.Deals.names(); got != "d04,d05,d06" || !p2.Deals.PageInfo.HasNextPage {
			t.Fatalf("second page = %s (next %v)", got, p2.Deals.PageInfo.HasNextPage)
		}
		s.MustQuery(t, dealsPage, map[string]any{"first": 3, "after": p2.Deals.PageInfo.EndCursor, "orderBy": byName}, &p3)
		if got := p3.Deals.names(); got != "d07" || p3.Deals.PageInfo.HasNextPage {
			t.Fatalf("last page = %s (next %v)", got, p3.Deals.PageInfo.HasNextPage)
		}

		// Backwards: the last two, then the two before them.
		var b1, b2 struct{ Deals page }
		s.MustQuery(t, dealsPage, map[string]any{"last": 2, "orderBy": byName}, &b1)
		if got := b1.Deals.names(); got != "d06,d07" || !b1.Deals.PageInfo.HasPreviousPage {
			t.Fatalf("last 2 = %s (previous %v)", got, b1.Deals.PageInfo.HasPreviousPage)
		}
		s.MustQuery(t, dealsPage, map[string]any{"last": 2, "before": b1.Deals.PageInfo.StartCursor, "orderBy": byName}, &b2)
		if got := b2.Deals.names(); got != "d04,d05" {
			t.Fatalf("2 before = %s", got)
		}

		s.MustFail(t, "BAD_USER_INPUT", dealsPage, map[string]any{"first": 1, "last": 1})
		s.MustFail(t, "BAD_USER_INPUT", dealsPage, map[string]any{"first": -1})
		s.MustFail(t, "BAD_USER_INPUT", dealsPage, map[string]any{"first": 1, "after": "not a cursor"})
	})
}

func TestPageSizeIsCapped(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		seedDeals(t, s, f.rep, 60)
		var all struct{ Deals page }
		s.MustQuery(t, dealsPage, nil, &all)
		if len(all.Deals.Edges) != 50 || all.Deals.TotalCount != 60 || !all.Deals.PageInfo.HasNextPage {
			t.Errorf("no first/last: %d edges of %d (next %v), want the default page of 50",
				len(all.Deals.Edges), all.Deals.TotalCount, all.Deals.PageInfo.HasNextPage)
		}
		var max struct{ Deals page }
		s.MustQuery(t, dealsPage, map[string]any{"first": 500}, &max)
		if len(max.Deals.Edges) != 60 {
			t.Errorf("first 500: %d edges, want all 60", len(max.Deals.Edges))
		}
		e := s.MustFail(t, "BAD_USER_INPUT", dealsPage, map[string]any{"first": 501})
		if !strings.Contains(e.Message, "500") {
			t.Errorf("message %q does not say the limit", e.Message)
		}
		s.MustFail(t, "BAD_USER_INPUT", `{ deals(last: 1000) { totalCount } }`, nil)

		// Nested connections get the same default and limit, also when they
		// are loaded eagerly with their parent.
		var nested struct {
			Users struct {
				Edges []struct {
					Node struct{ Deals page }
				}
			}
		}
		s.MustQuery(t, `{ users(where: {email: "rep@acme.test"}) { edges { node {
			deals { totalCount edges { node { id name } } } } } } }`, nil, &nested)
		if len(nested.Users.Edges) != 1 {
			t.Fatalf("want the rep, got %+v", nested.Users.Edges)
		}
		if d := nested.Users.Edges[0].Node.Deals; len(d.Edges) != 50 || d.TotalCount != 60 {
			t.Errorf("nested deals: %d edges of %d, want 50 of 60", len(d.Edges), d.TotalCount)
		}
		s.MustFail(t, "BAD_USER_INPUT", `{ users { edges { node { deals(first: 501) { totalCount } } } } }`, nil)
		s.MustFail(t, "BAD_USER_INPUT", `query($n: Int) { users { edges { node { ...D } } } }
			fragment D on User { deals(first: $n) { totalCount } }`, map[string]any{"n": 9999})
	})
}

func TestDealsFilterAndOrder(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		seedDeals(t, s, f.rep, 12)
		for _, tc := range []struct {
			name    string
			where   map[string]any
			orderBy []map[string]any
			want    string
		}{
			{"won by name", map[string]any{"stage": "WON"}, []map[string]any{{"field": "NAME"}}, "d03,d06,d09,d12"},
			{"closed, newest close first", map[string]any{"stageIn": []string{"WON", "LOST"}, "closedAtGTE": "2026-01-06T00:00:00Z"},
				[]map[string]any{{"field": "NAME", "direction": "DESC"}}, "d12,d10,d09,d06,d05"},
			// The same instant in another offset selects the same deals.
			{"closed since, in +05:00", map[string]any{"stageIn": []string{"WON", "LOST"}, "closedAtGTE": "2026-01-06T05:00:00+05:00"},
				[]map[string]any{{"field": "NAME", "direction": "DESC"}}, "d12,d10,d09,d06,d05"},
			{"closed before, in -08:00", map[string]any{"closedAtLT": "2026-01-05T16:00:00-08:00"},
				[]map[string]any{{"field": "NAME"}}, "d03"},
			{"by amount descending", map[string]any{"nameHasPrefix": "d0"},
				[]map[string]any{{"field": "AMOUNT", "direction": "DESC"}}, "d09,d08,d07,d06,d05,d04,d03,d02,d01"},
			// Stages order by their names (LOST, PROSPECTING, WON), as enums do.
			{"stage then name", map[string]any{"nameIn": []string{"d01", "d03", "d05", "d06"}},
				[]map[string]any{{"field": "STAGE"}, {"field": "NAME", "direction": "DESC"}}, "d05,d01,d06,d03"},
			{"or", map[string]any{"or": []map[string]any{{"name": "d01"}, {"name": "d11"}}},
				[]map[string]any{{"field": "NAME"}}, "d01,d11"},
			{"by owner", map[string]any{"hasOwnerWith": []map[string]any{{"email": "rep@acme.test"}}, "customerName": "c1"},
				[]map[string]any{{"field": "NAME"}}, "d01,d05,d09"},
			{"other owner", map[string]any{"hasOwnerWith": []map[string]any{{"email": "rep@globex.test"}}}, nil, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r struct{ Deals page }
				s.MustQuery(t, dealsPage, map[string]any{"where": tc.where, "orderBy": tc.orderBy}, &r)
				if got := r.Deals.names(); got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			})
		}
	})
}

func TestMeetingsTeamsUsersConnections(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		ctx := apitest.Sys()
		sub := s.Team(t, f.org, "East Enterprise", f.team.ID)
		s.User(t, f.org, "junior@acme.test", user.RoleRep, sub)
		for i, st := range []meeting.Status{meeting.StatusHeld, meeting.StatusHeld, meeting.StatusCancelled, meeting.StatusNoShow} {
			at := time.Date(2026, 5, 1+i, 10, 0, 0, 0, time.UTC)
			s.Client.Meeting.Create().SetOwnerID(f.rep.ID).SetKind(meeting.KindDemo).
				SetScheduledAt(at).SetStatus(st).SaveX(ctx)
		}
		var r struct {
			Meetings struct{ TotalCount int }
			Teams    struct {
				Edges []struct {
					Node struct {
						Name     string
						Parent   *struct{ Name string }
						Children struct{ TotalCount int }
						Members  struct {
							Edges []struct{ Node struct{ Email string } }
						}
					}
				}
			}
			Users struct {
				Edges []struct{ Node struct{ Email, Role string } }
			}
		}
		s.MustQuery(t, `{
			meetings(where: {status: HELD, heldAtGTE: "2026-05-01T00:00:00Z"}, orderBy: [{field: SCHEDULED_AT}]) { totalCount }
			teams(orderBy: [{field: NAME}]) { edges { node {
				name parent { name } children { totalCount } members { edges { node { email } } } } } }
			users(where: {role: REP}, orderBy: [{field: EMAIL, direction: DESC}]) { edges { node { email role } } }
		}`, nil, &r)
		if r.Meetings.TotalCount != 2 {
			t.Errorf("held meetings = %d, want 2", r.Meetings.TotalCount)
		}
		var teams []string
		for _, e := range r.Teams.Edges {
			parent := "-"
			if e.Node.Parent != nil {
				parent = e.Node.Parent.Name
			}
			teams = append(teams, fmt.Sprintf("%s<%s>%d/%d", e.Node.Name, parent, e.Node.Children.TotalCount, len(e.Node.Members.Edges)))
		}
		if got := strings.Join(teams, " "); got != "East<->1/1 East Enterprise<East>0/1" {
			t.Errorf("teams = %s", got)
		}
		var emails []string
		for _, e := range r.Users.Edges {
			emails = append(emails, e.Node.Email)
		}
		if got := strings.Join(emails, ","); got != "rep@acme.test,junior@acme.test" {
			t.Errorf("reps by email desc = %s", got)
		}
	})
}

func TestNodeResolvesEveryType(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		ctx := apitest.Sys()
		d := s.Client.Deal.Create().SetOwnerID(f.rep.ID).SetName("D").SetCustomerName("C").SetAmount(1).SaveX(ctx)
		m := s.Client.Meeting.Create().SetOwnerID(f.rep.ID).SetKind(meeting.KindDiscovery).
			SetScheduledAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)).SaveX(ctx)
		ids := map[string]string{
			"Organization": string(f.org.ID), "Team": string(f.team.ID), "User": string(f.rep.ID),
			"Deal": string(d.ID), "Meeting": string(m.ID),
		}
		for typ, id := range ids {
			var r struct {
				Node struct {
					Typename string `json:"__typename"`
					ID       string `json:"id"`
				}
			}
			s.MustQuery(t, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id}, &r)
			if r.Node.Typename != typ || r.Node.ID != id {
				t.Errorf("node(%s) = %+v, want a %s", id, r.Node, typ)
			}
			if !strings.HasPrefix(id, map[string]string{"Organization": "org_", "Team": "team_", "User": "user_",
				"Deal": "deal_", "Meeting": "meet_"}[typ]) {
				t.Errorf("%s id %s lacks its type prefix", typ, id)
			}
		}
		var many struct {
			Nodes []*struct {
				Typename string `json:"__typename"`
			}
		}
		s.MustQuery(t, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }`,
			map[string]any{"ids": []string{ids["Deal"], ids["User"], ids["Deal"]}}, &many)
		if len(many.Nodes) != 3 || many.Nodes[0].Typename != "Deal" || many.Nodes[1].Typename != "User" || many.Nodes[2].Typename != "Deal" {
			t.Errorf("nodes = %+v, want Deal, User, Deal in the order asked", many.Nodes)
		}

		for _, id := range []string{
			"deal_01J00000000000000000000000", // well-formed, no such deal
			"nope_01J00000000000000000000000", // unknown type
			"garbage", "", "deal_", "deal_01J0000000000000000000000Z!",
		} {
			s.MustFail(t, "NOT_FOUND", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		}
	})
}

func TestInternalErrorsAreMaskedAndLogged(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		// Break the database under the server: the driver's error must not
		// reach the client.
		if _, err := s.Store.DB.Exec(`DROP TABLE meetings`); err != nil {
			t.Fatal(err)
		}
		r := s.Query(t, `{ meetings { totalCount edges { node { id } } } }`, nil)
		if len(r.Errors) != 1 {
			t.Fatalf("want one error, got %s", r.RawBody)
		}
		e := r.Errors[0]
		if e.Code() != "INTERNAL" || e.Message != "internal error" {
			t.Errorf("error = %+v, want a masked INTERNAL", e)
		}
		body := strings.ToLower(string(r.RawBody))
		for _, leak := range []string{"no such table", "relation", "sql", "pq:", "select", "driver"} {
			if strings.Contains(body, leak) {
				t.Errorf("response leaks %q: %s", leak, r.RawBody)
			}
		}
		id := r.Header.Get("X-Request-Id")
		if id == "" || e.Extensions["requestId"] != id {
			t.Errorf("requestId %v, header %q: they must match", e.Extensions["requestId"], id)
		}
		logs := s.Logs()
		if !strings.Contains(logs, "request_id="+id) || !strings.Contains(logs, "meetings") {
			t.Errorf("the log lacks the request id or the cause:\n%s", logs)
		}

		// Mutations are masked the same way.
		r = s.Query(t, `mutation($in: CreateMeetingInput!) { createMeeting(input: $in) { meeting { id } } }`,
			map[string]any{"in": map[string]any{"ownerID": f.rep.ID, "kind": "DEMO",
				"scheduledAt": "2026-01-01T00:00:00Z"}})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "INTERNAL" || r.Errors[0].Message != "internal error" ||
			strings.Contains(strings.ToLower(string(r.RawBody)), "table") {
			t.Errorf("mutation on a broken database: %s", r.RawBody)
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		get := func(path string) int {
			resp, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if c := get("/healthz"); c != 200 {
			t.Errorf("/healthz = %d", c)
		}
		if c := get("/readyz"); c != 200 {
			t.Errorf("/readyz = %d", c)
		}
		if c := get("/"); c != 200 {
			t.Errorf("the console at / = %d", c)
		}
		s.Store.DB.Close()
		if c := get("/readyz"); c != http.StatusServiceUnavailable {
			t.Errorf("/readyz with the database closed = %d, want 503", c)
		}
		if c := get("/healthz"); c != 200 {
			t.Errorf("/healthz with the database closed = %d, want 200: the process is up", c)
		}
	})
}

func TestQueryOverGET(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		newSalesFixture(t, s)
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/graphql?query="+
			url.QueryEscape(`{ organizations(orderBy: {field: NAME}) { edges { node { name currency } } } }`), nil)
		r := s.Do(t, req)
		if r.Status != 200 || len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"name":"Acme","currency":"USD"`) {
			t.Errorf("GET query: %d %s", r.Status, r.RawBody)
		}
	})
}

// One access-log line per request: operation, viewer, status, codes, duration.
func TestAccessLog(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		f := newSalesFixture(t, s)
		s.MustQuery(t, `query DealsOfTheWeek { deals { totalCount } }`, nil, nil)
		s.WithToken("").Query(t, `query Sneaky { deals { totalCount } }`, nil)
		logs := s.Logs()
		for _, want := range []string{
			"operation=DealsOfTheWeek viewer=" + string(f.admin.ID) + " status=200 codes=\"\"",
			"operation=Sneaky viewer=\"\" status=200 codes=UNAUTHENTICATED",
		} {
			if !strings.Contains(logs, want) {
				t.Errorf("no access-log line with %q in:\n%s", want, logs)
			}
		}
	})
}
