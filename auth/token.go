package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"kpiflow/ent/schema/pulid"
)

// TokenConfig configures access tokens.
type TokenConfig struct {
	// Secret signs HS256 tokens; at least MinSecretLength bytes.
	Secret   []byte
	Issuer   string
	Audience string
	// TTL is an access token's lifetime.
	TTL time.Duration
	// Leeway tolerates clock skew between replicas when checking exp/nbf.
	Leeway time.Duration
}

// MinSecretLength is the shortest HS256 secret accepted: 256 bits.
const MinSecretLength = 32

// Defaults of TokenConfig.
const (
	DefaultIssuer   = "kpiflow"
	DefaultAudience = "kpiflow-api"
	DefaultTTL      = 15 * time.Minute
	DefaultLeeway   = 30 * time.Second
)

// Claims are what an access token says about its bearer.
type Claims struct {
	jwt.RegisteredClaims
	Org  pulid.ID `json:"org"`
	Role string   `json:"role"`
}

// Tokens issues and verifies access tokens.
type Tokens struct {
	cfg    TokenConfig
	parser *jwt.Parser
	now    func() time.Time
}

// NewTokens checks the configuration and returns the token issuer.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	if len(cfg.Secret) < MinSecretLength {
		return nil, fmt.Errorf("the JWT secret must be at least %d bytes long", MinSecretLength)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Leeway < 0 {
		cfg.Leeway = 0
	}
	t := &Tokens{cfg: cfg, now: time.Now}
	// Every check is explicit: golang-jwt accepts any algorithm and needs
	// neither exp, iss nor aud unless told.
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t, nil
}

// RandomSecret returns a new random secret, for demo mode.
func RandomSecret() []byte {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return b
}

// Issue returns a signed access token for a user and its expiry.
func (t *Tokens) Issue(user, org pulid.ID, role string) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(t.cfg.TTL)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.cfg.Issuer,
			Subject:   string(user),
			Audience:  jwt.ClaimStrings{t.cfg.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Org:  org,
		Role: role,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.cfg.Secret)
	return s, exp, err
}

// maxTokenLength bounds the work spent on a token before it is parsed: a
// real one is a few hundred bytes.
const maxTokenLength = 4096

// ErrInvalidToken is the only error Verify returns: callers learn nothing
// about why a token was refused.
var ErrInvalidToken = errors.New("invalid or expired access token")

// Verify checks a token's signature, algorithm, issuer, audience and
// lifetime, and returns its claims. It touches no database.
func (t *Tokens) Verify(token string) (*Claims, error) {
	if len(token) == 0 || len(token) > maxTokenLength {
		return nil, ErrInvalidToken
	}
	var c Claims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.cfg.Secret, nil })
	if err != nil || c.Subject == "" || c.Org == "" || !pulid.ID(c.Subject).Valid() || !c.Org.Valid() {
		return nil, ErrInvalidToken
	}
	return &c, nil
}

// NewRefreshToken returns a new opaque refresh token and the hash under
// which it is stored: the database never holds a usable token.
func NewRefreshToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token)
}

// HashRefreshToken returns the stored form of a refresh token. A fast hash
// is right here: the token has 256 random bits, nothing to brute-force.
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
