package live_test

import (
	"context"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/enum"
	"kpiflow/live"
	"kpiflow/store"
	"kpiflow/viewer"
)

// world is an organization with a team whose review cycles make notices.
type world struct {
	st   *store.Store
	hub  *live.Hub
	org  *ent.Organization
	team *ent.Team
	n    int
}

func newWorld(t *testing.T, b apitest.Backend) *world {
	t.Helper()
	st := apitest.OpenStore(t, b)
	hub := live.New(st.Client, st.Dialect, st.URL, nil)
	if err := hub.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	ctx := viewer.System(context.Background())
	org := st.Client.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("UTC").SaveX(ctx)
	team := st.Client.Team.Create().SetOrganizationID(org.ID).SetName("East").SaveX(ctx)
	return &world{st: st, hub: hub, org: org, team: team}
}

// cycle opens a review cycle (a notice) through client.
func (w *world) cycle(t *testing.T, client *ent.Client) string {
	t.Helper()
	w.n++
	point := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, w.n, 0)
	c := client.ReviewCycle.Create().SetOrganizationID(w.org.ID).SetTeamID(w.team.ID).
		SetCadence(enum.CadenceMonthly).SetPoint(point).SetDueAt(point.AddDate(0, 1, 0)).
		SaveX(viewer.System(context.Background()))
	return string(c.ID)
}

// A notice is delivered when its transaction commits, in the order of the
// changes, never for a transaction rolled back, and only to subscribers of
// its organization; on every database.
func TestNoticesFollowCommits(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			ctx := viewer.System(context.Background())
			other := w.st.Client.Organization.Create().SetName("Other").SetCurrency("USD").SetTimezone("UTC").SaveX(ctx)
			sub := w.hub.Subscribe(w.org.ID)
			defer sub.Close()
			otherSub := w.hub.Subscribe(other.ID)
			defer otherSub.Close()

			write := func(commit bool) []string {
				tx, err := w.st.Client.Tx(ctx)
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{w.cycle(t, tx.Client()), w.cycle(t, tx.Client()), w.cycle(t, tx.Client())}
				if commit {
					err = tx.Commit()
				} else {
					err = tx.Rollback()
				}
				if err != nil {
					t.Fatal(err)
				}
				return ids
			}
			write(false)
			ids := write(true)
			ids = append(ids, w.cycle(t, w.st.Client)) // outside a transaction
			for i, want := range ids {
				select {
				case n := <-sub.C:
					if n.Kind != live.Review || string(n.ID) != want || n.Org != w.org.ID {
						t.Fatalf("notice %d: %+v, want cycle %s (a rolled-back change must not be announced)", i, n, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("notice %d (cycle %s) never came", i, want)
				}
			}
			select {
			case n := <-sub.C:
				t.Errorf("an extra notice: %+v", n)
			case n := <-otherSub.C:
				t.Errorf("another organization heard: %+v", n)
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
}

// A subscription that falls too far behind is ended, and the others go on.
func TestSlowSubscriptionIsEnded(t *testing.T) {
	w := newWorld(t, apitest.Backend{Name: "sqlite"})
	slow, ok := w.hub.Subscribe(w.org.ID), w.hub.Subscribe(w.org.ID)
	defer ok.Close()
	got := 0
	for i := 0; i <= live.Buffer; i++ {
		w.cycle(t, w.st.Client)
		<-ok.C
		got++
	}
	n := 0
	for range slow.C { // closed when it overflowed
		n++
	}
	if n != live.Buffer || got != live.Buffer+1 {
		t.Errorf("the slow subscription got %d notices before it ended (want %d); the other %d", n, live.Buffer, got)
	}
	slow.Close() // closing again is harmless
}
