package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/viewer"
)

func TestMigrateDryRunPrintsSQLAndChangesNothing(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := apitest.DatabaseURL(t, b)
			var out bytes.Buffer
			if err := run(context.Background(), []string{"migrate", "--dry-run", "--database-url", url}, &out, &out); err != nil {
				t.Fatal(err)
			}
			sql := strings.ToLower(out.String())
			for _, table := range []string{"organizations", "teams", "users", "deals", "meetings"} {
				if !strings.Contains(sql, "create table") || !strings.Contains(sql, table) {
					t.Errorf("dry run does not create %s:\n%s", table, out.String())
				}
			}
			// A dry run changed nothing: the real migration still has work.
			out.Reset()
			if err := run(context.Background(), []string{"migrate", "--dry-run", "--database-url", url}, &out, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.ToLower(out.String()), "create table") {
				t.Error("the first dry run created tables")
			}
			if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a dry run created the database file %s (%v)", path, err)
				}
			}
			out.Reset()
			if err := run(context.Background(), []string{"migrate", "--database-url", url}, &out, &out); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			if err := run(context.Background(), []string{"migrate", "--dry-run", "--database-url", url}, &out, &out); err != nil {
				t.Fatal(err)
			}
			// (PostgreSQL: ent's diff always recreates the partial index of
			// open targets, whose predicate PostgreSQL rewrites.)
			if strings.Contains(strings.ToLower(out.String()), "create table") || (b.Name == "sqlite" && !strings.Contains(out.String(), "up to date")) {
				t.Errorf("after migrating, a dry run says:\n%s", out.String())
			}
		})
	}
}

func TestSeedDemoOnce(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := apitest.DatabaseURL(t, b)
			var out bytes.Buffer
			if err := run(context.Background(), []string{"seed", "--demo", "--database-url", url}, &out, &out); err != nil {
				t.Fatalf("seed: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "Acme Demo") {
				t.Errorf("seed output: %s", out.String())
			}
			if err := run(context.Background(), []string{"seed", "--demo", "--database-url", url}, &out, &out); err == nil {
				t.Error("a second demo seed into the same database succeeded")
			}
			if err := run(context.Background(), []string{"seed", "--database-url", url}, &out, &out); err == nil {
				t.Error("seed without --demo succeeded")
			}
		})
	}
}

func TestServeWithDemoDataThenShutDown(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			logs := &bytes.Buffer{}
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"serve", "--demo", "--addr", addr, "--database-url", apitest.DatabaseURL(t, b),
					"--log-format", "json"}, logs, logs)
			}()
			base := "http://" + addr
			deadline := time.Now().Add(60 * time.Second)
			for {
				resp, err := http.Get(base + "/readyz")
				if err == nil && resp.StatusCode == 200 {
					resp.Body.Close()
					break
				}
				if err == nil {
					resp.Body.Close()
				}
				select {
				case err := <-done:
					t.Fatalf("serve ended early: %v", err)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatal("the server did not become ready")
				}
				time.Sleep(50 * time.Millisecond)
			}

			// Sign in as the demo manager, then read the team's record.
			login := `{"query":"mutation { login(input: {email: \"manager@demo.kpiflow.test\", password: \"demo-password\"}) { accessToken viewer { email role } } }"}`
			resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(login))
			if err != nil {
				t.Fatal(err)
			}
			var signedIn struct {
				Data struct {
					Login struct {
						AccessToken string
						Viewer      struct{ Email, Role string }
					}
				}
			}
			if err := json.NewDecoder(resp.Body).Decode(&signedIn); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if signedIn.Data.Login.AccessToken == "" || signedIn.Data.Login.Viewer.Role != "MANAGER" {
				t.Fatalf("demo manager login: %+v", signedIn)
			}
			body := `{"query":"{ organizations { edges { node { name currency } } } deals(where: {stage: WON}) { totalCount } }"}`
			req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+signedIn.Data.Login.AccessToken)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Data struct {
					Organizations struct {
						Edges []struct {
							Node struct{ Name, Currency string }
						}
					}
					Deals struct{ TotalCount int }
				}
				Errors []any
			}
			if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if len(r.Errors) > 0 || len(r.Data.Organizations.Edges) != 1 ||
				r.Data.Organizations.Edges[0].Node.Name != "Acme Demo" || r.Data.Deals.TotalCount == 0 {
				t.Fatalf("demo data over GraphQL: %+v", r)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id header")
			}
			mresp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(mresp.Body)
			mresp.Body.Close()
			for _, want := range []string{
				`kpiflow_graphql_operations_total{fields="query:deals,organizations",outcome="ok"}`,
				`kpiflow_graphql_operation_duration_seconds_bucket{fields="mutation:login"`,
				`go_sql_max_open_connections{db_name="kpiflow"}`, "kpiflow_target_transitions_total",
			} {
				if !strings.Contains(string(metrics), want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}

			cancel() // as SIGTERM would
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("shutdown: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the server did not shut down")
			}
			if !strings.Contains(logs.String(), `"msg":"stopped"`) {
				t.Errorf("no clean stop in the log:\n%s", logs.String())
			}
		})
	}
}

func TestBadConfigurationIsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--log-level", "loud"},
		{"serve", "--log-format", "xml"},
		{"serve", "--database-url", "mysql://x"},
		{"frobnicate"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err == nil {
			t.Errorf("%v was accepted", args)
		}
	}
	t.Setenv("KPIFLOW_PLAYGROUND", "maybe")
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "KPIFLOW_PLAYGROUND") {
		t.Errorf("KPIFLOW_PLAYGROUND=maybe: %v", err)
	}

}

// The commands that start a real deployment: an organization, its first
// admin, who then signs in.
func TestOrgAndFirstAdminCommands(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := apitest.DatabaseURL(t, b)
			ctx := context.Background()
			var out bytes.Buffer
			if err := run(ctx, []string{"org", "create", "--database-url", url, "--name", "Initech",
				"--currency", "EUR", "--timezone", "Europe/Berlin", "--fiscal-year-start", "4"}, &out, &out); err != nil {
				t.Fatalf("org create: %v\n%s", err, out.String())
			}
			orgID := strings.TrimSpace(out.String()[strings.LastIndex(out.String(), ":")+1:])
			if !strings.HasPrefix(orgID, "org_") {
				t.Fatalf("org create printed %q", out.String())
			}
			for _, bad := range [][]string{
				{"org", "create", "--database-url", url, "--name", "X", "--currency", "EURO", "--timezone", "UTC"},
				{"org", "create", "--database-url", url, "--name", "X", "--currency", "EUR", "--timezone", "Mars/Olympus"},
				{"org", "create", "--database-url", url, "--name", "X", "--currency", "EUR", "--timezone", "UTC", "--fiscal-year-start", "13"},
				{"org", "delete"},
			} {
				if err := run(ctx, bad, &out, &out); err == nil {
					t.Errorf("%v was accepted", bad)
				}
			}

			stdin = strings.NewReader("a long enough password\n")
			defer func() { stdin = os.Stdin }()
			out.Reset()
			if err := run(ctx, []string{"user", "create", "--database-url", url, "--org", orgID,
				"--email", "Boss@Initech.test", "--name", "Bill Lumbergh", "--role", "admin"}, &out, &out); err != nil {
				t.Fatalf("user create: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "ADMIN boss@initech.test") {
				t.Errorf("user create printed %q", out.String())
			}
			t.Setenv("KPIFLOW_USER_PASSWORD", "short")
			if err := run(ctx, []string{"user", "create", "--database-url", url, "--org", orgID,
				"--email", "x@initech.test", "--name", "X"}, &out, &out); err == nil {
				t.Error("a short password was accepted")
			}
			t.Setenv("KPIFLOW_USER_PASSWORD", "another long password")
			if err := run(ctx, []string{"user", "create", "--database-url", url, "--org", "org_01J00000000000000000000000",
				"--email", "x@initech.test", "--name", "X"}, &out, &out); err == nil {
				t.Error("a user of an unknown organization was created")
			}

			// The admin signs in through the API.
			st := apitest.OpenURL(t, url)
			svc, err := auth.NewService(st.Client, auth.Config{Tokens: auth.TokenConfig{Secret: apitest.Secret}})
			if err != nil {
				t.Fatal(err)
			}
			sess, err := svc.Login(ctx, "boss@initech.test", "a long enough password", nil, "127.0.0.1")
			if err != nil || sess.User.Role != "ADMIN" {
				t.Fatalf("the first admin cannot sign in: %v", err)
			}
		})
	}
}

