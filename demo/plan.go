package demo

import (
	"math"
	"math/rand/v2"
	"time"

	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
)

// The plan is the whole demo data set, generated in memory from the seed
// before anything is written, so that it depends on nothing but the seed
// and Now: not on IDs, map order or the database.

const (
	// pcgStream derives the PCG's second word from the seed.
	pcgStream = 0x9e3779b97f4a7c15

	historyMonths = 12
	// Sales cycles are drawn in whole days within these bounds.
	minCycleDays = 15
	maxCycleDays = 120
	// openLookbackDays bounds how old a still-open deal may be: a little
	// more than the longest cycle.
	openLookbackDays = 150
	// futureDays is how many business days ahead meetings are scheduled.
	futureDays = 10
	// rampMonths is how long a new hire takes to reach full productivity.
	rampMonths = 4.0
)

type plan struct {
	reps     []repPlan
	staff    []personPlan
	deals    []dealPlan
	meetings []meetingPlan
	// passwordHash is the hash of DemoPassword, set by Seed: it is salted,
	// so it is not part of the deterministic plan.
	passwordHash string
}

type personPlan struct {
	hiredAt time.Time
}

type repPlan struct {
	repSpec
	hiredDay time.Time // local midnight of the first working day
	hiredAt  time.Time
	skill    float64
	// closeRate is the expected number of deals closed (won or lost) per
	// business day at full productivity and neutral season.
	closeRate float64
	winRate   float64
	// medianAmount is the rep's typical deal size, in dollars.
	medianAmount float64
}

type dealPlan struct {
	rep      int
	name     string
	customer string
	amount   int64 // minor units (cents)
	stage    deal.Stage
	opened   time.Time
	closed   time.Time // zero while the deal is open
}

type meetingPlan struct {
	rep       int
	deal      int // index into plan.deals, -1 for a prospecting meeting
	kind      meeting.Kind
	scheduled time.Time
	minutes   int
	status    meeting.Status
	notes     string
}

type generator struct {
	// r draws the deals and mr the meetings. They are one generator in the
	// default demo; a scaled demo gives each rep two streams, so that its
	// deals do not depend on how many meetings are asked for (see scale.go).
	r, mr *rand.Rand
	// prospectFactor scales the rate of prospecting meetings, and keep is the
	// share of a deal's meetings that are recorded: both 1 in the default
	// demo, tuned by a scaled demo to the number of meetings asked for.
	prospectFactor, keep float64
	// dealFactor scales the reps' rates of deals: 1 but in a scaled demo
	// whose reps and deals are both given.
	dealFactor float64
	// hiredFirst makes deals opened on the owner's first day open no
	// earlier than the hour the owner was hired, as a scaled demo's do.
	// The default demo predates it and keeps its data, where for many
	// seeds a deal is opened at 8 on its owner's first day, before 9.
	hiredFirst bool
	loc        *time.Location
	today      time.Time // local midnight of Now's date
	// History lies in [start, today) and the future in the business days
	// after today: nothing happens on Now's own date, so that nothing
	// past is after Now and nothing scheduled is before it.
	start time.Time
	plan
}

func newPlan(seed uint64, now time.Time, loc *time.Location) *plan {
	g := newGenerator(now, loc)
	g.r = rand.New(rand.NewPCG(seed, seed^pcgStream))
	g.mr = g.r
	g.staff = g.staffPlans()
	for _, s := range reps {
		g.reps = append(g.reps, g.newRep(s))
	}
	for i := range g.reps {
		g.activity(i)
	}
	return &g.plan
}

// newGenerator returns a generator for Now in loc with the default rates
// and no random streams yet.
func newGenerator(now time.Time, loc *time.Location) *generator {
	g := &generator{prospectFactor: 1, keep: 1, dealFactor: 1, loc: loc, today: midnight(now.In(loc))}
	g.start = g.today.AddDate(0, -historyMonths, 0)
	return g
}

