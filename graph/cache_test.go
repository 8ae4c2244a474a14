package graph_test

import (
	"encoding/base32"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/graph"
	"kpiflow/kpi"
	"kpiflow/workflow"
)

// nodeTypes are the object types of the served schema that implement Node.
func nodeTypes() []*ast.Definition {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var out []*ast.Definition
	for _, d := range schema.Types {
		if d.Kind == ast.Object && !strings.HasPrefix(d.Name, "__") && contains(d.Interfaces, "Node") {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// leaves are the leaf fields of a type that take no argument: what must
// be the same whether an object is read where a query returns it or
// through node(id:).
func leaves(typ string) string {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var out []string
	for _, f := range schema.Types[typ].Fields {
		k := schema.Types[f.Type.Name()].Kind
		if strings.HasPrefix(f.Name, "__") || len(f.Arguments) > 0 || (k != ast.Scalar && k != ast.Enum) {
			continue
		}
		out = append(out, f.Name)
	}
	return strings.Join(out, " ")
}

// computedTypes are the Node types the API computes rather than stores.
var computedTypes = []string{"Scorecard", "KPIResult", "KPITrend", "TrendPoint", "TeamRollup", "RollupMember",
	"TargetHistoryPoint", "InboxItem"}

// nodeFragment is the fragment All: the type and id of any node, and the
// leaves of the types given.
func nodeFragment(types ...string) string {
	var b strings.Builder
	b.WriteString("fragment All on Node { __typename id")
	for _, typ := range types {
		fmt.Fprintf(&b, " ... on %s { %s }", typ, leaves(typ))
	}
	b.WriteString(" }")
	return b.String()
}

// harvest collects every object with a __typename and an id in a
// response, by ID.
func harvest(v any, into map[string]map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		if id, ok := v["id"].(string); ok {
			if _, typed := v["__typename"]; typed {
				into[id] = v
			}
		}
		for _, e := range v {
			harvest(e, into)
		}
	case []any:
		for _, e := range v {
			harvest(e, into)
		}
	}
}

// cacheWorld is a KPI world with a target of every kind of history, open
// reviews, and something in the inboxes of the manager and of a rep.
type cacheWorld struct {
	*kpiWorld
	target, proposal targetJSON
	item             *ent.ReviewItem
	deals            pulid.ID
}

func newCacheWorld(t *testing.T, s *apitest.Server) *cacheWorld {
	w := &cacheWorld{kpiWorld: newKPIWorld(t, s)}
	rep, rep2, mgr := s.As(t, w.r1), s.As(t, w.r2), s.As(t, w.mE)
	deals := w.kpiID(t, "DEALS_CLOSED")
	w.deals = deals
	// November's target, reviewed in November's review and closed; this
	// quarter's, reviewed there too (open, due on 1 December) and adjusted.
	month := w.do(t, rep, "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r1.ID,
		"period": map[string]any{"label": "FY2027 M10"}, "value": "2"})
	w.do(t, mgr, "approveTarget", map[string]any{"targetId": month.ID, "expectedVersion": month.Version})
	w.target = w.do(t, rep, "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r1.ID,
		"period": map[string]any{"label": q4}, "value": "3"})
	w.target = w.do(t, mgr, "approveTarget", map[string]any{"targetId": w.target.ID, "expectedVersion": w.target.Version})
	engine := kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}
	svc := workflow.NewServiceAt(engine, func() time.Time { return apitest.Now })
	if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, apitest.Now); err != nil {
		t.Fatal(err)
	}
	w.item = s.Client.ReviewItem.Query().Where(reviewitem.TargetID(pulid.ID(w.target.ID))).OnlyX(apitest.Sys())
	mgr.MustQuery(t, `mutation($id: ID!) { decideReviewItem(input: {itemId: $id, decision: ADJUST, value: "4",
		reasonCode: PERFORMANCE, comment: "ahead of plan"}) { item { id } } }`, map[string]any{"id": w.item.ID}, nil)
	closer := workflow.NewServiceAt(engine, func() time.Time { return utc("2026-12-10T12:00:00Z") })
	if n, err := closer.ClosePeriods(apitest.Sys(), s.Client, w.org.ID); err != nil || n != 1 {
		t.Fatalf("closed %d: %v", n, err)
	}
	// A market factor of East, which its manager, its rep and the admin read.
	mgr.MustQuery(t, `mutation($team: ID!) { setMarketFactor(input: {teamID: $team, period: {label: "FY2027 Q4"}, factor: 1.1}) { factor } }`,
		map[string]any{"team": w.east.ID}, nil)
	// A proposal waiting for the manager.
	w.proposal = w.do(t, rep2, "proposeTarget", map[string]any{"kpiID": deals, "userID": w.r2.ID,
		"period": map[string]any{"label": q4}, "value": "5"})
	return w
}

