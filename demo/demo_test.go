package demo_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"kpiflow/access"
	"kpiflow/apitest"
	"kpiflow/auth"
	"kpiflow/demo"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/meeting"
	"kpiflow/ent/predicate"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/ent/targetrevision"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/enum"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/store"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

// now is in the past of the real clock, which the schema hooks check
// closing and holding times against.
var now = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *ent.Client {
	t.Helper()
	ctx := viewer.System(context.Background())
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st.Client
}

func seed(t *testing.T, client *ent.Client, s uint64) *demo.Summary {
	t.Helper()
	start := time.Now()
	sum, err := demo.Seed(viewer.System(context.Background()), client, demo.Options{Seed: s, Now: now})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	t.Logf("seed %d: %d teams, %d users, %d deals, %d meetings in %v",
		s, sum.Teams, sum.Users, sum.Deals, sum.Meetings, time.Since(start).Round(time.Millisecond))
	return sum
}

// seedOne is the default demo of seed 1 at now, seeded once for the tests
// that only read it (seeding takes seconds under the race detector); it
// records whether its database was empty before.
var seedOne struct {
	sync.Once
	client      *ent.Client
	sum         *demo.Summary
	emptyBefore bool
	err         error
}

func seededOne(t *testing.T) (*ent.Client, *demo.Summary, bool) {
	t.Helper()
	seedOne.Do(func() {
		ctx := viewer.System(context.Background())
		dir, err := os.MkdirTemp("", "kpiflow-demo-")
		if err != nil {
			seedOne.err = err
			return
		}
		st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "demo.db"))
		if err == nil {
			err = st.Migrate(ctx)
		}
		if err == nil {
			seedOne.client = st.Client
			seedOne.emptyBefore, err = demo.Empty(ctx, st.Client)
		}
		if err == nil {
			seedOne.sum, err = demo.Seed(ctx, st.Client, demo.Options{Seed: 1, Now: now})
		}
		seedOne.err = err
	})
	if seedOne.err != nil {
		t.Fatalf("seeding the default demo: %v", seedOne.err)
	}
	return seedOne.client, seedOne.sum, seedOne.emptyBefore
}

func TestSeed(t *testing.T) {
	ctx := viewer.System(context.Background())
	client, sum, emptyBefore := seededOne(t)
	if !emptyBefore {
		t.Fatal("Empty before seeding = false; want true")
	}
	empty, err := demo.Empty(ctx, client)
	if err != nil || empty {
		t.Fatalf("Empty after seeding = %v, %v; want false", empty, err)
	}

	org := sum.Organization
	if org.Name != demo.OrgName || org.Currency != "USD" || org.Timezone != "America/New_York" || org.FiscalYearStartMonth != 2 {
		t.Errorf("organization = %+v", org)
	}
	if n, err := client.Team.Query().Where(team.OrganizationID(org.ID)).Count(ctx); err != nil {
		t.Errorf("querying the organization's teams: %v", err)
	} else if n != 4 {
		t.Errorf("the organization has %d teams, want 4", n)
	}

	if sum.Teams != 4 || sum.Users != 17 {
		t.Errorf("teams, users = %d, %d; want 4, 17", sum.Teams, sum.Users)
	}
	if sum.Deals < 600 || sum.Deals > 1200 {
		t.Errorf("%d deals, want 600–1200", sum.Deals)
	}
	if sum.Meetings < 2000 || sum.Meetings > 4000 {
		t.Errorf("%d meetings, want 2000–4000", sum.Meetings)
	}
	if n := client.Deal.Query().CountX(ctx); n != sum.Deals {
		t.Errorf("the database holds %d deals, the summary says %d", n, sum.Deals)
	}
	if n := client.Meeting.Query().CountX(ctx); n != sum.Meetings {
		t.Errorf("the database holds %d meetings, the summary says %d", n, sum.Meetings)
	}

	t.Run("users", func(t *testing.T) { checkUsers(t, client) })
	t.Run("deals", func(t *testing.T) { checkDeals(t, client) })
	t.Run("meetings", func(t *testing.T) { checkMeetings(t, client) })

	if _, err := demo.Seed(ctx, client, demo.Options{Seed: 2, Now: now}); !errors.Is(err, demo.ErrExists) {
		t.Errorf("seeding again: err = %v, want ErrExists", err)
	}
	if n := client.Organization.Query().CountX(ctx); n != 1 {
		t.Errorf("%d organizations after seeding twice, want 1", n)
	}
}

func checkUsers(t *testing.T, client *ent.Client) {
	ctx := viewer.System(context.Background())
	users := client.User.Query().WithTeam().WithManagedTeams().AllX(ctx)
	byEmail := map[string]*ent.User{}
	checked := map[string]bool{}
	for _, u := range users {
		if u.Email != strings.ToLower(u.Email) {
			t.Errorf("email %q is not lower case", u.Email)
		}
		if u.PasswordHash == nil {
			t.Errorf("%s has no password", u.Email)
		} else if !checked[*u.PasswordHash] { // argon2id is slow on purpose: check each hash once
			if ok, err := auth.CheckPassword(*u.PasswordHash, demo.DemoPassword); err != nil || !ok {
				t.Errorf("%s does not sign in with the demo password: %v", u.Email, err)
			}
			checked[*u.PasswordHash] = true
		}
		byEmail[u.Email] = u
	}
	for _, l := range demo.Logins() {
		u := byEmail[l.Email]
		if u == nil {
			t.Errorf("login %s does not exist", l.Email)
			continue
		}
		if u.Role != l.Role {
			t.Errorf("%s has role %s, Logins says %s", l.Email, u.Role, l.Role)
		}
	}
	managed := func(email string) string {
		u := byEmail[email]
		if u == nil || len(u.Edges.ManagedTeams) != 1 {
			return ""
		}
		return u.Edges.ManagedTeams[0].Name
	}
	for email, team := range map[string]string{
		"manager@demo.kpiflow.test":         "East",
		"central.manager@demo.kpiflow.test": "Central",
		"west.manager@demo.kpiflow.test":    "West",
		"region.manager@demo.kpiflow.test":  "North America",
	} {
		if got := managed(email); got != team {
			t.Errorf("%s manages %q, want %q", email, got, team)
		}
	}
	if a := byEmail["admin@demo.kpiflow.test"]; a == nil || a.Role != user.RoleAdmin || a.TeamID != nil {
		t.Errorf("admin = %+v", a)
	}
	if r := byEmail["rep@demo.kpiflow.test"]; r == nil || r.Role != user.RoleRep || r.Edges.Team == nil || r.Edges.Team.Name != "East" {
		t.Errorf("rep@ = %+v, want an East rep", r)
	}

	perTeam := map[string]int{}
	ramping := 0
	for _, u := range users {
		if u.Role != user.RoleRep {
			continue
		}
		perTeam[u.Edges.Team.Name]++
		if tenure := now.Sub(u.HiredAt); tenure >= 28*24*time.Hour && tenure <= 92*24*time.Hour {
			ramping++
		}
	}
	if want := map[string]int{"East": 4, "Central": 4, "West": 4}; fmt.Sprint(perTeam) != fmt.Sprint(want) {
		t.Errorf("reps per team = %v, want %v", perTeam, want)
	}
	if ramping < 2 {
		t.Errorf("%d reps hired 1–3 months ago, want at least 2", ramping)
	}

	region := client.Team.Query().WithChildren().AllX(ctx)
	for _, tm := range region {
		if tm.Name == "North America" && len(tm.Edges.Children) != 3 {
			t.Errorf("North America has %d child teams, want 3", len(tm.Edges.Children))
		}
	}
}

