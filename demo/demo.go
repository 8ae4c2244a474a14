// Package demo generates kpiflow's demo organization: "Acme Demo", a North
// America region of three teams, their managers and twelve reps with a year
// of deals and meetings behind them and a pipeline and calendar ahead, so
// that every KPI, scorecard and trend has something to show.
//
// The data is realistic rather than uniform: reps differ in tenure and in a
// hidden skill that drives their win rate, deal size and cycle length; new
// hires ramp up; closings peak at fiscal quarter ends and in the fiscal Q4
// and dip in summer. It is deterministic: the same Options give the same
// data, except for generated IDs and created_at/updated_at.
//
// Options.Deals and Options.Meetings grow the organization for benchmarks,
// to millions of deals and meetings (scale.go).
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/ent/meeting"
	"kpiflow/ent/organization"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/store"
	"kpiflow/viewer"
)

const (
	// OrgName is the demo organization's name; Seed refuses to create a
	// second one.
	OrgName = "Acme Demo"
	// Currency, Timezone and FiscalYearStartMonth are the demo
	// organization's settings.
	Currency             = "USD"
	Timezone             = "America/New_York"
	FiscalYearStartMonth = 2

	// DemoPassword is the password of every demo login.
	DemoPassword = "demo-password"
)

// ErrExists is returned by Seed when the demo organization already exists.
var ErrExists = errors.New("demo: the demo organization already exists")

// batchSize bounds the rows of one INSERT through ent: well within the
// bind-parameter limits of SQLite and PostgreSQL.
const batchSize = 200

// Options configures Seed.
type Options struct {
	// Seed seeds the random generator; the same Options give the same data
	// (except generated IDs and created_at/updated_at).
	Seed uint64
	// Now is the instant the data is generated relative to: a year of
	// history before it, scheduled meetings after it. Zero means
	// time.Now(). It must not be later than the database's clock, whose
	// hooks refuse closing and holding times in the future.
	Now time.Time

	// Deals and Meetings, when > 0, scale the demo to about this many
	// deals and meetings (the default demo has ~700 and ~2,800), for
	// benchmarks. The cast of the default demo is joined by as many more
	// reps as it takes to have Deals deals at the default demo's rates
	// per rep (or Meetings meetings, when Deals is 0), in teams of about
	// eight under regions of about six teams, each with a manager. The
	// reps' prospecting, and if need be the share of deals' meetings they
	// record, then make about Meetings meetings. Deals and meetings are
	// written with raw multi-row INSERTs, not through ent: see scale.go.
	Deals, Meetings int
	// Reps, when > 0, scales the demo to this many reps (at least the
	// default demo's cast of 12): at the default demo's rates, or at the
	// rates that give about Deals deals and Meetings meetings when those
	// are given too.
	Reps int
	// Dialect is the database's dialect, dialect.SQLite ("sqlite3") or
	// dialect.Postgres ("postgres"), which the raw INSERTs of a scaled
	// demo are written for (store.Store.Dialect has it). When empty, a
	// scaled demo asks the database.
	Dialect string
	// Progress, if not nil, is called now and then with the rows (teams,
	// users, deals and meetings) written so far and the total. For a
	// scaled demo the total counts the meetings expected; it is never
	// below done, and the last call has done == total.
	Progress func(done, total int)
}

// Summary describes what Seed created.
type Summary struct {
	Organization *ent.Organization
	Teams        int
	Users        int
	Deals        int
	Meetings     int
	// Targets counts the targets of the default demo, made through the
	// workflow in every state it has (a scaled demo has none).
	Targets int
}

// Login is a demo user to sign in as, with DemoPassword.
type Login struct {
	Email string
	Role  user.Role
	// Description says what the login shows, e.g. "manager of the East team".
	Description string
}

// Logins lists the demo logins worth signing in as: the admin, every
// manager and one rep. (Every other rep can sign in too, with the same
// password; their emails are firstname.lastname@demo.kpiflow.test.)
func Logins() []Login {
	var ls []Login
	for _, s := range staff {
		ls = append(ls, Login{Email: s.email, Role: s.role, Description: s.login})
	}
	for _, r := range reps {
		if r.email == repEmail {
			ls = append(ls, Login{
				Email:       r.email,
				Role:        user.RoleRep,
				Description: "a rep of the " + teams[r.team].name + " team",
			})
		}
	}
	return ls
}

