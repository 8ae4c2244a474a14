package graph_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/auth/authtest"
	"kpiflow/ent/refreshtoken"
	"kpiflow/ent/user"
	"kpiflow/httpapi"
)

const login = `mutation($in: LoginInput!) {
  login(input: $in) {
    accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
    viewer { id email role team { name } organization { name } }
  }
}`

// refresh selects the viewer's edges as login does: the session's user is
// read in the refresh's transaction, and its edges resolve after it (every
// refresh test goes through a rotation or a replay within the grace period).
const refresh = `mutation($t: String!) {
  refreshToken(input: {refreshToken: $t}) {
    accessToken refreshToken
    viewer { email team { name } organization { name } managedTeams(first: 5) { totalCount } }
  }
}`

type session struct {
	AccessToken           string
	AccessTokenExpiresAt  time.Time
	RefreshToken          string
	RefreshTokenExpiresAt time.Time
	Viewer                struct {
		ID, Email, Role string
		Team            *struct{ Name string }
		Organization    struct{ Name string }
	}
}

func signIn(t *testing.T, s *apitest.Server, email, password string) session {
	t.Helper()
	var r struct{ Login session }
	s.MustQuery(t, login, map[string]any{"in": map[string]any{"email": email, "password": password}}, &r)
	return r.Login
}

func TestLoginAndViewer(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		team := s.Team(t, org, "East", "")
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, team)

		// The email is case-insensitive; the rest of the operation acts as
		// the signed-in user (the viewer's team and organization resolve).
		sess := signIn(t, s, "  REP@Acme.Test ", apitest.Password)
		if sess.AccessToken == "" || sess.RefreshToken == "" || sess.Viewer.ID != string(rep.ID) ||
			sess.Viewer.Role != "REP" || sess.Viewer.Team == nil || sess.Viewer.Team.Name != "East" ||
			sess.Viewer.Organization.Name != "Acme" {
			t.Fatalf("login = %+v", sess)
		}
		if d := time.Until(sess.AccessTokenExpiresAt); d < 14*time.Minute || d > 15*time.Minute {
			t.Errorf("access token lives %v, want 15 minutes", d)
		}
		if d := time.Until(sess.RefreshTokenExpiresAt); d < 29*24*time.Hour {
			t.Errorf("refresh token lives %v, want 30 days", d)
		}

		var v struct {
			Viewer struct{ Email, Role string }
		}
		s.WithToken(sess.AccessToken).MustQuery(t, `{ viewer { email role } }`, nil, &v)
		if v.Viewer.Email != "rep@acme.test" || v.Viewer.Role != "REP" {
			t.Errorf("viewer = %+v", v.Viewer)
		}
		// The refresh token is stored only as a hash.
		if n := s.Client.RefreshToken.Query().Where(refreshtoken.TokenHash(sess.RefreshToken)).CountX(apitest.Sys()); n != 0 {
			t.Error("a refresh token is stored in clear")
		}
	})
}

func TestWrongCredentialsLookAlike(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		inactive := s.User(t, org, "gone@acme.test", user.RoleRep, nil)
		s.Client.User.UpdateOne(inactive).SetActive(false).ExecX(apitest.Sys())
		noPassword := s.User(t, org, "invited@acme.test", user.RoleRep, nil)
		s.Client.User.UpdateOne(noPassword).ClearPasswordHash().ExecX(apitest.Sys())

		var messages []string
		for _, c := range []struct{ email, password string }{
			{"rep@acme.test", "wrong password!"},
			{"nobody@acme.test", apitest.Password},
			{"gone@acme.test", apitest.Password},
			{"invited@acme.test", apitest.Password},
			{"", ""},
		} {
			e := s.MustFail(t, "UNAUTHENTICATED", login, map[string]any{"in": map[string]any{"email": c.email, "password": c.password}})
			messages = append(messages, e.Message)
		}
		for _, m := range messages[1:] {
			if m != messages[0] {
				t.Errorf("messages differ, revealing which part was wrong: %q", messages)
			}
		}
	})
}