// activity generates the deals and meetings of rep ri.
func (g *generator) activity(ri int) {
	g.closedDeals(ri)
	g.openDeals(ri)
	g.prospecting(ri)
}

// staffPlans are the staff's hiring times; staff have no random part.
func (g *generator) staffPlans() []personPlan {
	var ps []personPlan
	for _, s := range staff {
		ps = append(ps, personPlan{hiredAt: at(g.hireDay(s.tenureDays), 9, 0)})
	}
	return ps
}

func (g *generator) hireDay(tenureDays int) time.Time {
	return nextBusinessDay(addDays(g.today, -tenureDays))
}

func (g *generator) newRep(s repSpec) repPlan {
	tenure := s.tenureDays + g.r.IntN(11) - 5
	skill := clamp(s.skill+(g.r.Float64()-0.5)*0.1, 0, 1)
	day := g.hireDay(tenure)
	return repPlan{
		repSpec:      s,
		hiredDay:     day,
		hiredAt:      at(day, 9, 0),
		skill:        skill,
		closeRate:    0.2 * (0.85 + 0.3*skill) * g.dealFactor,
		winRate:      clamp(0.2+0.2*skill+g.r.NormFloat64()*0.02, 0.18, 0.42),
		medianAmount: 9000 * (1 + 3.2*skill),
	}
}

// ramp is the rep's productivity on day d, from a quarter on the first day
// to full after rampMonths.
func (p *repPlan) ramp(d time.Time) float64 {
	if d.Before(p.hiredDay) {
		return 0
	}
	months := float64(daysBetween(p.hiredDay, d)) / 30.4
	return math.Min(1, 0.25+0.75*months/rampMonths)
}

// season is how much more (or less) than usual closes on day d, for an
// organization whose fiscal year starts in February: a push at the end of
// every fiscal quarter, a stronger fiscal Q4 (November to January), a summer
// dip and a quiet last week of December.
func season(d time.Time) float64 {
	f := 1.0
	if fiscalMonth(d)%3 == 0 {
		f *= 1.35
		if quarterEndPush(d) {
			f *= 1.6
		}
	}
	if fiscalMonth(d) >= 10 {
		f *= 1.25
	}
	switch d.Month() {
	case time.June, time.August:
		f *= 0.7
	case time.July:
		f *= 0.75
	case time.December:
		if d.Day() >= 23 {
			f *= 0.4
		}
	}
	return f
}

// fiscalMonth is d's month of the fiscal year, from 1 (February) to 12
// (January).
func fiscalMonth(d time.Time) int {
	return (int(d.Month())-FiscalYearStartMonth+12)%12 + 1
}

// quarterEndPush tells whether d is in the last two weeks or so of a fiscal
// quarter, when reps push deals over the line.
func quarterEndPush(d time.Time) bool { return fiscalMonth(d)%3 == 0 && d.Day() >= 18 }

// closedDeals generates the rep's deals that were won or lost in the
// history, by closing day: closings are what the KPIs and their
// seasonality are about, so they are drawn first and the cycle backwards.
func (g *generator) closedDeals(ri int) {
	rp := &g.reps[ri]
	for d := g.start; d.Before(g.today); d = addDays(d, 1) {
		if weekend(d) || d.Before(rp.hiredDay) {
			continue
		}
		ramp := rp.ramp(d)
		for range poisson(g.r, rp.closeRate*season(d)*ramp) {
			g.closedDeal(ri, d, ramp)
		}
	}
}

