package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

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

// allowlist runs only registered operations.
type allowlist struct{ ops Operations }

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
	}
	e := gqlerror.Errorf("this server runs registered operations only, and this one is not registered")
	e.Extensions = map[string]any{"code": errcode.BadUserInput}
	return e
}