// harvestQueries are queries that reach every Node type: every root
// connection with the connections of its nodes (from the schema), and the
// objects the API computes.
func (w *cacheWorld) harvestQueries(rep bool) []string {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var qs []string
	for _, f := range schema.Query.Fields {
		if !strings.HasSuffix(f.Type.Name(), "Connection") || schema.Types[f.Type.Name()].Fields.ForName("edges") == nil {
			continue
		}
		node := schema.Types[schema.Types[strings.TrimSuffix(f.Type.Name(), "Connection")+"Edge"].Fields.ForName("node").Type.Name()]
		var nested []string
		for _, e := range node.Fields {
			if strings.HasSuffix(e.Type.Name(), "Connection") && e.Arguments.ForName("first") != nil {
				nested = append(nested, e.Name+"(first: 5) { edges { node { ...All } } }")
			}
		}
		if node.Fields.ForName("history") != nil {
			nested = append(nested, "history { ...All }")
		}
		qs = append(qs, fmt.Sprintf("{ %s(first: 50) { edges { node { ...All %s } } } }", f.Name, strings.Join(nested, " ")))
	}
	kpiID := w.deals
	qs = append(qs,
		fmt.Sprintf(`{ scorecard(scope: {teamID: %q}, period: {label: %q}) { ...All results { ...All } } }`, w.east.ID, q4),
		fmt.Sprintf(`{ scorecard(scope: {userID: %q}, period: {label: %q}) { ...All results { ...All } } }`, w.r1.ID, q4),
		fmt.Sprintf(`{ kpiTrend(scope: {userID: %q}, kpi: %q, from: {label: "FY2027 Q1"}, to: {label: %q}, periodKind: QUARTER) { ...All points { ...All } } }`, w.r1.ID, kpiID, q4),
	)
	qs = append(qs, `{ teams(first: 50) { edges { node { marketFactors { ...All } } } } }`)
	if !rep { // a rollup shows each member's values: managers only
		qs = append(qs, fmt.Sprintf(`{ teamRollup(team: %q, kpi: %q, period: {label: %q}) { ...All members { ...All } } }`, w.east.ID, kpiID, q4))
	}
	return qs
}

// collect runs the harvest as a viewer.
func (w *cacheWorld) collect(t *testing.T, as *apitest.Server, vu *ent.User, extra ...string) map[string]map[string]any {
	t.Helper()
	found := map[string]map[string]any{}
	for _, q := range append(w.harvestQueries(vu.Role == user.RoleRep), extra...) {
		frag := nodeFragment()
		if !strings.Contains(q, "edges { node { ...All") || strings.Contains(q, "inbox") {
			frag = nodeFragment(computedTypes...)
		}
		r := as.Query(t, q+"\n"+frag, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %s", q, r.RawBody)
		}
		var data any
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		harvest(data, found)
	}
	return found
}

const inboxHarvest = `{ inbox { edges { node { ...All } } } }`

