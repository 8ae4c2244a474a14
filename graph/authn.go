package graph

import (
	"context"
	"errors"
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
	"kpiflow/request"
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

// authenticatedUser returns the row authentication read for the viewer v,
// or nil: the viewer field shows it rather than reading it again.
func authenticatedUser(ctx context.Context, v *viewer.Viewer) *ent.User {
	if v == nil {
		return nil
	}
	return request.AuthenticatedUser(ctx, v.UserID)
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

// requireViewer refuses every root field but the public ones to an
// anonymous caller, before its resolver runs and without any query.
func requireViewer(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc == nil || publicFields[fc.Field.Name] || viewer.FromContext(ctx) != nil {
		return next(ctx)
	}
	msg := "sign in first: this field needs an access token"
	if st := request.CallerOf(ctx); st != nil && st.Err != nil {
		graphql.AddError(ctx, resolverError{st.Err}) // UNAVAILABLE, or masked
		return graphql.Null
	} else if st != nil && st.TokenRefused {
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
