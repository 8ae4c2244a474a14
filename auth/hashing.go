package auth

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"kpiflow/errcode"
)

// Defaults of Config.HashConcurrency and Config.HashWait.
const (
	// DefaultHashWait is how long a password hash waits for its turn.
	DefaultHashWait = 5 * time.Second
	minHashes       = 2
	maxHashes       = 4
)

// DefaultHashConcurrency is how many password hashes run at once by
// default: the cores, from 2 up to 4. Each takes the hash's memory cost
// (64 MiB with DefaultPasswordParams) for as long as it runs.
func DefaultHashConcurrency() int { return min(max(runtime.GOMAXPROCS(0), minHashes), maxHashes) }

// errHashBusy is the error of a sign-in or password change that waited
// too long for its turn to hash: the client may try again shortly.
var errHashBusy = func() *errcode.Error {
	e := errcode.New(errcode.Unavailable, "too many sign-ins at once: try again in a moment")
	e.Extra = map[string]any{"retryAfter": 1}
	return e
}()

// hashGate bounds the password hashes (argon2id: memory-hard by design)
// that run at once, so that a storm of sign-ins cannot exhaust memory:
// resident memory grows by at most the slots times the hash's memory
// cost. A hash waits for a slot at most wait, and no longer than its
// request's context allows; then it is refused with errHashBusy, a coded
// error, rather than queued without end.
type hashGate struct {
	slots chan struct{}
	wait  time.Duration
	// running and peak count the hashes running now and at most so far.
	running, peak atomic.Int64
}

func newHashGate(n int, wait time.Duration) *hashGate {
	if n <= 0 {
		n = DefaultHashConcurrency()
	}
	if wait <= 0 {
		wait = DefaultHashWait
	}
	return &hashGate{slots: make(chan struct{}, n), wait: wait}
}

// do runs f, which hashes, when a slot is free.
func (g *hashGate) do(ctx context.Context, f func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return errHashBusy
		case <-ctx.Done():
			return errHashBusy
		}
	}
	defer func() { <-g.slots }()
	n := g.running.Add(1)
	defer g.running.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f()
	return nil
}

// HashingPeak returns the most password hashes that ran at once so far,
// and the bound they run under.
func (s *Service) HashingPeak() (peak, bound int) {
	return int(s.hashes.peak.Load()), cap(s.hashes.slots)
}
