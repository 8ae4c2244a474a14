// Package definition describes how a KPI is computed, as data: an aggregate
// (COUNT, SUM or AVG over deals or meetings, with filters, in a period by
// one of their dates) or the RATIO of two aggregates (DESIGN.md §4). The
// built-in KPIs are written in the same form, so one engine computes all.
//
// It is a leaf package: the ent schema stores a Definition as JSON, and
// package kpi evaluates it.
package definition

import (
	"fmt"
	"regexp"
)

// Unit is what a KPI's value measures.
type Unit string

// The units of DESIGN.md §3.
const (
	Count   Unit = "COUNT"
	Money   Unit = "MONEY"
	Days    Unit = "DAYS"
	Percent Unit = "PERCENT"
)

// Units lists the units in their documented order.
var Units = []Unit{Count, Money, Days, Percent}

// Direction says whether more is better.
type Direction string

// The directions of DESIGN.md §3.
const (
	HigherIsBetter Direction = "HIGHER_IS_BETTER"
	LowerIsBetter  Direction = "LOWER_IS_BETTER"
)

// Source is the record an aggregate reads.
type Source string

// Sources.
const (
	Deals    Source = "DEALS"
	Meetings Source = "MEETINGS"
)

// Function is an aggregate function.
type Function string

// Functions.
const (
	CountOf Function = "COUNT"
	SumOf   Function = "SUM"
	AvgOf   Function = "AVG"
)

// Field is a numeric field that SUM and AVG read.
type Field string

// Fields, by source.
const (
	Amount          Field = "AMOUNT"           // deals, minor units
	CycleDays       Field = "CYCLE_DAYS"       // deals, from opened to closed
	DurationMinutes Field = "DURATION_MINUTES" // meetings
)

// DateField is the date that places a row in a period.
type DateField string

// Date fields, by source.
const (
	ClosedAt    DateField = "CLOSED_AT"    // deals (the default)
	OpenedAt    DateField = "OPENED_AT"    // deals
	HeldAt      DateField = "HELD_AT"      // meetings (the default)
	ScheduledAt DateField = "SCHEDULED_AT" // meetings
)

// Filter narrows the rows of an aggregate. Empty lists match everything.
type Filter struct {
	// DealStages keeps the deals in these stages; on meetings, the
	// meetings whose deal is in these stages now (a meeting of no deal
	// matches none): of the meetings held, those whose deal was won.
	DealStages      []string `json:"dealStages,omitempty"`
	MeetingKinds    []string `json:"meetingKinds,omitempty"`
	MeetingStatuses []string `json:"meetingStatuses,omitempty"`
	// AmountMin and AmountMax bound a deal's amount, in minor units,
	// inclusively.
	AmountMin *int64 `json:"amountMin,omitempty"`
	AmountMax *int64 `json:"amountMax,omitempty"`
}

// Aggregate is COUNT, SUM or AVG over deals or meetings in a period.
type Aggregate struct {
	Source   Source    `json:"source"`
	Function Function  `json:"function"`
	Field    Field     `json:"field,omitempty"` // for SUM and AVG
	Date     DateField `json:"date,omitempty"`  // default: CLOSED_AT or HELD_AT
	Filter   Filter    `json:"filter"`
}

// Definition is an aggregate, or the ratio of two.
type Definition struct {
	// Aggregate is set for a plain aggregate.
	Aggregate *Aggregate `json:"aggregate,omitempty"`
	// Numerator and Denominator are set for a ratio.
	Numerator   *Aggregate `json:"numerator,omitempty"`
	Denominator *Aggregate `json:"denominator,omitempty"`
}

// IsRatio reports whether the definition is a ratio.
func (d Definition) IsRatio() bool { return d.Numerator != nil }

// Parts returns the aggregates the definition reads.
func (d Definition) Parts() []*Aggregate {
	if d.IsRatio() {
		return []*Aggregate{d.Numerator, d.Denominator}
	}
	return []*Aggregate{d.Aggregate}
}

// DateOf returns the aggregate's date field, defaulted.
func (a Aggregate) DateOf() DateField {
	if a.Date != "" {
		return a.Date
	}
	if a.Source == Meetings {
		return HeldAt
	}
	return ClosedAt
}

// Additive reports whether values of the definition add up across scopes
// and periods (counts and sums do; averages and ratios do not).
func (d Definition) Additive() bool {
	return !d.IsRatio() && d.Aggregate.Function != AvgOf
}