// Login throttling (auth.LoginThrottle): an attacker elsewhere locks out
// only their own pair of account and address, slows the account only for
// addresses it never signed in from, and a crowd behind one address (a
// NAT) keeps signing in.
func TestLoginIsThrottled(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		s.User(t, org, "other@acme.test", user.RoleRep, nil)
		s.User(t, org, "newcomer@acme.test", user.RoleRep, nil)
		owner, attacker := s.From("127.0.0.1"), s.From("127.0.0.2")
		signIn(t, owner, "rep@acme.test", apitest.Password) // the owner's usual address
		wrong := map[string]any{"in": map[string]any{"email": "rep@acme.test", "password": "wrong password!"}}
		right := map[string]any{"in": map[string]any{"email": "rep@acme.test", "password": apitest.Password}}
		for i := 0; i < auth.DefaultPairLimit; i++ {
			attacker.MustFail(t, "UNAUTHENTICATED", login, wrong)
		}
		e := attacker.MustFail(t, "RATE_LIMITED", login, wrong)
		if ra, ok := e.Extensions["retryAfter"].(float64); !ok || ra < 1 || ra > 15*60 {
			t.Errorf("retryAfter = %v, want seconds up to 15 minutes", e.Extensions["retryAfter"])
		}
		// Even the right password waits from there: the pair is under attack.
		attacker.MustFail(t, "RATE_LIMITED", login, right)
		// The owner, from their address, is not locked out...
		signIn(t, owner, "rep@acme.test", apitest.Password)
		// ...nor from a new one, before the account's ceiling.
		signIn(t, s.From("127.0.0.3"), "rep@acme.test", apitest.Password)

		// From many addresses, past the account's ceiling: new addresses
		// back off (seconds, at most a minute), the owner's do not.
		for i := auth.DefaultPairLimit; i < auth.DefaultAccountLimit; i++ {
			s.From(fmt.Sprintf("127.0.1.%d", i)).MustFail(t, "UNAUTHENTICATED", login, wrong)
		}
		e = s.From("127.0.0.4").MustFail(t, "RATE_LIMITED", login, right)
		if ra, ok := e.Extensions["retryAfter"].(float64); !ok || ra < 1 || ra > 60 {
			t.Errorf("retryAfter = %v at the account's ceiling, want a backoff of seconds up to a minute", e.Extensions["retryAfter"])
		}
		signIn(t, owner, "rep@acme.test", apitest.Password)
		signIn(t, s.From("127.0.0.3"), "rep@acme.test", apitest.Password)

		// Behind one address, many failures on many accounts: who signed in
		// from there before still does; a newcomer backs off, briefly.
		nat := s.From("127.0.0.5")
		signIn(t, nat, "other@acme.test", apitest.Password)
		for i := 0; i < auth.DefaultAddressLimit; i++ {
			nat.Query(t, login, map[string]any{"in": map[string]any{"email": fmt.Sprintf("x%d@acme.test", i), "password": "nope"}})
		}
		signIn(t, nat, "other@acme.test", apitest.Password)
		e = nat.MustFail(t, "RATE_LIMITED", login, map[string]any{"in": map[string]any{"email": "newcomer@acme.test", "password": apitest.Password}})
		if ra, ok := e.Extensions["retryAfter"].(float64); !ok || ra < 1 || ra > 60 {
			t.Errorf("retryAfter = %v behind a busy address, want seconds up to a minute", e.Extensions["retryAfter"])
		}
	})
}

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		first := signIn(t, s, "rep@acme.test", apitest.Password)

		var r struct{ RefreshToken session }
		s.MustQuery(t, refresh, map[string]any{"t": first.RefreshToken}, &r)
		second := r.RefreshToken
		if second.RefreshToken == first.RefreshToken || second.AccessToken == "" || second.Viewer.Email != "rep@acme.test" {
			t.Fatalf("refresh = %+v", second)
		}
		// The used token is presented again within the grace period, its
		// successor unused: the same successor (another tab refreshed).
		var again struct{ RefreshToken session }
		s.MustQuery(t, refresh, map[string]any{"t": first.RefreshToken}, &again)
		if again.RefreshToken.RefreshToken != second.RefreshToken {
			t.Errorf("a replay within the grace period forked the session")
		}
		// Once the successor was used, the replay is theft: refused, and
		// the whole session with it.
		var r3 struct{ RefreshToken session }
		s.MustQuery(t, refresh, map[string]any{"t": second.RefreshToken}, &r3)
		s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": first.RefreshToken})
		s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": r3.RefreshToken.RefreshToken})
		s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": second.RefreshToken})
		s.WithToken(r3.RefreshToken.AccessToken).MustFail(t, "UNAUTHENTICATED", `{ viewer { id } }`, nil)

		// Logout ends a session; its refresh token stops working.
		third := signIn(t, s, "rep@acme.test", apitest.Password)
		var out struct{ Logout struct{ Ok bool } }
		s.MustQuery(t, `mutation($t: String!) { logout(input: {refreshToken: $t}) { ok } }`, map[string]any{"t": third.RefreshToken}, &out)
		if !out.Logout.Ok {
			t.Error("logout of a live session says ok: false")
		}
		s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": third.RefreshToken})
		s.MustQuery(t, `mutation { logout(input: {refreshToken: "unknown"}) { ok } }`, nil, &out)
		if out.Logout.Ok {
			t.Error("logout of an unknown token says ok: true")
		}
		s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": "not a token"})

		// A deactivated user cannot refresh.
		fourth := signIn(t, s, "rep@acme.test", apitest.Password)
		s.Client.User.Update().Where(user.Email("rep@acme.test")).SetActive(false).ExecX(apitest.Sys())
		s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": fourth.RefreshToken})
	})
}

