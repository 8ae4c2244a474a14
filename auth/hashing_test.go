package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kpiflow/errcode"
)

// However many hashes are asked for at once, no more than the gate's
// slots run together.
func TestHashGateBoundsConcurrentHashes(t *testing.T) {
	g := newHashGate(2, time.Minute)
	var running, most atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.do(context.Background(), func() {
				n := running.Add(1)
				for p := most.Load(); n > p && !most.CompareAndSwap(p, n); p = most.Load() {
				}
				time.Sleep(time.Millisecond)
				running.Add(-1)
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := most.Load(); m < 1 || m > 2 {
		t.Errorf("%d hashes ran at once, want at most 2", m)
	}
	if p := g.peak.Load(); p != most.Load() {
		t.Errorf("the gate counted a peak of %d, the hashes %d", p, most.Load())
	}
}

// A hash that would wait past the gate's wait, or past its request's
// context, is refused with a coded error and does not run.
func TestHashGateRefusesLongWaits(t *testing.T) {
	g := newHashGate(1, 20*time.Millisecond)
	release, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = g.do(context.Background(), func() { close(held); <-release })
	}()
	<-held
	ran := false
	start := time.Now()
	err := g.do(context.Background(), func() { ran = true })
	var c *errcode.Error
	if !errors.As(err, &c) || c.Code != errcode.Unavailable || c.Extra["retryAfter"] != 1 || ran {
		t.Errorf("waiting past the wait: %v (ran: %v), want UNAVAILABLE with retryAfter", err, ran)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("refused after %v, before the wait of 20ms", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.do(ctx, func() { ran = true }); !errors.As(err, &c) || c.Code != errcode.Unavailable || ran {
		t.Errorf("a request that ended: %v (ran: %v), want UNAVAILABLE", err, ran)
	}
	close(release)
	if err := g.do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Errorf("with the slot free: %v (ran: %v)", err, ran)
	}
}
