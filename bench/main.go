// Command bench measures kpiflow on a large dataset: it loads a scaled demo
// organization into a fresh database, then sends scorecard requests to the
// real HTTP handler and reports latency percentiles, statements per
// request, the load rate, the PostgreSQL plan of the KPI aggregate and the
// process's peak memory. `make bench` runs it on SQLite and PostgreSQL.
//
// Figures are printed as Markdown, for docs/BENCHMARKS.md. They are
// measurements of this machine, never assertions.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"kpiflow/auth"
	"kpiflow/demo"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/organization"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/graph"
	"kpiflow/httpapi"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/store"
	"kpiflow/viewer"
)

func main() {
	deals := flag.Int("deals", 1_000_000, "deals to generate")
	meetings := flag.Int("meetings", 3_000_000, "meetings to generate")
	requests := flag.Int("requests", 200, "requests per measured query")
	dbURL := flag.String("database-url", "", "a database to fill (empty: a new SQLite file in a temporary directory)")
	rateList := flag.String("rates", "20,100", "request rates of the load test, per second, comma-separated")
	seconds := flag.Float64("seconds", 10, "seconds of load at each rate")
	imports := flag.Int("import", 20_000, "deals to bulk-import (0: none)")
	conns := flag.Int("connections", 8, "connections of the saturation test (0: no saturation test)")
	warmup := flag.Float64("saturate-warmup", 5, "seconds of warm-up before each saturation measure")
	satSeconds := flag.Float64("saturate-seconds", 20, "seconds of each saturation measure")
	logins := flag.Int("logins", 32, "sign-ins of the sign-in storm (0: none)")
	reuse := flag.Bool("reuse", false, "use the organization already in --database-url, if there is one, instead of loading a new one (--deals and --meetings are then ignored)")
	only := flag.String("only", "", "the saturation measures to run, comma-separated among viewer, deals, scorecard, hand (empty: all)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of each saturation measure to PREFIX-NAME.pprof")
	flag.IntVar(&store.StatementCache, "statement-cache", store.StatementCache,
		"prepared statements each database connection keeps (0: none)")
	flag.Parse()
	var rates []float64
	for _, r := range strings.Split(*rateList, ",") {
		if strings.TrimSpace(r) == "" && strings.TrimSpace(*rateList) == "" {
			break // no load test
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "bench: --rates: %q is not a positive rate\n", r)
			os.Exit(2)
		}
		rates = append(rates, v)
	}
	sat := saturation{conns: *conns, warmup: *warmup, seconds: *satSeconds, logins: *logins, only: map[string]bool{}, cpuProfile: *cpuProfile}
	for _, o := range strings.Split(*only, ",") {
		if o = strings.TrimSpace(o); o != "" {
			sat.only[o] = true
		}
	}
	if *reuse && *dbURL == "" {
		fmt.Fprintln(os.Stderr, "bench: --reuse needs --database-url")
		os.Exit(2)
	}
	if err := run(context.Background(), *dbURL, *reuse, *deals, *meetings, *requests, rates, *seconds, *imports, sat, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// saturation says what of the saturation and sign-in storm steps to run.
type saturation struct {
	conns           int
	warmup, seconds float64
	logins          int
	// only names the saturation measures to run (empty: all).
	only map[string]bool
	// cpuProfile, when set, is the prefix of each measure's CPU profile.
	cpuProfile string
}

func run(ctx context.Context, dbURL string, reuse bool, deals, meetings, requests int, rates []float64, seconds float64, imports int,
	sat saturation, out io.Writer) error {
	if dbURL == "" {
		dir, err := os.MkdirTemp("", "kpiflow-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbURL = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}

	var sum *demo.Summary
	if reuse {
		if sum, err = loaded(ctx, st); err != nil {
			return err
		}
	}
	if sum == nil {
		start := time.Now()
		sum, err = demo.Seed(ctx, st.Client, demo.Options{Seed: 1, Deals: deals, Meetings: meetings, Dialect: st.Dialect,
			Progress: func(done, total int) { fmt.Fprintf(os.Stderr, "\rloading %d/%d rows", done, total) }})
		if err != nil {
			return err
		}
		load := time.Since(start)
		fmt.Fprintln(os.Stderr)
		rows := sum.Deals + sum.Meetings
		fmt.Fprintf(out, "### %s, %d deals and %d meetings\n\n", st.Dialect, sum.Deals, sum.Meetings)
		fmt.Fprintf(out, "Load: %d rows in %s (%.0f rows/s), %d reps in %d teams.\n\n",
			rows, load.Round(time.Second), float64(rows)/load.Seconds(), sum.Users, sum.Teams)
		// Fresh statistics, as a database in service has: without them the
		// planners guess which index serves a scope.
		if err := st.Analyze(ctx); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "### %s, %d deals and %d meetings (loaded before)\n\n", st.Dialect, sum.Deals, sum.Meetings)
	}

	svc, err := auth.NewService(st.Client, auth.Config{Tokens: auth.TokenConfig{Secret: auth.RandomSecret()}})
	if err != nil {
		return err
	}
	h := httpapi.NewHandler(httpapi.Options{Options: graph.Options{Client: st.Client, Dialect: st.Dialect, Auth: svc,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, RateLimit: httpapi.RateLimit{PerSecond: -1}})
	srv := httptest.NewServer(h)
	defer srv.Close()

	sys := viewer.System(ctx)
	org := sum.Organization
	admin, err := st.Client.User.Query().Where(user.RoleEQ(user.RoleAdmin), user.OrganizationID(org.ID)).First(sys)
	if err != nil {
		return err
	}
	region, err := st.Client.Team.Query().Where(team.OrganizationID(org.ID), team.ParentIDIsNil()).First(sys)
	if err != nil {
		return err
	}
	cal, err := kpi.NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	if err != nil {
		return err
	}
	quarter := cal.PeriodAt(kpi.PeriodQuarter, time.Now()).Prev()
	adminSession, err := svc.StartSession(ctx, admin)
	if err != nil {
		return err
	}
	token := adminSession.AccessToken

	if requests > 0 {
		if err := oneAtATime(ctx, out, st, svc, srv.URL, token, org, region.ID, quarter, requests); err != nil {
			return err
		}
	}

	if sat.conns > 0 {
		if err := saturate(ctx, out, st, svc, srv.URL+"/graphql", org, quarter, sat); err != nil {
			return err
		}
	}
	if len(rates) > 0 {
		if err := loadTest(ctx, out, st, svc, srv.URL, org, quarter, rates, seconds); err != nil {
			return err
		}
	}
	if imports > 0 {
		if err := importRate(ctx, out, st, svc, srv.URL, org, imports); err != nil {
			return err
		}
	}
	// Last of the measures of memory: the storm without a bound leaves
	// the process gigabytes larger for a while.
	if sat.logins > 0 {
		if err := loginStorm(ctx, out, st, org, sat.logins); err != nil {
			return err
		}
	}

	if st.Dialect == dialect.Postgres {
		teams, err := kpi.Subtree(sys, st.Client, region.ID)
		if err != nil {
			return err
		}
		for _, c := range []struct {
			name  string
			scope kpi.Scope
		}{
			{"region team", kpi.Scope{Org: org.ID, Teams: teams, Zone: cal.Location}},
			{"organization", kpi.Scope{Org: org.ID, Zone: cal.Location}},
		} {
			plan, err := explain(ctx, st, c.scope, quarter)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "PostgreSQL plan of the %s scorecard's read of the rollups (EXPLAIN ANALYZE):\n\n```\n%s```\n\n", c.name, plan)
		}
	}
	return nil
}

// loaded returns the summary of the organization a database already
// holds (the first one), or nil when it holds none.
func loaded(ctx context.Context, st *store.Store) (*demo.Summary, error) {
	sys := viewer.System(ctx)
	org, err := st.Client.Organization.Query().Order(ent.Asc(organization.FieldCreatedAt)).First(sys)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sum := &demo.Summary{Organization: org}
	for _, c := range []struct {
		n     *int
		count func() (int, error)
	}{
		{&sum.Teams, func() (int, error) { return st.Client.Team.Query().Where(team.OrganizationID(org.ID)).Count(sys) }},
		{&sum.Users, func() (int, error) {
			return st.Client.User.Query().Where(user.OrganizationID(org.ID), user.RoleEQ(user.RoleRep)).Count(sys)
		}},
		{&sum.Deals, func() (int, error) { return st.Client.Deal.Query().Where(deal.OrganizationID(org.ID)).Count(sys) }},
		{&sum.Meetings, func() (int, error) { return st.Client.Meeting.Query().Where(meeting.OrganizationID(org.ID)).Count(sys) }},
	} {
		if *c.n, err = c.count(); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// oneAtATime measures the region's and the organization's scorecards and
// the session check, one request at a time.
func oneAtATime(ctx context.Context, out io.Writer, st *store.Store, svc *auth.Service, url, token string, org *ent.Organization,
	region pulid.ID, quarter kpi.Period, requests int) error {
	scorecard := `query($scope: ScopeInput!, $period: PeriodInput!) { scorecard(scope: $scope, period: $period) {
		results { kpi { key } sampleSize actual { unit value money { amount currency } number display } } } }`
	fmt.Fprintf(out, "Scorecards of %s (%d requests each, one at a time, through the HTTP handler):\n\n", quarter.Label(), requests)
	fmt.Fprintln(out, "| request | p50 | p95 | p99 | mean | statements/request |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	for _, c := range []struct {
		name  string
		scope map[string]any
	}{
		{"region team scorecard, quarter", map[string]any{"teamID": region}},
		{"organization scorecard, quarter", map[string]any{"organization": true}},
	} {
		vars := map[string]any{"scope": c.scope, "period": map[string]any{"label": quarter.Label()}}
		lat, stmts, err := measure(url, token, scorecard, vars, requests, st)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %.1f |\n", c.name,
			pct(lat, 50), pct(lat, 95), pct(lat, 99), mean(lat), stmts)
	}
	fmt.Fprintln(out)
	if err := sessionCost(ctx, out, st, svc, url, org, requests); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(out, "\nPeak resident memory of the process (VmHWM): %s; Go heap in use at the end: %d MiB.\n\n",
		peakRSS(), ms.HeapInuse>>20)
	return nil
}

// measure sends the query n times (after a warm-up) and returns the
// latencies and the statements per request.
func measure(url, token, query string, vars map[string]any, n int, st *store.Store) ([]time.Duration, float64, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	send := func() error {
		req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || bytes.Contains(b, []byte(`"errors"`)) {
			return fmt.Errorf("request failed: %s", b)
		}
		return nil
	}
	for i := 0; i < 3; i++ {
		if err := send(); err != nil {
			return nil, 0, err
		}
	}
	before := st.Statements()
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := send(); err != nil {
			return nil, 0, err
		}
		lat = append(lat, time.Since(t))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, float64(st.Statements()-before) / float64(n), nil
}

func pct(lat []time.Duration, p int) string {
	i := (len(lat)*p + 99) / 100
	if i > 0 {
		i--
	}
	return ms(lat[i])
}

func mean(lat []time.Duration) string {
	var s time.Duration
	for _, l := range lat {
		s += l
	}
	return ms(s / time.Duration(len(lat)))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

// capture records the statements an engine sends.
type capture struct {
	db    *sql.DB
	query string
	args  []any
}

func (c *capture) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if strings.Contains(q, "_rollups") {
		c.query, c.args = q, args
	}
	return c.db.QueryContext(ctx, q, args...)
}

// explain returns the PostgreSQL plan of the statement that reads a
// scorecard's values from the rollups.
func explain(ctx context.Context, st *store.Store, scope kpi.Scope, p kpi.Period) (string, error) {
	c := &capture{db: st.DB}
	var kpis []kpi.KPI
	for _, b := range definition.Builtins {
		kpis = append(kpis, kpi.KPI{Key: b.Key, Unit: b.Unit, MinSample: b.MinSample, Definition: b.Definition})
	}
	if _, err := (kpi.Engine{DB: c, Dialect: st.Dialect, Rollups: true}).Compute(ctx, scope, kpis, []kpi.Period{p}); err != nil {
		return "", err
	}
	rows, err := st.DB.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+c.query, c.args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}
