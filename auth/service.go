package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"kpiflow/access"
	"kpiflow/ent"
	"kpiflow/ent/refreshtoken"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/viewer"
)

// Config configures the Service.
type Config struct {
	Tokens     TokenConfig
	RefreshTTL time.Duration
	Password   PasswordParams
	// AccountLimit failed sign-ins per account, and AddressLimit per client
	// address, are allowed in ThrottleWindow.
	AccountLimit, AddressLimit int
	ThrottleWindow             time.Duration
}

// Defaults of Config.
const (
	DefaultRefreshTTL     = 30 * 24 * time.Hour
	DefaultAccountLimit   = 5
	DefaultAddressLimit   = 50
	DefaultThrottleWindow = 15 * time.Minute
)

// Service signs users in and out and authenticates their requests.
type Service struct {
	root       *ent.Client // never transactional: viewers load their scope with it
	client     *ent.Client // where sessions are written
	tokens     *Tokens
	refreshTTL time.Duration
	params     PasswordParams
	accounts   *Throttle
	addresses  *Throttle
	// dummyHash is checked against when no account matches, so that an
	// unknown email costs as much time as a wrong password.
	dummyHash string
	now       func() time.Time
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
	if cfg.Password == (PasswordParams{}) {
		cfg.Password = DefaultPasswordParams
	}
	if cfg.AccountLimit <= 0 {
		cfg.AccountLimit = DefaultAccountLimit
	}
	if cfg.AddressLimit <= 0 {
		cfg.AddressLimit = DefaultAddressLimit
	}
	if cfg.ThrottleWindow <= 0 {
		cfg.ThrottleWindow = DefaultThrottleWindow
	}
	dummy, err := HashPassword("no account has this password", cfg.Password)
	if err != nil {
		return nil, err
	}
	return &Service{
		root:       client,
		client:     client,
		tokens:     tokens,
		refreshTTL: cfg.RefreshTTL,
		params:     cfg.Password,
		accounts:   NewThrottle(cfg.AccountLimit, cfg.ThrottleWindow),
		addresses:  NewThrottle(cfg.AddressLimit, cfg.ThrottleWindow),
		dummyHash:  dummy,
		now:        time.Now,
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
	if wait := max(s.accounts.Check("account:"+email), s.addresses.Check("address:"+clientAddr)); wait > 0 {
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
	switch len(matches) {
	case 0:
		s.accounts.Fail("account:" + email)
		s.addresses.Fail("address:" + clientAddr)
		return nil, errWrongCredentials
	case 1:
	default:
		return nil, errcode.BadInput("organizationID", "this email signs in to several organizations: say which")
	}
	s.accounts.Reset("account:" + email)
	return s.startSession(sys, matches[0], "")
}

func rateLimited(wait time.Duration) error {
	e := errcode.New(errcode.RateLimited, "too many failed sign-ins: try again later")
	e.Extra = map[string]any{"retryAfter": int(math.Ceil(wait.Seconds()))}
	return e
}

// startSession issues an access token and a new refresh token of family
// (a new family when family is "").
func (s *Service) startSession(ctx context.Context, u *ent.User, family string) (*Session, error) {
	access, accessExp, err := s.tokens.Issue(u.ID, u.OrganizationID, string(u.Role))
	if err != nil {
		return nil, err
	}
	refresh, hash := NewRefreshToken()
	now := s.now().UTC()
	id := pulid.New("rtok")
	if family == "" {
		family = string(id)
	}
	rt, err := s.client.RefreshToken.Create().
		SetID(id).
		SetOrganizationID(u.OrganizationID).
		SetUserID(u.ID).
		SetTokenHash(hash).
		SetFamily(family).
		SetExpiresAt(now.Add(s.refreshTTL)).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	return &Session{
		AccessToken:           access,
		AccessTokenExpiresAt:  accessExp,
		RefreshToken:          refresh,
		RefreshTokenExpiresAt: rt.ExpiresAt,
		User:                  u,
		Viewer:                s.viewerOf(u.ID, u.OrganizationID, u.Role),
	}, nil
}

var errBadRefresh = errcode.New(errcode.Unauthenticated, "invalid or expired refresh token")

// Refresh exchanges a refresh token for a new session. The old token stops
// working; presenting it again later revokes every token of its family,
// since only a thief would replay a token its owner has already used.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	sys := viewer.System(ctx)
	rt, err := s.client.RefreshToken.Query().
		Where(refreshtoken.TokenHash(HashRefreshToken(token))).
		WithUser().
		Only(sys)
	if ent.IsNotFound(err) {
		return nil, errBadRefresh
	}
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if rt.RevokedAt != nil || !rt.ExpiresAt.After(now) || !rt.Edges.User.Active {
		return nil, errBadRefresh
	}
	if rt.ReplacedAt != nil {
		return nil, s.revokeFamily(sys, rt.Family, errBadRefresh)
	}
	tx, err := s.client.Tx(sys)
	if err != nil {
		return nil, err
	}
	// Of concurrent refreshes with one token, exactly one replaces it.
	n, err := tx.RefreshToken.Update().
		Where(refreshtoken.ID(rt.ID), refreshtoken.ReplacedAtIsNil(), refreshtoken.RevokedAtIsNil()).
		SetReplacedAt(now).
		Save(sys)
	if err != nil {
		return nil, rollback(tx, err)
	}
	if n == 0 {
		if err := tx.Rollback(); err != nil {
			return nil, err
		}
		return nil, s.revokeFamily(sys, rt.Family, errBadRefresh)
	}
	txService := *s
	txService.client = tx.Client()
	sess, err := txService.startSession(sys, rt.Edges.User, rt.Family)
	if err != nil {
		return nil, rollback(tx, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return sess, nil
}

// Logout revokes the session the refresh token belongs to, and reports
// whether there was one. An unknown token is not an error: there is
// nothing to sign out of.
func (s *Service) Logout(ctx context.Context, token string) (bool, error) {
	sys := viewer.System(ctx)
	rt, err := s.client.RefreshToken.Query().
		Where(refreshtoken.TokenHash(HashRefreshToken(token))).
		Only(sys)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return rt.RevokedAt == nil, s.revokeFamily(sys, rt.Family, nil)
}

func (s *Service) revokeFamily(ctx context.Context, family string, result error) error {
	_, err := s.client.RefreshToken.Update().
		Where(refreshtoken.Family(family), refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(s.now().UTC()).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("revoking a session: %w", err)
	}
	return result
}

func rollback(tx *ent.Tx, err error) error {
	if rerr := tx.Rollback(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// ErrUnauthenticated is the error of a request whose access token was
// refused.
var ErrUnauthenticated = errcode.New(errcode.Unauthenticated, "invalid or expired access token")

// Authenticate returns the viewer an access token speaks for. It verifies
// the token without touching the database.
func (s *Service) Authenticate(token string) (*viewer.Viewer, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	return s.viewerOf(pulid.ID(c.Subject), c.Org, user.Role(c.Role)), nil
}

func (s *Service) viewerOf(id, org pulid.ID, role user.Role) *viewer.Viewer {
	return viewer.New(id, org, role, access.LoadScope(s.root, id))
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

// PasswordHash checks a new password and returns its hash.
func (s *Service) PasswordHash(password string) (string, error) {
	if err := CheckNewPassword(password); err != nil {
		return "", err
	}
	return HashPassword(password, s.params)
}

// CreateUser creates a user with an optional initial password. Without one
// the user cannot sign in until an admin sets a password.
func (s *Service) CreateUser(ctx context.Context, client *ent.Client, in ent.CreateUserInput, password *string) (*ent.User, error) {
	c := client.User.Create().SetInput(in)
	if password != nil {
		h, err := s.PasswordHash(*password)
		if err != nil {
			return nil, err
		}
		c.SetPasswordHash(h)
	}
	return c.Save(ctx)
}

// UpdateUser changes a user. Changing a user's role, activity or password
// signs all their sessions out: refresh tokens stop working at once, and
// access tokens within their short lifetime. An admin cannot deactivate
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
		h, err := s.PasswordHash(*password)
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
		_, err := client.RefreshToken.Update().
			Where(refreshtoken.UserID(id), refreshtoken.RevokedAtIsNil()).
			SetRevokedAt(s.now().UTC()).
			Save(viewer.System(ctx))
		if err != nil {
			return nil, fmt.Errorf("signing the user out: %w", err)
		}
	}
	return saved, nil
}
