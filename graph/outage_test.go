package graph_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent/user"
)

// pgScript runs scripts/pg.sh.
func pgScript(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("../scripts/pg.sh", args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("pg.sh %v: %v %s", args, err, msg)
		}
		t.Skipf("no PostgreSQL to stop and restart here: pg.sh %v: %v %s", args, err, msg)
	}
	return strings.TrimSpace(string(out))
}

// While the database is away, requests fail fast with UNAVAILABLE and
// readiness fails; when it is back, both recover without a restart. The
// test runs its own PostgreSQL, since it stops it.
func TestDatabaseOutageAndRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL")
	}
	dir := pgScript(t, "start")
	t.Cleanup(func() { _ = exec.Command("../scripts/pg.sh", "stop", dir).Run() })
	url, err := os.ReadFile(dir + "/url")
	if err != nil {
		t.Fatal(err)
	}
	s := apitest.NewServer(t, apitest.PostgresBackend(strings.TrimSpace(string(url))))
	org := s.Org(t, "Acme", "USD")
	s.ActAs(t, s.User(t, org, "admin@acme.test", user.RoleAdmin, nil))
	const q = `{ deals { totalCount } }`
	s.MustQuery(t, q, nil, nil)
	ready := func() int {
		resp, err := http.Get(s.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	pgScript(t, "down", dir)
	start := time.Now()
	r := s.Query(t, q, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAVAILABLE" || strings.Contains(string(r.RawBody), "refused") {
		t.Errorf("a query while the database is down: %s", r.RawBody)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the failure took %v", d)
	}
	if c := ready(); c != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is down: %d", c)
	}

	pgScript(t, "up", dir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.Query(t, q, nil)
		if len(r.Errors) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the database came back: %s\n%s", r.RawBody, lastErrors(s.Logs()))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if c := ready(); c != http.StatusOK {
		t.Errorf("/readyz after recovery: %d", c)
	}
}

func lastErrors(logs string) string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") {
			out = append(out, l)
		}
	}
	if len(out) > 5 {
		out = out[len(out)-5:]
	}
	return strings.Join(out, "\n")
}