// Concurrent refreshes with one token (two tabs) all get the same
// successor: one session, which keeps working.
func TestConcurrentRefreshesShareOneSuccessor(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		sess := signIn(t, s, "rep@acme.test", apitest.Password)
		const n = 8
		var wg sync.WaitGroup
		got := make([]session, n)
		errs := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var r struct{ RefreshToken session }
				resp := s.Query(t, refresh, map[string]any{"t": sess.RefreshToken})
				if len(resp.Errors) > 0 {
					errs[i] = resp.Errors[0].Code()
					return
				}
				if err := json.Unmarshal(resp.Data, &r); err != nil {
					errs[i] = err.Error()
				}
				got[i] = r.RefreshToken
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != "" {
				t.Errorf("refresh %d of %d concurrent ones failed: %s", i, n, errs[i])
			} else if got[i].RefreshToken != got[0].RefreshToken {
				t.Errorf("refresh %d got another successor: the session forked", i)
			}
		}
		if t.Failed() {
			return
		}
		for i := range n {
			s.WithToken(got[i].AccessToken).MustQuery(t, `{ viewer { id } }`, nil, nil)
		}
		var next struct{ RefreshToken session }
		s.MustQuery(t, refresh, map[string]any{"t": got[0].RefreshToken}, &next)
		s.WithToken(next.RefreshToken.AccessToken).MustQuery(t, `{ viewer { id } }`, nil, nil)
	})
}

// Past the grace period, presenting a replaced token again is theft even
// while its successor is unused: the session is revoked.
func TestRefreshReplayAfterTheGracePeriod(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) {
				svc, err := auth.NewService(o.Client, auth.Config{Tokens: auth.TokenConfig{Secret: apitest.Secret},
					Password: apitest.PasswordParams, RefreshGrace: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				o.Auth = svc
			})
			org := s.Org(t, "Acme", "USD")
			s.User(t, org, "rep@acme.test", user.RoleRep, nil)
			first := signIn(t, s, "rep@acme.test", apitest.Password)
			var r struct{ RefreshToken session }
			s.MustQuery(t, refresh, map[string]any{"t": first.RefreshToken}, &r)
			time.Sleep(20 * time.Millisecond)
			s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": first.RefreshToken})
			s.MustFail(t, "UNAUTHENTICATED", refresh, map[string]any{"t": r.RefreshToken.RefreshToken})
			s.WithToken(r.RefreshToken.AccessToken).MustFail(t, "UNAUTHENTICATED", `{ viewer { id } }`, nil)
		})
	}
}

