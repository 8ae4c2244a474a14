package graph

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"kpiflow/bulk"
	"kpiflow/ent"
	"kpiflow/errcode"
	"kpiflow/viewer"
)

// External IDs are unique in an organization, and a viewer may not read
// every record of it: so "this external ID is taken" (CONFLICT) can name a
// record out of the viewer's sight. kpiflow accepts that answer, because
// it says only that the other system's identifier is in use in the
// viewer's own organization (no ID, owner, team or content; never across
// organizations), and because uniqueness per organization is what keeps
// imports idempotent. It bounds it instead: every external ID refused as
// taken spends one of a viewer's probes (ProbeBurst at once, one more per
// ProbeRefill); without one left, writes that set external IDs are
// RATE_LIMITED, so nobody can test external IDs in bulk.
const (
	ProbeBurst  = 20
	ProbeRefill = time.Minute
)

// probes keeps each viewer's budget of refused external IDs, in memory
// (per replica, like the request rate limit).
type probes struct {
	mu   sync.Mutex
	left map[string]*rate.Limiter
}

func newProbes() *probes { return &probes{left: map[string]*rate.Limiter{}} }

func (p *probes) limiter(ctx context.Context) *rate.Limiter {
	key := ""
	if v := viewer.FromContext(ctx); v != nil {
		key = string(v.UserID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.left[key]
	if l == nil {
		l = rate.NewLimiter(rate.Every(ProbeRefill), ProbeBurst)
		p.left[key] = l
	}
	return l
}

// allow refuses a write that sets external IDs when the viewer has no
// probe left.
func (p *probes) allow(ctx context.Context) error {
	l := p.limiter(ctx)
	if l.Tokens() >= 1 {
		return nil
	}
	wait := time.Duration(float64(time.Second) * (1 - l.Tokens()) / float64(l.Limit()))
	return &errcode.Error{Code: errcode.RateLimited,
		Message: "too many external IDs refused as already taken: try again later",
		Extra:   map[string]any{"retryAfter": int(math.Ceil(wait.Seconds()))}}
}

// spend takes n probes, after n external IDs were refused as taken; it
// refuses (RATE_LIMITED) when the viewer had fewer left, so that one call
// cannot test more than the budget.
func (p *probes) spend(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	l := p.limiter(ctx)
	enough := l.Tokens() >= float64(n)
	l.ReserveN(time.Now(), min(n, ProbeBurst)) // whatever it takes, down to empty
	if !enough {
		return p.allow(ctx)
	}
	return nil
}

// externalIDWrite runs a create or update that sets an external ID (set)
// within the viewer's probe budget.
func (p *probes) externalIDWrite(ctx context.Context, set bool, write func() error) error {
	if !set {
		return write()
	}
	if err := p.allow(ctx); err != nil {
		return err
	}
	err := write()
	if ent.IsConstraintError(err) {
		p.spend(ctx, 1) //nolint:errcheck // the conflict is the answer
	}
	return err
}

// importConflicts spends a probe per row refused as conflicting.
func (p *probes) importConflicts(ctx context.Context, res *bulk.Result) error {
	n := 0
	for _, r := range res.Rejected {
		if r.Code == errcode.Conflict {
			n++
		}
	}
	return p.spend(ctx, n)
}