// Every type that implements Node (enumerated from the served schema)
// resolves by its own id, through node and nodes, to the same object as the
// query that returned it; computed objects have the same IDs in every
// request.
func TestEveryNodeResolvesByItsID(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newCacheWorld(t, s)
		byType := map[string]int{}
		for _, vu := range []*ent.User{w.mE, w.r1, w.adm} {
			as := s.As(t, vu)
			extra := []string{inboxHarvest}
			if vu == w.adm {
				extra = append(extra, fmt.Sprintf(`{ scorecard(scope: {organization: true}, period: {label: %q}) { ...All results { ...All } } }`, q4))
			}
			found := w.collect(t, as, vu, extra...)
			again := w.collect(t, as, vu, extra...)
			var ids []string
			for id, obj := range found {
				typ := obj["__typename"].(string)
				byType[typ]++
				ids = append(ids, id)
				if !reflect.DeepEqual(again[id], obj) {
					t.Errorf("%s: %s %s is not the same in a second request: %v, then %v", vu.Email, typ, id, obj, again[id])
				}
				var r struct{ Node map[string]any }
				as.MustQuery(t, fmt.Sprintf(`query($id: ID!) { node(id: $id) { __typename id ... on %s { %s } } }`, typ, leaves(typ)),
					map[string]any{"id": id}, &r)
				for k, v := range r.Node {
					if got, ok := obj[k]; ok && !reflect.DeepEqual(got, v) {
						t.Errorf("%s: node(%s) of a %s: %s = %v, where the query gave %v", vu.Email, id, typ, k, v, obj[k])
					}
				}
				if r.Node["__typename"] != typ || r.Node["id"] != id {
					t.Errorf("%s: node(%s) = %v, want the %s", vu.Email, id, r.Node, typ)
				}
			}
			// nodes: all at once, stored and derived mixed, in the order asked.
			sort.Strings(ids)
			var rs struct{ Nodes []map[string]any }
			as.MustQuery(t, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids}, &rs)
			if len(rs.Nodes) != len(ids) {
				t.Fatalf("%s: nodes gave %d of %d", vu.Email, len(rs.Nodes), len(ids))
			}
			for i, n := range rs.Nodes {
				if n == nil || n["id"] != ids[i] || n["__typename"] != found[ids[i]]["__typename"] {
					t.Errorf("%s: nodes[%d] = %v, want %s", vu.Email, i, n, ids[i])
				}
			}
		}
		for _, d := range nodeTypes() {
			if byType[d.Name] == 0 {
				t.Errorf("no %s was reached: a Node type this test does not check (add a query that returns one)", d.Name)
			}
		}
	})
}

// derivedPrefixes are the type prefixes of computed objects' IDs.
var derivedPrefixes = []string{"scard_", "kres_", "ktrend_", "kpoint_", "rollup_", "rmember_", "thist_", "inbox_"}

func isDerivedID(id string) bool {
	for _, p := range derivedPrefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// A computed object's ID resolves only for a viewer who could query the
// object: another team's rep, and another organization's admin, get
// NOT_FOUND, as for malformed IDs and unknown ones.
func TestDerivedIDsOutOfSightAreNotFound(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newCacheWorld(t, s)
		var derived []string
		for _, vu := range []*ent.User{w.mE, w.r1, w.adm} {
			extra := []string{inboxHarvest}
			if vu == w.adm {
				extra = append(extra, fmt.Sprintf(`{ scorecard(scope: {organization: true}, period: {label: %q}) { ...All } }`, q4))
			}
			for id := range w.collect(t, s.As(t, vu), vu, extra...) {
				if isDerivedID(id) {
					derived = append(derived, id)
				}
			}
		}
		seen := map[string]bool{}
		for _, id := range derived {
			seen[strings.SplitN(id, "_", 2)[0]+"_"] = true
		}
		for _, p := range derivedPrefixes {
			if !seen[p] {
				t.Errorf("no ID of prefix %s to check", p)
			}
		}
		other := s.Org(t, "Globex", "USD")
		outsiders := map[string]*ent.User{
			"another team's rep":         w.r3,
			"another organization admin": s.User(t, other, "admin@globex.test", user.RoleAdmin, nil),
		}
		enc := base32.StdEncoding.WithPadding(base32.NoPadding)
		malformed := []string{"scard_", "scard_!!", "scard_" + enc.EncodeToString([]byte("nonsense")),
			"scard_" + strings.ToLower(enc.EncodeToString([]byte("u:"+string(w.r1.ID)+"|QUARTER:2027:4"))),
			"scard_" + enc.EncodeToString([]byte("u:"+string(w.r1.ID)+"|QUARTER:2027:9")),
			"scard_" + enc.EncodeToString([]byte("u:"+string(w.r1.ID)+"|QUARTER:2027:04")),
			"scard_" + enc.EncodeToString([]byte("x:"+string(w.r1.ID)+"|QUARTER:2027:4")),
			"kres_" + enc.EncodeToString([]byte("u:"+string(w.r1.ID)+"|"+string(w.r1.ID)+"|QUARTER:2027:4")),
			"kpoint_" + enc.EncodeToString([]byte("u:"+string(w.r1.ID)+"|kpi_x|DAY:2027:4")),
			"thist_" + enc.EncodeToString([]byte(w.target.ID+"|tomorrow")),
			"inbox_" + enc.EncodeToString([]byte("REVIEW_OPEN|"+w.target.ID)),
			"rmember_" + enc.EncodeToString([]byte(string(w.east.ID)+"|"+string(w.deals)+"|QUARTER:2027:4|"+string(w.r3.ID))),
		}
		check := func(who string, as *apitest.Server, self *ent.User, id string) {
			t.Helper()
			r := as.Query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" {
				t.Errorf("%s: node(%s): %s", who, id, r.RawBody)
			}
			r = as.Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{string(self.ID), id}})
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" || fmt.Sprint(r.Errors[0].Path) != "[nodes 1]" {
				t.Errorf("%s: nodes([self, %s]): %s", who, id, r.RawBody)
			}
		}
		for who, u := range outsiders {
			as := s.As(t, u)
			for _, id := range derived {
				check(who, as, u, id)
			}
		}
		for _, id := range malformed {
			check("the manager", s.As(t, w.mE), w.mE, id)
		}
		// In a list of stored and computed IDs, each one out of sight is
		// NOT_FOUND at its own index.
		r := s.As(t, w.r3).Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			map[string]any{"ids": []string{derived[0], string(w.r3.ID), "user_01M8TAZVCFSGBCR2SRM9GKNKQN", string(w.r3.ID), derived[1], "deal_x"}})
		var paths []string
		for _, e := range r.Errors {
			if e.Extensions["code"] != "NOT_FOUND" {
				t.Errorf("nodes: %+v", e)
			}
			paths = append(paths, fmt.Sprint(e.Path))
		}
		sort.Strings(paths)
		if strings.Join(paths, " ") != "[nodes 0] [nodes 2] [nodes 4] [nodes 5]" {
			t.Errorf("nodes of a mixed list: %s", r.RawBody)
		}
		// The same scorecard, however its period is named, has one ID.
		mgr := s.As(t, w.mE)
		var a, b struct{ Scorecard struct{ ID string } }
		mgr.MustQuery(t, fmt.Sprintf(`{ scorecard(scope: {teamID: %q}, period: {label: %q}) { id } }`, w.east.ID, q4), nil, &a)
		mgr.MustQuery(t, fmt.Sprintf(`{ scorecard(scope: {teamID: %q}, period: {kind: QUARTER, year: 2027, index: 4}) { id } }`, w.east.ID), nil, &b)
		if a.Scorecard.ID == "" || a.Scorecard.ID != b.Scorecard.ID {
			t.Errorf("one scorecard, two IDs: %q and %q", a.Scorecard.ID, b.Scorecard.ID)
		}
	})
}