// Every field but sign-in needs a token; a refused token costs no query.
func TestAnonymousAndForgedCallers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		anon := s.WithToken("")

		var tn struct {
			Typename string `json:"__typename"`
		}
		anon.MustQuery(t, `{ __typename }`, nil, &tn)
		if tn.Typename != "Query" {
			t.Errorf("__typename = %q", tn.Typename)
		}
		anon.MustQuery(t, `{ __schema { queryType { name } } }`, nil, nil)

		for _, q := range []string{
			`{ viewer { id } }`, `{ deals { totalCount } }`, `{ meetings { totalCount } }`,
			`{ users { totalCount } }`, `{ teams { totalCount } }`, `{ organizations { totalCount } }`,
			`{ node(id: "` + string(rep.ID) + `") { id } }`, `{ nodes(ids: ["` + string(rep.ID) + `"]) { id } }`,
			`mutation { createMeeting(input: {ownerID: "` + string(rep.ID) + `", kind: DEMO, scheduledAt: "2026-01-01T00:00:00Z"}) { meeting { id } } }`,
		} {
			before := s.Store.Statements()
			r := anon.Query(t, q, nil)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
				t.Errorf("anonymous %s: %s", q, r.RawBody)
			}
			if d := s.Store.Statements() - before; d != 0 {
				t.Errorf("anonymous %s made %d statements, want none", q, d)
			}
		}
		if n := s.Client.Meeting.Query().CountX(apitest.Sys()); n != 0 {
			t.Errorf("an anonymous mutation stored %d meetings", n)
		}

		sid := s.Session(t, rep).Viewer.Session
		for name, token := range authtest.AttackTokens(t, apitest.Secret, nil, rep.ID, org.ID, sid) {
			before := s.Store.Statements()
			r := s.WithToken(token).Query(t, `{ viewer { id } deals { totalCount } }`, nil)
			if len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" || strings.Contains(string(r.Data), "totalCount") {
				t.Errorf("%s: %s", name, r.RawBody)
			}
			if d := s.Store.Statements() - before; d != 0 {
				t.Errorf("%s made %d statements, want none", name, d)
			}
		}
		// The control: the same claims, properly signed, are accepted.
		s.WithToken(authtest.ValidTestToken(t, apitest.Secret, nil, rep.ID, org.ID, sid)).MustQuery(t, `{ viewer { id } }`, nil, nil)

		// Not a Bearer token at all.
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", strings.NewReader(`{"query":"{ viewer { id } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Basic cmVwOnBhc3N3b3Jk")
		if r := anon.Do(t, req); len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("Basic auth: %s", r.RawBody)
		}
	})
}

func TestSignInMustBeAlone(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		org := s.Org(t, "Acme", "USD")
		rep := s.User(t, org, "rep@acme.test", user.RoleRep, nil)
		s.ActAs(t, rep)
		s.MustFail(t, "BAD_USER_INPUT", `mutation($in: LoginInput!, $m: CreateMeetingInput!) {
			login(input: $in) { accessToken }
			createMeeting(input: $m) { meeting { id } }
		}`, map[string]any{
			"in": map[string]any{"email": "rep@acme.test", "password": apitest.Password},
			"m":  map[string]any{"ownerID": rep.ID, "kind": "DEMO", "scheduledAt": "2026-01-01T00:00:00Z"},
		})
		if n := s.Client.Meeting.Query().CountX(apitest.Sys()); n != 0 {
			t.Errorf("%d meetings stored", n)
		}
	})
}