func (g *generator) closedDeal(ri int, closeDay time.Time, ramp float64) {
	rp := &g.reps[ri]
	winP := rp.winRate * (0.85 + 0.15*ramp)
	if quarterEndPush(closeDay) {
		winP += 0.05 // end-of-quarter discounts
	}
	won := g.r.Float64() < winP
	amount := g.amount(rp, ramp)
	cycle := g.cycle(rp, amount, ramp)
	lostAfter := 0 // meetings of the ladder held before a deal was lost
	if !won {
		lostAfter = pick(g.r, []float64{0.35, 0.35, 0.2, 0.1}) + 1
		cycle *= 0.55 + 0.15*float64(lostAfter) // most losses are early disqualifications
	}
	days := clampInt(int(math.Round(cycle)), minCycleDays, maxCycleDays)
	openDay := prevBusinessDay(addDays(closeDay, -days))
	if daysBetween(openDay, closeDay) > maxCycleDays {
		openDay = nextBusinessDay(addDays(closeDay, -days))
	}
	if openDay.Before(rp.hiredDay) {
		openDay = rp.hiredDay
	}
	if daysBetween(openDay, closeDay) < minCycleDays {
		return // a new hire's pipeline is too young to close
	}
	dp := dealPlan{
		rep:    ri,
		amount: amount,
		stage:  deal.StageLost,
		opened: at(openDay, 8+g.r.IntN(9), g.r.IntN(60)),
		closed: at(closeDay, 10+g.r.IntN(8), g.r.IntN(60)),
	}
	if won {
		dp.stage = deal.StageWon
	}
	g.openAfterHire(&dp)
	g.name(&dp)
	di := len(g.deals)
	g.deals = append(g.deals, dp)

	var kinds []meeting.Kind
	if won {
		kinds = append(kinds, meeting.KindDiscovery, meeting.KindDemo)
		if g.mr.Float64() < 0.25 {
			kinds = append(kinds, meeting.KindDemo) // a technical deep-dive
		}
		kinds = append(kinds, meeting.KindProposal, meeting.KindNegotiation)
		if g.mr.Float64() < 0.5 {
			kinds = append(kinds, meeting.KindFollowUp)
		}
	} else {
		kinds = append(kinds, ladder[:lostAfter]...)
		if g.mr.Float64() < 0.3 {
			kinds = append(kinds, meeting.KindFollowUp) // the "we went another way" call
		}
	}
	g.dealMeetings(ri, di, kinds, dp.opened, dp.closed, !won, false)
}

// openDeals generates the rep's current pipeline: deals opened lately
// whose cycle has not ended yet, at a stage that matches their progress.
func (g *generator) openDeals(ri int) {
	rp := &g.reps[ri]
	// Deals are opened at the rate they close on average over the year.
	const meanSeason = 1.2
	for d := addDays(g.today, -openLookbackDays); d.Before(g.today); d = addDays(d, 1) {
		if weekend(d) || d.Before(rp.hiredDay) {
			continue
		}
		ramp := rp.ramp(d)
		for range poisson(g.r, rp.closeRate*meanSeason*ramp) {
			amount := g.amount(rp, ramp)
			cycle := g.cycle(rp, amount, ramp)
			age := daysBetween(d, g.today)
			if float64(age) >= cycle {
				continue // it would have closed: closedDeals stands for it
			}
			s := clampInt(int(float64(age)/cycle*4+g.r.NormFloat64()*0.4), 0, 3)
			if age < 3 {
				s = 0
			}
			dp := dealPlan{
				rep:    ri,
				amount: amount,
				stage:  []deal.Stage{deal.StageProspecting, deal.StageQualified, deal.StageProposal, deal.StageNegotiation}[s],
				opened: at(d, 8+g.r.IntN(9), g.r.IntN(60)),
			}
			g.openAfterHire(&dp)
			g.name(&dp)
			di := len(g.deals)
			g.deals = append(g.deals, dp)

			held := ladder[:s]
			if s >= 2 && g.mr.Float64() < 0.5 {
				held = ladder[:s+1] // the stage's own meeting already took place
			}
			g.dealMeetings(ri, di, held, dp.opened, g.today.Add(-time.Minute), false, true)
			if g.mr.Float64() < 0.65 {
				next := meeting.KindFollowUp
				if len(held) < len(ladder) {
					next = ladder[len(held)]
				}
				g.addFuture(ri, di, next)
			}
		}
	}
}

