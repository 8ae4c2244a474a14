package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/kpi"
	"kpiflow/store"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

// The load test drives the real server over HTTP at fixed request rates
// (open loop: a request is sent at its time whether or not the ones before
// it have answered, and its latency counts from that time, so a slow
// server cannot hide its queue) and reports latency percentiles and the
// throughput achieved. Each GraphQL operation is measured beside a
// baseline: a plain net/http handler that authenticates the same token and
// serves the same data from the same SQL, encoded as JSON, with none of
// the GraphQL layer (parsing, validation, limits, privacy rules, field
// resolution, error presentation). Their ratio is the layer's cost.

// scenario is one kind of request, in GraphQL and as a baseline.
type scenario struct {
	name string
	// graphql and baseline send the i-th request and check its answer.
	graphql, baseline func(ctx context.Context, i int) error
}

// result is the measure of one scenario at one rate.
type result struct {
	lat        []time.Duration
	errors     int
	throughput float64
	firstErr   error
}

// drive sends n requests at the rate, each at its time.
func drive(ctx context.Context, rate float64, n int, send func(ctx context.Context, i int) error) result {
	interval := time.Duration(float64(time.Second) / rate)
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = send(ctx, i)
			lat[i] = time.Since(at)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := result{throughput: float64(n) / elapsed.Seconds()}
	for i, err := range errs {
		if err != nil {
			r.errors++
			if r.firstErr == nil {
				r.firstErr = err
			}
			continue
		}
		r.lat = append(r.lat, lat[i])
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r
}

// client is an HTTP client for many requests in flight.
var client = &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}, Timeout: 60 * time.Second}

// post sends a GraphQL operation and fails on any error in the answer.
func post(ctx context.Context, url, token, query string, vars map[string]any) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return do(req)
}

func get(ctx context.Context, url, token string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return do(req)
}

func do(req *http.Request) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) {
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, b)
	}
	return b, nil
}

// baseline serves the scenarios' data without GraphQL: authentication,
// the same SQL (through the same packages where the SQL is theirs: the
// KPI engine, the workflow), JSON.
type baseline struct {
	st       *store.Store
	auth     *auth.Service
	engine   kpi.Engine
	workflow *workflow.Service
}

