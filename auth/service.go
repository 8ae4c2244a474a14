package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"kpiflow/access"
	"kpiflow/ent"
	"kpiflow/ent/organization"
	"kpiflow/ent/predicate"
	"kpiflow/ent/refreshtoken"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/settings"
	"kpiflow/viewer"
)

// Config configures the Service.
type Config struct {
	Tokens     TokenConfig
	RefreshTTL time.Duration
	// RefreshGrace is how long a replaced refresh token still returns its
	// successor, while the successor is unused.
	RefreshGrace time.Duration
	Password     PasswordParams
	// PairLimit failed sign-ins per account and client address,
	// AccountLimit per account and AddressLimit per address are allowed in
	// ThrottleWindow (see LoginThrottle for what happens past them).
	PairLimit, AccountLimit, AddressLimit int
	ThrottleWindow                        time.Duration
	// HashConcurrency bounds the password hashes (sign-ins, password
	// changes) that run at once, each taking Password.Memory for as long
	// as it runs (default DefaultHashConcurrency()); HashWait is how long
	// one waits for its turn before it is refused as UNAVAILABLE (default
	// DefaultHashWait).
	HashConcurrency int
	HashWait        time.Duration
}

// Defaults of Config.
const (
	DefaultRefreshTTL     = 30 * 24 * time.Hour
	DefaultRefreshGrace   = 30 * time.Second
	DefaultThrottleWindow = DefaultWindow
)

// Service signs users in and out and authenticates their requests.
type Service struct {
	root         *ent.Client // never transactional: viewers load their scope with it
	client       *ent.Client // where sessions are written
	tokens       *Tokens
	refreshTTL   time.Duration
	refreshGrace time.Duration
	params       PasswordParams
	hashes       *hashGate
	throttle     *LoginThrottle
	// dummyHash is checked against when no account matches, so that an
	// unknown email costs as much time as a wrong password.
	dummyHash string
	now       func() time.Time

	mu       sync.Mutex
	notifier SessionNotifier
}