// dealMeetings spreads a deal's meetings over [lo, hi]. Some are cancelled
// or missed and then rescheduled; a lost deal's last meeting is sometimes a
// no-show, never rescheduled. The replacement for a missed meeting of an
// open deal may fall after today, when it is still to come.
func (g *generator) dealMeetings(ri, di int, kinds []meeting.Kind, lo, hi time.Time, lost, open bool) {
	n := len(kinds)
	for i, k := range kinds {
		frac := (float64(i) + 0.15 + 0.7*g.mr.Float64()) / float64(n)
		t := g.slotNear(lo.Add(time.Duration(frac*float64(hi.Sub(lo)))), lo, hi)
		if lost && i == n-1 && g.mr.Float64() < 0.2 {
			g.addPast(ri, di, k, t, meeting.StatusNoShow)
			continue
		}
		status := g.pastStatus(0.05, 0.03)
		g.addPast(ri, di, k, t, status)
		if status == meeting.StatusHeld {
			continue
		}
		retry := nextBusinessDay(addDays(midnight(t), 1+g.mr.IntN(3)))
		switch {
		case open && !retry.Before(g.today):
			g.addFuture(ri, di, k)
		case at(retry, 17, 0).After(hi):
			g.addPast(ri, di, k, g.slotNear(t.Add(hi.Sub(t)/2), t, hi), meeting.StatusHeld)
		default:
			g.addPast(ri, di, k, g.slotNear(retry, t, hi), meeting.StatusHeld)
		}
	}
}

// prospecting generates meetings with no deal yet: first calls and
// check-ins. New hires prospect the hardest, to build their pipeline.
func (g *generator) prospecting(ri int) {
	rp := &g.reps[ri]
	for d := g.start; d.Before(g.today); d = addDays(d, 1) {
		if weekend(d) || d.Before(rp.hiredDay) {
			continue
		}
		rate := 0.16
		if rp.ramp(d) < 1 {
			rate *= 2
		}
		if m := d.Month(); m >= time.June && m <= time.August {
			rate *= 0.75
		}
		for range poisson(g.mr, rate*g.prospectFactor) {
			g.addPast(ri, -1, g.prospectKind(), g.slot(d), g.pastStatus(0.06, 0.07))
		}
	}
	for range poisson(g.mr, 0.2*futureDays*g.prospectFactor) {
		g.addFuture(ri, -1, g.prospectKind())
	}
}

func (g *generator) prospectKind() meeting.Kind {
	if g.mr.Float64() < 0.8 {
		return meeting.KindDiscovery
	}
	return meeting.KindFollowUp
}

func (g *generator) pastStatus(cancelled, noShow float64) meeting.Status {
	switch u := g.mr.Float64(); {
	case u < cancelled:
		return meeting.StatusCancelled
	case u < cancelled+noShow:
		return meeting.StatusNoShow
	}
	return meeting.StatusHeld
}

func (g *generator) addPast(ri, di int, k meeting.Kind, t time.Time, status meeting.Status) {
	if !g.recorded(di) {
		return
	}
	m := meetingPlan{rep: ri, deal: di, kind: k, scheduled: t, minutes: g.duration(k), status: status}
	if status == meeting.StatusHeld && g.mr.Float64() < 0.35 {
		m.notes = choose(g.mr, notes[k])
	}
	g.meetings = append(g.meetings, m)
}

// addFuture schedules a meeting in the next futureDays business days.
func (g *generator) addFuture(ri, di int, k meeting.Kind) {
	if !g.recorded(di) {
		return
	}
	d := g.today
	for n := 1 + g.mr.IntN(futureDays); n > 0; n-- {
		d = nextBusinessDay(addDays(d, 1))
	}
	g.meetings = append(g.meetings, meetingPlan{
		rep: ri, deal: di, kind: k, scheduled: g.slot(d), minutes: g.duration(k),
		status: meeting.StatusScheduled,
	})
}

// recorded draws whether a meeting of deal di (-1 for none) is kept, when
// a scaled demo records only some of the deals' meetings: the ones the rep
// never logged. It draws nothing when every meeting is kept, as in the
// default demo.
func (g *generator) recorded(di int) bool {
	return di < 0 || g.keep >= 1 || g.mr.Float64() < g.keep
}

