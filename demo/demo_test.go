package demo_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kpiflow/auth"
	"kpiflow/demo"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/store"
	"kpiflow/viewer"
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

func TestSeed(t *testing.T) {
	ctx := viewer.System(context.Background())
	client := openStore(t)

	empty, err := demo.Empty(ctx, client)
	if err != nil || !empty {
		t.Fatalf("Empty before seeding = %v, %v; want true", empty, err)
	}
	sum := seed(t, client, 1)
	empty, err = demo.Empty(ctx, client)
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
			case d.CycleSeconds == nil || *d.CycleSeconds < 14*86400 || *d.CycleSeconds > 122*86400:
				t.Errorf("deal %s: cycle %v seconds", d.Name, d.CycleSeconds)
			}
			closedByRep[d.Edges.Owner.Email]++
			if d.Stage == deal.StageWon {
				wonAmount += d.Amount
				winsByRep[d.Edges.Owner.Email]++
			}
		default:
			if d.ClosedAt != nil || d.CycleSeconds != nil {
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
		if d.CycleSeconds != nil {
			f.CycleDays += *d.CycleSeconds
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
	a, b, c := openStore(t), openStore(t), openStore(t)
	seed(t, a, 1)
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