func checkDeals(t *testing.T, client *ent.Client) {
	ctx := viewer.System(context.Background())
	deals := client.Deal.Query().WithOwner().AllX(ctx)
	stages := map[deal.Stage]int{}
	var wonAmount int64
	winsByRep, closedByRep := map[string]int{}, map[string]int{}
	for _, d := range deals {
		stages[d.Stage]++
		if d.Amount <= 0 || d.Amount%100 != 0 {
			t.Errorf("deal %s: amount %d is not a positive whole number of dollars", d.Name, d.Amount)
		}
		if d.TeamID != *d.Edges.Owner.TeamID {
			t.Errorf("deal %s counts toward another team than its owner's", d.Name)
		}
		if d.OpenedAt.After(now) {
			t.Errorf("deal %s: opened at %v, after now", d.Name, d.OpenedAt)
		}
		if d.OpenedAt.Before(d.Edges.Owner.HiredAt) {
			t.Errorf("deal %s: opened at %v, before its owner was hired", d.Name, d.OpenedAt)
		}
		switch d.Stage {
		case deal.StageWon, deal.StageLost:
			switch {
			case d.ClosedAt == nil:
				t.Errorf("%s deal %s has no closedAt", d.Stage, d.Name)
			case d.ClosedAt.Before(d.OpenedAt) || d.ClosedAt.After(now):
				t.Errorf("deal %s: closed at %v, opened at %v, now %v", d.Name, d.ClosedAt, d.OpenedAt, now)
			case d.CycleMicros == nil || *d.CycleMicros < 14*86400e6 || *d.CycleMicros > 122*86400e6:
				t.Errorf("deal %s: cycle %v microseconds", d.Name, d.CycleMicros)
			}
			closedByRep[d.Edges.Owner.Email]++
			if d.Stage == deal.StageWon {
				wonAmount += d.Amount
				winsByRep[d.Edges.Owner.Email]++
			}
		default:
			if d.ClosedAt != nil || d.CycleMicros != nil {
				t.Errorf("open deal %s has closedAt %v", d.Name, d.ClosedAt)
			}
		}
	}
	t.Logf("deals by stage: %v", stages)
	for _, s := range []deal.Stage{deal.StageProspecting, deal.StageQualified, deal.StageProposal, deal.StageNegotiation, deal.StageWon, deal.StageLost} {
		if stages[s] == 0 {
			t.Errorf("no %s deal", s)
		}
	}
	won, lost := stages[deal.StageWon], stages[deal.StageLost]
	if rate := float64(won) / float64(won+lost); rate < 0.2 || rate > 0.45 {
		t.Errorf("win rate %.2f, want 0.20–0.45", rate)
	}
	if avg := float64(wonAmount) / 100 / float64(won); avg < 8000 || avg > 60000 {
		t.Errorf("average deal size $%.0f, want $8k–$60k", avg)
	}
	// Reps differ: the best win rate among experienced reps is well above
	// the worst.
	lo, hi := 1.0, 0.0
	for email, n := range closedByRep {
		if n < 30 {
			continue
		}
		r := float64(winsByRep[email]) / float64(n)
		lo, hi = math.Min(lo, r), math.Max(hi, r)
	}
	if hi-lo < 0.1 {
		t.Errorf("rep win rates span %.2f–%.2f, want them to differ", lo, hi)
	}
}

func checkMeetings(t *testing.T, client *ent.Client) {
	ctx := viewer.System(context.Background())
	meetings := client.Meeting.Query().WithDeal().WithOwner().AllX(ctx)
	statuses := map[meeting.Status]int{}
	future, prospecting := 0, 0
	for _, m := range meetings {
		statuses[m.Status]++
		if m.DealID == nil {
			prospecting++
		}
		if m.ScheduledAt.Before(m.Edges.Owner.HiredAt) {
			t.Errorf("meeting %s scheduled before its owner was hired", m.ID)
		}
		if d := m.Edges.Deal; d != nil && d.OwnerID != m.OwnerID {
			t.Errorf("meeting %s has another owner than its deal", m.ID)
		}
		switch m.Status {
		case meeting.StatusScheduled:
			if !m.ScheduledAt.After(now) {
				t.Errorf("SCHEDULED meeting %s at %v is not in the future", m.ID, m.ScheduledAt)
			}
			future++
			continue
		case meeting.StatusHeld:
			if m.HeldAt == nil || m.HeldAt.After(now) {
				t.Errorf("HELD meeting %s held at %v", m.ID, m.HeldAt)
			}
		default:
			if m.HeldAt != nil {
				t.Errorf("%s meeting %s has heldAt", m.Status, m.ID)
			}
		}
		if m.ScheduledAt.After(now) {
			t.Errorf("%s meeting %s is in the future", m.Status, m.ID)
		}
		if d := m.Edges.Deal; d != nil {
			if m.ScheduledAt.Before(d.OpenedAt) || (d.ClosedAt != nil && m.ScheduledAt.After(*d.ClosedAt)) {
				t.Errorf("meeting %s at %v is outside its deal's %v–%v", m.ID, m.ScheduledAt, d.OpenedAt, d.ClosedAt)
			}
		}
	}
	t.Logf("meetings by status: %v; %d without a deal", statuses, prospecting)
	for _, s := range []meeting.Status{meeting.StatusScheduled, meeting.StatusHeld, meeting.StatusCancelled, meeting.StatusNoShow} {
		if statuses[s] == 0 {
			t.Errorf("no %s meeting", s)
		}
	}
	if missed := float64(statuses[meeting.StatusCancelled]+statuses[meeting.StatusNoShow]) / float64(len(meetings)); missed < 0.05 || missed > 0.2 {
		t.Errorf("%.0f%% of meetings cancelled or missed, want about 10%%", missed*100)
	}
	if future < 20 {
		t.Errorf("%d future meetings, want at least 20", future)
	}
	if prospecting < 100 {
		t.Errorf("%d meetings without a deal, want at least 100", prospecting)
	}
}

