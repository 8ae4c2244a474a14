package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

// TokenConfig configures access tokens: HS256 with a shared secret by
// default, or EdDSA (Ed25519) when a signing key is given, with a key id
// in every token so that keys can be rotated.
type TokenConfig struct {
	// Secret signs HS256 tokens; at least MinSecretLength bytes.
	Secret []byte
	// SigningKey, when set, signs EdDSA tokens instead; Secret is unused.
	SigningKey ed25519.PrivateKey
	// PreviousKeys are still accepted for verification during a rotation.
	PreviousKeys []ed25519.PublicKey

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

// Claims are what an access token says about its bearer. Org and Role are
// informative only: the organization, role, team and activity in force are
// the stored ones, read with the session (Service.Authenticate).
type Claims struct {
	jwt.RegisteredClaims
	Org  pulid.ID `json:"org"`
	Role string   `json:"role"`
	// Session is the session (refresh-token family) the token was issued
	// for: the token works only while the session does.
	Session pulid.ID `json:"sid"`
}

// UnmarshalJSON refuses times that are not JSON numbers: golang-jwt reads
// "exp": "9999999999" (a string) as a number, which RFC 7519 does not allow.
func (c *Claims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		if v, ok := raw[name]; ok && !isJSONNumber(v) {
			return fmt.Errorf("the %s claim is not a number", name)
		}
	}
	type plain Claims // without this method
	return json.Unmarshal(b, (*plain)(c))
}

func isJSONNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

// Tokens issues and verifies access tokens.
type Tokens struct {
	cfg    TokenConfig
	parser *jwt.Parser
	now    func() time.Time
	method jwt.SigningMethod
	kid    string                       // EdDSA: the id of SigningKey
	keys   map[string]ed25519.PublicKey // EdDSA: verification keys by id
}

// KeyID names an Ed25519 public key: the start of its SHA-256, base64url.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// NewTokens checks the configuration and returns the token issuer.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	t := &Tokens{now: time.Now, method: jwt.SigningMethodHS256}
	if cfg.SigningKey != nil {
		if len(cfg.SigningKey) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("the JWT signing key is not an Ed25519 private key")
		}
		pub := cfg.SigningKey.Public().(ed25519.PublicKey)
		t.method, t.kid = jwt.SigningMethodEdDSA, KeyID(pub)
		t.keys = map[string]ed25519.PublicKey{t.kid: pub}
		for _, k := range cfg.PreviousKeys {
			if len(k) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("a previous JWT key is not an Ed25519 public key")
			}
			t.keys[KeyID(k)] = k
		}
	} else if len(cfg.Secret) < MinSecretLength {
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
	t.cfg = cfg
	// Every check is explicit: golang-jwt accepts any algorithm and needs
	// neither exp, iss nor aud unless told, and it decodes base64 loosely
	// (a signature with altered trailing bits) unless told.
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{t.method.Alg()}),
		jwt.WithStrictDecoding(),
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

// Issue returns a signed access token for a user's session and its expiry.
func (t *Tokens) Issue(user, org pulid.ID, role string, session pulid.ID) (string, time.Time, error) {
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
		Org:     org,
		Role:    role,
		Session: session,
	}
	tok := jwt.NewWithClaims(t.method, claims)
	if t.kid != "" {
		tok.Header["kid"] = t.kid
		s, err := tok.SignedString(t.cfg.SigningKey)
		return s, exp, err
	}
	s, err := tok.SignedString(t.cfg.Secret)
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
	_, err := t.parser.ParseWithClaims(token, &c, t.key)
	if err != nil || !pulid.ID(c.Subject).Valid() || !c.Org.Valid() || !c.Session.Valid() || c.Session.Prefix() != "rtok" ||
		user.RoleValidator(user.Role(c.Role)) != nil {
		return nil, ErrInvalidToken
	}
	return &c, nil
}

// key returns the key that verifies a token: the secret, or the Ed25519
// key its kid names. An unknown or missing kid is refused.
func (t *Tokens) key(tok *jwt.Token) (any, error) {
	if t.keys == nil {
		return t.cfg.Secret, nil
	}
	kid, _ := tok.Header["kid"].(string)
	if k, ok := t.keys[kid]; ok {
		return k, nil
	}
	return nil, ErrInvalidToken
}

// LoadSigningKey reads an Ed25519 private key from a PEM file (PKCS #8, as
// `openssl genpkey -algorithm ed25519` writes it).
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 private key", path)
	}
	return priv, nil
}

// LoadVerifyingKey reads an Ed25519 public key from a PEM file (PKIX, as
// `openssl pkey -pubout` writes it).
func LoadVerifyingKey(path string) (ed25519.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 public key", path)
	}
	return pub, nil
}

func readPEM(path string) (*pem.Block, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block, nil
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

// DeriveKey returns a key for another purpose than tokens (such as
// signing cursors), derived from the signing key: every replica with the
// same configuration derives the same key.
func (t *Tokens) DeriveKey(purpose string) []byte {
	secret := t.cfg.Secret
	if t.cfg.SigningKey != nil {
		secret = t.cfg.SigningKey.Seed()
	}
	m := hmac.New(sha256.New, secret)
	_, _ = m.Write([]byte("kpiflow key for " + purpose))
	return m.Sum(nil)
}

// sealSuccessor seals a refresh token's successor with a key derived from
// the token itself: only who presents the token can open it, and the
// database, which holds the token's hash only, holds no usable token.
func sealSuccessor(token, successor string) ([]byte, error) {
	aead, err := successorAEAD(token)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(successor), nil), nil
}

// openSuccessor opens what sealSuccessor sealed with the same token.
func openSuccessor(token string, sealed []byte) (string, error) {
	aead, err := successorAEAD(token)
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", errors.New("sealed successor too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	return string(plain), err
}

func successorAEAD(token string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte("kpiflow refresh-token successor\x00" + token))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