// NewService returns the authentication service over client, which must
// not be a transactional client: the service runs its own transactions.
func NewService(client *ent.Client, cfg Config) (*Service, error) {
	tokens, err := NewTokens(cfg.Tokens)
	if err != nil {
		return nil, err
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.RefreshGrace <= 0 {
		cfg.RefreshGrace = DefaultRefreshGrace
	}
	if cfg.Password == (PasswordParams{}) {
		cfg.Password = DefaultPasswordParams
	}
	dummy, err := HashPassword("no account has this password", cfg.Password)
	if err != nil {
		return nil, err
	}
	return &Service{
		root:         client,
		client:       client,
		tokens:       tokens,
		refreshTTL:   cfg.RefreshTTL,
		refreshGrace: cfg.RefreshGrace,
		params:       cfg.Password,
		hashes:       newHashGate(cfg.HashConcurrency, cfg.HashWait),
		throttle:     NewLoginThrottle(cfg.PairLimit, cfg.AccountLimit, cfg.AddressLimit, cfg.ThrottleWindow),
		dummyHash:    dummy,
		now:          time.Now,
	}, nil
}

// Tokens returns the access-token issuer of the service.
func (s *Service) Tokens() *Tokens { return s.tokens }

// PasswordParams returns the cost parameters of new password hashes.
func (s *Service) PasswordParams() PasswordParams { return s.params }

// Session is a signed-in session: a short-lived access token and the
// refresh token that renews it.
type Session struct {
	AccessToken           string
	AccessTokenExpiresAt  time.Time
	RefreshToken          string
	RefreshTokenExpiresAt time.Time
	User                  *ent.User
	Viewer                *viewer.Viewer
}

var errWrongCredentials = errcode.New(errcode.Unauthenticated, "wrong email or password")

// Login signs a user in with email and password. Organization is needed only
// when the email belongs to accounts of several organizations that share
// the password. A wrong email, a wrong password and an inactive account
// are one and the same error.
func (s *Service) Login(ctx context.Context, email, password string, organization *pulid.ID, clientAddr string) (*Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if wait := s.throttle.Check(email, clientAddr); wait > 0 {
		return nil, rateLimited(wait)
	}
	sys := viewer.System(ctx)
	q := s.client.User.Query().Where(user.Email(email), user.Active(true))
	if organization != nil {
		q.Where(user.OrganizationID(*organization))
	}
	candidates, err := q.Limit(10).All(sys)
	if err != nil {
		return nil, err
	}
	var matches []*ent.User
	// One slot for the sign-in's hashes, which run one after another.
	if err := s.hashes.do(ctx, func() {
		for _, u := range candidates {
			if u.PasswordHash == nil {
				continue
			}
			if ok, err := CheckPassword(*u.PasswordHash, password); err == nil && ok {
				matches = append(matches, u)
			}
		}
		if len(candidates) == 0 {
			_, _ = CheckPassword(s.dummyHash, password)
		}
	}); err != nil {
		return nil, err
	}
	switch len(matches) {
	case 0:
		s.throttle.Fail(email, clientAddr)
		return nil, errWrongCredentials
	case 1:
	default:
		return nil, errcode.BadInput("organizationID", "this email signs in to several organizations: say which")
	}
	s.throttle.Succeed(email, clientAddr)
	return s.startSession(sys, s.client, matches[0], "")
}

func rateLimited(wait time.Duration) error {
	e := errcode.New(errcode.RateLimited, "too many failed sign-ins: try again later")
	e.Extra = map[string]any{"retryAfter": int(math.Ceil(wait.Seconds()))}
	return e
}

// StartSession signs a user in without a password, as Login does once the
// password matched: for command-line tools and tests.
func (s *Service) StartSession(ctx context.Context, u *ent.User) (*Session, error) {
	return s.startSession(viewer.System(ctx), s.client, u, "")
}

// startSession issues an access token and a new refresh token of family
// (a new family, that is a new session, when family is "").
func (s *Service) startSession(ctx context.Context, client *ent.Client, u *ent.User, family pulid.ID) (*Session, error) {
	refresh, hash := NewRefreshToken()
	now := s.now().UTC()
	id := pulid.New("rtok")
	if family == "" {
		family = id
	}
	rt, err := client.RefreshToken.Create().
		SetID(id).
		SetOrganizationID(u.OrganizationID).
		SetUserID(u.ID).
		SetTokenHash(hash).
		SetFamily(string(family)).
		SetExpiresAt(now.Add(s.refreshTTL)).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return s.session(u, family, refresh, rt.ExpiresAt)
}

// session returns a session of family with the refresh token given and a
// new access token.
func (s *Service) session(u *ent.User, family pulid.ID, refresh string, refreshExp time.Time) (*Session, error) {
	access, accessExp, err := s.tokens.Issue(u.ID, u.OrganizationID, string(u.Role), family)
	if err != nil {
		return nil, err
	}
	return &Session{
		AccessToken:           access,
		AccessTokenExpiresAt:  accessExp,
		RefreshToken:          refresh,
		RefreshTokenExpiresAt: refreshExp,
		User:                  u,
		Viewer:                s.viewerOf(u, family),
	}, nil
}

var errBadRefresh = errcode.New(errcode.Unauthenticated, "invalid or expired refresh token")

// Refresh exchanges a refresh token for a new session. The old token stops
// working; presenting it again later revokes every token of its family,
// since only a thief would replay a token its owner has already used.
// Within the grace period after the exchange, and while the successor has
// not been used, presenting it again returns the same successor: two tabs
// that refresh at once keep one session.
//
// Every change to a session's tokens (refresh, logout, revocation) runs in
// a transaction that first updates the session's row (the family's first
// token), so that they serialize: a logout and a refresh in flight cannot
// leave a token the logout did not see.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	sys := viewer.System(ctx)
	hash := HashRefreshToken(token)
	found, err := s.client.RefreshToken.Query().
		Where(refreshtoken.TokenHash(hash)).
		Select(refreshtoken.FieldFamily, refreshtoken.FieldUserID, refreshtoken.FieldOrganizationID).
		Only(sys)
	if ent.IsNotFound(err) {
		return nil, errBadRefresh
	}
	if err != nil {
		return nil, err
	}
	family := pulid.ID(found.Family)
	tx, err := s.client.Tx(sys)
	if err != nil {
		return nil, err
	}
	c := tx.Client()
	now := s.now().UTC()
	if alive, err := lockSession(sys, c, family, now); err != nil || !alive {
		return nil, rollback(tx, cmp.Or[error](err, errBadRefresh))
	}
	// Read after the lock: what a refresh or logout before us committed.
	rt, err := c.RefreshToken.Query().Where(refreshtoken.TokenHash(hash)).WithUser().Only(sys)
	if err != nil {
		return nil, rollback(tx, err)
	}
	if rt.RevokedAt != nil || !rt.ExpiresAt.After(now) || !rt.Edges.User.Active {
		return nil, rollback(tx, errBadRefresh)
	}
	var sess *Session
	if rt.ReplacedAt == nil {
		sess, err = s.rotate(sys, c, rt, token, family, now)
	} else {
		sess, err = s.successor(sys, c, rt, token, family, now)
		if err == nil && sess == nil {
			// Reuse: the session is stolen, or its owner's copy is.
			if err := revokeTokens(sys, c, now, refreshtoken.Family(string(family))); err != nil {
				return nil, rollback(tx, err)
			}
			if err := s.announce(sys, tx, found.OrganizationID, found.UserID); err != nil {
				return nil, rollback(tx, err)
			}
			if err := tx.Commit(); err != nil {
				return nil, err
			}
			return nil, errBadRefresh
		}
	}
	if err != nil {
		return nil, rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	// The user was read in the transaction: the payload's viewer resolves
	// its edges (team, organization, managed teams) after the commit,
	// through the client the transaction came from.
	sess.User = sess.User.Unwrap()
	return sess, nil
}

// rotate replaces rt with a new token of its family and keeps the new
// token sealed with rt, for the grace period.
func (s *Service) rotate(ctx context.Context, c *ent.Client, rt *ent.RefreshToken, token string, family pulid.ID, now time.Time) (*Session, error) {
	sess, err := s.startSession(ctx, c, rt.Edges.User, family)
	if err != nil {
		return nil, err
	}
	sealed, err := sealSuccessor(token, sess.RefreshToken)
	if err != nil {
		return nil, err
	}
	if err := c.RefreshToken.UpdateOneID(rt.ID).SetReplacedAt(now).SetSuccessorSealed(sealed).Exec(ctx); err != nil {
		return nil, err
	}
	return sess, nil
}

// successor returns the session rt was replaced by, when rt is presented
// again within the grace period and its successor is unused; nil
// otherwise (reuse).
func (s *Service) successor(ctx context.Context, c *ent.Client, rt *ent.RefreshToken, token string, family pulid.ID, now time.Time) (*Session, error) {
	if rt.SuccessorSealed == nil || now.Sub(*rt.ReplacedAt) > s.refreshGrace {
		return nil, nil
	}
	next, err := openSuccessor(token, *rt.SuccessorSealed)
	if err != nil {
		return nil, nil
	}
	succ, err := c.RefreshToken.Query().Where(refreshtoken.TokenHash(HashRefreshToken(next))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if succ.ReplacedAt != nil || succ.RevokedAt != nil || !succ.ExpiresAt.After(now) {
		return nil, nil
	}
	return s.session(rt.Edges.User, family, next, succ.ExpiresAt)
}

// lockSession updates the session's row, which makes every other change to
// the session wait for the end of the transaction, and reports whether the
// session is still alive.
func lockSession(ctx context.Context, c *ent.Client, family pulid.ID, now time.Time) (bool, error) {
	n, err := c.RefreshToken.Update().
		Where(refreshtoken.ID(family), refreshtoken.RevokedAtIsNil()).
		SetUpdatedAt(now).
		Save(ctx)
	return n > 0, err
}

// isSession selects the rows of sessions: each family's first token.
func isSession(s *sql.Selector) {
	s.Where(sql.ColumnsEQ(s.C(refreshtoken.FieldID), s.C(refreshtoken.FieldFamily)))
}

// revokeTokens revokes the tokens that match where: the sessions' rows
// first, which waits for the refreshes in flight on them, then the rest,
// which then sees the tokens those refreshes added.
func revokeTokens(ctx context.Context, c *ent.Client, now time.Time, where predicate.RefreshToken) error {
	for _, ps := range [][]predicate.RefreshToken{
		{where, refreshtoken.RevokedAtIsNil(), isSession},
		{where, refreshtoken.RevokedAtIsNil()},
	} {
		if _, err := c.RefreshToken.Update().Where(ps...).SetRevokedAt(now).Save(ctx); err != nil {
			return fmt.Errorf("revoking sessions: %w", err)
		}
	}
	return nil
}

// Logout revokes the session the refresh token belongs to, and reports
// whether there was one. An unknown token is not an error: there is
// nothing to sign out of. Once it returns, no token of the session works,
// whatever ran concurrently.
func (s *Service) Logout(ctx context.Context, token string) (bool, error) {
	sys := viewer.System(ctx)
	rt, err := s.client.RefreshToken.Query().
		Where(refreshtoken.TokenHash(HashRefreshToken(token))).
		Select(refreshtoken.FieldFamily, refreshtoken.FieldUserID, refreshtoken.FieldOrganizationID).
		Only(sys)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	tx, err := s.client.Tx(sys)
	if err != nil {
		return false, err
	}
	c := tx.Client()
	now := s.now().UTC()
	alive, err := lockSession(sys, c, pulid.ID(rt.Family), now)
	if err != nil || !alive {
		return false, rollback(tx, err)
	}
	if err := revokeTokens(sys, c, now, refreshtoken.Family(rt.Family)); err != nil {
		return false, rollback(tx, err)
	}
	if err := s.announce(sys, tx, rt.OrganizationID, rt.UserID); err != nil {
		return false, rollback(tx, err)
	}
	return true, tx.Commit()
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// SessionNotifier is told that sessions of a user ended, in the
// transaction that ends them (tx, nil outside one), so that open
// connections of theirs on every replica can end too.
type SessionNotifier interface {
	SessionsEnded(ctx context.Context, tx *ent.Tx, org, user pulid.ID) error
}

// NotifySessions makes n hear of the sessions that end.
func (s *Service) NotifySessions(n SessionNotifier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifier = n
}

func (s *Service) announce(ctx context.Context, tx *ent.Tx, org, user pulid.ID) error {
	s.mu.Lock()
	n := s.notifier
	s.mu.Unlock()
	if n == nil {
		return nil
	}
	return n.SessionsEnded(ctx, tx, org, user)
}

// ErrUnauthenticated is the error of a request whose access token was
// refused.
var ErrUnauthenticated = errcode.New(errcode.Unauthenticated, "invalid or expired access token")

// Authenticate returns the viewer an access token speaks for. A token
// refused on its own (forged, expired) costs no statement; a valid one
// costs one: the user with their session and their reach in the team tree
// (the teams they manage with all their sub-teams), read together. The
// role, team, organization, activity and managed teams in force are the
// stored ones, and a token of an ended session (logout, password change,
// deactivation) or of a deactivated user is refused. It returns
// ErrUnauthenticated when the token is refused, and the database's error
// when it cannot tell.
func (s *Service) Authenticate(ctx context.Context, token string) (*viewer.Viewer, error) {
	v, _, err := s.AuthenticateUser(ctx, token)
	return v, err
}

// AuthenticateUser is Authenticate that also returns the user's row as it
// was read, so that a request can show the viewer without reading it again.
func (s *Service) AuthenticateUser(ctx context.Context, token string) (*viewer.Viewer, *ent.User, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return nil, nil, ErrUnauthenticated
	}
	u, managed, err := s.sessionReach(ctx, pulid.ID(c.Subject), c.Session)
	if err != nil {
		return nil, nil, err
	}
	scope := viewer.Scope{Managed: managed}
	if u.TeamID != nil {
		scope.Team = *u.TeamID
	}
	v := viewer.New(u.ID, u.OrganizationID, u.Role, func(context.Context) (viewer.Scope, error) { return scope, nil })
	v.Session = c.Session
	v.Team = u.TeamID
	if v.Organization, err = organizationOf(u); err != nil {
		return nil, nil, err
	}
	return v, u, nil
}

// managedColumn is the column of sessionReach's statement that lists the
// teams the user reaches as a manager.
const managedColumn = "managed_teams"

// sessionReach reads, in one statement, the user of a live session and
// the teams they manage with all their sub-teams (a recursive walk down
// the tree: UNION stops at teams already seen).
func (s *Service) sessionReach(ctx context.Context, id, session pulid.ID) (*ent.User, []pulid.ID, error) {
	users, err := s.root.User.Query().
		Where(user.ID(id), user.Active(true),
			user.HasRefreshTokensWith(refreshtoken.ID(session), refreshtoken.RevokedAtIsNil())).
		Modify(func(sel *sql.Selector) {
			agg := "coalesce(group_concat(id, ','), '')"
			if sel.Dialect() == dialect.Postgres {
				agg = "coalesce(string_agg(id, ','), '')"
			}
			sel.AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("(WITH RECURSIVE reach(id) AS (SELECT team_id FROM team_managers WHERE user_id = ").Arg(string(id)).
					WriteString(" UNION SELECT teams.id FROM teams JOIN reach ON teams.parent_id = reach.id) SELECT " + agg + " FROM reach)")
			}), managedColumn)
			// The organization's calendar, currency and settings, which
			// every KPI and money value of the request needs.
			for _, c := range orgColumns {
				sel.AppendSelectExprAs(sql.Expr("(SELECT COALESCE(CAST("+c+" AS TEXT), '') FROM "+organization.Table+" WHERE "+
					organization.Table+"."+organization.FieldID+" = "+sel.C(user.FieldOrganizationID)+")"), orgPrefix+c)
			}
		}).
		All(viewer.System(ctx))
	if err != nil {
		return nil, nil, err
	}
	if len(users) != 1 {
		return nil, nil, ErrUnauthenticated
	}
	u := users[0]
	raw, err := u.Value(managedColumn)
	if err != nil {
		return nil, nil, err
	}
	var list string
	switch r := raw.(type) {
	case nil:
	case string:
		list = r
	case []byte:
		list = string(r)
	default:
		return nil, nil, fmt.Errorf("auth: managed teams read as %T", raw)
	}
	var managed []pulid.ID
	if list != "" {
		for _, t := range strings.Split(list, ",") {
			managed = append(managed, pulid.ID(t))
		}
		slices.Sort(managed)
	}
	return u, managed, nil
}

