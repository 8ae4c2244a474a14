package kpi

import (
	"errors"
	"fmt"
	"kpiflow/enum"
	"strings"
	"time"
)

// PeriodKind is the length of a period: a fiscal MONTH, QUARTER or YEAR
// (DESIGN.md §5); package enum's, which the database stores and GraphQL
// serves.
type PeriodKind = enum.PeriodKind

// The kinds of period.
const (
	PeriodMonth   = enum.PeriodMonth
	PeriodQuarter = enum.PeriodQuarter
	PeriodYear    = enum.PeriodYear
)

// The fiscal years a Period or a label may name. Four digits keep labels
// fixed-width and unambiguous; nothing kpiflow stores predates 1900.
const (
	MinYear = 1900
	MaxYear = 9999
)

// MaxRangePeriods caps the length of Calendar.Range, so that a client cannot
// ask for thousands of trend points in one request.
const MaxRangePeriods = 500

// ErrInvalidPeriod is wrapped by every error about a malformed label or an
// out-of-range kind, year or index, so callers can report it as bad input.
// The messages name only what the client sent and are safe to show.
var ErrInvalidPeriod = errors.New("invalid period")

// Calendar is an organization's fiscal calendar: the month its fiscal year
// starts and the time zone in which period boundaries fall.
//
// A fiscal year is named by the calendar year in which it ends, the common
// convention: with StartMonth February, FY2027 runs from 1 February 2026 to
// 31 January 2027; with StartMonth January, FY2026 is calendar 2026.
//
// Build one with NewCalendar. A Calendar literal must have StartMonth in
// 1–12 and a non-nil Location; methods panic otherwise.
type Calendar struct {
	StartMonth time.Month
	Location   *time.Location
}

// NewCalendar returns the calendar whose fiscal year starts in startMonth
// (1 = January) in the IANA time zone named timezone, such as
// "America/New_York" or "UTC".
func NewCalendar(startMonth int, timezone string) (Calendar, error) {
	if startMonth < 1 || startMonth > 12 {
		return Calendar{}, fmt.Errorf("fiscal year start month %d is not 1 to 12", startMonth)
	}
	// LoadLocation reads "" as UTC and "Local" as the server's own zone;
	// neither is an organization's zone, and the second would make periods
	// depend on where the server runs.
	if timezone == "" || timezone == "Local" {
		return Calendar{}, fmt.Errorf("%q is not an IANA time zone", timezone)
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return Calendar{}, fmt.Errorf("%q is not an IANA time zone", timezone)
	}
	return Calendar{StartMonth: time.Month(startMonth), Location: loc}, nil
}

// Period is one month, quarter or year of a fiscal calendar: the half-open
// interval [Start, End) in the calendar's zone.
//
// Index numbers the period within its fiscal year: the fiscal month 1–12
// (month 1 is the calendar's StartMonth), the quarter 1–4, or 1 for a year.
// Start and End are in the calendar's Location; convert them to UTC for SQL.
// Periods made by the same Calendar compare equal with == exactly when they
// are the same period.
type Period struct {
	Kind  PeriodKind
	Year  int
	Index int
	Start time.Time
	End   time.Time
}

// Period returns the period of the given kind, fiscal year and index, or an
// error wrapping ErrInvalidPeriod if one of them is out of range.
func (c Calendar) Period(kind PeriodKind, year, index int) (Period, error) {
	if reason := whyInvalid(kind, year, index); reason != "" {
		return Period{}, fmt.Errorf("%w: %s", ErrInvalidPeriod, reason)
	}
	return c.period(kind, year, index), nil
}

// whyInvalid returns why kind, year and index do not name a period, or "".
func whyInvalid(kind PeriodKind, year, index int) string {
	switch {
	case !kind.Valid():
		return fmt.Sprintf("kind %q is not MONTH, QUARTER or YEAR", string(kind))
	case year < MinYear || year > MaxYear:
		return fmt.Sprintf("year %d is not %d to %d", year, MinYear, MaxYear)
	case kind == PeriodYear && index != 1:
		return fmt.Sprintf("the index of a year is 1, not %d", index)
	case index < 1 || index > kind.PerYear():
		return fmt.Sprintf("%s %d is not 1 to %d", strings.ToLower(string(kind)), index, kind.PerYear())
	}
	return ""
}

// Shift returns the period n periods of p's kind after p (before it when n
// is negative), or an error wrapping ErrInvalidPeriod when that falls
// outside MinYear to MaxYear.
func (c Calendar) Shift(p Period, n int) (Period, error) {
	per := p.Kind.PerYear()
	if per == 0 {
		return Period{}, fmt.Errorf("%w: kind %q is not MONTH, QUARTER or YEAR", ErrInvalidPeriod, string(p.Kind))
	}
	i := p.Year*per + p.Index - 1 + n
	year, index := i/per, i%per
	if index < 0 {
		year, index = year-1, index+per
	}
	return c.Period(p.Kind, year, index+1)
}

