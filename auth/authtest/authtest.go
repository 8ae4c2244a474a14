// Package authtest makes forged and broken access tokens, which kpiflow's
// tests of token verification and of the API send and expect refused.
package authtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"kpiflow/auth"
	"kpiflow/ent/schema/pulid"
)

func signTest(t testing.TB, m jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testClaims(user, org, session pulid.ID, mod func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": auth.DefaultIssuer, "aud": []string{auth.DefaultAudience}, "sub": string(user),
		"org": string(org), "role": "REP", "sid": string(session),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func signGood(t testing.TB, secret []byte, edKey ed25519.PrivateKey, c jwt.MapClaims) string {
	if edKey != nil {
		return signTest(t, jwt.SigningMethodEdDSA, edKey, c, map[string]any{"kid": auth.KeyID(edKey.Public().(ed25519.PublicKey))})
	}
	return signTest(t, jwt.SigningMethodHS256, secret, c, nil)
}

// ValidTestToken returns a properly signed token with the default issuer
// and audience, for the user's session: the control of AttackTokens.
func ValidTestToken(t testing.TB, secret []byte, edKey ed25519.PrivateKey, user, org, session pulid.ID) string {
	t.Helper()
	return signGood(t, secret, edKey, testClaims(user, org, session, nil))
}

// AttackTokens returns tokens for the user that a verifier signing with
// secret (HS256), or with edKey (EdDSA) when it is set, must refuse: each
// differs from a valid token in one way.
func AttackTokens(t testing.TB, secret []byte, edKey ed25519.PrivateKey, user, org, session pulid.ID) map[string]string {
	t.Helper()
	good := func(mod func(jwt.MapClaims)) string {
		return signGood(t, secret, edKey, testClaims(user, org, session, mod))
	}
	b64 := base64.RawURLEncoding
	unsigned := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		b64.EncodeToString([]byte(`{"iss":"kpiflow","aud":["kpiflow-api"],"sub":"`+string(user)+
			`","org":"`+string(org)+`","role":"ADMIN","exp":9999999999}`)) + "."
	valid := good(nil)
	parts := strings.Split(valid, ".")
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	// The last base64 character of a signature carries bits beyond its
	// last byte; flipping one leaves the decoded bytes alone unless
	// decoding is strict.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := parts[2]
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	trailingBits := parts[0] + "." + parts[1] + "." + sig[:len(sig)-1] + string(alphabet[last^1])
	tampered := parts[0] + "." + b64.EncodeToString([]byte(strings.Replace(string(payload), `"REP"`, `"ADMIN"`, 1))) + "." + parts[2]
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	publicKey := []byte(strings.Repeat("p", 32))
	if edKey != nil {
		publicKey = edKey.Public().(ed25519.PublicKey)
	}
	return map[string]string{
		"alg none":                  unsigned,
		"HS256 with the public key": signTest(t, jwt.SigningMethodHS256, publicKey, testClaims(user, org, session, nil), nil),
		"HS256 with another secret": signTest(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), testClaims(user, org, session, nil), nil),
		"EdDSA with another key": signTest(t, jwt.SigningMethodEdDSA, otherKey, testClaims(user, org, session, nil),
			map[string]any{"kid": auth.KeyID(otherKey.Public().(ed25519.PublicKey))}),
		"unknown kid":                          signTest(t, jwt.SigningMethodEdDSA, otherKey, testClaims(user, org, session, nil), map[string]any{"kid": "no-such-key"}),
		"wrong aud":                            good(func(c jwt.MapClaims) { c["aud"] = []string{"another-api"} }),
		"no aud":                               good(func(c jwt.MapClaims) { delete(c, "aud") }),
		"wrong iss":                            good(func(c jwt.MapClaims) { c["iss"] = "evil" }),
		"no exp":                               good(func(c jwt.MapClaims) { delete(c, "exp") }),
		"expired":                              good(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }),
		"not yet valid":                        good(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(5 * time.Minute).Unix() }),
		"issued in the future":                 good(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(5 * time.Minute).Unix() }),
		"subject not an ID":                    good(func(c jwt.MapClaims) { c["sub"] = "1" }),
		"no organization":                      good(func(c jwt.MapClaims) { delete(c, "org") }),
		"unknown role":                         good(func(c jwt.MapClaims) { c["role"] = "ROOT" }),
		"tampered payload":                     tampered,
		"signature with altered trailing bits": trailingBits,
		"exp a numeric string":                 good(func(c jwt.MapClaims) { c["exp"] = fmt.Sprint(time.Now().Add(10 * time.Minute).Unix()) }),
		"iat a numeric string":                 good(func(c jwt.MapClaims) { c["iat"] = fmt.Sprint(time.Now().Unix()) }),
		"nbf a numeric string":                 good(func(c jwt.MapClaims) { c["nbf"] = fmt.Sprint(time.Now().Unix()) }),
		"no session":                           good(func(c jwt.MapClaims) { delete(c, "sid") }),
		"session not an ID":                    good(func(c jwt.MapClaims) { c["sid"] = "1" }),
		"session of a user ID":                 good(func(c jwt.MapClaims) { c["sid"] = string(user) }),
		"many dots":                            strings.Repeat(".", 20000),
		"huge token":                           valid + strings.Repeat("A", 5000),
		"garbage":                              "not-a-token",
	}
}