// orgColumns are the organization's columns that sessionReach reads with
// the user, each as orgPrefix + its name.
var orgColumns = []string{organization.FieldName, organization.FieldCurrency, organization.FieldTimezone,
	organization.FieldFiscalYearStartMonth, organization.FieldSettings}

const orgPrefix = "viewer_org_"

// organizationOf returns the user's organization as sessionReach read it.
func organizationOf(u *ent.User) (*ent.Organization, error) {
	o := &ent.Organization{ID: u.OrganizationID}
	text := func(c string) (string, error) {
		v, err := u.Value(orgPrefix + c)
		if err != nil {
			return "", err
		}
		switch v := v.(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		case []byte:
			return string(v), nil
		case int64:
			return fmt.Sprint(v), nil
		}
		return "", fmt.Errorf("auth: organization's %s read as %T", c, v)
	}
	var err error
	if o.Name, err = text(organization.FieldName); err != nil {
		return nil, err
	}
	if o.Currency, err = text(organization.FieldCurrency); err != nil {
		return nil, err
	}
	if o.Timezone, err = text(organization.FieldTimezone); err != nil {
		return nil, err
	}
	month, err := text(organization.FieldFiscalYearStartMonth)
	if err != nil {
		return nil, err
	}
	if o.FiscalYearStartMonth, err = strconv.Atoi(month); err != nil {
		return nil, fmt.Errorf("auth: organization's fiscal year start %q: %w", month, err)
	}
	raw, err := text(organization.FieldSettings)
	if err != nil {
		return nil, err
	}
	if raw != "" && raw != "null" {
		o.Settings = &settings.Settings{}
		if err := json.Unmarshal([]byte(raw), o.Settings); err != nil {
			return nil, fmt.Errorf("auth: organization's settings: %w", err)
		}
	}
	return o, nil
}