// figures are aggregates of a seeded database that identify its data
// without depending on generated IDs or creation times.
type figures struct {
	Won, Lost, Open int
	WonAmount       int64
	CycleDays       int64 // sum over closed deals, in thousandths of a day
	HeldByKind      string
	Fingerprint     string // of every deal and meeting, in a stable order
}

func aggregate(t *testing.T, client *ent.Client) figures {
	t.Helper()
	ctx := viewer.System(context.Background())
	var f figures
	var rows []string
	for _, d := range client.Deal.Query().WithOwner().AllX(ctx) {
		switch d.Stage {
		case deal.StageWon:
			f.Won++
			f.WonAmount += d.Amount
		case deal.StageLost:
			f.Lost++
		default:
			f.Open++
		}
		if d.CycleMicros != nil {
			f.CycleDays += *d.CycleMicros / 1e6
		}
		rows = append(rows, fmt.Sprintf("D|%s|%s|%s|%d|%s|%s|%v",
			d.Edges.Owner.Email, d.Name, d.CustomerName, d.Amount, d.Stage, d.OpenedAt.UTC(), d.ClosedAt))
	}
	held := map[meeting.Kind]int{}
	for _, m := range client.Meeting.Query().WithOwner().WithDeal().AllX(ctx) {
		if m.Status == meeting.StatusHeld {
			held[m.Kind]++
		}
		dealName := ""
		if m.Edges.Deal != nil {
			dealName = m.Edges.Deal.Name + m.Edges.Deal.OpenedAt.UTC().String()
		}
		rows = append(rows, fmt.Sprintf("M|%s|%s|%s|%s|%d|%s|%s",
			m.Edges.Owner.Email, dealName, m.Kind, m.ScheduledAt.UTC(), m.DurationMinutes, m.Status, m.Notes))
	}
	for _, u := range client.User.Query().AllX(ctx) {
		rows = append(rows, fmt.Sprintf("U|%s|%s|%s|%s", u.Email, u.Name, u.Role, u.HiredAt.UTC()))
	}
	f.HeldByKind = fmt.Sprint(held) // fmt sorts map keys
	slices.Sort(rows)
	f.Fingerprint = fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(rows, "\n"))))
	return f
}

func TestSeedDeterministic(t *testing.T) {
	a, _, _ := seededOne(t)
	b, c := openStore(t), openStore(t)
	seed(t, b, 1)
	seed(t, c, 2)
	fa, fb, fc := aggregate(t, a), aggregate(t, b), aggregate(t, c)
	t.Logf("seed 1: %+v", fa)
	t.Logf("seed 2: %+v", fc)
	if fa != fb {
		t.Errorf("the same seed gave different data:\n%+v\n%+v", fa, fb)
	}
	if fa.Won == fc.Won && fa.WonAmount == fc.WonAmount && fa.CycleDays == fc.CycleDays {
		t.Errorf("seeds 1 and 2 gave the same figures: %+v", fa)
	}
	if fa.Fingerprint == fc.Fingerprint {
		t.Error("seeds 1 and 2 gave the same data")
	}
}

// TestSeedNow seeds relative to the real clock, as `serve --demo` does:
// the hooks must accept every closing and holding time.
func TestSeedNow(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a whole organization")
	}
	client := openStore(t)
	sum, err := demo.Seed(viewer.System(context.Background()), client, demo.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	n := client.Meeting.Query().Where(meeting.StatusEQ(meeting.StatusScheduled), meeting.ScheduledAtLTE(time.Now())).CountX(viewer.System(context.Background()))
	if n != 0 {
		t.Errorf("%d SCHEDULED meetings are in the past", n)
	}
	if sum.Deals == 0 {
		t.Error("no deals")
	}
}

// TestSeedDefaultUnchanged pins the default demo of seed 1: growing the
// generator for scaled demos must not change it. (A deliberate change of
// the default demo updates the fingerprint.)
func TestSeedDefaultUnchanged(t *testing.T) {
	client, _, _ := seededOne(t)
	const want = "a6b8479358c3179b3f3348c39297bd3b149cb56c7c996220bfd5af475be64ae1"
	if f := aggregate(t, client); f.Fingerprint != want {
		t.Errorf("the default demo of seed 1 changed: %+v", f)
	}
}

// scaledOptions are the options of the scaled demo the suite seeds: small,
// but large enough for many teams and regions.
func scaledOptions(dialect string) demo.Options {
	return demo.Options{Seed: 3, Now: now, Reps: 170, Deals: 5_000, Meetings: 15_000, Dialect: dialect}
}