func (b *baseline) handler() http.Handler {
	mux := http.NewServeMux()
	authed := func(f func(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			v, err := b.auth.Authenticate(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			if err != nil {
				http.Error(w, "unauthenticated", http.StatusUnauthorized)
				return
			}
			out, err := f(w, r, v)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"data": out})
		}
	}
	ph := func(i int) string { // placeholder
		if b.st.Dialect == "postgres" {
			return "$" + strconv.Itoa(i)
		}
		return "?"
	}
	mux.Handle("/baseline/viewer", authed(func(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (any, error) {
		var id, email, name, role string
		err := b.st.DB.QueryRowContext(r.Context(), "SELECT id, email, name, role FROM users WHERE id = "+ph(1), string(v.UserID)).
			Scan(&id, &email, &name, &role)
		return map[string]any{"viewer": map[string]any{"id": id, "email": email, "name": name, "role": role}}, err
	}))
	mux.Handle("/baseline/scorecard", authed(func(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (any, error) {
		ctx := viewer.System(r.Context())
		teamID := pulid.ID(r.URL.Query().Get("team"))
		p, err := periodOf(r.URL.Query().Get("start"), r.URL.Query().Get("end"))
		if err != nil {
			return nil, err
		}
		ks, err := b.st.Client.KPI.Query().Where().All(ctx)
		if err != nil {
			return nil, err
		}
		var enabled []*ent.KPI
		for _, k := range ks {
			if k.Enabled && k.OrganizationID == v.OrgID {
				enabled = append(enabled, k)
			}
		}
		teams, err := kpi.Subtree(ctx, b.st.Client, teamID)
		if err != nil {
			return nil, err
		}
		values, err := b.engine.Compute(ctx, kpi.Scope{Org: v.OrgID, Teams: teams}, kpi.EngineKPIs(enabled), []kpi.Period{p})
		if err != nil {
			return nil, err
		}
		results := make([]map[string]any, 0, len(enabled))
		for _, k := range enabled {
			val := values[k.Key][0]
			results = append(results, map[string]any{"kpi": map[string]any{"key": k.Key}, "sampleSize": val.Sample,
				"actual": map[string]any{"int": val.Int, "float": val.Float, "defined": val.Defined}})
		}
		return map[string]any{"scorecard": map[string]any{"results": results}}, nil
	}))
	mux.Handle("/baseline/deals", authed(func(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (any, error) {
		ctx := r.Context()
		rows, err := b.st.DB.QueryContext(ctx, "SELECT id, name, amount, owner_id FROM deals WHERE organization_id = "+ph(1)+
			" ORDER BY opened_at DESC, id LIMIT 100", string(v.OrgID))
		if err != nil {
			return nil, err
		}
		type dealJSON struct {
			ID       string           `json:"id"`
			Name     string           `json:"name"`
			Amount   int64            `json:"amount"`
			Owner    map[string]any   `json:"owner"`
			Meetings []map[string]any `json:"meetings"`
			ownerID  string
		}
		var deals []*dealJSON
		byID := map[string]*dealJSON{}
		for rows.Next() {
			d := &dealJSON{Meetings: []map[string]any{}}
			if err := rows.Scan(&d.ID, &d.Name, &d.Amount, &d.ownerID); err != nil {
				rows.Close()
				return nil, err
			}
			deals = append(deals, d)
			byID[d.ID] = d
		}
		rows.Close()
		if len(deals) == 0 {
			return map[string]any{"deals": deals}, nil
		}
		owners := map[string]bool{}
		var dealIDs, ownerIDs []any
		for _, d := range deals {
			dealIDs = append(dealIDs, d.ID)
			if !owners[d.ownerID] {
				owners[d.ownerID] = true
				ownerIDs = append(ownerIDs, d.ownerID)
			}
		}
		in := func(n int) string {
			p := make([]string, n)
			for i := range p {
				p[i] = ph(i + 1)
			}
			return "(" + strings.Join(p, ", ") + ")"
		}
		emails := map[string]string{}
		urows, err := b.st.DB.QueryContext(ctx, "SELECT id, email FROM users WHERE id IN "+in(len(ownerIDs)), ownerIDs...)
		if err != nil {
			return nil, err
		}
		for urows.Next() {
			var id, email string
			if err := urows.Scan(&id, &email); err != nil {
				urows.Close()
				return nil, err
			}
			emails[id] = email
		}
		urows.Close()
		mrows, err := b.st.DB.QueryContext(ctx, "SELECT deal_id, kind, status FROM meetings WHERE deal_id IN "+in(len(dealIDs))+
			" ORDER BY scheduled_at", dealIDs...)
		if err != nil {
			return nil, err
		}
		for mrows.Next() {
			var dealID, kind, status string
			if err := mrows.Scan(&dealID, &kind, &status); err != nil {
				mrows.Close()
				return nil, err
			}
			if d := byID[dealID]; len(d.Meetings) < 5 {
				d.Meetings = append(d.Meetings, map[string]any{"kind": kind, "status": status})
			}
		}
		mrows.Close()
		for _, d := range deals {
			d.Owner = map[string]any{"email": emails[d.ownerID]}
		}
		return map[string]any{"deals": deals}, nil
	}))
	mux.Handle("/baseline/propose", authed(func(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (any, error) {
		q := r.URL.Query()
		id := pulid.ID(q.Get("user"))
		label := q.Get("period")
		return b.inTx(r.Context(), v, func(ctx context.Context, c *ent.Client) (any, error) {
			t, err := b.workflow.Propose(ctx, c, workflow.NewTarget{KPI: pulid.ID(q.Get("kpi")), User: &id,
				Period: kpi.PeriodRequest{Label: &label}, Value: "10"})
			if err != nil {
				return nil, err
			}
			return map[string]any{"id": t.ID, "version": t.Version, "status": t.Status}, nil
		})
	}))
	mux.Handle("/baseline/approve", authed(func(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (any, error) {
		q := r.URL.Query()
		version, _ := strconv.Atoi(q.Get("version"))
		return b.inTx(r.Context(), v, func(ctx context.Context, c *ent.Client) (any, error) {
			t, err := b.workflow.Act(ctx, c, pulid.ID(q.Get("target")), workflow.Approve, workflow.Decision{ExpectedVersion: version})
			if err != nil {
				return nil, err
			}
			return map[string]any{"id": t.ID, "version": t.Version, "status": t.Status}, nil
		})
	}))
	return mux
}

// inTx runs f as the viewer in a transaction, as a GraphQL mutation runs.
func (b *baseline) inTx(ctx context.Context, v *viewer.Viewer, f func(ctx context.Context, c *ent.Client) (any, error)) (any, error) {
	tx, err := b.st.Client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	out, err := f(ent.NewTxContext(viewer.NewContext(ctx, v), tx), tx.Client())
	if err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return out, tx.Commit()
}

func periodOf(start, end string) (kpi.Period, error) {
	s, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return kpi.Period{}, err
	}
	e, err := time.Parse(time.RFC3339, end)
	return kpi.Period{Start: s, End: e}, err
}

// loadTest measures the scenarios at each rate, GraphQL and baseline, and
// writes the table.
func loadTest(ctx context.Context, out io.Writer, st *store.Store, svc *auth.Service, gqlURL string, org *ent.Organization,
	quarter kpi.Period, rates []float64, seconds float64) error {
	sys := viewer.System(ctx)
	// A team with its manager and reps: the scorecard's scope, the
	// proposers and their approver.
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
	admin, err := st.Client.User.Query().Where(user.OrganizationID(org.ID), user.RoleEQ(user.RoleAdmin)).First(sys)
	if err != nil {
		return err
	}
	kpis, err := st.Client.KPI.Query().Where().All(sys)
	if err != nil {
		return err
	}
	token := func(u *ent.User) string {
		s, err := svc.StartSession(ctx, u)
		if err != nil {
			panic(err)
		}
		return s.AccessToken
	}
	repTokens := make([]string, len(reps))
	for i, r := range reps {
		repTokens[i] = token(r)
	}
	mgrToken, adminToken := token(mgr), token(admin)
	cal, err := kpi.NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	if err != nil {
		return err
	}

	b := &baseline{st: st, auth: svc, engine: kpi.Engine{DB: st.Client, Dialect: st.Dialect},
		workflow: workflow.NewService(kpi.Engine{DB: st.Client, Dialect: st.Dialect})}
	bs := httptest.NewServer(b.handler())
	defer bs.Close()

	scorecard := `query($scope: ScopeInput!, $period: PeriodInput!) { scorecard(scope: $scope, period: $period) {
		results { kpi { key } sampleSize actual { unit value money { amount currency } number display } } } }`
	dealsQuery := `{ deals(first: 100, orderBy: {field: OPENED_AT, direction: DESC}) { edges { node { id name amount { amount }
		owner { email } meetings(first: 5) { edges { node { kind status } } } } } } }`
	propose := `mutation($in: CreateTargetDraftInput!) { proposeTarget(input: $in) { target { id version status } } }`
	approve := `mutation($id: ID!, $v: Int!) { approveTarget(input: {targetId: $id, expectedVersion: $v}) { target { id version status } } }`
	// Each proposal needs a scope, KPI and period without an open
	// target: the team's reps × the KPIs × the months ahead, in turn,
	// GraphQL's and the baseline's apart.
	next := 0
	pairTarget := func() (repIdx int, k *ent.KPI, label string) {
		i := next
		next++
		repIdx = i % len(reps)
		k = kpis[(i/len(reps))%len(kpis)]
		m := cal.PeriodAt(kpi.PeriodMonth, time.Now())
		for j := 0; j < 1+i/(len(reps)*len(kpis)); j++ {
			m = m.Next()
		}
		return repIdx, k, m.Label()
	}
	type pair struct {
		rep   int
		kpi   *ent.KPI
		label string
	}
	var mu sync.Mutex
	take := func() pair {
		mu.Lock()
		defer mu.Unlock()
		r, k, l := pairTarget()
		return pair{r, k, l}
	}

	scenarios := []scenario{
		{name: "viewer (a rep's)",
			graphql: func(ctx context.Context, i int) error {
				_, err := post(ctx, gqlURL, repTokens[i%len(reps)], `{ viewer { id email name role } }`, nil)
				return err
			},
			baseline: func(ctx context.Context, i int) error {
				_, err := get(ctx, bs.URL+"/baseline/viewer", repTokens[i%len(reps)])
				return err
			}},
		{name: "team scorecard, quarter (" + tm.Name + ")",
			graphql: func(ctx context.Context, i int) error {
				_, err := post(ctx, gqlURL, mgrToken, scorecard, map[string]any{"scope": map[string]any{"teamID": tm.ID},
					"period": map[string]any{"label": quarter.Label()}})
				return err
			},
			baseline: func(ctx context.Context, i int) error {
				_, err := get(ctx, fmt.Sprintf("%s/baseline/scorecard?team=%s&start=%s&end=%s", bs.URL, tm.ID,
					quarter.Start.UTC().Format(time.RFC3339), quarter.End.UTC().Format(time.RFC3339)), mgrToken)
				return err
			}},
		{name: "100 deals with owner and meetings",
			graphql: func(ctx context.Context, i int) error {
				_, err := post(ctx, gqlURL, adminToken, dealsQuery, nil)
				return err
			},
			baseline: func(ctx context.Context, i int) error {
				_, err := get(ctx, bs.URL+"/baseline/deals", adminToken)
				return err
			}},
		{name: "target proposal + approval (2 requests)",
			graphql: func(ctx context.Context, i int) error {
				p := take()
				b, err := post(ctx, gqlURL, repTokens[p.rep], propose, map[string]any{"in": map[string]any{
					"kpiID": p.kpi.ID, "userID": reps[p.rep].ID, "period": map[string]any{"label": p.label}, "value": "10"}})
				if err != nil {
					return err
				}
				var r struct {
					Data struct {
						ProposeTarget struct {
							Target struct {
								ID      string
								Version int
							}
						}
					}
				}
				if err := json.Unmarshal(b, &r); err != nil {
					return err
				}
				t := r.Data.ProposeTarget.Target
				_, err = post(ctx, gqlURL, mgrToken, approve, map[string]any{"id": t.ID, "v": t.Version})
				return err
			},
			baseline: func(ctx context.Context, i int) error {
				p := take()
				b, err := get(ctx, fmt.Sprintf("%s/baseline/propose?user=%s&kpi=%s&period=%s", bs.URL, reps[p.rep].ID, p.kpi.ID,
					strings.ReplaceAll(p.label, " ", "+")), repTokens[p.rep])
				if err != nil {
					return err
				}
				var r struct {
					Data struct {
						ID      string
						Version int
					}
				}
				if err := json.Unmarshal(b, &r); err != nil {
					return err
				}
				_, err = get(ctx, fmt.Sprintf("%s/baseline/approve?target=%s&version=%d", bs.URL, r.Data.ID, r.Data.Version), mgrToken)
				return err
			}},
	}

	fmt.Fprintf(out, "Load at fixed rates (open loop, %.0f s per rate; latency from each request's scheduled time; "+
		"GraphQL beside a plain net/http baseline serving the same data from the same SQL; %d reps of %s propose, their manager approves):\n\n",
		seconds, len(reps), tm.Name)
	fmt.Fprintln(out, "| request | rate/s | GraphQL p50 | p95 | p99 | throughput/s | baseline p50 | p95 | p99 | throughput/s | GraphQL ÷ baseline (p50, p95, p99) | errors |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	var peak int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				if kb := rssKB(); kb > peak {
					peak = kb
				}
			}
		}
	}()
	for _, sc := range scenarios {
		for _, rate := range rates {
			n := int(rate * seconds)
			// A short warm-up of each, out of the figures.
			for i := 0; i < 3; i++ {
				if err := sc.graphql(ctx, i); err != nil {
					return fmt.Errorf("%s (GraphQL): %w", sc.name, err)
				}
				if err := sc.baseline(ctx, i); err != nil {
					return fmt.Errorf("%s (baseline): %w", sc.name, err)
				}
			}
			g := drive(ctx, rate, n, sc.graphql)
			bl := drive(ctx, rate, n, sc.baseline)
			errs := fmt.Sprintf("%d / %d", g.errors, bl.errors)
			if g.firstErr != nil {
				fmt.Fprintf(os.Stderr, "%s at %.0f/s, GraphQL: %v\n", sc.name, rate, g.firstErr)
			}
			if bl.firstErr != nil {
				fmt.Fprintf(os.Stderr, "%s at %.0f/s, baseline: %v\n", sc.name, rate, bl.firstErr)
			}
			if len(g.lat) == 0 || len(bl.lat) == 0 {
				fmt.Fprintf(out, "| %s | %.0f | – | – | – | – | – | – | – | – | – | %s |\n", sc.name, rate, errs)
				continue
			}
			fmt.Fprintf(out, "| %s | %.0f | %s | %s | %s | %.0f | %s | %s | %s | %.0f | %.1f×, %.1f×, %.1f× | %s |\n", sc.name, rate,
				pct(g.lat, 50), pct(g.lat, 95), pct(g.lat, 99), g.throughput,
				pct(bl.lat, 50), pct(bl.lat, 95), pct(bl.lat, 99), bl.throughput,
				ratio(g.lat, bl.lat, 50), ratio(g.lat, bl.lat, 95), ratio(g.lat, bl.lat, 99), errs)
		}
	}
	close(stop)
	sampler.Wait()
	fmt.Fprintf(out, "\nResident memory of the process (server, baseline and load generator) under load: at most %d MiB (VmRSS sampled every 100 ms).\n\n", peak>>10)
	return nil
}

func ratio(a, b []time.Duration, p int) float64 {
	at := func(l []time.Duration) time.Duration {
		i := (len(l)*p + 99) / 100
		if i > 0 {
			i--
		}
		return l[i]
	}
	return float64(at(a)) / float64(max(at(b), 1))
}

func rssKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}
