// Package viewer carries who is making a request through its context: the
// authenticated user, their organization and role, and the teams within
// their reach. The ent privacy policies (package access) read it; the HTTP
// middleware and the command-line tools put it there.
package viewer

import (
	"context"
	"sync"
	"sync/atomic"

	"entgo.io/ent/privacy"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
)

// Viewer is the user a request acts for.
type Viewer struct {
	UserID pulid.ID
	OrgID  pulid.ID
	Role   user.Role
	// Session is the session (refresh-token family) the viewer signed in
	// with, when they did; Team the team they were in when authenticated.
	Session pulid.ID
	Team    *pulid.ID
	// Organization is the viewer's organization as read when they were
	// authenticated (with the user, in the same statement), or nil.
	Organization *ent.Organization

	scopeOnce sync.Once
	scope     Scope
	scopeErr  error
	loadScope func(context.Context) (Scope, error)
}

// Scope is the part of the team tree a viewer reaches.
type Scope struct {
	// Team is the team the viewer is a member of, or "".
	Team pulid.ID
	// Managed is every team the viewer manages, with all their sub-teams.
	Managed []pulid.ID
}

// New returns a viewer whose scope is loaded, once, by load when a policy
// first needs it.
func New(userID, orgID pulid.ID, role user.Role, load func(context.Context) (Scope, error)) *Viewer {
	return &Viewer{UserID: userID, OrgID: orgID, Role: role, loadScope: load}
}

// Scope returns the viewer's reach in the team tree.
func (v *Viewer) Scope(ctx context.Context) (Scope, error) {
	v.scopeOnce.Do(func() {
		if v.loadScope != nil {
			v.scope, v.scopeErr = v.loadScope(ctx)
		}
	})
	return v.scope, v.scopeErr
}

// IsAdmin reports whether the viewer administers their organization.
func (v *Viewer) IsAdmin() bool { return v.Role == user.RoleAdmin }

// Manages reports whether team is within the teams the viewer manages.
func (s Scope) Manages(team pulid.ID) bool {
	for _, t := range s.Managed {
		if t == team {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// slot holds the viewer of a context. It is a slot rather than a plain
// value so that an operation that signs in (login, refreshToken) can act as
// the signed-in user for the rest of its selection.
type slot struct {
	mu sync.RWMutex
	v  *Viewer
	// resolve, when set, finds the viewer the first time it is asked for.
	resolve func() *Viewer
	once    sync.Once
	settled atomic.Bool
}

func (s *slot) settle() {
	s.once.Do(func() {
		if s.resolve != nil {
			v := s.resolve()
			s.mu.Lock()
			s.v = v
			s.mu.Unlock()
		}
		s.settled.Store(true)
	})
}

// NewContext returns ctx carrying the viewer (nil for an anonymous caller).
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, &slot{v: v})
}

// NewPendingContext returns ctx whose viewer resolve finds (nil for none),
// once, when it is first asked for: a request refused before any field
// runs costs no lookup. resolve must not read the viewer of the context it
// is given here.
func NewPendingContext(ctx context.Context, resolve func() *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, &slot{resolve: resolve})
}

// Rebind makes v the viewer of ctx, which must come from NewContext or
// NewPendingContext, and reports whether it could.
func Rebind(ctx context.Context, v *Viewer) bool {
	s, _ := ctx.Value(ctxKey{}).(*slot)
	if s == nil {
		return false
	}
	s.settle()
	s.mu.Lock()
	s.v = v
	s.mu.Unlock()
	return true
}

// FromContext returns the viewer of ctx, or nil for an anonymous caller.
func FromContext(ctx context.Context) *Viewer {
	s, _ := ctx.Value(ctxKey{}).(*slot)
	if s == nil {
		return nil
	}
	s.settle()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.v
}

// Settled returns the viewer of ctx if it is known without a lookup, or
// nil: for logging what a request did without adding to it.
func Settled(ctx context.Context) *Viewer {
	s, _ := ctx.Value(ctxKey{}).(*slot)
	if s == nil || (s.resolve != nil && !s.settled.Load()) {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.v
}

// System returns a context in which the privacy policies allow everything:
// for kpiflow's own work (migrations, the demo generator, authentication
// lookups, command-line administration), never for a client's request.
func System(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}