// Error is an invalid definition; Field names the part at fault.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

func bad(field, format string, args ...any) error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	dealStages      = set("PROSPECTING", "QUALIFIED", "PROPOSAL", "NEGOTIATION", "WON", "LOST")
	meetingKinds    = set("DISCOVERY", "DEMO", "PROPOSAL", "NEGOTIATION", "FOLLOW_UP")
	meetingStatuses = set("SCHEDULED", "HELD", "CANCELLED", "NO_SHOW")
	keyPattern      = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)
)

func set(vs ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// ValidKey reports whether s may be a KPI's key: upper-case letters,
// digits and underscores, starting with a letter, 2–64 characters.
func ValidKey(s string) bool { return keyPattern.MatchString(s) }

// Validate checks a definition against the unit of its KPI: an aggregate
// of the right source, function, field and filters; a ratio of two
// different aggregates, whose unit is PERCENT, MONEY or DAYS per their parts.
func (d Definition) Validate(unit Unit) error {
	switch {
	case d.Aggregate != nil && (d.Numerator != nil || d.Denominator != nil):
		return bad("definition", "give an aggregate, or a numerator and a denominator, not both")
	case d.Aggregate != nil:
		if err := d.Aggregate.validate("definition.aggregate"); err != nil {
			return err
		}
		return checkUnit(unit, *d.Aggregate)
	case d.Numerator != nil && d.Denominator != nil:
		if err := d.Numerator.validate("definition.numerator"); err != nil {
			return err
		}
		if err := d.Denominator.validate("definition.denominator"); err != nil {
			return err
		}
		if d.Numerator.same(*d.Denominator) {
			return bad("definition.denominator", "a ratio of an aggregate to itself is always 1")
		}
		if d.Denominator.Function != CountOf && d.Denominator.Function != SumOf {
			return bad("definition.denominator", "must be a COUNT or a SUM")
		}
		if d.Numerator.Function == AvgOf {
			return bad("definition.numerator", "must be a COUNT or a SUM")
		}
		switch unit {
		case Percent:
		case Money:
			if d.Numerator.Field != Amount || d.Denominator.Function != CountOf {
				return bad("unit", "a MONEY ratio is an amount per count, such as revenue per deal")
			}
		case Days:
			if d.Numerator.Field != CycleDays || d.Denominator.Function != CountOf {
				return bad("unit", "a DAYS ratio is cycle days per count")
			}
		default:
			return bad("unit", "unknown unit %q", unit)
		}
		return nil
	}
	return bad("definition", "give an aggregate, or a numerator and a denominator")
}

func checkUnit(unit Unit, a Aggregate) error {
	want := Count
	switch a.Field {
	case Amount:
		want = Money
	case CycleDays:
		want = Days
	case DurationMinutes:
		want = Count // a sum of minutes is a count of minutes
	}
	if a.Function == CountOf {
		want = Count
	}
	if unit != want {
		return bad("unit", "%s of %s is measured in %s, not %s", a.Function, orRows(a.Field), want, unit)
	}
	return nil
}

func orRows(f Field) string {
	if f == "" {
		return "rows"
	}
	return string(f)
}

func (a Aggregate) validate(path string) error {
	switch a.Source {
	case Deals, Meetings:
	default:
		return bad(path+".source", "must be DEALS or MEETINGS")
	}
	switch a.Function {
	case CountOf:
		if a.Field != "" {
			return bad(path+".field", "COUNT counts rows: give no field")
		}
	case SumOf, AvgOf:
		switch {
		case a.Source == Deals && (a.Field == Amount || a.Field == CycleDays):
		case a.Source == Meetings && a.Field == DurationMinutes && a.Function == AvgOf:
			// COUNT values are whole numbers; an average of minutes is not.
			return bad(path+".function", "meeting minutes are summed (a COUNT of minutes), not averaged")
		case a.Source == Meetings && a.Field == DurationMinutes:
		case a.Source == Meetings:
			return bad(path+".field", "meetings have one numeric field: DURATION_MINUTES")
		default:
			return bad(path+".field", "deals have two numeric fields: AMOUNT and CYCLE_DAYS")
		}
	default:
		return bad(path+".function", "must be COUNT, SUM or AVG")
	}
	switch a.DateOf() {
	case ClosedAt, OpenedAt:
		if a.Source != Deals {
			return bad(path+".date", "meetings are placed in periods by HELD_AT or SCHEDULED_AT")
		}
	case HeldAt, ScheduledAt:
		if a.Source != Meetings {
			return bad(path+".date", "deals are placed in periods by CLOSED_AT or OPENED_AT")
		}
	default:
		return bad(path+".date", "unknown date %q", a.Date)
	}
	f := a.Filter
	if a.Source == Deals && len(f.MeetingKinds) > 0 {
		return bad(path+".filter.meetingKinds", "meeting kinds filter meetings, not deals")
	}
	if a.Source == Deals && len(f.MeetingStatuses) > 0 {
		return bad(path+".filter.meetingStatuses", "meeting statuses filter meetings, not deals")
	}
	if a.Source == Meetings && f.AmountMin != nil {
		return bad(path+".filter.amountMin", "amounts filter deals, not meetings (meetings filter by their deal's stage)")
	}
	if a.Source == Meetings && f.AmountMax != nil {
		return bad(path+".filter.amountMax", "amounts filter deals, not meetings (meetings filter by their deal's stage)")
	}
	for _, s := range f.DealStages {
		if !dealStages[s] {
			return bad(path+".filter.dealStages", "unknown deal stage %q", s)
		}
	}
	for _, k := range f.MeetingKinds {
		if !meetingKinds[k] {
			return bad(path+".filter.meetingKinds", "unknown meeting kind %q", k)
		}
	}
	for _, s := range f.MeetingStatuses {
		if !meetingStatuses[s] {
			return bad(path+".filter.meetingStatuses", "unknown meeting status %q", s)
		}
	}
	if (f.AmountMin != nil && *f.AmountMin < 0) || (f.AmountMax != nil && *f.AmountMax < 0) {
		return bad(path+".filter", "amounts are not negative")
	}
	if f.AmountMin != nil && f.AmountMax != nil && *f.AmountMin > *f.AmountMax {
		return bad(path+".filter.amountMax", "is below amountMin")
	}
	return nil
}

func (a Aggregate) same(b Aggregate) bool {
	return a.Source == b.Source && a.Function == b.Function && a.Field == b.Field && a.DateOf() == b.DateOf() &&
		equalStrings(a.Filter.DealStages, b.Filter.DealStages) && equalStrings(a.Filter.MeetingKinds, b.Filter.MeetingKinds) &&
		equalStrings(a.Filter.MeetingStatuses, b.Filter.MeetingStatuses) &&
		equalPtr(a.Filter.AmountMin, b.Filter.AmountMin) && equalPtr(a.Filter.AmountMax, b.Filter.AmountMax)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := set(a...)
	for _, s := range b {
		if !in[s] {
			return false
		}
	}
	return true
}

func equalPtr(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// Values and the GraphQL marshaling of the enumerations: ent stores Unit
// and Direction as enums, and GraphQL shows them all as enums.

// Values implements ent's EnumValues.
func (Unit) Values() []string { return []string{"COUNT", "MONEY", "DAYS", "PERCENT"} }

// Values implements ent's EnumValues.
func (Direction) Values() []string { return []string{"HIGHER_IS_BETTER", "LOWER_IS_BETTER"} }

// SameAggregate reports whether two aggregates count or sum the same rows
// the same way: the same source, function, field and date (defaulted), and
// the same filters, each list compared as a set. It is how a ratio's
// numerator and denominator are matched with the KPIs defined by them.
func SameAggregate(a, b Aggregate) bool {
	if a.Source != b.Source || a.Function != b.Function || a.DateOf() != b.DateOf() {
		return false
	}
	if a.Function != CountOf && a.Field != b.Field {
		return false
	}
	same := func(x, y []string) bool {
		set := map[string]bool{}
		for _, s := range x {
			set[s] = true
		}
		other := map[string]bool{}
		for _, s := range y {
			if !set[s] {
				return false
			}
			other[s] = true
		}
		return len(set) == len(other)
	}
	bound := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	f, g := a.Filter, b.Filter
	return same(f.DealStages, g.DealStages) && same(f.MeetingKinds, g.MeetingKinds) &&
		same(f.MeetingStatuses, g.MeetingStatuses) && bound(f.AmountMin, g.AmountMin) && bound(f.AmountMax, g.AmountMax)
}