func TestSeedScaled(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,000 rows twice per database")
	}
	ctx := viewer.System(context.Background())
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			st := apitest.OpenURL(t, apitest.DatabaseURL(t, b))
			o := scaledOptions(st.Dialect)
			var calls, lastDone, lastTotal int
			o.Progress = func(done, total int) {
				if done < lastDone || done > total {
					t.Errorf("progress %d/%d after %d/%d", done, total, lastDone, lastTotal)
				}
				calls++
				lastDone, lastTotal = done, total
			}
			start := time.Now()
			sum, err := demo.Seed(ctx, st.Client, o)
			if err != nil {
				t.Fatalf("Seed: %v", err)
			}
			t.Logf("%d teams, %d users, %d deals, %d meetings in %v", sum.Teams, sum.Users, sum.Deals, sum.Meetings,
				time.Since(start).Round(time.Millisecond))

			near := func(what string, got, want int) {
				if math.Abs(float64(got-want)) > 0.1*float64(want) {
					t.Errorf("%d %s, want %d ± 10%%", got, what, want)
				}
			}
			near("deals", sum.Deals, o.Deals)
			near("meetings", sum.Meetings, o.Meetings)
			if n := st.Client.Deal.Query().CountX(ctx); n != sum.Deals {
				t.Errorf("the database holds %d deals, the summary says %d", n, sum.Deals)
			}
			if n := st.Client.Meeting.Query().CountX(ctx); n != sum.Meetings {
				t.Errorf("the database holds %d meetings, the summary says %d", n, sum.Meetings)
			}
			rows := sum.Teams + sum.Users + sum.Deals + sum.Meetings
			if calls < 10 || lastDone != rows || lastTotal != rows {
				t.Errorf("%d progress calls, the last %d/%d; want one a batch, the last %d/%d", calls, lastDone, lastTotal, rows, rows)
			}

			t.Run("users", func(t *testing.T) { checkScaledUsers(t, st.Client, sum) })
			t.Run("deals", func(t *testing.T) { checkDeals(t, st.Client) })
			t.Run("meetings", func(t *testing.T) { checkMeetings(t, st.Client) })
			t.Run("rows", func(t *testing.T) { checkRows(t, st, sum.Organization.ID) })
			t.Run("kpis", func(t *testing.T) { checkKPIs(t, st, sum.Organization.ID) })

			// The same options give the same data, whether the dialect is
			// given or asked for.
			again := apitest.OpenURL(t, apitest.DatabaseURL(t, b))
			if _, err := demo.Seed(ctx, again.Client, scaledOptions("")); err != nil {
				t.Fatalf("Seed again: %v", err)
			}
			fa, fb := scaledFigures(t, st), scaledFigures(t, again)
			t.Logf("figures: %+v", fa)
			if fa != fb {
				t.Errorf("the same options gave different data:\n%+v\n%+v", fa, fb)
			}
		})
	}
}

// checkScaledUsers checks the people and teams of a scaled demo: the cast
// is there, and the teams beyond it are of about eight reps and a manager
// under regions.
func checkScaledUsers(t *testing.T, client *ent.Client, sum *demo.Summary) {
	ctx := viewer.System(context.Background())
	users := client.User.Query().AllX(ctx)
	if len(users) != sum.Users {
		t.Errorf("%d users, the summary says %d", len(users), sum.Users)
	}
	byEmail := map[string]*ent.User{}
	hashes := map[string]bool{}
	ramping, reps := 0, 0
	for _, u := range users {
		byEmail[u.Email] = u
		if u.Email != strings.ToLower(u.Email) || !strings.HasSuffix(u.Email, "@demo.kpiflow.test") {
			t.Errorf("email %q", u.Email)
		}
		if u.PasswordHash != nil {
			hashes[*u.PasswordHash] = true
		}
		if u.Role == user.RoleRep {
			reps++
			if tenure := now.Sub(u.HiredAt); tenure < 120*24*time.Hour {
				ramping++
			}
		}
	}
	if len(hashes) != 1 {
		t.Errorf("%d password hashes, want one for everybody", len(hashes))
	}
	for h := range hashes {
		if ok, err := auth.CheckPassword(h, demo.DemoPassword); err != nil || !ok {
			t.Errorf("the demo password does not sign in: %v", err)
		}
	}
	for _, l := range demo.Logins() {
		if u := byEmail[l.Email]; u == nil || u.Role != l.Role {
			t.Errorf("login %s is %+v", l.Email, u)
		}
	}
	if share := float64(ramping) / float64(reps); share < 0.05 || share > 0.35 {
		t.Errorf("%d of %d reps hired in the last four months, want about a sixth", ramping, reps)
	}

	teams := client.Team.Query().WithChildren().WithManagers().WithMembers().AllX(ctx)
	if len(teams) != sum.Teams || len(teams) < 20 {
		t.Errorf("%d teams, the summary says %d; want at least 20", len(teams), sum.Teams)
	}
	regions := 0
	for _, tm := range teams {
		if len(tm.Edges.Managers) != 1 {
			t.Errorf("team %s has %d managers, want 1", tm.Name, len(tm.Edges.Managers))
		}
		if tm.ParentID == nil {
			regions++
			if n := len(tm.Edges.Children); n < 1 || n > 6 || len(tm.Edges.Members) != 0 {
				t.Errorf("region %s has %d teams and %d members", tm.Name, n, len(tm.Edges.Members))
			}
			continue
		}
		if n := len(tm.Edges.Members); n < 4 || n > 8 || len(tm.Edges.Children) != 0 {
			t.Errorf("team %s has %d members and %d teams, want 4–8 reps", tm.Name, n, len(tm.Edges.Children))
		}
	}
	if regions < 2 {
		t.Errorf("%d regions, want more than North America", regions)
	}
}