type inboxPageJSON struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct {
			ID          string
			Reason      string
			Target      *struct{ ID string }
			ReviewCycle *struct{ ID string }
		}
	}
}

const inboxPageQuery = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
	inbox(first: $first, after: $after, last: $last, before: $before) { totalCount
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { id reason target { id } reviewCycle { id } } } } }`

func inboxPage(t *testing.T, as *apitest.Server, vars map[string]any) inboxPageJSON {
	t.Helper()
	var r struct{ Inbox inboxPageJSON }
	as.MustQuery(t, inboxPageQuery, vars, &r)
	return r.Inbox
}

func pageIDs(p inboxPageJSON) []string {
	var out []string
	for _, e := range p.Edges {
		out = append(out, e.Node.ID)
	}
	return out
}

// The inbox is a connection: pages forward and backward with cursors, a
// page goes on after an item that has left the inbox, and only the inbox's
// own cursors are taken.
func TestInboxPages(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		mgr := s.As(t, w.mE)
		deals, revenue := w.kpiID(t, "DEALS_CLOSED"), w.kpiID(t, "REVENUE_WON")
		var proposals []targetJSON
		for _, p := range []struct {
			u      *ent.User
			kpi    pulid.ID
			period string
		}{{w.r1, deals, q4}, {w.r1, revenue, q4}, {w.r2, deals, q4}, {w.r1, deals, "FY2027 M11"}, {w.r2, revenue, q4}} {
			proposals = append(proposals, w.do(t, s.As(t, p.u), "proposeTarget", map[string]any{"kpiID": p.kpi, "userID": p.u.ID,
				"period": map[string]any{"label": p.period}, "value": "5"}))
		}
		// November's reviews of East and East1: open, due on 1 December.
		svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return apitest.Now })
		if _, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, apitest.Now); err != nil {
			t.Fatal(err)
		}
		all := inboxPage(t, mgr, map[string]any{"first": 50})
		var reasons []string
		for _, e := range all.Edges {
			reasons = append(reasons, e.Node.Reason)
		}
		if all.TotalCount != 7 || strings.Join(reasons, " ") != "DECIDE_PROPOSAL DECIDE_PROPOSAL DECIDE_PROPOSAL DECIDE_PROPOSAL DECIDE_PROPOSAL REVIEW_OPEN REVIEW_OPEN" ||
			all.PageInfo.HasNextPage || all.PageInfo.HasPreviousPage {
			t.Fatalf("the manager's inbox: %d %v %+v", all.TotalCount, reasons, all.PageInfo)
		}
		want := pageIDs(all)

		// Forward, three at a time.
		var got []string
		vars := map[string]any{"first": 3}
		for i := 0; ; i++ {
			p := inboxPage(t, mgr, vars)
			if p.TotalCount != 7 || p.PageInfo.HasPreviousPage != (i > 0) {
				t.Errorf("forward page %d: %+v", i, p)
			}
			got = append(got, pageIDs(p)...)
			if !p.PageInfo.HasNextPage {
				break
			}
			if i > 5 {
				t.Fatal("the pages do not end")
			}
			vars = map[string]any{"first": 3, "after": *p.PageInfo.EndCursor}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("forward: %v, want %v", got, want)
		}
		// Backward, two at a time.
		got = nil
		vars = map[string]any{"last": 2}
		for i := 0; ; i++ {
			p := inboxPage(t, mgr, vars)
			if p.PageInfo.HasNextPage != (i > 0) {
				t.Errorf("backward page %d: %+v", i, p.PageInfo)
			}
			got = append(pageIDs(p), got...)
			if !p.PageInfo.HasPreviousPage {
				break
			}
			if i > 5 {
				t.Fatal("the pages do not end")
			}
			vars = map[string]any{"last": 2, "before": *p.PageInfo.StartCursor}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("backward: %v, want %v", got, want)
		}
		// The last item of a page is decided: the next page still starts
		// after it.
		first := inboxPage(t, mgr, map[string]any{"first": 3})
		gone := first.Edges[2].Node.Target.ID
		for _, p := range proposals {
			if p.ID == gone {
				w.do(t, mgr, "approveTarget", map[string]any{"targetId": p.ID, "expectedVersion": p.Version})
			}
		}
		rest := inboxPage(t, mgr, map[string]any{"first": 50, "after": *first.PageInfo.EndCursor})
		if strings.Join(pageIDs(rest), " ") != strings.Join(want[3:], " ") || rest.TotalCount != 6 {
			t.Errorf("after a decided item: %v, want %v", pageIDs(rest), want[3:])
		}
		// A cursor of another connection, or altered, is refused.
		var targets struct {
			Targets struct{ PageInfo struct{ EndCursor string } }
		}
		mgr.MustQuery(t, `{ targets(first: 1) { pageInfo { endCursor } } }`, nil, &targets)
		mgr.MustFail(t, "BAD_USER_INPUT", inboxPageQuery, map[string]any{"first": 1, "after": targets.Targets.PageInfo.EndCursor})
		c := *first.PageInfo.EndCursor
		mgr.MustFail(t, "BAD_USER_INPUT", inboxPageQuery, map[string]any{"first": 1, "after": c[:len(c)-2] + "AA"})
		mgr.MustFail(t, "BAD_USER_INPUT", inboxPageQuery, map[string]any{"first": 501})
	})
}

// A review is in its managers' inbox from the moment it opens, pushed to
// their inboxChanged subscriptions.
func TestOpenedReviewIsPushedToTheInbox(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		sub := subscribe(t, s, w.mE, `subscription { inboxChanged(first: 10) { totalCount edges { node { id reason reviewCycle { id team { name } } } } } }`, nil)
		var in struct {
			InboxChanged struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						ID          string
						Reason      string
						ReviewCycle *struct {
							ID   string
							Team struct{ Name string }
						}
					}
				}
			}
		}
		if next(t, sub, &in); in.InboxChanged.TotalCount != 0 {
			t.Fatalf("the first inbox: %+v", in)
		}
		svc := workflow.NewServiceAt(kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}, func() time.Time { return apitest.Now })
		if n, err := svc.OpenReviews(apitest.Sys(), s.Client, w.org.ID, apitest.Now); err != nil || n != 3 {
			t.Fatalf("opened %d: %v", n, err)
		}
		// The three cycles are three notices: the inbox comes once or more,
		// and ends with the two reviews of the manager's teams.
		deadline := time.Now().Add(10 * time.Second)
		for in.InboxChanged.TotalCount != 2 && time.Now().Before(deadline) {
			next(t, sub, &in)
		}
		var got []string
		for _, e := range in.InboxChanged.Edges {
			if e.Node.ReviewCycle == nil {
				t.Fatalf("an item without its review: %+v", e)
			}
			got = append(got, e.Node.Reason+":"+e.Node.ReviewCycle.Team.Name)
		}
		if strings.Join(got, " ") != "REVIEW_OPEN:East REVIEW_OPEN:East1" {
			t.Errorf("the inbox after the reviews opened: %v", got)
		}
	})
}

// A decided review item keeps its decision's value, reason and comment,
// whatever the target's value becomes later.
func TestDecidedReviewItemKeepsItsDecision(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newCacheWorld(t, s)
		rep, mgr := s.As(t, w.r1), s.As(t, w.mE)
		var tg struct{ Node struct{ Version int } }
		rep.MustQuery(t, `query($id: ID!) { node(id: $id) { ... on Target { version } } }`, map[string]any{"id": w.target.ID}, &tg)
		p := w.do(t, rep, "requestTargetAdjustment", map[string]any{"targetId": w.target.ID, "expectedVersion": tg.Node.Version,
			"value": "6", "reasonCode": "MARKET_CHANGE", "comment": "a new account"})
		if p = w.do(t, mgr, "approveTargetAdjustment", map[string]any{"targetId": p.ID, "expectedVersion": p.Version}); string(p.Value.Value) != "6" {
			t.Fatalf("the target after its adjustment: %+v", p)
		}
		var r struct {
			Node struct {
				Decision        string
				DecisionValue   *struct{ Value string }
				DecisionReason  *string
				DecisionComment *string
				TargetValue     struct{ Value string }
			}
		}
		mgr.MustQuery(t, `query($id: ID!) { node(id: $id) { ... on ReviewItem { decision decisionValue { value }
			decisionReason decisionComment targetValue { value } } } }`, map[string]any{"id": w.item.ID}, &r)
		n := r.Node
		if n.Decision != "ADJUST" || n.DecisionValue == nil || n.DecisionValue.Value != "4" || n.DecisionReason == nil ||
			*n.DecisionReason != "PERFORMANCE" || n.DecisionComment == nil || *n.DecisionComment != "ahead of plan" || n.TargetValue.Value != "3" {
			t.Errorf("the decided item: %+v", n)
		}
	})
}

// The new connections take the where filters of their types, bounded as
// every other (a filter of review items or managed teams nested too deep,
// or empty under not, is refused before anything runs), and filter by
// their edges (whose predicates get the viewer's reach from the @reach
// directive of the input type, tested for every where input in
// reach_test.go).
func TestNewConnectionsFiltersAreBounded(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newCacheWorld(t, s)
		mgr := s.As(t, w.mE)
		deep := strings.Repeat("{not: ", 11) + `{idNEQ: "x"}` + strings.Repeat("}", 11)
		mgr.MustFail(t, "BAD_USER_INPUT", `{ reviewCycles { edges { node { items(where: `+deep+`) { totalCount } } } } }`, nil)
		mgr.MustFail(t, "BAD_USER_INPUT", `{ viewer { managedTeams(where: `+deep+`) { totalCount } } }`, nil)
		mgr.MustFail(t, "BAD_USER_INPUT", `{ viewer { managedTeams(where: {not: {}}) { totalCount } } }`, nil)
		var r struct {
			Viewer struct {
				ManagedTeams struct {
					TotalCount int
					Edges      []struct{ Node struct{ Name string } }
				}
			}
			ReviewCycles struct {
				Edges []struct {
					Node struct {
						Team  struct{ Name string }
						Items struct{ TotalCount int }
					}
				}
			}
		}
		mgr.MustQuery(t, fmt.Sprintf(`{ viewer { managedTeams(first: 5) { totalCount edges { node { name } } } }
			reviewCycles(where: {teamID: %q}) { edges { node { team { name } items(where: {hasTargetWith: [{userID: %q}]}) { totalCount } } } } }`,
			w.east.ID, w.r1.ID), nil, &r)
		if r.Viewer.ManagedTeams.TotalCount != 1 || r.Viewer.ManagedTeams.Edges[0].Node.Name != "East" ||
			len(r.ReviewCycles.Edges) != 1 || r.ReviewCycles.Edges[0].Node.Items.TotalCount != 2 {
			t.Errorf("the manager's teams and review: %+v", r)
		}
	})
}