// period is Period without validation; kind must be valid.
func (c Calendar) period(kind PeriodKind, year, index int) Period {
	first := c.yearStart(year) + (index-1)*kind.Months()
	return Period{
		Kind:  kind,
		Year:  year,
		Index: index,
		Start: monthStart(first, c.loc()),
		End:   monthStart(first+kind.Months(), c.loc()),
	}
}

// yearStart returns the first month of a fiscal year as a month number
// (year*12 + month-1) so that month arithmetic carries into years.
func (c Calendar) yearStart(year int) int {
	m := year*12 + int(c.start()-1)
	if c.start() != time.January {
		// The year is named by its end, so it starts in the previous
		// calendar year unless it starts in January.
		m -= 12
	}
	return m
}

func (c Calendar) start() time.Month {
	if c.StartMonth < time.January || c.StartMonth > time.December {
		panic(fmt.Sprintf("kpi: Calendar with StartMonth %d; use NewCalendar", c.StartMonth))
	}
	return c.StartMonth
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		panic("kpi: Calendar without a Location; use NewCalendar")
	}
	return c.Location
}

// PeriodAt returns the period of the given kind that contains the instant t,
// which may be in any location: what counts is its date in the calendar's
// zone. It panics if kind is not valid; validate kinds from input first.
// The period's year is not limited to MinYear–MaxYear.
func (c Calendar) PeriodAt(kind PeriodKind, t time.Time) Period {
	n := kind.Months()
	if n == 0 {
		panic(fmt.Sprintf("kpi: PeriodAt with kind %q", string(kind)))
	}
	y, m, _ := t.In(c.loc()).Date()
	// Months since the start of the fiscal year, 0–11.
	offset := (int(m) - int(c.start()) + 12) % 12
	first := y*12 + int(m-1) - offset
	// The fiscal year is named by the calendar year of its last month.
	year := floorDiv(first+11, 12)
	return c.period(kind, year, offset/n+1)
}

// monthStart returns the first instant of calendar month m (year*12 +
// month-1) in loc: normally midnight of the 1st. Where a clock change
// skips or repeats that midnight, it is the first instant whose local date
// is in the month, so that the months tile time exactly and the month of an
// instant is always its local date's month.
func monthStart(m int, loc *time.Location) time.Time {
	year := floorDiv(m, 12)
	month := time.Month(m - year*12 + 1)
	before := func(u time.Time) bool {
		y, mo, _ := u.Date()
		return y < year || y == year && mo < month
	}
	t := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	// Where clocks jump from 23:59:59 to 01:00 (America/Asuncion,
	// 1 October 2023), time.Date may return an instant of the day before.
	// Within one zone offset the local clock moves with real time, so the
	// month starts at the next local midnight unless the offset changes
	// first; then look again from the change.
	for before(t) {
		next := t.Add(24*time.Hour - sinceMidnight(t))
		if _, end := t.ZoneBounds(); !end.IsZero() && end.Before(next) {
			next = end
		}
		t = next
	}
	// Where clocks fall back from 01:00 to 00:00 (Asia/Gaza, 1 October
	// 2004), midnight happens twice and time.Date may return the second.
	// Step back, a zone at a time, to the first instant of the month.
	for {
		p := t.Add(-time.Nanosecond)
		if before(p) {
			return t
		}
		prev := p.Add(-sinceMidnight(p))
		if start, _ := p.ZoneBounds(); start.After(prev) {
			prev = start
		}
		t = prev
	}
}