// checkRows checks the invariants the schema hooks keep, which the raw
// INSERTs of a scaled demo must keep by themselves.
func checkRows(t *testing.T, st *store.Store, org pulid.ID) {
	ctx := viewer.System(context.Background())
	failures := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if failures++; failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	defer func() {
		if failures > 10 {
			t.Errorf("and %d more", failures-10)
		}
	}()
	loaded := time.Now()
	exact := func(what string, id pulid.ID, ts ...*time.Time) {
		for _, tm := range ts {
			if tm != nil && (!tm.Equal(tm.Truncate(time.Microsecond)) || tm.IsZero() || tm.After(loaded)) {
				fail("%s %s: time %v", what, id, tm)
			}
		}
	}
	typeOf := func(id pulid.ID) string {
		typ, err := ent.IDToType(ctx, id)
		if err != nil {
			return err.Error()
		}
		return typ
	}

	users := map[pulid.ID]*ent.User{}
	for _, u := range st.Client.User.Query().AllX(ctx) {
		users[u.ID] = u
	}
	deals := map[pulid.ID]*ent.Deal{}
	for _, d := range st.Client.Deal.Query().AllX(ctx) {
		deals[d.ID] = d
		if typ := typeOf(d.ID); typ != deal.Table {
			fail("deal ID %s is of %s", d.ID, typ)
		}
		owner := users[d.OwnerID]
		switch {
		case d.OrganizationID != org:
			fail("deal %s is of organization %s", d.ID, d.OrganizationID)
		case owner == nil || owner.OrganizationID != org || owner.Role != user.RoleRep:
			fail("deal %s is owned by %+v", d.ID, owner)
		case owner.TeamID == nil || *owner.TeamID != d.TeamID:
			fail("deal %s counts toward team %s, its owner is of %v", d.ID, d.TeamID, owner.TeamID)
		}
		closed := d.Stage == deal.StageWon || d.Stage == deal.StageLost
		switch {
		case closed != (d.ClosedAt != nil) || closed != (d.CycleMicros != nil):
			fail("%s deal %s: closed at %v, cycle %v", d.Stage, d.ID, d.ClosedAt, d.CycleMicros)
		case closed && (d.ClosedAt.Before(d.OpenedAt) || d.ClosedAt.After(now)):
			fail("deal %s: opened at %v, closed at %v", d.ID, d.OpenedAt, d.ClosedAt)
		case closed && *d.CycleMicros != d.ClosedAt.Sub(d.OpenedAt).Microseconds():
			fail("deal %s: %d cycle microseconds from %v to %v", d.ID, *d.CycleMicros, d.OpenedAt, d.ClosedAt)
		}
		if d.ExternalID != nil {
			fail("deal %s has an external ID", d.ID)
		}
		exact("deal", d.ID, &d.OpenedAt, d.ClosedAt, &d.CreatedAt, &d.UpdatedAt)
	}
	for _, m := range st.Client.Meeting.Query().AllX(ctx) {
		if typ := typeOf(m.ID); typ != meeting.Table {
			fail("meeting ID %s is of %s", m.ID, typ)
		}
		owner := users[m.OwnerID]
		switch {
		case m.OrganizationID != org:
			fail("meeting %s is of organization %s", m.ID, m.OrganizationID)
		case owner == nil || owner.OrganizationID != org || owner.Role != user.RoleRep:
			fail("meeting %s is owned by %+v", m.ID, owner)
		}
		if m.DealID != nil {
			if d := deals[*m.DealID]; d == nil || d.OrganizationID != org || d.OwnerID != m.OwnerID {
				fail("meeting %s of %s is about deal %+v", m.ID, m.OwnerID, d)
			}
		}
		held := m.Status == meeting.StatusHeld
		if held != (m.HeldAt != nil) || held && (!m.HeldAt.Equal(m.ScheduledAt) || m.HeldAt.After(now)) {
			fail("%s meeting %s scheduled at %v: held at %v", m.Status, m.ID, m.ScheduledAt, m.HeldAt)
		}
		exact("meeting", m.ID, &m.ScheduledAt, m.HeldAt, &m.CreatedAt, &m.UpdatedAt)
	}

	// SQLite stores times as text, compared as text: all of them must be
	// written in UTC, like the hooks write them.
	if st.Dialect == dialect.SQLite {
		for _, q := range []string{
			`SELECT COUNT(*) FROM deals WHERE opened_at NOT LIKE '%+00:00' OR closed_at NOT LIKE '%+00:00'
				OR created_at NOT LIKE '%+00:00' OR updated_at NOT LIKE '%+00:00'`,
			`SELECT COUNT(*) FROM meetings WHERE scheduled_at NOT LIKE '%+00:00' OR held_at NOT LIKE '%+00:00'
				OR created_at NOT LIKE '%+00:00' OR updated_at NOT LIKE '%+00:00'`,
		} {
			var n int
			if err := st.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				fail("%d rows with times not in UTC: %s", n, q)
			}
		}
	}
}

