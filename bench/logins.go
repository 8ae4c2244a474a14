package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"kpiflow/auth"
	"kpiflow/demo"
	"kpiflow/ent"
	"kpiflow/ent/user"
	"kpiflow/store"
	"kpiflow/viewer"
)

// loginStorm signs n reps in at once with their password (argon2id at
// DefaultPasswordParams: 64 MiB a hash), as many hashes at once as the
// default bound allows and then without a bound (as before it: one hash
// per sign-in in flight), and reports the peak resident memory of each
// storm over the memory before it.
func loginStorm(ctx context.Context, out io.Writer, st *store.Store, org *ent.Organization, n int) error {
	reps, err := st.Client.User.Query().Where(user.OrganizationID(org.ID), user.RoleEQ(user.RoleRep)).
		Order(ent.Asc(user.FieldEmail)).Limit(n).All(viewer.System(ctx))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "A storm of %d sign-ins at once (each checks a password hashed at 64 MiB, 2 passes, 2 lanes):\n\n", len(reps))
	fmt.Fprintln(out, "| hashes at once | time | sign-ins/s | refused as busy | resident memory before | peak during | peak − before |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for _, bound := range []int{auth.DefaultHashConcurrency(), len(reps)} {
		svc, err := auth.NewService(st.Client, auth.Config{Tokens: auth.TokenConfig{Secret: auth.RandomSecret()},
			HashConcurrency: bound, HashWait: time.Minute})
		if err != nil {
			return err
		}
		debug.FreeOSMemory() // what earlier steps left is returned, so that the peak is the storm's
		resetPeakRSS()
		before := statusKB("VmRSS")
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		busy := 0
		var failed error
		for i, r := range reps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := svc.Login(ctx, r.Email, demo.DemoPassword, &org.ID, fmt.Sprintf("10.0.%d.%d", i/250, i%250))
				mu.Lock()
				defer mu.Unlock()
				if err != nil && strings.Contains(err.Error(), "too many sign-ins") {
					busy++
				} else if err != nil && failed == nil {
					failed = err
				}
			}()
		}
		wg.Wait()
		d := time.Since(start)
		if failed != nil {
			return fmt.Errorf("a sign-in of the storm: %w", failed)
		}
		peak := statusKB("VmHWM")
		label := strconv.Itoa(bound)
		if bound == len(reps) {
			label += " (no bound: one per sign-in)"
		} else {
			label += " (the default bound)"
		}
		fmt.Fprintf(out, "| %s | %s | %.1f | %d | %d MiB | %d MiB | %d MiB |\n", label, d.Round(time.Millisecond),
			float64(len(reps))/d.Seconds(), busy, before>>10, peak>>10, (peak-before)>>10)
	}
	fmt.Fprintln(out)
	debug.FreeOSMemory()
	return nil
}

// statusKB is a kB figure of /proc/self/status (VmRSS, VmHWM), or 0.
func statusKB(key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