// SIGTERM during load loses no acknowledged request: every mutation the
// server answered with an ID is stored, requests in flight finish, and the
// rest are refused at the door rather than cut off.
func TestShutdownUnderLoadLosesNothing(t *testing.T) {
	b := apitest.Backends(t)[0]
	dbURL := apitest.DatabaseURL(t, b)
	// An organization, a rep and a token signed with a known secret.
	st := apitest.OpenURL(t, dbURL)
	ctx := viewer.System(context.Background())
	org := st.Client.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("UTC").SaveX(ctx)
	rep := st.Client.User.Create().SetOrganizationID(org.ID).SetEmail("rep@acme.test").SetName("Rep").SaveX(ctx)
	svc, err := auth.NewService(st.Client, auth.Config{Tokens: auth.TokenConfig{Secret: apitest.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.StartSession(ctx, rep)
	if err != nil {
		t.Fatal(err)
	}
	token := sess.AccessToken
	st.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("KPIFLOW_JWT_SECRET", string(apitest.Secret))
	t.Setenv("KPIFLOW_RATE_LIMIT", "0")
	sigterm, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &bytes.Buffer{}
	go func() {
		done <- run(sigterm, []string{"serve", "--addr", addr, "--database-url", dbURL, "--log-level", "warn"}, logs, logs)
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}

	var mu sync.Mutex
	var acknowledged []string
	failures := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				body := fmt.Sprintf(`{"query":"mutation { createMeeting(input: {ownerID: \"%s\", kind: DEMO, scheduledAt: \"2026-01-01T00:00:00Z\"}) { meeting { id } } }"}`, rep.ID)
				req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					mu.Lock()
					failures["refused"]++
					mu.Unlock()
					return // the server is gone: nothing was acknowledged
				}
				var r struct {
					Data struct {
						CreateMeeting struct{ Meeting struct{ ID string } }
					}
					Errors []any
				}
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				mu.Lock()
				switch {
				case err != nil:
					failures["cut off"]++
				case resp.StatusCode != 200 || len(r.Errors) > 0:
					failures[fmt.Sprint(resp.StatusCode)]++
				default:
					acknowledged = append(acknowledged, r.Data.CreateMeeting.Meeting.ID)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // mid-load
	stop()
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	if failures["cut off"] > 0 || len(acknowledged) == 0 {
		t.Errorf("%d acknowledged, failures %v", len(acknowledged), failures)
	}
	st = apitest.OpenURL(t, dbURL)
	stored := st.Client.Meeting.Query().IDsX(ctx)
	have := map[string]bool{}
	for _, id := range stored {
		have[string(id)] = true
	}
	for _, id := range acknowledged {
		if !have[id] {
			t.Errorf("meeting %s was acknowledged but is not stored", id)
		}
	}
	t.Logf("%d acknowledged and stored, %d stored in all; failures %v", len(acknowledged), len(stored), failures)
}

// A shutdown ends WebSocket connections too, once requests have drained,
// instead of waiting for clients to leave.
func TestShutdownEndsWebSockets(t *testing.T) {
	dbURL := apitest.DatabaseURL(t, apitest.Backends(t)[0])
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("KPIFLOW_JWT_SECRET", string(apitest.Secret))
	sigterm, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &bytes.Buffer{}
	go func() {
		done <- run(sigterm, []string{"serve", "--addr", addr, "--database-url", dbURL, "--log-level", "warn"}, logs, logs)
	}()
	var c *websocket.Conn
	for deadline := time.Now().Add(30 * time.Second); ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, _, err = websocket.Dial(ctx, "ws://"+addr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no WebSocket: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init"}); err != nil {
		t.Fatal(err)
	}
	var ack map[string]any
	if err := wsjson.Read(ctx, c, &ack); err != nil || ack["type"] != "connection_ack" {
		t.Fatalf("ack: %v %v", ack, err)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server waited for the WebSocket client")
	}
	for {
		var m map[string]any
		if err := wsjson.Read(ctx, c, &m); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the WebSocket outlived the server")
			}
			break // the server ended the connection
		}
	}
}

// tick runs the scheduled work once, for a given instant, and is safe to
// repeat: a second run at the same instant does nothing.
func TestTickCommand(t *testing.T) {
	url := apitest.DatabaseURL(t, apitest.Backends(t)[0])
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed", "--demo", "--database-url", url}, &out, &out); err != nil {
		t.Fatal(err)
	}
	tick := func(at time.Time) (opened int) {
		t.Helper()
		out.Reset()
		if err := run(context.Background(), []string{"tick", "--at", at.UTC().Format(time.RFC3339), "--future", "--database-url", url}, &out, &out); err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscanf(out.String()[strings.Index(out.String(), "opened"):], "opened %d review cycle", &opened); err != nil {
			t.Fatalf("tick said %q: %v", out.String(), err)
		}
		return opened
	}
	// The demo's reviews are current: nothing is due now.
	if n := tick(time.Now()); n != 0 {
		t.Errorf("tick now opened %d review cycles in the fresh demo, want 0", n)
	}
	// Four months on, every team (the region and its three) has cycles
	// due; a second tick at that instant finds them open.
	later := time.Now().AddDate(0, 4, 0)
	if n := tick(later); n < 4 {
		t.Errorf("tick four months on opened %d review cycles, want at least one per team", n)
	}
	if n := tick(later); n != 0 {
		t.Errorf("a second tick at the same instant opened %d review cycles", n)
	}
	if err := run(context.Background(), []string{"tick", "--at", "tomorrow", "--database-url", url}, &out, &out); err == nil {
		t.Error("tick --at tomorrow was accepted")
	}
}

