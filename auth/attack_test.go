package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"kpiflow/auth"
	"kpiflow/auth/authtest"
	"kpiflow/ent/schema/pulid"
)

const (
	user1 = pulid.ID("user_01J00000000000000000000001")
	org1  = pulid.ID("org_01J00000000000000000000001")
	sess1 = pulid.ID("rtok_01J00000000000000000000001")
)

var secret = []byte(strings.Repeat("s", 32))

func must(tk *auth.Tokens, err error) *auth.Tokens {
	if err != nil {
		panic(err)
	}
	return tk
}

func TestAttackTokensAreRefused(t *testing.T) {
	tk := must(auth.NewTokens(auth.TokenConfig{Secret: secret}))
	for name, tok := range authtest.AttackTokens(t, secret, nil, user1, org1, sess1) {
		if c, err := tk.Verify(tok); err == nil {
			t.Errorf("HS256: %s accepted: %+v", name, c)
		}
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	ed, err := auth.NewTokens(auth.TokenConfig{SigningKey: key})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range authtest.AttackTokens(t, nil, key, user1, org1, sess1) {
		if c, err := ed.Verify(tok); err == nil {
			t.Errorf("EdDSA: %s accepted: %+v", name, c)
		}
	}
	// The attack tokens are otherwise well-formed: the same claims, signed
	// properly, pass. Without this, the matrix could pass by accident.
	if _, err := tk.Verify(authtest.ValidTestToken(t, secret, nil, user1, org1, sess1)); err != nil {
		t.Errorf("HS256: a well-formed token is refused: %v", err)
	}
	if _, err := ed.Verify(authtest.ValidTestToken(t, nil, key, user1, org1, sess1)); err != nil {
		t.Errorf("EdDSA: a well-formed token is refused: %v", err)
	}
}
