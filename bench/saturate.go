package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"entgo.io/ent/dialect"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/kpi"
	"kpiflow/store"
	"kpiflow/viewer"
)

// saturate measures the throughput the server sustains (closed loop: each
// of conns connections sends its next request as soon as the previous one
// is answered) for the three requests the speed figures compare: the
// viewer, a team's latest deals with their owners and meetings, and a
// team's quarter scorecard. After a warm-up, for the seconds given, it
// reports requests per second, latency percentiles, statements per
// request (the store's counter), the process's CPU time per request (user
// and system, from getrusage: the server, and the load generator in the
// same process) and the peak resident memory over the run (VmHWM, reset
// before each request kind). Every response is checked byte for byte
// against the first one of its connection.
func saturate(ctx context.Context, out io.Writer, st *store.Store, svc *auth.Service, gqlURL string, org *ent.Organization,
	quarter kpi.Period, sat saturation) error {
	conns, warmup, seconds := sat.conns, sat.warmup, sat.seconds
	sys := viewer.System(ctx)
	mgr, err := st.Client.User.Query().Where(user.OrganizationID(org.ID), user.RoleEQ(user.RoleManager), user.HasManagedTeamsWith(team.HasMembers())).
		Order(ent.Asc(user.FieldEmail)).First(sys)
	if err != nil {
		return err
	}
	tm, err := mgr.QueryManagedTeams().Where(team.HasMembers()).Order(ent.Asc(team.FieldName)).First(sys)
	if err != nil {
		return err
	}
	reps, err := tm.QueryMembers().Where(user.RoleEQ(user.RoleRep)).Order(ent.Asc(user.FieldEmail)).All(sys)
	if err != nil || len(reps) == 0 {
		return fmt.Errorf("no reps in %s: %v", tm.Name, err)
	}
	token := func(u *ent.User) (string, error) {
		s, err := svc.StartSession(ctx, u)
		if err != nil {
			return "", err
		}
		return s.AccessToken, nil
	}
	mgrToken, err := token(mgr)
	if err != nil {
		return err
	}
	repTokens := make([]string, conns)
	for i := range repTokens {
		if repTokens[i], err = token(reps[i%len(reps)]); err != nil {
			return err
		}
	}
	deals := `query($team: ID!) { deals(first: 100, where: {teamID: $team}, orderBy: {field: OPENED_AT, direction: DESC}) {
		totalCount edges { node { id name customerName stage openedAt amount { amount currency }
		owner { id name email } meetings(first: 10) { totalCount edges { node { id kind status scheduledAt } } } } } } }`
	scorecard := `query($scope: ScopeInput!, $period: PeriodInput!) { scorecard(scope: $scope, period: $period) {
		results { kpi { key } sampleSize actual { unit value money { amount currency } number display } } } }`
	type request struct {
		key, name, query string
		vars             map[string]any
		token            func(conn int) string
		// direct, when set, is sent instead of an HTTP request.
		direct func(ctx context.Context) ([]byte, error)
	}
	requests := []request{
		{"viewer", "`{ viewer { id name } }` (a rep's)", `{ viewer { id name } }`, nil, func(c int) string { return repTokens[c] }, nil},
		{"deals", "100 deals of " + tm.Name + ", newest first, owner, 10 meetings each, totalCount (its manager)", deals,
			map[string]any{"team": tm.ID}, func(int) string { return mgrToken }, nil},
		{"scorecard", "team scorecard, quarter (" + tm.Name + ", its manager)", scorecard,
			map[string]any{"scope": map[string]any{"teamID": tm.ID}, "period": map[string]any{"label": quarter.Label()}},
			func(int) string { return mgrToken }, nil},
	}
	if hand, err := handWritten(ctx, st, tm.ID, quarter); err == nil {
		requests = append(requests, request{key: "hand", name: "one hand-written SQL statement: the sums of the same team's 7 KPIs (no HTTP, no authentication)",
			token: func(int) string { return "" }, direct: hand})
	} else {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2}}
	fmt.Fprintf(out, "Saturation (closed loop, %d connections, %.0f s after a %.0f s warm-up; server and load generator in one process on the same cores; every response checked byte for byte):\n\n",
		conns, seconds, warmup)
	pgCPU := dbCPU(ctx, st)
	fmt.Fprintln(out, "| request | req/s | p50 | p99 | statements/request | CPU/request | PostgreSQL CPU/request | peak RSS | errors |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range requests {
		if len(sat.only) > 0 && !sat.only[r.key] {
			continue
		}
		body, err := json.Marshal(map[string]any{"query": r.query, "variables": r.vars})
		if err != nil {
			return err
		}
		send := func(token string) ([]byte, error) {
			if r.direct != nil {
				return r.direct(ctx)
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gqlURL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err == nil && (resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`))) {
				err = fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, b)
			}
			return b, err
		}
		want := make([][]byte, conns)
		for c := range conns {
			if want[c], err = send(r.token(c)); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
		}
		// run drives the connections for d and returns their latencies.
		run := func(d time.Duration) ([]time.Duration, int, error) {
			var mu sync.Mutex
			var lat []time.Duration
			var errs int
			var first error
			end := time.Now().Add(d)
			var wg sync.WaitGroup
			for c := range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []time.Duration
					bad := 0
					var firstBad error
					for time.Now().Before(end) {
						t := time.Now()
						b, err := send(r.token(c))
						if err == nil && !bytes.Equal(b, want[c]) {
							err = fmt.Errorf("a response differs from the first: %.300s", b)
						}
						if err != nil {
							bad++
							if firstBad == nil {
								firstBad = err
							}
							continue
						}
						mine = append(mine, time.Since(t))
					}
					mu.Lock()
					defer mu.Unlock()
					lat = append(lat, mine...)
					errs += bad
					if first == nil {
						first = firstBad
					}
				}()
			}
			wg.Wait()
			return lat, errs, first
		}
		if _, _, err := run(time.Duration(warmup * float64(time.Second))); err != nil {
			return fmt.Errorf("%s (warm-up): %w", r.name, err)
		}
		resetPeakRSS()
		var prof *os.File
		if sat.cpuProfile != "" {
			if prof, err = os.Create(sat.cpuProfile + "-" + r.key + ".pprof"); err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		}
		var dbBefore time.Duration
		if pgCPU != nil {
			dbBefore = pgCPU()
		}
		stmts, cpu, start := st.Statements(), cpuTime(), time.Now()
		lat, errs, first := run(time.Duration(seconds * float64(time.Second)))
		elapsed, cpu, stmts := time.Since(start), cpuTime()-cpu, st.Statements()-stmts
		dbPer := "–"
		if pgCPU != nil {
			dbPer = fmt.Sprintf("%.2f ms", float64((pgCPU()-dbBefore).Microseconds())/1000/float64(len(lat)+errs))
		}
		if prof != nil {
			pprof.StopCPUProfile()
			if err := prof.Close(); err != nil {
				return err
			}
		}
		if first != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", r.name, first)
		}
		n := len(lat) + errs
		if len(lat) == 0 {
			fmt.Fprintf(out, "| %s | – | – | – | – | – | – | %s | %d |\n", r.name, peakRSS(), errs)
			continue
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Fprintf(out, "| %s | %.0f | %s | %s | %.1f | %.2f ms | %s | %s | %d |\n", r.name, float64(len(lat))/elapsed.Seconds(),
			pct(lat, 50), pct(lat, 99), float64(stmts)/float64(n), float64(cpu.Microseconds())/1000/float64(n), dbPer, peakRSS(), errs)
	}
	fmt.Fprintln(out)
	return nil
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS starts VmHWM again from the current resident memory
// (Linux: writing 5 to clear_refs), so that it reports the peak of what
// follows.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// handWritten returns the baseline of a team's scorecard: one statement
// over the records, written by hand for the 7 built-in KPIs (their sums
// and counts, with the team's sub-teams listed), sent straight to the
// database.
func handWritten(ctx context.Context, st *store.Store, teamID pulid.ID, p kpi.Period) (func(context.Context) ([]byte, error), error) {
	teams, err := kpi.Subtree(viewer.System(ctx), st.Client, teamID)
	if err != nil {
		return nil, err
	}
	n := 0
	ph := func() string {
		n++
		if st.Dialect == dialect.Postgres {
			return fmt.Sprintf("$%d", n)
		}
		return fmt.Sprintf("?%d", n)
	}
	var args []any
	in := func() string {
		var list []string
		for _, t := range teams {
			list = append(list, ph())
			args = append(args, string(t))
		}
		return strings.Join(list, ", ")
	}
	dealTeams := in()
	start, end := ph(), ph()
	args = append(args, p.Start.UTC(), p.End.UTC())
	meetingTeams := in()
	mStart, mEnd := ph(), ph()
	args = append(args, p.Start.UTC(), p.End.UTC())
	q := `SELECT d.won, d.revenue, d.cycle, d.closed, m.held, m.held_won FROM
		(SELECT SUM(CASE WHEN stage = 'WON' THEN 1 ELSE 0 END) AS won, SUM(CASE WHEN stage = 'WON' THEN amount ELSE 0 END) AS revenue,
			SUM(CASE WHEN stage = 'WON' THEN cycle_micros ELSE 0 END) AS cycle, COUNT(*) AS closed
			FROM deals WHERE team_id IN (` + dealTeams + `) AND stage IN ('WON', 'LOST') AND closed_at >= ` + start + ` AND closed_at < ` + end + `) d,
		(SELECT COUNT(*) AS held, SUM(CASE WHEN md.stage = 'WON' THEN 1 ELSE 0 END) AS held_won
			FROM meetings r LEFT JOIN deals md ON md.id = r.deal_id
			WHERE r.team_id IN (` + meetingTeams + `) AND r.status = 'HELD' AND r.held_at >= ` + mStart + ` AND r.held_at < ` + mEnd + `) m`
	return func(ctx context.Context) ([]byte, error) {
		rows, err := st.DB.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		cells := make([]any, 6)
		ptrs := make([]any, 6)
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
		}
		return []byte(fmt.Sprint(cells...)), rows.Err()
	}, nil
}

// dbCPU returns a function that reads the CPU time used so far by the
// processes of the PostgreSQL server the store is connected to (its
// postmaster's children, found from a backend's parent in /proc), or nil
// when that cannot be read (SQLite runs in the process; a remote server).
func dbCPU(ctx context.Context, st *store.Store) func() time.Duration {
	if st.Dialect != dialect.Postgres {
		return nil
	}
	var pid int
	if err := st.DB.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		return nil
	}
	stat := func(pid int) (ppid int, cpu time.Duration, ok bool) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, 0, false
		}
		// The fields after the command's closing parenthesis: state is
		// the first, ppid the second, utime and stime the 12th and 13th.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			return 0, 0, false
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			return 0, 0, false
		}
		ppid, _ = strconv.Atoi(f[1])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		// Clock ticks: 100 a second on Linux.
		return ppid, time.Duration(ut+stt) * 10 * time.Millisecond, true
	}
	master, _, ok := stat(pid)
	if !ok || master <= 1 {
		return nil
	}
	return func() time.Duration {
		var total time.Duration
		entries, err := os.ReadDir("/proc")
		if err != nil {
			return 0
		}
		for _, e := range entries {
			p, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if pp, cpu, ok := stat(p); ok && (pp == master || p == master) {
				total += cpu
			}
		}
		return total
	}
}