// sinceMidnight returns how far t's local clock is past midnight.
func sinceMidnight(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

// floorDiv is a/b rounded down, so that month numbers before year 0 still
// split into a year and a month 0–11.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Label returns the period's name: "FY2027" for a year, "FY2027 Q1" for a
// quarter, "FY2027 M03" for a month. ParseLabel reads it back.
func (p Period) Label() string {
	switch p.Kind {
	case PeriodYear:
		return fmt.Sprintf("FY%d", p.Year)
	case PeriodQuarter:
		return fmt.Sprintf("FY%d Q%d", p.Year, p.Index)
	case PeriodMonth:
		return fmt.Sprintf("FY%d M%02d", p.Year, p.Index)
	}
	return fmt.Sprintf("FY%d %s %d", p.Year, string(p.Kind), p.Index)
}

// String returns the period's Label.
func (p Period) String() string {
	return p.Label()
}

// ParseLabel returns the period named by a label as Label writes it. It is
// strict so that one period has one spelling: "FY" and exactly four digits,
// then optionally one space and "Q" with one digit 1–4 or "M" with two
// digits 01–12. Letters may be in either case and spaces around the label
// are ignored; anything else ("FY27", "2027 Q1", "FY2027Q1", "FY2027 M3",
// "FY2027  Q1") is an error wrapping ErrInvalidPeriod.
func (c Calendar) ParseLabel(s string) (Period, error) {
	label := strings.TrimSpace(s)
	fail := func(reason string) (Period, error) {
		return Period{}, fmt.Errorf("%w %q: %s", ErrInvalidPeriod, s, reason)
	}
	fy, rest, hasRest := strings.Cut(label, " ")
	if len(fy) != 6 || !strings.EqualFold(fy[:2], "FY") || !digits(fy[2:]) {
		return fail(`want "FY" and a four-digit year, as in "FY2027", "FY2027 Q1" or "FY2027 M03"`)
	}
	year := atoi(fy[2:])
	kind, index := PeriodYear, 1
	if hasRest {
		switch {
		case len(rest) == 2 && (rest[0] == 'Q' || rest[0] == 'q') && digits(rest[1:]):
			kind, index = PeriodQuarter, atoi(rest[1:])
		case len(rest) == 3 && (rest[0] == 'M' || rest[0] == 'm') && digits(rest[1:]):
			kind, index = PeriodMonth, atoi(rest[1:])
		default:
			return fail(`want a quarter "Q1" to "Q4" or a month "M01" to "M12" after the year and one space`)
		}
	}
	if reason := whyInvalid(kind, year, index); reason != "" {
		return fail(reason)
	}
	return c.period(kind, year, index), nil
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi converts a few ASCII digits, already checked, to an int.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// Next returns the period of the same kind that follows p. p must have been
// made by a Calendar.
func (p Period) Next() Period {
	n := p.Kind.Months()
	if n == 0 {
		panic(fmt.Sprintf("kpi: Next of a period of kind %q", string(p.Kind)))
	}
	q := Period{Kind: p.Kind, Year: p.Year, Index: p.Index + 1, Start: p.End}
	if q.Index > p.Kind.PerYear() {
		q.Year, q.Index = p.Year+1, 1
	}
	// End is the first instant of its month, so its local date names it.
	q.End = monthStart(monthOf(p.End)+n, p.End.Location())
	return q
}

// Prev returns the period of the same kind that precedes p. p must have been
// made by a Calendar.
func (p Period) Prev() Period {
	n := p.Kind.Months()
	if n == 0 {
		panic(fmt.Sprintf("kpi: Prev of a period of kind %q", string(p.Kind)))
	}
	q := Period{Kind: p.Kind, Year: p.Year, Index: p.Index - 1, End: p.Start}
	if q.Index < 1 {
		q.Year, q.Index = p.Year-1, p.Kind.PerYear()
	}
	q.Start = monthStart(monthOf(p.Start)-n, p.Start.Location())
	return q
}

// monthOf returns the month number (year*12 + month-1) of t's local date.
func monthOf(t time.Time) int {
	y, m, _ := t.Date()
	return y*12 + int(m-1)
}

// Contains reports whether the instant t is in [p.Start, p.End).
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.Start) && t.Before(p.End)
}

// ElapsedFraction returns how much of p has passed at now, from 0 at or
// before Start to 1 at or after End. It measures real time, so an hour lost
// or gained to a clock change counts as it is lived.
func (p Period) ElapsedFraction(now time.Time) float64 {
	switch {
	case !now.After(p.Start):
		return 0
	case !now.Before(p.End):
		return 1
	}
	return float64(now.Sub(p.Start)) / float64(p.End.Sub(p.Start))
}

// Range returns the periods of kind from the one containing from.Start
// through the one containing to.Start, in order. from and to may be of any
// kind: Range(PeriodMonth, fy2026, fy2026Q2) is the months of FY2026 up to
// and including the first month of its second quarter. It is an error if to
// starts before from, or if the range is longer than MaxRangePeriods or
// reaches outside MinYear–MaxYear.
func (c Calendar) Range(kind PeriodKind, from, to Period) ([]Period, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("%w: kind %q is not MONTH, QUARTER or YEAR", ErrInvalidPeriod, string(kind))
	}
	first, last := c.PeriodAt(kind, from.Start), c.PeriodAt(kind, to.Start)
	for _, p := range []Period{first, last} {
		if p.Year < MinYear || p.Year > MaxYear {
			return nil, fmt.Errorf("%w: year %d is not %d to %d", ErrInvalidPeriod, p.Year, MinYear, MaxYear)
		}
	}
	// Count before building, so that a long range costs nothing.
	count := (last.Year-first.Year)*kind.PerYear() + last.Index - first.Index + 1
	switch {
	case count < 1:
		return nil, fmt.Errorf("%w: range from %s to %s ends before it starts", ErrInvalidPeriod, first.Label(), last.Label())
	case count > MaxRangePeriods:
		return nil, fmt.Errorf("%w: range from %s to %s has %d periods, more than %d",
			ErrInvalidPeriod, first.Label(), last.Label(), count, MaxRangePeriods)
	}
	periods := make([]Period, count)
	periods[0] = first
	for i := 1; i < count; i++ {
		periods[i] = periods[i-1].Next()
	}
	return periods, nil
}