// slot is a meeting start on day d during business hours.
func (g *generator) slot(d time.Time) time.Time {
	return at(d, 9+g.mr.IntN(8), 30*g.mr.IntN(2))
}

// slotNear is a business-hours slot on t's working day or one next to it,
// else the first business hour in [lo, hi], else (for a span within one
// night) t itself.
func (g *generator) slotNear(t, lo, hi time.Time) time.Time {
	d := prevBusinessDay(midnight(t.In(g.loc)))
	for _, day := range []time.Time{d, prevBusinessDay(addDays(d, -1)), nextBusinessDay(addDays(d, 1))} {
		if s := g.slot(day); !s.Before(lo) && !s.After(hi) {
			return s
		}
	}
	for day := midnight(lo); !day.After(hi); day = addDays(day, 1) {
		for h := 9; h < 17 && !weekend(day); h++ {
			if s := at(day, h, 0); !s.Before(lo) && !s.After(hi) {
				return s
			}
		}
	}
	if s := t.Truncate(time.Minute); !s.Before(lo) {
		return s
	}
	return lo
}

func (g *generator) duration(k meeting.Kind) int { return choose(g.mr, durations[k]) }

// amount draws a deal size in cents: log-normal around the rep's median,
// smaller while ramping, in whole tens of dollars.
func (g *generator) amount(rp *repPlan, ramp float64) int64 {
	dollars := rp.medianAmount * math.Exp(0.5*g.r.NormFloat64()) * (0.7 + 0.3*ramp)
	dollars = clamp(dollars, 2000, 250_000)
	return int64(math.Round(dollars/10)) * 10 * 100
}

// cycle draws a sales-cycle length in days: skilled reps close faster and
// bigger deals take longer. A new hire's first deals are the quick ones
// (inbound leads, small add-ons), or a ramping rep would close nothing.
func (g *generator) cycle(rp *repPlan, amount int64, ramp float64) float64 {
	size := float64(amount) / 100 / rp.medianAmount
	median := 50 * (1.25 - 0.5*rp.skill) * math.Pow(size, 0.25) * (0.5 + 0.5*ramp)
	return median * math.Exp(0.4*g.r.NormFloat64())
}

// openAfterHire moves the opening of a deal opened before its owner was
// hired, on the first day, to the hour of hiring, if g.hiredFirst.
func (g *generator) openAfterHire(dp *dealPlan) {
	if hired := g.reps[dp.rep].hiredAt; g.hiredFirst && dp.opened.Before(hired) {
		dp.opened = hired
	}
}

func (g *generator) name(dp *dealPlan) {
	dp.customer = choose(g.r, customerPrefixes) + " " + choose(g.r, customerSuffixes)
	dp.name = dp.customer + " - " + choose(g.r, products)
}

// poisson draws from a Poisson distribution (Knuth's method, fine for the
// small means used here).
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	limit, p, n := math.Exp(-mean), 1.0, 0
	for {
		p *= r.Float64()
		if p <= limit {
			return n
		}
		n++
	}
}

// pick returns an index drawn with the given weights.
func pick(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	u := r.Float64() * total
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

func choose[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Calendar helpers. Days are local midnights in the organization's zone;
// time.Date normalizes across DST changes and month ends.

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func at(day time.Time, hour, minute int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, day.Location())
}

func addDays(day time.Time, n int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+n, 0, 0, 0, 0, day.Location())
}

// daysBetween counts calendar days; rounding absorbs 23- and 25-hour days.
func daysBetween(a, b time.Time) int { return int(math.Round(b.Sub(a).Hours() / 24)) }

func weekend(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }

func nextBusinessDay(d time.Time) time.Time {
	for weekend(d) {
		d = addDays(d, 1)
	}
	return d
}

func prevBusinessDay(d time.Time) time.Time {
	for weekend(d) {
		d = addDays(d, -1)
	}
	return d
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func clampInt(x, lo, hi int) int { return max(lo, min(hi, x)) }