// import reads a CSV of deals or meetings, imports the good rows, lists
// the bad ones by line and fails; a second run changes nothing; with
// --all-or-nothing a bad row keeps the whole file out.
func TestImportCommand(t *testing.T) {
	url := apitest.DatabaseURL(t, apitest.Backends(t)[0])
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed", "--demo", "--database-url", url}, &out, &out); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	deals := write("deals.csv", "External ID,Owner Email,Name,Customer Name,Amount,Stage,Opened At,Closed At\n"+
		"crm-1,rep@demo.kpiflow.test,Renewal,Initech,12500.00,won,2026-09-01,2026-10-15\n"+
		"crm-2,rep@demo.kpiflow.test,Upsell,Initech,800,PROSPECTING,2026-10-01T09:00:00Z,\n"+
		"crm-3,rep@demo.kpiflow.test,Broken,Initech,5,PROSPECTING,next tuesday,\n")
	meetings := write("meetings.csv", "external_id,owner_email,deal_external_id,kind,scheduled_at,status\n"+
		"m-1,rep@demo.kpiflow.test,crm-1,DEMO,2026-09-10T15:00:00Z,HELD\n")
	imp := func(args ...string) (string, error) {
		out.Reset()
		err := run(context.Background(), append([]string{"import"}, append(args, "--database-url", url, "--quiet")...), &out, &out)
		return out.String(), err
	}
	got, err := imp(deals)
	if err == nil || !strings.Contains(got, "2 created, 0 updated, 0 unchanged; 1 row rejected") ||
		!strings.Contains(got, `line 4 (crm-3): openedAt: "next tuesday" is not a date`) {
		t.Fatalf("first import (%v):\n%s", err, got)
	}
	if got, err = imp(deals); err == nil || !strings.Contains(got, "0 created, 0 updated, 2 unchanged; 1 row rejected") {
		t.Errorf("second import (%v):\n%s", err, got)
	}
	if got, err = imp(meetings, "--kind", "meetings"); err != nil || !strings.Contains(got, "1 created") {
		t.Errorf("meetings (%v):\n%s", err, got)
	}
	all := write("more.csv", "external_id,owner_email,name,customer_name,amount,stage,opened_at\n"+
		"crm-9,rep@demo.kpiflow.test,New,Initech,1,PROSPECTING,2026-10-01\n"+
		"crm-10,nobody@demo.kpiflow.test,New,Initech,1,PROSPECTING,2026-10-01\n")
	if got, err = imp(all, "--all-or-nothing"); err == nil || !strings.Contains(got, "would have 1 created") {
		t.Errorf("all or nothing (%v):\n%s", err, got)
	}
	if got, err = imp(write("ok.csv", "external_id,owner_email,name,customer_name,amount,stage,opened_at\n"+
		"crm-9,rep@demo.kpiflow.test,New,Initech,1,PROSPECTING,2026-10-01\n"), "--all-or-nothing"); err != nil ||
		!strings.Contains(got, "imported 1 created") {
		t.Errorf("all or nothing, all good (%v):\n%s", err, got)
	}
	if _, err = imp(write("odd.csv", "who,what\nx,y\n")); err == nil || !strings.Contains(err.Error(), "cannot tell deals from meetings") {
		t.Errorf("a file of neither: %v", err)
	}
}

