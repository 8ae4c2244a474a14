package httpapi

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"kpiflow/auth"
	"kpiflow/ent/schema/pulid"
	"kpiflow/request"
	"kpiflow/viewer"
)

// authenticate reads the access token of a request, if there is one, and
// puts its viewer in the context. A forged token is refused at once,
// without a statement; a well-signed one is looked up (the user with their
// session and their reach, one statement) when the viewer is first
// needed, so that an operation refused before its fields run costs no
// statement. A request is never refused here: authentication is per field
// (package graph refuses the fields that need a viewer), so that
// anonymous callers can still sign in. What it learns of the caller is
// the request's request.Caller.
func authenticate(svc *auth.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &request.Caller{Addr: remoteHost(r)}
		base := r.Context()
		ctx := viewer.NewContext(base, nil)
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			token = strings.TrimSpace(token)
			if claims, err := svc.Tokens().Verify(token); !ok || err != nil {
				st.TokenRefused = true
			} else {
				st.Subject = pulid.ID(claims.Subject)
				ctx = viewer.NewPendingContext(base, func() *viewer.Viewer {
					v, u, err := svc.AuthenticateUser(base, token)
					st.User = u
					if errors.Is(err, auth.ErrUnauthenticated) {
						st.TokenRefused = true
					} else if err != nil {
						st.Err = err
					}
					return v
				})
			}
		}
		ctx = request.WithCaller(ctx, st)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
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