// The same matrix against a server that signs with Ed25519: no forged
// token passes, "HS256 signed with the public key" included.
func TestForgedTokensAgainstEdDSA(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := apitest.NewServerWithTokens(t, b, auth.TokenConfig{SigningKey: key})
			org := s.Org(t, "Acme", "USD")
			rep := s.User(t, org, "rep@acme.test", user.RoleRep, nil)
			sid := s.Session(t, rep).Viewer.Session
			for name, token := range authtest.AttackTokens(t, nil, key, rep.ID, org.ID, sid) {
				before := s.Store.Statements()
				r := s.WithToken(token).Query(t, `{ viewer { id } }`, nil)
				if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
					t.Errorf("%s: %s", name, r.RawBody)
				}
				if d := s.Store.Statements() - before; d != 0 {
					t.Errorf("%s made %d statements, want none", name, d)
				}
			}
			s.WithToken(authtest.ValidTestToken(t, nil, key, rep.ID, org.ID, sid)).MustQuery(t, `{ viewer { id } }`, nil, nil)
			// Sign-in issues EdDSA tokens that the server accepts.
			sess := signIn(t, s, "rep@acme.test", apitest.Password)
			s.WithToken(sess.AccessToken).MustQuery(t, `{ viewer { id } }`, nil, nil)
		})
	}
}

// A storm of sign-ins hashes at most HashConcurrency passwords at once:
// every sign-in succeeds, in turn. Past HashWait a sign-in is refused with
// UNAVAILABLE and a retryAfter, never an internal error (the second storm
// checks passwords hashed at a cost that makes sign-ins wait; package
// auth's tests refuse a wait deterministically).
func TestSignInStormIsBounded(t *testing.T) {
	costly, err := auth.HashPassword(apitest.Password, auth.PasswordParams{Memory: 8 * 1024, Time: 2, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			for _, c := range []struct {
				name string
				wait time.Duration
			}{{"waiting their turn", 0}, {"refused past a short wait", time.Microsecond}} {
				var svc *auth.Service
				s := apitest.NewServerWith(t, b, auth.TokenConfig{Secret: apitest.Secret}, func(o *httpapi.Options) {
					var err error
					svc, err = auth.NewService(o.Client, auth.Config{Tokens: auth.TokenConfig{Secret: apitest.Secret},
						Password: apitest.PasswordParams, HashConcurrency: 2, HashWait: c.wait})
					if err != nil {
						t.Fatal(err)
					}
					o.Auth = svc
				})
				org := s.Org(t, "Acme", "USD")
				const n = 16
				for i := range n {
					u := s.User(t, org, fmt.Sprintf("rep%d@acme.test", i), user.RoleRep, nil)
					if c.wait > 0 {
						s.Client.User.UpdateOne(u).SetPasswordHash(costly).ExecX(apitest.Sys())
					}
				}
				var wg sync.WaitGroup
				var mu sync.Mutex
				signedIn, busy := 0, 0
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := s.Query(t, login, map[string]any{"in": map[string]any{
							"email": fmt.Sprintf("rep%d@acme.test", i), "password": apitest.Password}})
						mu.Lock()
						defer mu.Unlock()
						switch {
						case r.Status == http.StatusOK && len(r.Errors) == 0:
							signedIn++
						case len(r.Errors) == 1 && r.Errors[0].Code() == "UNAVAILABLE" && r.Errors[0].Extensions["retryAfter"] == 1.0:
							busy++
						default:
							t.Errorf("%s: a sign-in answered (HTTP %d) %s", c.name, r.Status, r.RawBody)
						}
					}()
				}
				wg.Wait()
				peak, bound := svc.HashingPeak()
				t.Logf("%s: %d signed in, %d refused as busy; at most %d hashes at once", c.name, signedIn, busy, peak)
				if bound != 2 || peak < 1 || peak > 2 {
					t.Errorf("%s: %d hashes ran at once under a bound of %d, want 1 or 2 under 2", c.name, peak, bound)
				}
				if c.wait == 0 && signedIn != n {
					t.Errorf("%s: %d of %d signed in", c.name, signedIn, n)
				}
			}
		})
	}
}