// checkKPIs computes the built-in KPIs of the organization for each
// quarter of the last year through the real engine: they must look like a
// sales organization's.
func checkKPIs(t *testing.T, st *store.Store, org pulid.ID) {
	ctx := viewer.System(context.Background())
	var kpis []kpi.KPI
	for _, b := range definition.Builtins {
		kpis = append(kpis, kpi.KPI{Key: b.Key, Unit: b.Unit, MinSample: b.MinSample, Definition: b.Definition})
	}
	cal, err := kpi.NewCalendar(demo.FiscalYearStartMonth, demo.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	var periods []kpi.Period
	for p, i := cal.PeriodAt(kpi.PeriodQuarter, now), 0; i < 4; i++ {
		p = p.Prev()
		periods = append(periods, p)
	}
	values, err := kpi.Engine{DB: st.Client, Dialect: st.Dialect}.Compute(ctx, kpi.Scope{Org: org}, kpis, periods)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range periods {
		v := func(key string) kpi.Value { return values[key][i] }
		won, held := v("DEALS_CLOSED"), v("MEETINGS_HELD")
		rate, size, cycle := v("WIN_RATE"), v("AVERAGE_DEAL_SIZE"), v("SALES_CYCLE_LENGTH")
		t.Logf("%s: %d won, %d meetings held, win rate %.1f%%, average deal $%d, cycle %.1f days",
			p.Label(), won.Int, held.Int, rate.Float, size.Int/100, cycle.Float)
		if won.Int < 100 || held.Int < 1000 {
			t.Errorf("%s: %d deals won and %d meetings held, want many", p.Label(), won.Int, held.Int)
		}
		if !rate.Defined || rate.Float < 15 || rate.Float > 50 {
			t.Errorf("%s: win rate %+v, want 15–50%%", p.Label(), rate)
		}
		if !size.Defined || size.Int < 5_000_00 || size.Int > 80_000_00 {
			t.Errorf("%s: average deal size %+v, want $5k–$80k", p.Label(), size)
		}
		if !cycle.Defined || cycle.Float < 10 || cycle.Float > 130 {
			t.Errorf("%s: sales cycle %+v, want 10–130 days", p.Label(), cycle)
		}
	}
}

// scaledFiguresOf are aggregates of a scaled demo that identify its data
// without depending on generated IDs or creation times.
type scaledFiguresOf struct {
	Won                        int
	WonAmount, CycleMicros     int64
	Scheduled, Held, Cancelled int
	NoShow, WithNotes          int
}

func scaledFigures(t *testing.T, st *store.Store) scaledFiguresOf {
	t.Helper()
	ctx := viewer.System(context.Background())
	var f scaledFiguresOf
	for _, d := range st.Client.Deal.Query().AllX(ctx) {
		if d.Stage == deal.StageWon {
			f.Won++
			f.WonAmount += d.Amount
		}
		if d.CycleMicros != nil {
			f.CycleMicros += *d.CycleMicros
		}
	}
	for _, m := range st.Client.Meeting.Query().AllX(ctx) {
		switch m.Status {
		case meeting.StatusScheduled:
			f.Scheduled++
		case meeting.StatusHeld:
			f.Held++
		case meeting.StatusCancelled:
			f.Cancelled++
		case meeting.StatusNoShow:
			f.NoShow++
		}
		if m.Notes != "" {
			f.WithNotes++
		}
	}
	return f
}

// TestSeedScaleLarge loads 1,000,000 deals and 3,000,000 meetings on each
// backend and reports the time it takes and the database's size. It is a
// measurement, run by hand: KPIFLOW_DEMO_SCALE_TEST=1 go test -run
// TestSeedScaleLarge -v -timeout 1h ./demo/ (a few minutes and a few GB).
func TestSeedScaleLarge(t *testing.T) {
	if os.Getenv("KPIFLOW_DEMO_SCALE_TEST") != "1" {
		t.Skip("set KPIFLOW_DEMO_SCALE_TEST=1 to load a million deals")
	}
	ctx := viewer.System(context.Background())
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := apitest.DatabaseURL(t, b)
			st := apitest.OpenURL(t, url)
			start := time.Now()
			next := start
			sum, err := demo.Seed(ctx, st.Client, demo.Options{
				Seed: 1, Now: now, Deals: 1_000_000, Meetings: 3_000_000, Dialect: st.Dialect,
				Progress: func(done, total int) {
					if next == start { // sized, and the organization created
						t.Logf("%v: the first rows", time.Since(start).Round(time.Millisecond))
					}
					if time.Now().After(next) || done == total {
						t.Logf("%v: %d of %d rows", time.Since(start).Round(time.Second), done, total)
						next = time.Now().Add(15 * time.Second)
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			var size int64
			switch st.Dialect {
			case dialect.SQLite:
				// Fold the write-ahead log into the database file first.
				if _, err := st.DB.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
					t.Fatal(err)
				}
				fi, err := os.Stat(strings.TrimPrefix(url, "sqlite:"))
				if err != nil {
					t.Fatal(err)
				}
				size = fi.Size()
			case dialect.Postgres:
				if err := st.DB.QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&size); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: %d teams, %d users, %d deals and %d meetings in %v (%.0f rows/s); the database is %.2f GB",
				st.Dialect, sum.Teams, sum.Users, sum.Deals, sum.Meetings, elapsed.Round(time.Second),
				float64(sum.Teams+sum.Users+sum.Deals+sum.Meetings)/elapsed.Seconds(), float64(size)/1e9)
		})
	}
}

// TestSeedScaledSizes seeds small scaled demos of every shape: deals or
// meetings alone, and more or fewer meetings a deal than the default demo
// has. The progress reports end on the rows written, for the default demo
// too.
func TestSeedScaledSizes(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds several organizations")
	}
	ctx := viewer.System(context.Background())
	for _, c := range []struct {
		name            string
		deals, meetings int
		// perDeal bounds the meetings a deal, when only deals are given.
		perDeal [2]float64
		reps    int
	}{
		{"default", 0, 0, [2]float64{3, 5}, 0},
		{"deals", 2_000, 0, [2]float64{3, 5}, 0},
		{"meetings", 0, 8_000, [2]float64{3, 5}, 0},
		{"busy", 2_000, 20_000, [2]float64{}, 0},
		{"quiet", 2_000, 1_000, [2]float64{}, 0},
		{"reps", 0, 0, [2]float64{3, 5}, 40},
		{"reps and deals", 4_000, 0, [2]float64{3, 5}, 30},
		{"reps, deals and meetings", 3_000, 6_000, [2]float64{}, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := openStore(t)
			var lastDone, lastTotal int
			sum, err := demo.Seed(ctx, client, demo.Options{Seed: 5, Now: now, Deals: c.deals, Meetings: c.meetings, Reps: c.reps,
				Progress: func(done, total int) { lastDone, lastTotal = done, total }})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d teams, %d users, %d deals, %d meetings", sum.Teams, sum.Users, sum.Deals, sum.Meetings)
			if rows := sum.Teams + sum.Users + sum.Deals + sum.Meetings; lastDone != rows || lastTotal != rows {
				t.Errorf("last progress %d/%d, want %d/%d", lastDone, lastTotal, rows, rows)
			}
			for _, n := range []struct {
				what      string
				got, want int
			}{{"deals", sum.Deals, c.deals}, {"meetings", sum.Meetings, c.meetings}} {
				if n.want > 0 && math.Abs(float64(n.got-n.want)) > 0.1*float64(n.want) {
					t.Errorf("%d %s, want %d ± 10%%", n.got, n.what, n.want)
				}
			}
			if c.reps > 0 {
				if n := client.User.Query().Where(user.RoleEQ(user.RoleRep)).CountX(ctx); n != c.reps {
					t.Errorf("%d reps, want %d", n, c.reps)
				}
			}
			if b := c.perDeal; b[1] > 0 {
				if r := float64(sum.Meetings) / float64(sum.Deals); r < b[0] || r > b[1] {
					t.Errorf("%.1f meetings a deal, want %.0f–%.0f as in the default demo", r, b[0], b[1])
				}
			}
		})
	}

	client := openStore(t)
	for _, o := range []demo.Options{
		{Deals: -1},
		{Deals: 100, Now: time.Now().Add(time.Hour)},
		{Deals: 100, Dialect: "mysql"},
		{Reps: 5},
		{Reps: -1},
	} {
		if _, err := demo.Seed(ctx, client, o); err == nil {
			t.Errorf("Seed(%+v) succeeded, want an error", o)
		}
	}
	if n := client.Organization.Query().CountX(ctx); n != 0 {
		t.Errorf("%d organizations after failed seeds, want none", n)
	}
}

