package auth

import (
	"sync"
	"time"
)

// Throttle counts failed sign-ins per key (an account, a client address)
// in a sliding window and refuses further attempts once a key has failed
// Limit times in Window. It is kept in memory, per server replica: with N
// replicas an attacker gets at most N×Limit guesses per window.
type Throttle struct {
	Limit  int
	Window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
	now      func() time.Time
}

// NewThrottle returns a throttle allowing limit failures per window.
func NewThrottle(limit int, window time.Duration) *Throttle {
	return &Throttle{Limit: limit, Window: window, failures: map[string][]time.Time{}, now: time.Now}
}

// Check returns how long the key must wait before it may try again, or 0.
func (t *Throttle) Check(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.recent(key)
	if len(recent) < t.Limit {
		return 0
	}
	return recent[len(recent)-t.Limit].Add(t.Window).Sub(t.now())
}

// Fail records a failed attempt of the key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failures[key] = append(t.recent(key), t.now())
	if len(t.failures) > 100_000 {
		t.sweep()
	}
}

// Reset forgets the failures of the key, after a successful sign-in.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

func (t *Throttle) recent(key string) []time.Time {
	cutoff := t.now().Add(-t.Window)
	f := t.failures[key]
	i := 0
	for i < len(f) && !f[i].After(cutoff) {
		i++
	}
	if i == len(f) {
		delete(t.failures, key)
		return nil
	}
	return f[i:]
}

// sweep drops keys whose failures have all left the window, bounding
// memory under an attack from many addresses.
func (t *Throttle) sweep() {
	for k := range t.failures {
		t.recent(k)
	}
}