// sessionUser reads the user of a live session.
func (s *Service) sessionUser(ctx context.Context, id, session pulid.ID) (*ent.User, error) {
	u, err := s.root.User.Query().
		Where(user.ID(id), user.Active(true),
			user.HasRefreshTokensWith(refreshtoken.ID(session), refreshtoken.RevokedAtIsNil())).
		Only(viewer.System(ctx))
	if ent.IsNotFound(err) {
		return nil, ErrUnauthenticated
	}
	return u, err
}

// Current reports whether the viewer still stands as it was authenticated:
// its session alive, its user active, with the same role and team. A
// WebSocket connection ends when its viewer no longer is.
func (s *Service) Current(ctx context.Context, v *viewer.Viewer) (bool, error) {
	u, err := s.sessionUser(ctx, v.UserID, v.Session)
	if errors.Is(err, ErrUnauthenticated) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return u.Role == v.Role && u.OrganizationID == v.OrgID && ptrEq(u.TeamID, v.Team), nil
}

func ptrEq[T comparable](a, b *T) bool { return a == b || a != nil && b != nil && *a == *b }

func (s *Service) viewerOf(u *ent.User, session pulid.ID) *viewer.Viewer {
	v := viewer.New(u.ID, u.OrganizationID, u.Role, access.LoadScopeOf(s.root, u))
	v.Session = session
	v.Team = u.TeamID
	return v
}

