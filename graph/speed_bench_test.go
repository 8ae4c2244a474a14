package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/user"
)

// speedWorld is the nested list on a small scale: a team of 10
// reps under a region, with 100 deals of the team, 10 meetings each, and
// its manager, who reads them.
type speedWorld struct {
	s       *apitest.Server
	manager *ent.User
	rep     *ent.User
	team    *ent.Team
}

func newSpeedWorld(tb testing.TB, b apitest.Backend) *speedWorld {
	tb.Helper()
	s := apitest.NewServer(tb, b)
	sys := apitest.Sys()
	org := s.Org(tb, "Acme", "USD")
	region := s.Team(tb, org, "Region", "")
	tm := s.Team(tb, org, "East", region.ID)
	w := &speedWorld{s: s, team: tm, manager: s.User(tb, org, "manager@acme.test", user.RoleManager, nil)}
	s.Manage(tb, w.manager, region)
	reps := make([]*ent.User, 10)
	for i := range reps {
		reps[i] = s.User(tb, org, fmt.Sprintf("rep%d@acme.test", i), user.RoleRep, tm)
	}
	w.rep = reps[0]
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	deals := make([]*ent.DealCreate, 100)
	for i := range deals {
		deals[i] = s.Client.Deal.Create().SetOwnerID(reps[i%len(reps)].ID).SetName(fmt.Sprintf("deal %d", i)).
			SetCustomerName("c").SetAmount(int64(1000 + i)).SetStage("PROPOSAL").SetOpenedAt(at.Add(time.Duration(i) * time.Hour))
	}
	ds := s.Client.Deal.CreateBulk(deals...).SaveX(sys)
	var meetings []*ent.MeetingCreate
	for _, d := range ds {
		for j := 0; j < 10; j++ {
			meetings = append(meetings, s.Client.Meeting.Create().SetOwnerID(d.OwnerID).SetDealID(d.ID).SetKind("DEMO").
				SetScheduledAt(d.OpenedAt.Add(time.Duration(j)*24*time.Hour)).SetStatus("HELD"))
		}
	}
	s.Client.Meeting.CreateBulk(meetings...).ExecX(sys)
	return w
}

const (
	viewerQuery = `{ viewer { id name } }`
	// nestedDealsQuery is the nested list: 100 deals of a team,
	// newest first, with their owner and 10 meetings each, and totalCount.
	nestedDealsQuery = `query($team: ID!) { deals(first: 100, where: {teamID: $team}, orderBy: {field: OPENED_AT, direction: DESC}) {
		totalCount edges { node { id name customerName stage openedAt amount { amount currency }
		owner { id name email } meetings(first: 10) { totalCount edges { node { id kind status scheduledAt } } } } } } }`
)

// BenchmarkRequest measures requests through the real HTTP handler
// (SQLite, or PostgreSQL with KPIFLOW_TEST_DATABASE_URL), one at a time:
// besides ns/op and allocs/op (of the whole process: server and client),
// statements/op and the process's CPU time per request (cpu-ms/op).
//
//	go test ./graph -run - -bench Request -benchmem
func BenchmarkRequest(b *testing.B) {
	for _, be := range apitest.Backends(b) {
		w := newSpeedWorld(b, be)
		for _, c := range []struct {
			name  string
			as    *ent.User
			query string
			vars  map[string]any
			check func(data json.RawMessage) error
		}{
			{"viewer/" + be.Name, w.rep, viewerQuery, nil, func(data json.RawMessage) error {
				if !bytes.Contains(data, []byte(w.rep.ID)) {
					return fmt.Errorf("not the rep: %s", data)
				}
				return nil
			}},
			{"viewer-manager/" + be.Name, w.manager, viewerQuery, nil, nil},
			{"nested-deals/" + be.Name, w.manager, nestedDealsQuery, map[string]any{"team": w.team.ID}, func(data json.RawMessage) error {
				var r struct {
					Deals struct {
						TotalCount int
						Edges      []struct {
							Node struct {
								Owner    struct{ ID string }
								Meetings struct {
									TotalCount int
									Edges      []any
								}
							}
						}
					}
				}
				if err := json.Unmarshal(data, &r); err != nil {
					return err
				}
				if r.Deals.TotalCount != 100 || len(r.Deals.Edges) != 100 {
					return fmt.Errorf("%d deals of %d", len(r.Deals.Edges), r.Deals.TotalCount)
				}
				for _, e := range r.Deals.Edges {
					if e.Node.Owner.ID == "" || e.Node.Meetings.TotalCount != 10 || len(e.Node.Meetings.Edges) != 10 {
						return fmt.Errorf("a deal: %+v", e.Node)
					}
				}
				return nil
			}},
		} {
			b.Run(c.name, func(b *testing.B) {
				token := w.s.Session(b, c.as).AccessToken
				body, err := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
				if err != nil {
					b.Fatal(err)
				}
				send := func() []byte {
					req, _ := http.NewRequest(http.MethodPost, w.s.URL+"/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					raw, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Fatalf("HTTP %d: %s %v", resp.StatusCode, raw, err)
					}
					return raw
				}
				var r struct {
					Data   json.RawMessage
					Errors []any
				}
				if err := json.Unmarshal(send(), &r); err != nil || len(r.Errors) > 0 {
					b.Fatalf("%v %v", err, r.Errors)
				}
				if c.check != nil {
					if err := c.check(r.Data); err != nil {
						b.Fatal(err)
					}
				}
				before := w.s.Store.Statements()
				cpu0 := cpuTime()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					send()
				}
				b.StopTimer()
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(w.s.Store.Statements()-before)/float64(b.N), "statements/op")
			})
		}
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
