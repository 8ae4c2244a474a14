package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"kpiflow/errcode"
)

// Operations is an allowlist of registered operations, by the hex SHA-256
// of their text: the only ones a locked-down server runs. Clients send the
// hash alone, as automatic persisted queries do
// ({"extensions":{"persistedQuery":{"version":1,"sha256Hash":"…"}}}), or
// the full text of a registered operation.
type Operations map[string]string

// LoadOperations reads an allowlist file: a JSON object of operation texts
// by their SHA-256, as persisted-query manifests are written. Every hash
// is checked against its text.
func LoadOperations(path string) (Operations, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ops Operations
	if err := json.Unmarshal(b, &ops); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for hash, query := range ops {
		if hashOf(query) != hash {
			return nil, fmt.Errorf("%s: the operation registered as %s has another hash", path, hash)
		}
	}
	return ops, nil
}

func hashOf(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// allowlist runs only registered operations: those of the file, by their
// exact text or its hash, and the console's (package web), by their
// canonical form (canonicalOperation), which the text a client library
// sends, with the __typename fields it adds, has too.
type allowlist struct {
	ops Operations
	// console holds the canonical forms' hashes of the console's operations.
	console map[string]bool
	tokens  int
}

func newAllowlist(ops Operations, console map[string]string, tokens int) (allowlist, error) {
	a := allowlist{ops: ops, console: map[string]bool{}, tokens: tokens}
	for name, text := range console {
		c, err := canonicalOperation(text, 0)
		if err != nil {
			return a, fmt.Errorf("the console's operation %s: %w", name, err)
		}
		a.console[hashOf(c)] = true
	}
	return a, nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = allowlist{}

func (allowlist) ExtensionName() string                   { return "OperationAllowlist" }
func (allowlist) Validate(graphql.ExecutableSchema) error { return nil }

func (a allowlist) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		if pq, ok := p.Extensions["persistedQuery"].(map[string]any); ok {
			if hash, ok := pq["sha256Hash"].(string); ok {
				if q, ok := a.ops[hash]; ok {
					p.Query = q
					return nil
				}
			}
		}
	} else if _, ok := a.ops[hashOf(p.Query)]; ok {
		return nil
	} else if c, err := canonicalOperation(p.Query, a.tokens); err == nil && a.console[hashOf(c)] {
		return nil
	}
	e := gqlerror.Errorf("this server runs registered operations only, and this one is not registered")
	e.Extensions = map[string]any{"code": errcode.BadUserInput}
	return e
}

// canonicalOperation is a document's canonical form: without __typename
// fields (which read nothing), its operations in their order, then its
// fragments in name order, formatted alike. Two texts of one operation (as
// written, and as a client library sends it) have the same form. A
// document of more than tokens tokens (when above 0) is not read.
func canonicalOperation(text string, tokens int) (string, error) {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: text}, tokens)
	if err != nil {
		return "", err
	}
	var strip func(ast.SelectionSet) ast.SelectionSet
	strip = func(set ast.SelectionSet) ast.SelectionSet {
		out := make(ast.SelectionSet, 0, len(set))
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == "__typename" && s.Alias == s.Name && len(s.Directives) == 0 {
					continue
				}
				s.SelectionSet = strip(s.SelectionSet)
			case *ast.InlineFragment:
				s.SelectionSet = strip(s.SelectionSet)
			}
			out = append(out, sel)
		}
		return out
	}
	for _, op := range doc.Operations {
		op.SelectionSet = strip(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		f.SelectionSet = strip(f.SelectionSet)
	}
	sort.SliceStable(doc.Fragments, func(i, j int) bool { return doc.Fragments[i].Name < doc.Fragments[j].Name })
	var b strings.Builder
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	return b.String(), nil
}