// MaxPasswordLength bounds the work of hashing a password.
const MaxPasswordLength = 1024

// CheckNewPassword reports whether a password may be set.
func CheckNewPassword(password string) error {
	if n := len([]rune(password)); n < MinPasswordLength || len(password) > MaxPasswordLength {
		return errcode.BadInput("password", "must be %d to %d characters long", MinPasswordLength, MaxPasswordLength)
	}
	return nil
}

// PasswordHash checks a new password and returns its hash, when a hashing
// slot is free (see Config.HashConcurrency).
func (s *Service) PasswordHash(ctx context.Context, password string) (string, error) {
	if err := CheckNewPassword(password); err != nil {
		return "", err
	}
	var h string
	var err error
	if gateErr := s.hashes.do(ctx, func() { h, err = HashPassword(password, s.params) }); gateErr != nil {
		return "", gateErr
	}
	return h, err
}

// CreateUser creates a user with an optional initial password. Without one
// the user cannot sign in until an admin sets a password.
func (s *Service) CreateUser(ctx context.Context, client *ent.Client, in ent.CreateUserInput, password *string) (*ent.User, error) {
	c := client.User.Create().SetInput(in)
	if password != nil {
		h, err := s.PasswordHash(ctx, *password)
		if err != nil {
			return nil, err
		}
		c.SetPasswordHash(h)
	}
	return c.Save(ctx)
}

