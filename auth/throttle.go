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

// LoginThrottle is the sign-in throttle. Its rule:
//
//   - An account and a client address together (a pair) may fail PairLimit
//     times in Window; then that pair waits until the oldest failure leaves
//     the window. An attacker elsewhere locks out only their own pair.
//   - An account may fail AccountLimit times in Window from all addresses
//     together; past that, every further attempt at it from an address it
//     has not signed in from waits a backoff after the latest failure, which
//     doubles with each failure from one second up to MaxBackoff: a slow
//     ceiling on guessing from many addresses, never a lockout.
//   - An address may fail AddressLimit times in Window on all accounts
//     together; past that, its attempts at accounts that have not signed in
//     from it back off in the same way: a crowd behind one NAT is slowed
//     for newcomers, never blocked.
//   - A pair that signed in successfully is known for KnownFor: its
//     failures are forgotten, and the account and address ceilings do not
//     apply to it, so the owner keeps signing in from where they usually do.
//
// Like Throttle, it is kept in memory, per server replica.
type LoginThrottle struct {
	PairLimit, AccountLimit, AddressLimit int
	Window, MaxBackoff, KnownFor          time.Duration

	pairs, accounts, addresses *Throttle

	mu    sync.Mutex
	known map[string]time.Time // pair → its latest success
	now   func() time.Time
}

// Defaults of LoginThrottle.
const (
	DefaultPairLimit    = 5
	DefaultAccountLimit = 20
	DefaultAddressLimit = 50
	DefaultWindow       = 15 * time.Minute
	DefaultMaxBackoff   = time.Minute
	DefaultKnownFor     = 30 * 24 * time.Hour
)

// NewLoginThrottle returns the sign-in throttle with the given limits;
// zero values take the defaults.
func NewLoginThrottle(pairLimit, accountLimit, addressLimit int, window time.Duration) *LoginThrottle {
	def := func(v, d int) int {
		if v <= 0 {
			return d
		}
		return v
	}
	if window <= 0 {
		window = DefaultWindow
	}
	t := &LoginThrottle{
		PairLimit: def(pairLimit, DefaultPairLimit), AccountLimit: def(accountLimit, DefaultAccountLimit),
		AddressLimit: def(addressLimit, DefaultAddressLimit),
		Window:       window, MaxBackoff: DefaultMaxBackoff, KnownFor: DefaultKnownFor,
		known: map[string]time.Time{}, now: time.Now,
	}
	t.pairs = NewThrottle(t.PairLimit, window)
	t.accounts = NewThrottle(t.AccountLimit, window)
	t.addresses = NewThrottle(t.AddressLimit, window)
	return t
}

func (t *LoginThrottle) setClock(now func() time.Time) {
	t.now = now
	t.pairs.now, t.accounts.now, t.addresses.now = now, now, now
}

func pairKey(account, address string) string { return account + "\x00" + address }

// Check returns how long a sign-in to account from address must wait, or 0.
func (t *LoginThrottle) Check(account, address string) time.Duration {
	wait := t.pairs.Check(pairKey(account, address))
	if t.isKnown(account, address) {
		return wait
	}
	return max(wait, t.backoff(t.accounts, account, t.AccountLimit), t.backoff(t.addresses, address, t.AddressLimit))
}

// backoff is the wait of a key past its limit: from its latest failure,
// one second doubled for each failure beyond the limit, up to MaxBackoff.
func (t *LoginThrottle) backoff(th *Throttle, key string, limit int) time.Duration {
	th.mu.Lock()
	recent := th.recent(key)
	th.mu.Unlock()
	if len(recent) < limit {
		return 0
	}
	d := t.MaxBackoff
	if k := len(recent) - limit; k < 16 {
		d = min(d, time.Second<<k)
	}
	return max(0, recent[len(recent)-1].Add(d).Sub(t.now()))
}

// Fail records a failed sign-in.
func (t *LoginThrottle) Fail(account, address string) {
	t.pairs.Fail(pairKey(account, address))
	t.accounts.Fail(account)
	t.addresses.Fail(address)
}

// Succeed records a successful sign-in: the pair's failures are
// forgotten, and the pair is known from now on.
func (t *LoginThrottle) Succeed(account, address string) {
	key := pairKey(account, address)
	t.pairs.Reset(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.known[key] = t.now()
	if len(t.known) > 100_000 {
		cutoff := t.now().Add(-t.KnownFor)
		for k, at := range t.known {
			if at.Before(cutoff) {
				delete(t.known, k)
			}
		}
	}
}

func (t *LoginThrottle) isKnown(account, address string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.known[pairKey(account, address)]
	return ok && t.now().Sub(at) < t.KnownFor
}