// The default demo shows the target workflow in every state it can reach
// without closing a period, with histories.
func TestSeedTargets(t *testing.T) {
	ctx := viewer.System(context.Background())
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sum, err := demo.Seed(ctx, st.Client, demo.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[string]int{}
	for _, tg := range st.Client.Target.Query().AllX(ctx) {
		byStatus[string(tg.Status)]++
	}
	// Beside next quarter's plan (TestSeedPlansNextQuarter): the region's
	// target, its three teams' and their twelve reps', 13 of them APPROVED,
	// 2 PROPOSED and 1 DRAFT.
	want := map[string]int{"APPROVED": 2 + 13, "PROPOSED": 1 + 2, "CHANGES_REQUESTED": 1, "REJECTED": 1, "DRAFT": 1 + 1, "WITHDRAWN": 1, "CLOSED": 1}
	for s, n := range want {
		if byStatus[s] != n {
			t.Errorf("%d %s targets, want %d (all: %v)", byStatus[s], s, n, byStatus)
		}
	}
	if sum.Targets != 8+16 {
		t.Errorf("summary counts %d targets, want 24", sum.Targets)
	}
	closed := st.Client.Target.Query().Where(target.StatusEQ(enum.StatusClosed)).OnlyX(ctx)
	if closed.FinalActual == nil || closed.FinalAttainment == nil {
		t.Errorf("the closed target has no frozen result: %+v", closed)
	}
	pending := st.Client.Target.Query().Where(target.PendingValueNotNil()).CountX(ctx)
	revisions := st.Client.TargetRevision.Query().CountX(ctx)
	events := st.Client.TargetEvent.Query().CountX(ctx)
	if pending != 1 || revisions < 9 || events < 16 {
		t.Errorf("pending adjustments %d, revisions %d, events %d", pending, revisions, events)
	}
	// Reviews: last quarter's completed (the closed target reviewed twice,
	// every item decided), and this quarter's latest of each team open.
	items := st.Client.ReviewItem.Query().Where(reviewitem.TargetID(closed.ID)).AllX(ctx)
	if len(items) != 2 || items[0].Decision == nil || items[1].Decision == nil {
		t.Errorf("the closed target's review items: %+v", items)
	}
	teams := st.Client.Team.Query().CountX(ctx)
	for _, c := range st.Client.ReviewCycle.Query().AllX(ctx) {
		undecided := st.Client.ReviewItem.Query().Where(reviewitem.CycleID(c.ID), reviewitem.DecisionIsNil()).CountX(ctx)
		later := st.Client.ReviewCycle.Query().Where(reviewcycle.TeamID(c.TeamID), reviewcycle.PointGT(c.Point)).ExistX(ctx)
		if c.Status == reviewcycle.StatusCOMPLETED && undecided > 0 || c.Status == reviewcycle.StatusOPEN && later {
			t.Errorf("cycle of %v for team %s: %s with %d undecided items, later cycles: %v", c.Point, c.TeamID, c.Status, undecided, later)
		}
	}
	if open := st.Client.ReviewCycle.Query().Where(reviewcycle.StatusEQ(reviewcycle.StatusOPEN)).CountX(ctx); open != teams {
		t.Errorf("%d open review cycles, want one per team (%d)", open, teams)
	}
	if n := st.Client.MarketFactor.Query().CountX(ctx); n != 1 {
		t.Errorf("%d market factors, want 1", n)
	}
	for _, tg := range st.Client.Target.Query().Where(target.StatusNEQ(enum.StatusDraft), target.StatusNEQ(enum.StatusWithdrawn)).AllX(ctx) {
		if tg.Assessment == nil {
			t.Errorf("submitted target %s has no realism check", tg.ID)
		}
	}
}

// Next quarter is planned through the workflow (demo/planning.go): the
// region's revenue target, approved, divided among its three teams by
// their history to the cent; each team's, approved, divided among its
// reps; Central's and West's reps' targets approved and covering their
// teams exactly; East under-covered, with one target lowered by its rep
// before submitting, one submitted as it is, one approved and the
// documented rep's still a draft.
func TestSeedPlansNextQuarter(t *testing.T) {
	client, _, _ := seededOne(t)
	ctx := viewer.System(context.Background())
	org := client.Organization.Query().OnlyX(ctx)
	cal, err := kpi.NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	next := cal.PeriodAt(kpi.PeriodQuarter, time.Now()).Next()
	revenue := client.KPI.Query().Where(entkpi.Key(demo.PlannedKPI)).OnlyX(ctx)
	inNext := func(ps ...predicate.Target) []*ent.Target {
		ps = append(ps, target.KpiID(revenue.ID), target.PeriodKindEQ(enum.PeriodQuarter),
			target.PeriodYear(next.Year), target.PeriodIndex(next.Index))
		return client.Target.Query().Where(ps...).Order(ent.Asc(target.FieldID)).AllX(ctx)
	}
	region := client.Team.Query().Where(team.ParentIDIsNil()).OnlyX(ctx)
	nas := inNext(target.TeamID(region.ID))
	if len(nas) != 1 || nas[0].Status != enum.StatusApproved || nas[0].AllocatedFromID != nil ||
		math.Mod(nas[0].Value, 1_000_000) != 0 || nas[0].Value <= 0 {
		t.Fatalf("the region's target for %s: %+v", next.Label(), nas)
	}
	na := nas[0]

	// The teams' targets: the region's, divided by their history over the
	// four quarters before the current one, each the whole or the whole
	// plus one cent of its exact quota, summing to the region's exactly.
	teams := client.Team.Query().Where(team.ParentID(region.ID)).Order(ent.Asc(team.FieldName)).AllX(ctx)
	current := next.Prev()
	history := map[pulid.ID]float64{}
	total := 0.0
	for _, tm := range teams {
		for p, i := current.Prev(), 0; i < 4; p, i = p.Prev(), i+1 {
			sum := 0.0
			for _, d := range client.Deal.Query().Where(deal.TeamID(tm.ID), deal.StageEQ(deal.StageWon),
				deal.ClosedAtGTE(p.Start), deal.ClosedAtLT(p.End)).AllX(ctx) {
				sum += float64(d.Amount)
			}
			history[tm.ID] += sum
		}
		total += history[tm.ID]
	}
	byTeam := map[string]*ent.Target{}
	sum := 0.0
	for _, tt := range inNext(target.AllocatedFromID(na.ID)) {
		tm := client.Team.GetX(ctx, *tt.TeamID)
		byTeam[tm.Name] = tt
		sum += tt.Value
		quota := na.Value * history[tm.ID] / total
		mgr := tm.QueryManagers().Order(ent.Asc(user.FieldID)).FirstX(ctx)
		if tt.Status != enum.StatusApproved || *tt.AllocationMethod != enum.AllocationHistory || tt.ProposerID != mgr.ID ||
			tt.Value < math.Floor(quota) || tt.Value > math.Floor(quota)+1 {
			t.Errorf("%s's target: %s %v by %s, value %v for a quota of %v", tm.Name, tt.Status, tt.AllocationMethod, tt.ProposerID, tt.Value, quota)
		}
	}
	if len(byTeam) != 3 || sum != na.Value {
		t.Errorf("%d team targets summing to %v, want 3 summing to the region's %v", len(byTeam), sum, na.Value)
	}

	// Each team's reps' targets: allocated from it, first drafted at values
	// summing to it exactly.
	statuses := map[string][]string{}
	for _, tm := range teams {
		tt := byTeam[tm.Name]
		if tt == nil {
			continue
		}
		drafted, approved := 0.0, 0.0
		reps := client.User.Query().Where(user.TeamID(tm.ID), user.RoleEQ(user.RoleRep)).Order(ent.Asc(user.FieldEmail)).AllX(ctx)
		for _, u := range reps {
			mine := inNext(target.UserID(u.ID), target.AllocatedFromID(tt.ID))
			if len(mine) != 1 {
				t.Fatalf("%s: %d allocated targets", u.Email, len(mine))
			}
			first := client.TargetRevision.Query().Where(targetrevision.TargetID(mine[0].ID)).
				Order(ent.Asc(targetrevision.FieldCreatedAt), ent.Asc(targetrevision.FieldID)).FirstX(ctx)
			drafted += first.Value
			if mine[0].Status == enum.StatusApproved {
				approved += mine[0].Value
			}
			st := string(mine[0].Status)
			if mine[0].Value != first.Value {
				st += fmt.Sprintf(" lowered to %.1f%%", 100*mine[0].Value/first.Value)
			}
			if u.Email == "rep@demo.kpiflow.test" {
				st = "rep@ " + st
			}
			statuses[tm.Name] = append(statuses[tm.Name], st)
		}
		if drafted != tt.Value {
			t.Errorf("%s's reps' drafts sum to %v, want the team's %v", tm.Name, drafted, tt.Value)
		}
		if covered := approved == tt.Value; covered != (tm.Name != "East") {
			t.Errorf("%s: approved %v of %v", tm.Name, approved, tt.Value)
		}
	}
	want := map[string][]string{
		"Central": {"APPROVED", "APPROVED", "APPROVED", "APPROVED"},
		"West":    {"APPROVED", "APPROVED", "APPROVED", "APPROVED"},
		// By email: Hannah, Marcus, Priya, then the documented rep.
		"East": {"PROPOSED lowered to 90.0%", "PROPOSED", "APPROVED", "rep@ DRAFT"},
	}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("the reps' targets:\n got %v\nwant %v", statuses, want)
	}

	// The inboxes: East's target uncovered for its manager and the region's;
	// the documented rep's draft to submit.
	svc := workflow.NewService(kpi.Engine{DB: client, Dialect: dialect.SQLite})
	reasons := func(email string) map[string]bool {
		u := client.User.Query().Where(user.Email(email)).OnlyX(ctx)
		vctx := viewer.NewContext(context.Background(), viewer.New(u.ID, u.OrganizationID, u.Role, access.LoadScope(client, u.ID)))
		items, err := svc.Inbox(vctx, client)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, it := range items {
			if it.Target != nil && it.Target.PeriodYear == next.Year && it.Target.PeriodIndex == next.Index {
				out[string(it.Reason)+" "+string(it.Target.ID)] = true
			}
		}
		return out
	}
	east := byTeam["East"]
	uncovered := "TEAM_TARGET_UNCOVERED " + string(east.ID)
	for email, wantItem := range map[string]string{"manager@demo.kpiflow.test": uncovered, "region.manager@demo.kpiflow.test": uncovered} {
		got := reasons(email)
		var planning []string
		for k := range got {
			if strings.HasPrefix(k, "TEAM_TARGET_UNCOVERED") {
				planning = append(planning, k)
			}
		}
		if fmt.Sprint(planning) != fmt.Sprint([]string{wantItem}) {
			t.Errorf("%s's uncovered team targets of %s: %v, want %v", email, next.Label(), planning, wantItem)
		}
	}
	for _, email := range []string{"central.manager@demo.kpiflow.test", "west.manager@demo.kpiflow.test"} {
		for k := range reasons(email) {
			if strings.HasPrefix(k, "TEAM_TARGET_UNCOVERED") {
				t.Errorf("%s: %s", email, k)
			}
		}
	}
	rep := client.User.Query().Where(user.Email("rep@demo.kpiflow.test")).OnlyX(ctx)
	draft := inNext(target.UserID(rep.ID))[0]
	if !reasons(rep.Email)["SUBMIT_ALLOCATED_DRAFT "+string(draft.ID)] {
		t.Errorf("the documented rep's inbox lacks their allocated draft %s", draft.ID)
	}
}
