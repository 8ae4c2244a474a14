package graph

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/errcode"
	"kpiflow/live"
	"kpiflow/viewer"
)

// publicFields are the root fields an anonymous caller may use.
var publicFields = map[string]bool{
	"login": true, "refreshToken": true, "logout": true,
	"__typename": true, "__schema": true, "__type": true,
}

// sessionFields run their own transactions (package auth): they must not
// share an operation with fields that run in the request's.
var sessionFields = map[string]bool{"login": true, "refreshToken": true, "logout": true}

type authKey struct{}

// authState is what the HTTP layer learned about the caller.
type authState struct {
	tokenRefused bool
	// authErr is why the token could not be checked (the database).
	authErr    error
	clientAddr string
	// subject is the user a well-signed token names, before its session
	// is checked: enough to key a rate limit on.
	subject pulid.ID
	// user is the viewer's row as authentication read it (set before the
	// viewer is settled): the viewer field shows it without reading again.
	user *ent.User
}

// authenticatedUser returns the row authentication read for the viewer v,
// or nil: the viewer field shows it rather than reading it again.
func authenticatedUser(ctx context.Context, v *viewer.Viewer) *ent.User {
	if st, ok := ctx.Value(authKey{}).(*authState); ok && st.user != nil && v != nil && st.user.ID == v.UserID {
		return st.user
	}
	return nil
}

// claimedUser is the user the request's well-signed token names, or "".
func claimedUser(ctx context.Context) pulid.ID {
	if st, ok := ctx.Value(authKey{}).(*authState); ok {
		return st.subject
	}
	return ""
}

// authenticate reads the access token of a request, if there is one, and
// puts its viewer in the context. A forged token is refused at once,
// without a statement; a well-signed one is looked up (the user with their
// session and their reach, one statement) when the viewer is first
// needed, so that an operation refused before its fields run costs no
// statement. A request is never refused here: authentication is per field
// (requireViewer), so that anonymous callers can still sign in.
func authenticate(svc *auth.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &authState{clientAddr: remoteHost(r)}
		base := r.Context()
		ctx := viewer.NewContext(base, nil)
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			token = strings.TrimSpace(token)
			if claims, err := svc.Tokens().Verify(token); !ok || err != nil {
				st.tokenRefused = true
			} else {
				st.subject = pulid.ID(claims.Subject)
				ctx = viewer.NewPendingContext(base, func() *viewer.Viewer {
					v, u, err := svc.AuthenticateUser(base, token)
					st.user = u
					if errors.Is(err, auth.ErrUnauthenticated) {
						st.tokenRefused = true
					} else if err != nil {
						st.authErr = err
					}
					return v
				})
			}
		}
		ctx = context.WithValue(ctx, authKey{}, st)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// errSessionEnded ends a WebSocket connection whose viewer no longer
// stands (logout, password change, deactivation, role or team change).
var errSessionEnded = errors.New("the session ended: sign in again")

// websocketInit authenticates a WebSocket connection (graphql-transport-ws)
// from the access token in its connection_init payload, as
// {"Authorization": "Bearer …"} or {"accessToken": "…"}: browsers cannot
// set headers on WebSocket requests. A connection without a token is
// anonymous; one with a refused token is closed. An authenticated
// connection ends when its token expires, and when its session ends or its
// user changes (hub's SessionsEnded notices, from every replica; on a
// Resync it looks again too).
func websocketInit(svc *auth.Service, hub *live.Hub) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := p.GetString("accessToken")
		if h := p.Authorization(); h != "" {
			var ok bool
			if token, ok = strings.CutPrefix(h, "Bearer "); !ok {
				return ctx, nil, auth.ErrUnauthenticated
			}
		}
		if token == "" {
			return viewer.NewContext(ctx, nil), nil, nil
		}
		token = strings.TrimSpace(token)
		claims, err := svc.Tokens().Verify(token)
		if err != nil {
			return ctx, nil, auth.ErrUnauthenticated
		}
		// Watch before looking: a session that ends after the look is
		// announced to the watch.
		watch := hub.WatchUser(pulid.ID(claims.Subject))
		v, err := svc.Authenticate(ctx, token)
		if err != nil {
			watch.Close()
			return ctx, nil, auth.ErrUnauthenticated
		}
		// A connection outlives its first look at the organization (its
		// settings may change meanwhile): its operations read it anew.
		v.Organization = nil
		ctx, cancel := context.WithDeadline(viewer.NewContext(ctx, v), claims.ExpiresAt.Time)
		ctx, end := context.WithCancelCause(ctx)
		go func() {
			defer cancel()
			defer watch.Close()
			for {
				select {
				case <-ctx.Done():
					return
				case _, ok := <-watch.C:
					if !ok {
						end(errSessionEnded)
						return
					}
					if current, err := svc.Current(ctx, v); err == nil && !current {
						end(errSessionEnded)
						return
					}
				}
			}
		}()
		return ctx, nil, nil
	}
}

// remoteHost is the address of the client, for throttling sign-ins. It is
// the peer of the connection: headers such as X-Forwarded-For are
// client-controlled unless a trusted proxy sets them.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func clientAddr(ctx context.Context) string {
	if st, ok := ctx.Value(authKey{}).(*authState); ok {
		return st.clientAddr
	}
	return ""
}

// requireViewer refuses every root field but the public ones to an
// anonymous caller, before its resolver runs and without any query.
func requireViewer(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc == nil || publicFields[fc.Field.Name] || viewer.FromContext(ctx) != nil {
		return next(ctx)
	}
	msg := "sign in first: this field needs an access token"
	if st, ok := ctx.Value(authKey{}).(*authState); ok && st.authErr != nil {
		graphql.AddError(ctx, resolverError{st.authErr}) // UNAVAILABLE, or masked
		return graphql.Null
	} else if ok && st.tokenRefused {
		msg = auth.ErrUnauthenticated.Message
	}
	graphql.AddError(ctx, errcode.New(errcode.Unauthenticated, "%s", msg))
	return graphql.Null
}

// sessionsAlone refuses operations that mix sign-in fields with others.
type sessionsAlone struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = sessionsAlone{}

func (sessionsAlone) ExtensionName() string                   { return "SessionsAlone" }
func (sessionsAlone) Validate(graphql.ExecutableSchema) error { return nil }

func (sessionsAlone) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	session, other := 0, 0
	for _, sel := range oc.Operation.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && sessionFields[f.Name] {
			session++
		} else if !ok || f.Name != "__typename" {
			other++
		}
	}
	if session > 0 && (other > 0 || session > 1) {
		e := gqlerror.Errorf("login, refreshToken and logout must each be the only field of their operation")
		e.Extensions = map[string]any{"code": errcode.BadUserInput}
		return e
	}
	return nil
}

// isSessionOperation reports whether an operation signs in or out, and so
// runs its own transaction.
func isSessionOperation(op *ast.OperationDefinition) bool {
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && sessionFields[f.Name] {
			return true
		}
	}
	return false
}
