// Package request holds what the HTTP layer learns of a request and the
// GraphQL layer reads: the request's id, the client's address and what
// authentication found out about the caller. Package httpapi writes it;
// package graph (the resolvers, the error presenter, the root-field
// check) reads it.
package request

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
)

type idKey struct{}

// WithID returns a context of a request with the id id.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// ID returns the id of the HTTP request being served, or "".
func ID(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

// NewID returns a new random request id.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Caller is what the HTTP layer learned about the caller. Authentication
// sets TokenRefused, Err and User when it looks the token's session up,
// which happens when the viewer is first needed (viewer.NewPendingContext).
type Caller struct {
	// Addr is the address of the client (the connection's peer).
	Addr string
	// Subject is the user a well-signed token names, before its session
	// is checked: enough to key a rate limit on.
	Subject pulid.ID
	// TokenRefused is set when the request's token is forged, expired or
	// of an ended session.
	TokenRefused bool
	// Err is why the token could not be checked (the database).
	Err error
	// User is the viewer's row as authentication read it: the viewer
	// field shows it without reading it again.
	User *ent.User
}

type callerKey struct{}

// WithCaller returns a context that carries c.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerOf returns the caller of the request, or nil outside one.
func CallerOf(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}

// ClientAddr is the address of the client, or "".
func ClientAddr(ctx context.Context) string {
	if c := CallerOf(ctx); c != nil {
		return c.Addr
	}
	return ""
}

// ClaimedUser is the user the request's well-signed token names, or "".
func ClaimedUser(ctx context.Context) pulid.ID {
	if c := CallerOf(ctx); c != nil {
		return c.Subject
	}
	return ""
}

// AuthenticatedUser returns the row authentication read for the user id,
// or nil.
func AuthenticatedUser(ctx context.Context, id pulid.ID) *ent.User {
	if c := CallerOf(ctx); c != nil && c.User != nil && c.User.ID == id {
		return c.User
	}
	return nil
}
