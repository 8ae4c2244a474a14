package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"kpiflow/ent/schema/pulid"
)

var cheap = PasswordParams{Memory: 1024, Time: 1, Threads: 1}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery staple", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash %q is not an argon2id encoding", h)
	}
	if ok, err := CheckPassword(h, "correct horse battery staple"); !ok || err != nil {
		t.Errorf("the right password fails: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(h, "correct horse battery stapl"); ok {
		t.Error("a wrong password passes")
	}
	h2, _ := HashPassword("correct horse battery staple", cheap)
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1024,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=1024,t=1,p=1$AAAA$AAAA", "plaintext"} {
		if ok, err := CheckPassword(bad, "x"); ok || err == nil {
			t.Errorf("malformed hash %q: %v %v", bad, ok, err)
		}
	}
}

const (
	user1 = pulid.ID("user_01J00000000000000000000001")
	org1  = pulid.ID("org_01J00000000000000000000001")
)

var testSecret = []byte(strings.Repeat("s", 32))

func hs256(t *testing.T) *Tokens {
	t.Helper()
	tk, err := NewTokens(TokenConfig{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestSecretTooShortIsRefused(t *testing.T) {
	if _, err := NewTokens(TokenConfig{Secret: []byte(strings.Repeat("s", 31))}); err == nil {
		t.Error("a 31-byte secret was accepted")
	}
}

func TestTokenRoundTrip(t *testing.T) {
	tk := hs256(t)
	s, exp, err := tk.Issue(user1, org1, "REP", "rtok_01J00000000000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expires in %v, want 15 minutes", d)
	}
	c, err := tk.Verify(s)
	if err != nil || c.Subject != string(user1) || c.Org != org1 || c.Role != "REP" || c.Session != "rtok_01J00000000000000000000001" {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
}

func TestEdDSAKeyRotation(t *testing.T) {
	_, oldKey, _ := ed25519.GenerateKey(rand.Reader)
	_, newKey, _ := ed25519.GenerateKey(rand.Reader)
	before, _ := NewTokens(TokenConfig{SigningKey: oldKey})
	during, _ := NewTokens(TokenConfig{SigningKey: newKey, PreviousKeys: []ed25519.PublicKey{oldKey.Public().(ed25519.PublicKey)}})
	after, _ := NewTokens(TokenConfig{SigningKey: newKey})
	old, _, _ := before.Issue(user1, org1, "REP", "rtok_01J00000000000000000000001")
	fresh, _, _ := during.Issue(user1, org1, "REP", "rtok_01J00000000000000000000001")
	if _, err := during.Verify(old); err != nil {
		t.Errorf("a token of the previous key is refused during the rotation: %v", err)
	}
	if _, err := during.Verify(fresh); err != nil {
		t.Errorf("a token of the new key is refused: %v", err)
	}
	if _, err := after.Verify(old); err == nil {
		t.Error("a token of a retired key is accepted")
	}
	if _, err := before.Verify(fresh); err == nil {
		t.Error("a token of an unknown key is accepted")
	}
	if _, err := NewTokens(TokenConfig{SigningKey: newKey, PreviousKeys: []ed25519.PublicKey{{1, 2}}}); err == nil {
		t.Error("a malformed previous key was accepted")
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	th := NewThrottle(3, time.Minute)
	th.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if w := th.Check("k"); w != 0 {
			t.Fatalf("attempt %d refused", i+1)
		}
		th.Fail("k")
		now = now.Add(10 * time.Second)
	}
	// Failures at 0s, 10s, 20s; now is 30s: the oldest leaves the window at 60s.
	if w := th.Check("k"); w != 30*time.Second {
		t.Errorf("wait = %v, want 30s", w)
	}
	if w := th.Check("other"); w != 0 {
		t.Error("another key is throttled")
	}
	now = now.Add(30 * time.Second)
	if w := th.Check("k"); w != 0 {
		t.Errorf("still throttled after the window: %v", w)
	}
	th.Fail("k")
	th.Reset("k")
	if len(th.failures) != 0 {
		t.Errorf("Reset left %v", th.failures)
	}
}

func TestRefreshTokens(t *testing.T) {
	a, ha := NewRefreshToken()
	b, hb := NewRefreshToken()
	if a == b || ha == hb || len(a) < 40 {
		t.Errorf("refresh tokens %q %q", a, b)
	}
	if HashRefreshToken(a) != ha || ha == a {
		t.Error("the stored hash is not the token's hash")
	}
}

func TestLoginThrottleRule(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	th := NewLoginThrottle(3, 10, 20, time.Minute)
	th.setClock(func() time.Time { return now })
	const owner, home, attacker = "owner@acme.test", "198.51.100.1", "203.0.113.9"
	th.Succeed(owner, home)

	// One pair: locked after PairLimit failures, until the window passes.
	for i := 0; i < 3; i++ {
		if w := th.Check(owner, attacker); w != 0 {
			t.Fatalf("attempt %d refused: %v", i+1, w)
		}
		th.Fail(owner, attacker)
	}
	if w := th.Check(owner, attacker); w != time.Minute {
		t.Errorf("the attacking pair waits %v, want the window (1m)", w)
	}
	if w := th.Check(owner, home); w != 0 {
		t.Errorf("the owner at home waits %v", w)
	}
	if w := th.Check(owner, "192.0.2.1"); w != 0 {
		t.Errorf("the owner elsewhere waits %v before the account's ceiling", w)
	}

	// Many addresses: past AccountLimit, new addresses back off (1s, 2s,
	// 4s… up to MaxBackoff after the latest failure); home does not.
	for i := 0; i < 7; i++ {
		th.Fail(owner, "203.0.113."+string(rune('a'+i)))
	}
	if w := th.Check(owner, "192.0.2.1"); w != time.Second {
		t.Errorf("at the account's ceiling a new address waits %v, want 1s", w)
	}
	for i := 0; i < 10; i++ {
		th.Fail(owner, "203.0.114."+string(rune('a'+i)))
	}
	if w := th.Check(owner, "192.0.2.1"); w != th.MaxBackoff {
		t.Errorf("far past the ceiling a new address waits %v, want at most %v", w, th.MaxBackoff)
	}
	if w := th.Check(owner, home); w != 0 {
		t.Errorf("the owner at home waits %v during a distributed attack", w)
	}
	now = now.Add(th.MaxBackoff)
	if w := th.Check(owner, "192.0.2.1"); w != 0 {
		t.Errorf("after the backoff a new address still waits %v", w)
	}

	// One address (a NAT): past AddressLimit, accounts new to it back off;
	// those that signed in from it do not.
	now = now.Add(time.Hour)
	const nat = "192.0.2.200"
	th.Succeed("regular@acme.test", nat)
	for i := 0; i < 20; i++ {
		th.Fail("x"+string(rune('a'+i))+"@acme.test", nat)
	}
	if w := th.Check("newcomer@acme.test", nat); w != time.Second {
		t.Errorf("a newcomer behind the NAT waits %v, want 1s", w)
	}
	if w := th.Check("regular@acme.test", nat); w != 0 {
		t.Errorf("a regular behind the NAT waits %v", w)
	}
	// A success forgets the pair's failures.
	now = now.Add(time.Hour)
	th.Fail(owner, attacker)
	th.Fail(owner, attacker)
	th.Succeed(owner, attacker)
	th.Fail(owner, attacker)
	if w := th.Check(owner, attacker); w != 0 {
		t.Errorf("a success did not reset the pair: %v", w)
	}
}