// rollups verify finds the KPI rollups of the demo equal to the records,
// fails once a record is changed past kpiflow (plain SQL), and rollups
// rebuild makes them equal again.
func TestRollupsVerifyAndRebuild(t *testing.T) {
	url := apitest.DatabaseURL(t, apitest.Backends(t)[0])
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed", "--demo", "--database-url", url}, &out, &out); err != nil {
		t.Fatal(err)
	}
	verify := func() error {
		t.Helper()
		out.Reset()
		return run(context.Background(), []string{"rollups", "verify", "--database-url", url}, &out, &out)
	}
	if err := verify(); err != nil || !strings.Contains(out.String(), "agree with the records") {
		t.Fatalf("verify of the fresh demo: %v\n%s", err, out.String())
	}
	st := apitest.OpenURL(t, url)
	for _, q := range []string{
		"UPDATE deals SET amount = amount + 1 WHERE stage = 'WON'",
		"UPDATE meetings SET kind = 'DEMO' WHERE kind = 'DISCOVERY'",
	} {
		if _, err := st.DB.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		if err := verify(); !errors.Is(err, errRollupsDiffer) || !strings.Contains(out.String(), "differ from the records") {
			t.Fatalf("verify after %s: %v\n%s", q, err, out.String())
		}
		out.Reset()
		if err := run(context.Background(), []string{"rollups", "rebuild", "--database-url", url}, &out, &out); err != nil ||
			!strings.Contains(out.String(), "rebuilt the rollups of 1 organization") || !strings.Contains(out.String(), "agree with the records") {
			t.Fatalf("rebuild: %v\n%s", err, out.String())
		}
		if err := verify(); err != nil {
			t.Fatalf("verify after rebuild: %v\n%s", err, out.String())
		}
	}
	if err := run(context.Background(), []string{"rollups", "--database-url", url}, &out, &out); err == nil {
		t.Error("rollups without verify or rebuild succeeded")
	}
}