// UpdateUser changes a user. Changing a user's role, activity or password
// signs all their sessions out (but the viewer's own, when they change
// their own password): refresh and access tokens stop working on the next
// request, and their open WebSocket connections end. An admin cannot deactivate
// themself or give up their own ADMIN role, so that an organization never
// locks itself out by mistake.
func (s *Service) UpdateUser(ctx context.Context, client *ent.Client, id pulid.ID, in ent.UpdateUserInput, password *string) (*ent.User, error) {
	if v := viewer.FromContext(ctx); v != nil && v.UserID == id && v.IsAdmin() {
		if in.Active != nil && !*in.Active {
			return nil, errcode.BadInput("active", "you cannot deactivate yourself: ask another admin")
		}
		if in.Role != nil && *in.Role != v.Role {
			return nil, errcode.BadInput("role", "you cannot change your own role: ask another admin")
		}
	}
	u := client.User.UpdateOneID(id).SetInput(in)
	if password != nil {
		h, err := s.PasswordHash(ctx, *password)
		if err != nil {
			return nil, err
		}
		u.SetPasswordHash(h)
	}
	saved, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	if in.Role != nil || in.Active != nil || password != nil {
		// A user who changes their own password stays signed in where
		// they did it; their other sessions end.
		where := refreshtoken.UserID(id)
		if v := viewer.FromContext(ctx); v != nil && v.UserID == id && v.Session != "" {
			where = refreshtoken.And(where, refreshtoken.FamilyNEQ(string(v.Session)))
		}
		if err := revokeTokens(viewer.System(ctx), client, s.now().UTC(), where); err != nil {
			return nil, fmt.Errorf("signing the user out: %w", err)
		}
	}
	// Whatever changed, the user's open connections look again at their
	// session and end if their viewer no longer stands (Current).
	if err := s.announce(viewer.System(ctx), ent.TxFromContext(ctx), saved.OrganizationID, id); err != nil {
		return nil, err
	}
	return saved, nil
}