// Empty reports whether the database holds no organization at all, the
// condition under which `serve --demo` seeds it.
func Empty(ctx context.Context, client *ent.Client) (bool, error) {
	ctx = viewer.System(ctx)
	exists, err := client.Organization.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	return !exists, nil
}

// Seed creates the demo organization in one transaction of client, which
// must not be transactional itself. It returns ErrExists if an organization
// named OrgName exists already.
func Seed(ctx context.Context, client *ent.Client, o Options) (*Summary, error) {
	if o.Reps > 0 && o.Reps < len(reps) {
		return nil, fmt.Errorf("demo: at least %d reps (the default demo's cast)", len(reps))
	}
	if o.Deals < 0 || o.Meetings < 0 || o.Reps < 0 {
		return nil, fmt.Errorf("demo: %d deals and %d meetings asked for", o.Deals, o.Meetings)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	loc, err := time.LoadLocation(Timezone)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	ctx = viewer.System(ctx) // the generator is kpiflow's own work, not a viewer's

	var (
		p *plan
		s *scale
	)
	if o.Deals > 0 || o.Meetings > 0 || o.Reps > 0 {
		// Without hooks to refuse them, closings and meetings held in the
		// future would be written: refuse the Now that would make them.
		if now.After(time.Now()) {
			return nil, fmt.Errorf("demo: Now %v is in the future", now)
		}
		d, err := dialectOf(ctx, client, o.Dialect)
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		s = newScale(o.Seed, now, loc, o.Reps, o.Deals, o.Meetings, d)
	} else {
		p = newPlan(o.Seed, now, loc)
		// The targets' realism checks run the KPI engine, whose SQL
		// depends on the dialect.
		if o.Dialect, err = dialectOf(ctx, client, o.Dialect); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	// Every demo login has the same password: one hash serves them all.
	hash, err := auth.HashPassword(DemoPassword, auth.DefaultPasswordParams)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	pr := &progress{report: o.Progress}

	// A scaled demo on PostgreSQL copies its deals and meetings with COPY,
	// in the same transaction.
	txCtx, sqlTx := store.CaptureTx(ctx)
	tx, err := client.Tx(txCtx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	var sum *Summary
	if s != nil {
		if s.dialect == dialect.Postgres {
			s.copyTx = sqlTx()
		}
		sum, err = s.write(ctx, tx.Client(), hash, pr)
	} else {
		p.passwordHash = hash
		sum, err = write(ctx, tx.Client(), p, pr)
		if err == nil {
			sum.Targets, err = seedTargets(ent.NewTxContext(ctx, tx), tx.Client(), sum.Organization, now, o.Dialect)
		}
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if errors.Is(err, ErrExists) {
			return nil, err
		}
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	pr.finish()
	// Detach the organization from the finished transaction, so that the
	// caller can query its edges.
	sum.Organization = sum.Organization.Unwrap()
	return sum, nil
}

// progress counts the rows written for Options.Progress.
type progress struct {
	report      func(done, total int)
	done, total int
}

func (p *progress) add(n int) {
	p.done += n
	p.total = max(p.total, p.done)
	if p.report != nil {
		p.report(p.done, p.total)
	}
}

// finish reports the final count, once everything is committed, if it
// differs from the last report's total.
func (p *progress) finish() {
	if p.report != nil && p.total != p.done {
		p.total = p.done
		p.report(p.done, p.total)
	}
}

func write(ctx context.Context, c *ent.Client, p *plan, pr *progress) (*Summary, error) {
	pr.total = len(staff) + len(teams) + len(p.reps) + len(p.deals) + len(p.meetings)
	sum, teamIDs, err := writeCast(ctx, c, p.staff, p.passwordHash, pr)
	if err != nil {
		return nil, err
	}
	org := sum.Organization

	repBuilders := make([]*ent.UserCreate, len(p.reps))
	for i, r := range p.reps {
		repBuilders[i] = c.User.Create().
			SetOrganizationID(org.ID).
			SetEmail(r.email).
			SetName(r.name).
			SetRole(user.RoleRep).
			SetTeamID(teamIDs[r.team]).
			SetPasswordHash(p.passwordHash).
			SetHiredAt(r.hiredAt)
	}
	repUsers, err := c.User.CreateBulk(repBuilders...).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("creating reps: %w", err)
	}
	sum.Users += len(repUsers)
	pr.add(len(repUsers))

	dealIDs := make([]pulid.ID, 0, len(p.deals))
	for lo := 0; lo < len(p.deals); lo += batchSize {
		batch := p.deals[lo:min(lo+batchSize, len(p.deals))]
		bs := make([]*ent.DealCreate, len(batch))
		for i, d := range batch {
			b := c.Deal.Create().
				SetOrganizationID(org.ID).
				SetOwnerID(repUsers[d.rep].ID).
				SetTeamID(teamIDs[p.reps[d.rep].team]).
				SetName(d.name).
				SetCustomerName(d.customer).
				SetAmount(d.amount).
				SetStage(d.stage).
				SetOpenedAt(d.opened)
			if !d.closed.IsZero() {
				b.SetClosedAt(d.closed)
			}
			bs[i] = b
		}
		created, err := c.Deal.CreateBulk(bs...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("creating deals: %w", err)
		}
		for _, d := range created {
			dealIDs = append(dealIDs, d.ID)
		}
		pr.add(len(created))
	}
	sum.Deals = len(dealIDs)

	for lo := 0; lo < len(p.meetings); lo += batchSize {
		batch := p.meetings[lo:min(lo+batchSize, len(p.meetings))]
		bs := make([]*ent.MeetingCreate, len(batch))
		for i, m := range batch {
			b := c.Meeting.Create().
				SetOrganizationID(org.ID).
				SetOwnerID(repUsers[m.rep].ID).
				SetTeamID(teamIDs[p.reps[m.rep].team]).
				SetKind(m.kind).
				SetScheduledAt(m.scheduled).
				SetDurationMinutes(m.minutes).
				SetStatus(m.status)
			if m.deal >= 0 {
				b.SetDealID(dealIDs[m.deal])
			}
			if m.status == meeting.StatusHeld {
				b.SetHeldAt(m.scheduled)
			}
			if m.notes != "" {
				b.SetNotes(m.notes)
			}
			bs[i] = b
		}
		if err := c.Meeting.CreateBulk(bs...).Exec(ctx); err != nil {
			return nil, fmt.Errorf("creating meetings: %w", err)
		}
		sum.Meetings += len(batch)
		pr.add(len(batch))
	}
	return sum, nil
}

// writeCast creates the demo organization and the staff and teams of its
// fixed cast: the admin, the North America region, its three teams and
// their managers. It returns the teams' IDs, indexed like teams.
func writeCast(ctx context.Context, c *ent.Client, staffPlans []personPlan, passwordHash string, pr *progress) (*Summary, []pulid.ID, error) {
	exists, err := c.Organization.Query().Where(organization.Name(OrgName)).Exist(ctx)
	if err != nil {
		return nil, nil, err
	}
	if exists {
		return nil, nil, ErrExists
	}
	org, err := c.Organization.Create().
		SetName(OrgName).
		SetCurrency(Currency).
		SetTimezone(Timezone).
		SetFiscalYearStartMonth(FiscalYearStartMonth).
		Save(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the organization: %w", err)
	}
	sum := &Summary{Organization: org}

	// Managers come first: teams are created with their managers.
	managers := make([][]pulid.ID, len(teams))
	for i, s := range staff {
		u, err := c.User.Create().
			SetOrganizationID(org.ID).
			SetEmail(s.email).
			SetName(s.name).
			SetRole(s.role).
			SetPasswordHash(passwordHash).
			SetHiredAt(staffPlans[i].hiredAt).
			Save(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("creating user %s: %w", s.email, err)
		}
		if s.manages >= 0 {
			managers[s.manages] = append(managers[s.manages], u.ID)
		}
		sum.Users++
	}
	pr.add(len(staff))

	teamIDs := make([]pulid.ID, len(teams))
	for i, s := range teams { // parents precede their children
		b := c.Team.Create().
			SetOrganizationID(org.ID).
			SetName(s.name).
			SetReviewCadence(s.cadence).
			AddManagerIDs(managers[i]...)
		if s.parent >= 0 {
			b.SetParentID(teamIDs[s.parent])
		}
		t, err := b.Save(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("creating team %s: %w", s.name, err)
		}
		teamIDs[i] = t.ID
		sum.Teams++
	}
	pr.add(len(teams))
	return sum, teamIDs, nil
}
