package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"kpiflow/errcode"
	"kpiflow/request"
)

// RateLimit is how many requests a viewer (or, before signing in, a client
// address) may make: Burst at once, refilled at PerSecond.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// DefaultRateLimit suits an SPA, which makes a burst of requests per page.
var DefaultRateLimit = RateLimit{PerSecond: 20, Burst: 60}

// rateLimiter keeps a token bucket per viewer, in memory (per replica).
type rateLimiter struct {
	limit RateLimit
	mu    sync.Mutex
	seen  map[string]*bucket
	swept time.Time
}

type bucket struct {
	l    *rate.Limiter
	last time.Time
}

func newRateLimiter(l RateLimit) *rateLimiter {
	return &rateLimiter{limit: l, seen: map[string]*bucket{}, swept: time.Now()}
}

// wait reports how long the key must wait for its next request, or 0.
func (r *rateLimiter) wait(key string) time.Duration {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.swept) > time.Minute { // forget idle viewers
		for k, b := range r.seen {
			if now.Sub(b.last) > 10*time.Minute {
				delete(r.seen, k)
			}
		}
		r.swept = now
	}
	b := r.seen[key]
	if b == nil {
		b = &bucket{l: rate.NewLimiter(rate.Limit(r.limit.PerSecond), r.limit.Burst)}
		r.seen[key] = b
	}
	b.last = now
	res := b.l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// rateLimited answers 429 with RATE_LIMITED to viewers over their rate.
func rateLimited(l *rateLimiter, next http.Handler) http.Handler {
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := "addr:" + remoteHost(r)
		if u := request.ClaimedUser(r.Context()); u != "" { // no lookup: the token is well signed
			key = "user:" + string(u)
		}
		if d := l.wait(key); d > 0 {
			secs := int(math.Ceil(d.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
				"message":    "too many requests: slow down",
				"extensions": map[string]any{"code": errcode.RateLimited, "retryAfter": secs},
			}}})
			return
		}
		next.ServeHTTP(w, r)
	})
}
