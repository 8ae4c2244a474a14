package graph_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/ent/user"
	"kpiflow/graph"
	"kpiflow/httpapi"
	"kpiflow/web"
)

// withTypenames adds __typename to every selection set but the operations'
// own, as Apollo Client's cache does to what it sends.
func withTypenames(t *testing.T, text string) string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: text})
	if err != nil {
		t.Fatal(err)
	}
	var add func(ast.SelectionSet, bool) ast.SelectionSet
	add = func(set ast.SelectionSet, root bool) ast.SelectionSet {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if len(s.SelectionSet) > 0 {
					s.SelectionSet = add(s.SelectionSet, false)
				}
			case *ast.InlineFragment:
				s.SelectionSet = add(s.SelectionSet, false)
			}
		}
		if root {
			return set
		}
		return append(set, &ast.Field{Name: "__typename", Alias: "__typename"})
	}
	for _, op := range doc.Operations {
		op.SelectionSet = add(op.SelectionSet, true)
	}
	for _, f := range doc.Fragments {
		f.SelectionSet = add(f.SelectionSet, false)
	}
	var b strings.Builder
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	return b.String()
}

// A server locked down to registered operations runs the console's too
// (the console is served beside the API): every operation of the console's
// build, as written and as Apollo sends it, with its fragments in another
// order; nothing else: not one more field, not a second operation beside
// one of them, not a fragment added.
func TestLockedDownServerRunsTheConsole(t *testing.T) {
	b := apitest.Backends(t)[0]
	ops, err := web.ConsoleOperations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) < 20 {
		t.Fatalf("the console's build lists %d operations", len(ops))
	}
	locked := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) { o.Operations = graph.Operations{} })
	org := locked.Org(t, "Acme", "USD")
	locked.ActAs(t, locked.User(t, org, "admin@acme.test", user.RoleAdmin, nil))
	refused := func(r *apitest.Response) bool {
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "registered operations only") {
				return true
			}
		}
		return false
	}
	for name, text := range ops {
		if strings.HasPrefix(strings.TrimSpace(text), "subscription") {
			continue // over WebSocket: the same extension decides
		}
		for _, sent := range []string{text, withTypenames(t, text), reorder(text)} {
			if r := locked.Query(t, sent, nil); refused(r) {
				t.Errorf("%s was refused:\n%s", name, sent)
			}
		}
		open := strings.Index(text, "{")
		for what, sent := range map[string]string{
			"one more field":     text[:open+1] + " __schema { description } " + text[open+1:],
			"a second operation": text + "\nquery Other { viewer { email } }",
			"a fragment added":   text + "\nfragment Extra on User { email }",
		} {
			if r := locked.Query(t, sent, nil); !refused(r) {
				t.Errorf("%s with %s ran: %s", name, what, r.RawBody)
			}
		}
	}
	locked.MustFail(t, "BAD_USER_INPUT", `{ viewer { id } }`, nil)

	// Over WebSocket: the console's inbox subscription, as Apollo sends it,
	// answers; a subscription the console does not make is refused.
	admin := locked.Client.User.Query().Where(user.Email("admin@acme.test")).OnlyX(apitest.Sys())
	c := subscribe(t, locked, admin, withTypenames(t, ops["InboxChanged"]), nil)
	var inbox inboxMsg
	if m := next(t, c, &inbox); m.Type != "next" {
		t.Errorf("the console's inbox subscription: %+v", m)
	}
	c = subscribe(t, locked, admin, inboxSub, nil)
	if m, err := wsRead(t, c); err != nil || !strings.Contains(toJSON(m.Payload), "registered operations only") {
		t.Errorf("a subscription not registered: %+v %v", m, err)
	}
}

// reorder moves the document's fragments before its operation, reversed.
func reorder(text string) string {
	parts := strings.Split(text, "\n\nfragment ")
	if len(parts) < 2 {
		return text
	}
	out := []string{}
	for i := len(parts) - 1; i >= 1; i-- {
		out = append(out, "fragment "+parts[i])
	}
	return strings.Join(append(out, parts[0]), "\n\n")
}
