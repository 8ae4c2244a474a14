package kpi

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // so that the zones below load on machines without a zone database
)

func mustCalendar(t testing.TB, startMonth int, zone string) Calendar {
	t.Helper()
	c, err := NewCalendar(startMonth, zone)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// instant parses an RFC 3339 instant written in the test.
func instant(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// local parses a wall-clock time ("2026-05-01" or "2026-05-01T12:00:00")
// written in the test, in loc.
func local(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	layout := "2006-01-02T15:04:05.999999999"
	if len(s) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	v, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var kinds = []PeriodKind{PeriodMonth, PeriodQuarter, PeriodYear}

func TestNewCalendar(t *testing.T) {
	for _, tc := range []struct {
		start   int
		zone    string
		wantErr bool
	}{
		{1, "UTC", false},
		{2, "America/New_York", false},
		{12, "Pacific/Chatham", false},
		{0, "UTC", true},
		{13, "UTC", true},
		{-1, "UTC", true},
		{1, "", true},
		{1, "Local", true},
		{1, "Mars/Olympus_Mons", true},
		{1, "america/new_york ", true},
	} {
		c, err := NewCalendar(tc.start, tc.zone)
		if (err != nil) != tc.wantErr {
			t.Errorf("NewCalendar(%d, %q) error = %v, want error %v", tc.start, tc.zone, err, tc.wantErr)
			continue
		}
		if err == nil && (int(c.StartMonth) != tc.start || c.Location.String() != tc.zone) {
			t.Errorf("NewCalendar(%d, %q) = %v/%v", tc.start, tc.zone, c.StartMonth, c.Location)
		}
	}
}

// TestPeriodAtEveryStartMonth checks, for each fiscal start month, the year,
// quarter and month containing three instants (wall times in New York).
func TestPeriodAtEveryStartMonth(t *testing.T) {
	type want struct{ label, start, end string }
	for _, tc := range []struct {
		startMonth           int
		at                   string
		year, quarter, month want
	}{
		// Mid-May 2026.
		{1, "2026-05-15T12:00:00", want{"FY2026", "2026-01-01", "2027-01-01"}, want{"FY2026 Q2", "2026-04-01", "2026-07-01"}, want{"FY2026 M05", "2026-05-01", "2026-06-01"}},
		{2, "2026-05-15T12:00:00", want{"FY2027", "2026-02-01", "2027-02-01"}, want{"FY2027 Q2", "2026-05-01", "2026-08-01"}, want{"FY2027 M04", "2026-05-01", "2026-06-01"}},
		{3, "2026-05-15T12:00:00", want{"FY2027", "2026-03-01", "2027-03-01"}, want{"FY2027 Q1", "2026-03-01", "2026-06-01"}, want{"FY2027 M03", "2026-05-01", "2026-06-01"}},
		{4, "2026-05-15T12:00:00", want{"FY2027", "2026-04-01", "2027-04-01"}, want{"FY2027 Q1", "2026-04-01", "2026-07-01"}, want{"FY2027 M02", "2026-05-01", "2026-06-01"}},
		{5, "2026-05-15T12:00:00", want{"FY2027", "2026-05-01", "2027-05-01"}, want{"FY2027 Q1", "2026-05-01", "2026-08-01"}, want{"FY2027 M01", "2026-05-01", "2026-06-01"}},
		{6, "2026-05-15T12:00:00", want{"FY2026", "2025-06-01", "2026-06-01"}, want{"FY2026 Q4", "2026-03-01", "2026-06-01"}, want{"FY2026 M12", "2026-05-01", "2026-06-01"}},
		{7, "2026-05-15T12:00:00", want{"FY2026", "2025-07-01", "2026-07-01"}, want{"FY2026 Q4", "2026-04-01", "2026-07-01"}, want{"FY2026 M11", "2026-05-01", "2026-06-01"}},
		{8, "2026-05-15T12:00:00", want{"FY2026", "2025-08-01", "2026-08-01"}, want{"FY2026 Q4", "2026-05-01", "2026-08-01"}, want{"FY2026 M10", "2026-05-01", "2026-06-01"}},
		{9, "2026-05-15T12:00:00", want{"FY2026", "2025-09-01", "2026-09-01"}, want{"FY2026 Q3", "2026-03-01", "2026-06-01"}, want{"FY2026 M09", "2026-05-01", "2026-06-01"}},
		{10, "2026-05-15T12:00:00", want{"FY2026", "2025-10-01", "2026-10-01"}, want{"FY2026 Q3", "2026-04-01", "2026-07-01"}, want{"FY2026 M08", "2026-05-01", "2026-06-01"}},
		{11, "2026-05-15T12:00:00", want{"FY2026", "2025-11-01", "2026-11-01"}, want{"FY2026 Q3", "2026-05-01", "2026-08-01"}, want{"FY2026 M07", "2026-05-01", "2026-06-01"}},
		{12, "2026-05-15T12:00:00", want{"FY2026", "2025-12-01", "2026-12-01"}, want{"FY2026 Q2", "2026-03-01", "2026-06-01"}, want{"FY2026 M06", "2026-05-01", "2026-06-01"}},

		// The last instant of calendar 2026.
		{1, "2026-12-31T23:59:59.999999999", want{"FY2026", "2026-01-01", "2027-01-01"}, want{"FY2026 Q4", "2026-10-01", "2027-01-01"}, want{"FY2026 M12", "2026-12-01", "2027-01-01"}},
		{2, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-02-01", "2027-02-01"}, want{"FY2027 Q4", "2026-11-01", "2027-02-01"}, want{"FY2027 M11", "2026-12-01", "2027-01-01"}},
		{3, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-03-01", "2027-03-01"}, want{"FY2027 Q4", "2026-12-01", "2027-03-01"}, want{"FY2027 M10", "2026-12-01", "2027-01-01"}},
		{4, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-04-01", "2027-04-01"}, want{"FY2027 Q3", "2026-10-01", "2027-01-01"}, want{"FY2027 M09", "2026-12-01", "2027-01-01"}},
		{5, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-05-01", "2027-05-01"}, want{"FY2027 Q3", "2026-11-01", "2027-02-01"}, want{"FY2027 M08", "2026-12-01", "2027-01-01"}},
		{6, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-06-01", "2027-06-01"}, want{"FY2027 Q3", "2026-12-01", "2027-03-01"}, want{"FY2027 M07", "2026-12-01", "2027-01-01"}},
		{7, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-07-01", "2027-07-01"}, want{"FY2027 Q2", "2026-10-01", "2027-01-01"}, want{"FY2027 M06", "2026-12-01", "2027-01-01"}},
		{8, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-08-01", "2027-08-01"}, want{"FY2027 Q2", "2026-11-01", "2027-02-01"}, want{"FY2027 M05", "2026-12-01", "2027-01-01"}},
		{9, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-09-01", "2027-09-01"}, want{"FY2027 Q2", "2026-12-01", "2027-03-01"}, want{"FY2027 M04", "2026-12-01", "2027-01-01"}},
		{10, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-10-01", "2027-10-01"}, want{"FY2027 Q1", "2026-10-01", "2027-01-01"}, want{"FY2027 M03", "2026-12-01", "2027-01-01"}},
		{11, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-11-01", "2027-11-01"}, want{"FY2027 Q1", "2026-11-01", "2027-02-01"}, want{"FY2027 M02", "2026-12-01", "2027-01-01"}},
		{12, "2026-12-31T23:59:59.999999999", want{"FY2027", "2026-12-01", "2027-12-01"}, want{"FY2027 Q1", "2026-12-01", "2027-03-01"}, want{"FY2027 M01", "2026-12-01", "2027-01-01"}},

		// The first instant of calendar 2027.
		{1, "2027-01-01T00:00:00", want{"FY2027", "2027-01-01", "2028-01-01"}, want{"FY2027 Q1", "2027-01-01", "2027-04-01"}, want{"FY2027 M01", "2027-01-01", "2027-02-01"}},
		{2, "2027-01-01T00:00:00", want{"FY2027", "2026-02-01", "2027-02-01"}, want{"FY2027 Q4", "2026-11-01", "2027-02-01"}, want{"FY2027 M12", "2027-01-01", "2027-02-01"}},
		{3, "2027-01-01T00:00:00", want{"FY2027", "2026-03-01", "2027-03-01"}, want{"FY2027 Q4", "2026-12-01", "2027-03-01"}, want{"FY2027 M11", "2027-01-01", "2027-02-01"}},
		{4, "2027-01-01T00:00:00", want{"FY2027", "2026-04-01", "2027-04-01"}, want{"FY2027 Q4", "2027-01-01", "2027-04-01"}, want{"FY2027 M10", "2027-01-01", "2027-02-01"}},
		{5, "2027-01-01T00:00:00", want{"FY2027", "2026-05-01", "2027-05-01"}, want{"FY2027 Q3", "2026-11-01", "2027-02-01"}, want{"FY2027 M09", "2027-01-01", "2027-02-01"}},
		{6, "2027-01-01T00:00:00", want{"FY2027", "2026-06-01", "2027-06-01"}, want{"FY2027 Q3", "2026-12-01", "2027-03-01"}, want{"FY2027 M08", "2027-01-01", "2027-02-01"}},
		{7, "2027-01-01T00:00:00", want{"FY2027", "2026-07-01", "2027-07-01"}, want{"FY2027 Q3", "2027-01-01", "2027-04-01"}, want{"FY2027 M07", "2027-01-01", "2027-02-01"}},
		{8, "2027-01-01T00:00:00", want{"FY2027", "2026-08-01", "2027-08-01"}, want{"FY2027 Q2", "2026-11-01", "2027-02-01"}, want{"FY2027 M06", "2027-01-01", "2027-02-01"}},
		{9, "2027-01-01T00:00:00", want{"FY2027", "2026-09-01", "2027-09-01"}, want{"FY2027 Q2", "2026-12-01", "2027-03-01"}, want{"FY2027 M05", "2027-01-01", "2027-02-01"}},
		{10, "2027-01-01T00:00:00", want{"FY2027", "2026-10-01", "2027-10-01"}, want{"FY2027 Q2", "2027-01-01", "2027-04-01"}, want{"FY2027 M04", "2027-01-01", "2027-02-01"}},
		{11, "2027-01-01T00:00:00", want{"FY2027", "2026-11-01", "2027-11-01"}, want{"FY2027 Q1", "2026-11-01", "2027-02-01"}, want{"FY2027 M03", "2027-01-01", "2027-02-01"}},
		{12, "2027-01-01T00:00:00", want{"FY2027", "2026-12-01", "2027-12-01"}, want{"FY2027 Q1", "2026-12-01", "2027-03-01"}, want{"FY2027 M02", "2027-01-01", "2027-02-01"}},
	} {
		c := mustCalendar(t, tc.startMonth, "America/New_York")
		at := local(t, tc.at, c.Location)
		for i, w := range []want{tc.month, tc.quarter, tc.year} {
			kind := kinds[i]
			p := c.PeriodAt(kind, at)
			name := fmt.Sprintf("%s start %d %s", tc.at, tc.startMonth, kind)
			if p.Kind != kind || p.Label() != w.label || p.String() != w.label {
				t.Errorf("%s: got %s %q, want %q", name, p.Kind, p.Label(), w.label)
			}
			if !p.Start.Equal(local(t, w.start, c.Location)) || !p.End.Equal(local(t, w.end, c.Location)) {
				t.Errorf("%s: got [%v, %v), want [%s, %s)", name, p.Start, p.End, w.start, w.end)
			}
			if p.Start.Location() != c.Location || p.End.Location() != c.Location {
				t.Errorf("%s: got locations %v, %v, want %v", name, p.Start.Location(), p.End.Location(), c.Location)
			}
			if !p.Contains(at) || !p.Contains(p.Start) || !p.Contains(p.End.Add(-time.Nanosecond)) ||
				p.Contains(p.End) || p.Contains(p.Start.Add(-time.Nanosecond)) {
				t.Errorf("%s: Contains is wrong around [%v, %v)", name, p.Start, p.End)
			}
			// The same instant seen from another zone is in the same period.
			if q := c.PeriodAt(kind, at.UTC()); q != p {
				t.Errorf("%s: PeriodAt of the UTC instant = %v, want %v", name, q, p)
			}
			if q, err := c.Period(kind, p.Year, p.Index); err != nil || q != p {
				t.Errorf("%s: Period(%s, %d, %d) = %v, %v, want %v", name, kind, p.Year, p.Index, q, err, p)
			}
		}
	}
}

// tilingZones are zones with the clock changes the tests care about, among
// them three where time.Date's midnight is not the first instant of a month:
// Asuncion (1 Oct 2023) and Havana (1 Apr 2012) skip midnight, Gaza repeats
// it (1 Oct 2004). Apia skipped 30 December 2011 entirely.
var tilingZones = []string{
	"UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata",
	"Pacific/Chatham", "America/Asuncion", "America/Havana", "Asia/Gaza", "Pacific/Apia",
	"America/Santiago", "Africa/Cairo",
}

// TestTiling checks that months and quarters tile their fiscal year and
// that every period starts at the first instant of its first month.
func TestTiling(t *testing.T) {
	years := []int{1900, 1901, 1969, 1970}
	for y := 2000; y <= 2030; y++ {
		years = append(years, y)
	}
	years = append(years, 2099, 2100, 9999)
	for _, zone := range tilingZones {
		for start := 1; start <= 12; start++ {
			c := mustCalendar(t, start, zone)
			for _, fy := range years {
				year, err := c.Period(PeriodYear, fy, 1)
				if err != nil {
					t.Fatal(err)
				}
				if year.Start.In(c.Location).Month() != time.Month(start) {
					t.Errorf("%s start %d: %s starts %v", zone, start, year.Label(), year.Start)
				}
				months := make([]Period, 12)
				for i := range months {
					months[i], err = c.Period(PeriodMonth, fy, i+1)
					if err != nil {
						t.Fatal(err)
					}
				}
				quarters := make([]Period, 4)
				for i := range quarters {
					quarters[i], err = c.Period(PeriodQuarter, fy, i+1)
					if err != nil {
						t.Fatal(err)
					}
				}
				for _, ps := range [][]Period{months, quarters} {
					if ps[0].Start != year.Start || ps[len(ps)-1].End != year.End {
						t.Errorf("%s start %d: %s is [%v, %v), its parts span [%v, %v)",
							zone, start, year.Label(), year.Start, year.End, ps[0].Start, ps[len(ps)-1].End)
					}
					for i := 1; i < len(ps); i++ {
						if ps[i-1].End != ps[i].Start {
							t.Errorf("%s start %d: %s ends %v, %s starts %v",
								zone, start, ps[i-1].Label(), ps[i-1].End, ps[i].Label(), ps[i].Start)
						}
					}
				}
				for i, q := range quarters {
					if q.Start != months[3*i].Start || q.End != months[3*i+2].End {
						t.Errorf("%s start %d: %s is not months %d-%d", zone, start, q.Label(), 3*i+1, 3*i+3)
					}
				}
				for _, p := range append(append(months, quarters...), year) {
					checkPeriod(t, c, p)
				}
			}
		}
	}
}

// checkPeriod checks what holds of every period: it starts at the first
// instant of a month in local time, and PeriodAt finds it from its first
// and last instants.
func checkPeriod(t testing.TB, c Calendar, p Period) {
	t.Helper()
	if !p.Start.Before(p.End) {
		t.Errorf("%s %s: empty [%v, %v)", c.Location, p.Label(), p.Start, p.End)
	}
	for _, b := range []time.Time{p.Start, p.End} {
		_, _, d := b.In(c.Location).Date()
		_, mb, _ := b.In(c.Location).Date()
		_, ma, _ := b.Add(-time.Nanosecond).In(c.Location).Date()
		if d != 1 || ma == mb {
			t.Errorf("%s %s: boundary %v is not the first instant of a month", c.Location, p.Label(), b)
		}
	}
	last := p.End.Add(-time.Nanosecond)
	if q := c.PeriodAt(p.Kind, p.Start); q != p {
		t.Errorf("%s: PeriodAt(%v) = %s [%v, %v), want %s [%v, %v)", c.Location, p.Start, q.Label(), q.Start, q.End, p.Label(), p.Start, p.End)
	}
	if q := c.PeriodAt(p.Kind, last); q != p {
		t.Errorf("%s: PeriodAt(%v) = %s [%v, %v), want %s [%v, %v)", c.Location, last, q.Label(), q.Start, q.End, p.Label(), p.Start, p.End)
	}
	if !p.Contains(p.Start) || !p.Contains(last) || p.Contains(p.End) || p.Contains(p.Start.Add(-time.Nanosecond)) {
		t.Errorf("%s %s: Contains is wrong at the edges of [%v, %v)", c.Location, p.Label(), p.Start, p.End)
	}
}

// TestClockChanges checks periods whose boundaries or insides have a clock
// change, with boundaries written by hand as instants with their offsets.
func TestClockChanges(t *testing.T) {
	for _, tc := range []struct {
		zone       string
		startMonth int
		kind       PeriodKind
		at         string
		label      string
		start, end string
		hours      int
	}{
		// New York: EDT from 8 March to 1 November 2026 (at 02:00, so
		// 1 November begins in EDT).
		{"America/New_York", 1, PeriodMonth, "2026-03-15T12:00:00-04:00", "FY2026 M03", "2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00", 31*24 - 1},
		{"America/New_York", 1, PeriodMonth, "2026-11-15T12:00:00-05:00", "FY2026 M11", "2026-11-01T00:00:00-04:00", "2026-12-01T00:00:00-05:00", 30*24 + 1},
		{"America/New_York", 1, PeriodMonth, "2026-11-01T03:59:59.999999999Z", "FY2026 M10", "2026-10-01T00:00:00-04:00", "2026-11-01T00:00:00-04:00", 31 * 24},
		{"America/New_York", 1, PeriodMonth, "2026-11-01T04:00:00Z", "FY2026 M11", "2026-11-01T00:00:00-04:00", "2026-12-01T00:00:00-05:00", 30*24 + 1},
		{"America/New_York", 1, PeriodMonth, "2026-03-01T04:59:59.999999999Z", "FY2026 M02", "2026-02-01T00:00:00-05:00", "2026-03-01T00:00:00-05:00", 28 * 24},
		{"America/New_York", 1, PeriodMonth, "2026-03-01T05:00:00Z", "FY2026 M03", "2026-03-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00", 31*24 - 1},
		{"America/New_York", 1, PeriodQuarter, "2026-03-08T07:00:00Z", "FY2026 Q1", "2026-01-01T00:00:00-05:00", "2026-04-01T00:00:00-04:00", 90*24 - 1},
		{"America/New_York", 1, PeriodYear, "2026-07-04T12:00:00-04:00", "FY2026", "2026-01-01T00:00:00-05:00", "2027-01-01T00:00:00-05:00", 365 * 24},
		{"America/New_York", 11, PeriodYear, "2026-11-01T03:59:59Z", "FY2026", "2025-11-01T00:00:00-04:00", "2026-11-01T00:00:00-04:00", 365 * 24},
		{"America/New_York", 11, PeriodYear, "2026-11-01T04:00:00Z", "FY2027", "2026-11-01T00:00:00-04:00", "2027-11-01T00:00:00-04:00", 365 * 24},

		// Berlin: CEST from 29 March to 25 October 2026.
		{"Europe/Berlin", 1, PeriodMonth, "2026-03-29T02:30:00+01:00", "FY2026 M03", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00", 31*24 - 1},
		{"Europe/Berlin", 1, PeriodMonth, "2026-10-25T02:30:00+01:00", "FY2026 M10", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00", 31*24 + 1},
		{"Europe/Berlin", 1, PeriodMonth, "2026-03-31T21:59:59.999999999Z", "FY2026 M03", "2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00", 31*24 - 1},
		{"Europe/Berlin", 1, PeriodMonth, "2026-03-31T22:00:00Z", "FY2026 M04", "2026-04-01T00:00:00+02:00", "2026-05-01T00:00:00+02:00", 30 * 24},
		{"Europe/Berlin", 4, PeriodQuarter, "2026-10-31T23:00:00Z", "FY2027 Q3", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00", 92*24 + 1},

		// Sydney, July fiscal year: AEDT until 5 April and from
		// 4 October 2026.
		{"Australia/Sydney", 7, PeriodMonth, "2026-04-05T02:30:00+10:00", "FY2026 M10", "2026-04-01T00:00:00+11:00", "2026-05-01T00:00:00+10:00", 30*24 + 1},
		{"Australia/Sydney", 7, PeriodMonth, "2026-10-04T03:30:00+11:00", "FY2027 M04", "2026-10-01T00:00:00+10:00", "2026-11-01T00:00:00+11:00", 31*24 - 1},
		{"Australia/Sydney", 7, PeriodQuarter, "2026-10-04T03:30:00+11:00", "FY2027 Q2", "2026-10-01T00:00:00+10:00", "2027-01-01T00:00:00+11:00", 92*24 - 1},
		{"Australia/Sydney", 7, PeriodYear, "2026-06-30T13:59:59.999999999Z", "FY2026", "2025-07-01T00:00:00+10:00", "2026-07-01T00:00:00+10:00", 365 * 24},
		{"Australia/Sydney", 7, PeriodYear, "2026-06-30T14:00:00Z", "FY2027", "2026-07-01T00:00:00+10:00", "2027-07-01T00:00:00+10:00", 365 * 24},
		{"Australia/Sydney", 7, PeriodMonth, "2026-03-31T12:59:59.999999999Z", "FY2026 M09", "2026-03-01T00:00:00+11:00", "2026-04-01T00:00:00+11:00", 31 * 24},
		{"Australia/Sydney", 7, PeriodMonth, "2026-03-31T13:00:00Z", "FY2026 M10", "2026-04-01T00:00:00+11:00", "2026-05-01T00:00:00+10:00", 30*24 + 1},

		// Kolkata, +05:30 all year, April fiscal year.
		{"Asia/Kolkata", 4, PeriodYear, "2026-03-31T18:29:59.999999999Z", "FY2026", "2025-04-01T00:00:00+05:30", "2026-04-01T00:00:00+05:30", 365 * 24},
		{"Asia/Kolkata", 4, PeriodYear, "2026-03-31T18:30:00Z", "FY2027", "2026-04-01T00:00:00+05:30", "2027-04-01T00:00:00+05:30", 365 * 24},
		{"Asia/Kolkata", 4, PeriodMonth, "2026-03-31T18:30:00Z", "FY2027 M01", "2026-04-01T00:00:00+05:30", "2026-05-01T00:00:00+05:30", 30 * 24},
		{"Asia/Kolkata", 4, PeriodQuarter, "2026-03-31T18:29:59Z", "FY2026 Q4", "2026-01-01T00:00:00+05:30", "2026-04-01T00:00:00+05:30", 90 * 24},

		// Chatham: +12:45, and +13:45 until 5 April and from 27 September
		// 2026.
		{"Pacific/Chatham", 1, PeriodMonth, "2025-12-31T10:14:59.999999999Z", "FY2025 M12", "2025-12-01T00:00:00+13:45", "2026-01-01T00:00:00+13:45", 31 * 24},
		{"Pacific/Chatham", 1, PeriodMonth, "2025-12-31T10:15:00Z", "FY2026 M01", "2026-01-01T00:00:00+13:45", "2026-02-01T00:00:00+13:45", 31 * 24},
		{"Pacific/Chatham", 1, PeriodMonth, "2026-04-15T00:00:00+12:45", "FY2026 M04", "2026-04-01T00:00:00+13:45", "2026-05-01T00:00:00+12:45", 30*24 + 1},
		{"Pacific/Chatham", 1, PeriodMonth, "2026-09-27T03:45:00+13:45", "FY2026 M09", "2026-09-01T00:00:00+12:45", "2026-10-01T00:00:00+13:45", 30*24 - 1},
		{"Pacific/Chatham", 1, PeriodYear, "2025-12-31T10:15:00Z", "FY2026", "2026-01-01T00:00:00+13:45", "2027-01-01T00:00:00+13:45", 365 * 24},

		// Asuncion, 1 October 2023: clocks went from 23:59:59 -04 to
		// 01:00 -03, so October starts at 01:00 and loses its first hour.
		{"America/Asuncion", 1, PeriodMonth, "2023-10-01T03:59:59.999999999Z", "FY2023 M09", "2023-09-01T00:00:00-04:00", "2023-10-01T01:00:00-03:00", 30 * 24},
		{"America/Asuncion", 1, PeriodMonth, "2023-10-01T04:00:00Z", "FY2023 M10", "2023-10-01T01:00:00-03:00", "2023-11-01T00:00:00-03:00", 31*24 - 1},
		{"America/Asuncion", 1, PeriodQuarter, "2023-10-01T04:00:00Z", "FY2023 Q4", "2023-10-01T01:00:00-03:00", "2024-01-01T00:00:00-03:00", 92*24 - 1},

		// Havana, 1 April 2012: the same, from 23:59:59 CST to 01:00 CDT.
		{"America/Havana", 1, PeriodMonth, "2012-04-01T04:59:59Z", "FY2012 M03", "2012-03-01T00:00:00-05:00", "2012-04-01T01:00:00-04:00", 31 * 24},
		{"America/Havana", 1, PeriodMonth, "2012-04-01T05:00:00Z", "FY2012 M04", "2012-04-01T01:00:00-04:00", "2012-05-01T00:00:00-04:00", 30*24 - 1},

		// Gaza, 1 October 2004: clocks went from 00:59:59 +03 back to 00:00
		// +02, so midnight happened twice and October starts at the first.
		{"Asia/Gaza", 1, PeriodMonth, "2004-09-30T20:59:59.999999999Z", "FY2004 M09", "2004-09-01T00:00:00+03:00", "2004-10-01T00:00:00+03:00", 30 * 24},
		{"Asia/Gaza", 1, PeriodMonth, "2004-09-30T21:00:00Z", "FY2004 M10", "2004-10-01T00:00:00+03:00", "2004-11-01T00:00:00+02:00", 31*24 + 1},
		{"Asia/Gaza", 1, PeriodMonth, "2004-10-01T00:30:00+02:00", "FY2004 M10", "2004-10-01T00:00:00+03:00", "2004-11-01T00:00:00+02:00", 31*24 + 1},
	} {
		c := mustCalendar(t, tc.startMonth, tc.zone)
		at := instant(t, tc.at)
		p := c.PeriodAt(tc.kind, at)
		name := tc.zone + " " + tc.at
		if p.Label() != tc.label {
			t.Errorf("%s: %s is %s, want %s", name, tc.kind, p.Label(), tc.label)
		}
		if !p.Start.Equal(instant(t, tc.start)) || !p.End.Equal(instant(t, tc.end)) {
			t.Errorf("%s: %s is [%v, %v), want [%s, %s)", name, p.Label(), p.Start, p.End, tc.start, tc.end)
		}
		if got := p.End.Sub(p.Start); got != time.Duration(tc.hours)*time.Hour {
			t.Errorf("%s: %s lasts %v, want %dh", name, p.Label(), got, tc.hours)
		}
		if !p.Contains(at) || p.Contains(p.End) {
			t.Errorf("%s: %s [%v, %v) Contains is wrong", name, p.Label(), p.Start, p.End)
		}
		if p.Start.Location() != c.Location {
			t.Errorf("%s: Start in %v, want %v", name, p.Start.Location(), c.Location)
		}
		checkPeriod(t, c, p)
	}
}

// TestYearEnds checks instants on either side of midnight at New Year and
// at fiscal New Year, given as UTC instants whose UTC date differs from the
// local one.
func TestYearEnds(t *testing.T) {
	for _, tc := range []struct {
		zone       string
		startMonth int
		at         string
		month      string
		quarter    string
		year       string
	}{
		{"Europe/Berlin", 1, "2026-12-31T23:59:59.999999999+01:00", "FY2026 M12", "FY2026 Q4", "FY2026"},
		{"Europe/Berlin", 1, "2027-01-01T00:00:00+01:00", "FY2027 M01", "FY2027 Q1", "FY2027"},
		{"Europe/Berlin", 1, "2026-12-31T23:30:00Z", "FY2027 M01", "FY2027 Q1", "FY2027"},
		{"Asia/Tokyo", 1, "2026-12-31T14:59:59Z", "FY2026 M12", "FY2026 Q4", "FY2026"},
		{"Asia/Tokyo", 1, "2026-12-31T15:00:00Z", "FY2027 M01", "FY2027 Q1", "FY2027"},
		{"America/New_York", 1, "2027-01-01T03:00:00Z", "FY2026 M12", "FY2026 Q4", "FY2026"},
		{"America/New_York", 1, "2027-01-01T04:59:59.999999999Z", "FY2026 M12", "FY2026 Q4", "FY2026"},
		{"America/New_York", 1, "2027-01-01T05:00:00Z", "FY2027 M01", "FY2027 Q1", "FY2027"},
		{"America/Los_Angeles", 1, "2026-01-01T07:59:59Z", "FY2025 M12", "FY2025 Q4", "FY2025"},
		{"America/Los_Angeles", 1, "2026-01-01T08:00:00Z", "FY2026 M01", "FY2026 Q1", "FY2026"},
		{"America/Los_Angeles", 10, "2026-10-01T06:59:59Z", "FY2026 M12", "FY2026 Q4", "FY2026"},
		{"America/Los_Angeles", 10, "2026-10-01T07:00:00Z", "FY2027 M01", "FY2027 Q1", "FY2027"},
		{"Asia/Kolkata", 4, "2027-03-31T20:00:00Z", "FY2028 M01", "FY2028 Q1", "FY2028"},
		{"Asia/Kolkata", 4, "2027-03-31T18:00:00Z", "FY2027 M12", "FY2027 Q4", "FY2027"},
		{"Pacific/Auckland", 4, "2026-03-31T10:59:59Z", "FY2026 M12", "FY2026 Q4", "FY2026"},
		{"Pacific/Auckland", 4, "2026-03-31T11:00:00Z", "FY2027 M01", "FY2027 Q1", "FY2027"},
		{"Pacific/Kiritimati", 1, "2026-12-31T10:00:00Z", "FY2027 M01", "FY2027 Q1", "FY2027"},
		{"Pacific/Pago_Pago", 1, "2027-01-01T10:59:59Z", "FY2026 M12", "FY2026 Q4", "FY2026"},
		{"Pacific/Pago_Pago", 1, "2027-01-01T11:00:00Z", "FY2027 M01", "FY2027 Q1", "FY2027"},
	} {
		c := mustCalendar(t, tc.startMonth, tc.zone)
		at := instant(t, tc.at)
		for i, want := range []string{tc.month, tc.quarter, tc.year} {
			if got := c.PeriodAt(kinds[i], at).Label(); got != want {
				t.Errorf("%s start %d: %s at %s is %s, want %s", tc.zone, tc.startMonth, kinds[i], tc.at, got, want)
			}
		}
	}
}

func TestLabels(t *testing.T) {
	c := mustCalendar(t, 2, "Europe/Berlin")
	for _, tc := range []struct {
		kind        PeriodKind
		year, index int
		want        string
	}{
		{PeriodYear, 2027, 1, "FY2027"},
		{PeriodQuarter, 2027, 1, "FY2027 Q1"},
		{PeriodQuarter, 2027, 4, "FY2027 Q4"},
		{PeriodMonth, 2027, 3, "FY2027 M03"},
		{PeriodMonth, 2027, 12, "FY2027 M12"},
		{PeriodMonth, 1900, 1, "FY1900 M01"},
		{PeriodYear, 9999, 1, "FY9999"},
	} {
		p, err := c.Period(tc.kind, tc.year, tc.index)
		if err != nil {
			t.Fatal(err)
		}
		if p.Label() != tc.want {
			t.Errorf("Period(%s, %d, %d).Label() = %q, want %q", tc.kind, tc.year, tc.index, p.Label(), tc.want)
		}
	}
}

func TestLabelRoundTrip(t *testing.T) {
	for start := 1; start <= 12; start++ {
		for _, zone := range []string{"UTC", "America/New_York", "Australia/Sydney"} {
			c := mustCalendar(t, start, zone)
			for _, year := range []int{1900, 1901, 1999, 2000, 2026, 2027, 2100, 9998, 9999} {
				for _, kind := range kinds {
					for index := 1; index <= 12/kind.Months(); index++ {
						p, err := c.Period(kind, year, index)
						if err != nil {
							t.Fatalf("Period(%s, %d, %d): %v", kind, year, index, err)
						}
						for _, label := range []string{p.Label(), strings.ToLower(p.Label()), " " + p.Label() + "\t"} {
							q, err := c.ParseLabel(label)
							if err != nil || q != p {
								t.Errorf("%s start %d: ParseLabel(%q) = %v, %v, want %v", zone, start, label, q, err, p)
							}
						}
					}
				}
			}
		}
	}
}

func TestParseLabel(t *testing.T) {
	c := mustCalendar(t, 2, "America/New_York")
	for _, tc := range []struct {
		in          string
		kind        PeriodKind
		year, index int
		start, end  string
	}{
		{"FY2027", PeriodYear, 2027, 1, "2026-02-01T00:00:00-05:00", "2027-02-01T00:00:00-05:00"},
		{"fy2027", PeriodYear, 2027, 1, "2026-02-01T00:00:00-05:00", "2027-02-01T00:00:00-05:00"},
		{"FY2027 Q1", PeriodQuarter, 2027, 1, "2026-02-01T00:00:00-05:00", "2026-05-01T00:00:00-04:00"},
		{"  Fy2027 q4 ", PeriodQuarter, 2027, 4, "2026-11-01T00:00:00-04:00", "2027-02-01T00:00:00-05:00"},
		{"FY2027 M03", PeriodMonth, 2027, 3, "2026-04-01T00:00:00-04:00", "2026-05-01T00:00:00-04:00"},
		{"FY2027 Q1 ", PeriodQuarter, 2027, 1, "2026-02-01T00:00:00-05:00", "2026-05-01T00:00:00-04:00"},
		{"FY2027 ", PeriodYear, 2027, 1, "2026-02-01T00:00:00-05:00", "2027-02-01T00:00:00-05:00"},
		{"\tfY2027 m12\n", PeriodMonth, 2027, 12, "2027-01-01T00:00:00-05:00", "2027-02-01T00:00:00-05:00"},
		{"FY1900 M01", PeriodMonth, 1900, 1, "1899-02-01T00:00:00-05:00", "1899-03-01T00:00:00-05:00"},
	} {
		p, err := c.ParseLabel(tc.in)
		if err != nil {
			t.Errorf("ParseLabel(%q): %v", tc.in, err)
			continue
		}
		if p.Kind != tc.kind || p.Year != tc.year || p.Index != tc.index ||
			!p.Start.Equal(instant(t, tc.start)) || !p.End.Equal(instant(t, tc.end)) {
			t.Errorf("ParseLabel(%q) = %s %d %d [%v, %v), want %s %d %d [%s, %s)",
				tc.in, p.Kind, p.Year, p.Index, p.Start, p.End, tc.kind, tc.year, tc.index, tc.start, tc.end)
		}
	}

	for _, in := range []string{
		"", " ", "FY", "FY2027 Q", "FY2027 M", "FY2027 Q1 x",
		"FY2027 Q5", "FY2027 Q0", "FY2027 Q9", "FY2027 Q01", "FY2027 Q-1",
		"FY2027 M13", "FY2027 M00", "FY2027 M3", "FY2027 M003", "FY2027 M+3",
		"FY27 Q1", "FY27", "FY02027", "FY 2027", "FY-202", "FY+027", "FY1899", "FY0000", "FY10000",
		"2027 Q1", "2027", "Q1 FY2027", "FX2027", "F2027",
		"FY2027Q1", "FY2027M03", "FY2027  Q1", "FY2027\tQ1", "FY2027-Q1", "FY2027 q1\x00",
		"FY2027 Q1 M03", "FY2027 Y1", "FY2027 H1", "FY2027 W01",
		"FY２０２７", "FY٢٠٢٧ Q1", "ＦＹ2027",
	} {
		p, err := c.ParseLabel(in)
		if err == nil {
			t.Errorf("ParseLabel(%q) = %v, want an error", in, p)
			continue
		}
		if !errors.Is(err, ErrInvalidPeriod) || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParseLabel(%q) error %q should wrap ErrInvalidPeriod and quote the label", in, err)
		}
	}
}

func TestPeriodValidation(t *testing.T) {
	c := mustCalendar(t, 1, "UTC")
	for _, tc := range []struct {
		kind        PeriodKind
		year, index int
	}{
		{"WEEK", 2026, 1},
		{"", 2026, 1},
		{"month", 2026, 1},
		{PeriodYear, 2026, 0},
		{PeriodYear, 2026, 2},
		{PeriodQuarter, 2026, 0},
		{PeriodQuarter, 2026, 5},
		{PeriodMonth, 2026, 0},
		{PeriodMonth, 2026, 13},
		{PeriodMonth, 2026, -1},
		{PeriodMonth, 1899, 1},
		{PeriodYear, 10000, 1},
		{PeriodYear, 0, 1},
	} {
		if p, err := c.Period(tc.kind, tc.year, tc.index); err == nil || !errors.Is(err, ErrInvalidPeriod) {
			t.Errorf("Period(%q, %d, %d) = %v, %v, want ErrInvalidPeriod", tc.kind, tc.year, tc.index, p, err)
		}
	}
	for _, k := range []PeriodKind{"", "WEEK", "month", "Month"} {
		if k.Valid() {
			t.Errorf("%q.Valid() = true", k)
		}
	}
	for _, k := range kinds {
		if !k.Valid() {
			t.Errorf("%q.Valid() = false", k)
		}
	}
}

func TestNextPrev(t *testing.T) {
	// A February fiscal year in New York: FY2027 is Feb 2026 – Jan 2027.
	c := mustCalendar(t, 2, "America/New_York")
	for _, tc := range []struct {
		from       string
		next       bool
		want       string
		start, end string
	}{
		{"FY2027 M12", true, "FY2028 M01", "2027-02-01", "2027-03-01"},
		{"FY2028 M01", false, "FY2027 M12", "2027-01-01", "2027-02-01"},
		{"FY2027 M01", false, "FY2026 M12", "2026-01-01", "2026-02-01"},
		{"FY2027 M01", true, "FY2027 M02", "2026-03-01", "2026-04-01"},
		{"FY2027 M02", true, "FY2027 M03", "2026-04-01", "2026-05-01"},
		{"FY2027 M11", true, "FY2027 M12", "2027-01-01", "2027-02-01"},
		{"FY2027 Q1", false, "FY2026 Q4", "2025-11-01", "2026-02-01"},
		{"FY2027 Q4", true, "FY2028 Q1", "2027-02-01", "2027-05-01"},
		{"FY2027 Q2", true, "FY2027 Q3", "2026-08-01", "2026-11-01"},
		{"FY2027", true, "FY2028", "2027-02-01", "2028-02-01"},
		{"FY2027", false, "FY2026", "2025-02-01", "2026-02-01"},
		{"FY1900", false, "FY1899", "1898-02-01", "1899-02-01"},
		{"FY9999 Q4", true, "FY10000 Q1", "9999-02-01", "9999-05-01"},
	} {
		p, err := c.ParseLabel(tc.from)
		if err != nil {
			t.Fatal(err)
		}
		q := p.Prev()
		if tc.next {
			q = p.Next()
		}
		if q.Label() != tc.want || q.Kind != p.Kind ||
			!q.Start.Equal(local(t, tc.start, c.Location)) || !q.End.Equal(local(t, tc.end, c.Location)) {
			t.Errorf("%s next=%v: got %s [%v, %v), want %s [%s, %s)", tc.from, tc.next, q.Label(), q.Start, q.End, tc.want, tc.start, tc.end)
		}
		if q.Start.Location() != c.Location || q.End.Location() != c.Location {
			t.Errorf("%s next=%v: got locations %v, %v", tc.from, tc.next, q.Start.Location(), q.End.Location())
		}
		if want, err := c.ParseLabel(tc.want); err == nil && q != want {
			t.Errorf("%s next=%v = %v, want ParseLabel(%q) = %v", tc.from, tc.next, q, tc.want, want)
		}
	}

	// Walking through the years around Gaza's repeated midnight and
	// Asuncion's skipped one agrees with PeriodAt at every step.
	for _, zone := range []string{"Asia/Gaza", "America/Asuncion", "Australia/Sydney"} {
		c := mustCalendar(t, 7, zone)
		for _, kind := range kinds {
			first, err := c.Period(kind, 2000, 1)
			if err != nil {
				t.Fatal(err)
			}
			p, steps := first, 300/kind.Months()
			for i := 0; i < steps; i++ {
				n := p.Next()
				if want := c.PeriodAt(kind, p.End); n != want {
					t.Fatalf("%s: %s.Next() = %v, want %v", zone, p.Label(), n, want)
				}
				if n.Prev() != p {
					t.Fatalf("%s: %s.Next().Prev() = %v, want %v", zone, p.Label(), n.Prev(), p)
				}
				p = n
			}
			for i := 0; i < steps; i++ {
				p = p.Prev()
			}
			if p != first {
				t.Errorf("%s: %d steps forward and back from %v end at %v", zone, steps, first, p)
			}
		}
	}
}

func TestRange(t *testing.T) {
	c := mustCalendar(t, 1, "Europe/Berlin")
	at := func(label string) Period {
		t.Helper()
		p, err := c.ParseLabel(label)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		kind     PeriodKind
		from, to string
		want     []string
	}{
		{PeriodMonth, "FY2026 M11", "FY2027 M02", []string{"FY2026 M11", "FY2026 M12", "FY2027 M01", "FY2027 M02"}},
		{PeriodQuarter, "FY2026 Q3", "FY2027 Q2", []string{"FY2026 Q3", "FY2026 Q4", "FY2027 Q1", "FY2027 Q2"}},
		{PeriodYear, "FY2020", "FY2026", []string{"FY2020", "FY2021", "FY2022", "FY2023", "FY2024", "FY2025", "FY2026"}},
		{PeriodMonth, "FY2026", "FY2026 Q2", []string{"FY2026 M01", "FY2026 M02", "FY2026 M03", "FY2026 M04"}},
		{PeriodMonth, "FY2026", "FY2026", []string{"FY2026 M01"}},
		{PeriodQuarter, "FY2026 M05", "FY2026 M12", []string{"FY2026 Q2", "FY2026 Q3", "FY2026 Q4"}},
		{PeriodYear, "FY2026 M12", "FY2027 Q4", []string{"FY2026", "FY2027"}},
		{PeriodQuarter, "FY2026 Q1", "FY2026 Q1", []string{"FY2026 Q1"}},
	} {
		got, err := c.Range(tc.kind, at(tc.from), at(tc.to))
		if err != nil {
			t.Errorf("Range(%s, %s, %s): %v", tc.kind, tc.from, tc.to, err)
			continue
		}
		labels := make([]string, len(got))
		for i, p := range got {
			labels[i] = p.Label()
			if p.Kind != tc.kind || i > 0 && got[i-1].End != p.Start {
				t.Errorf("Range(%s, %s, %s)[%d] = %v does not follow %v", tc.kind, tc.from, tc.to, i, p, got[i-1])
			}
		}
		if strings.Join(labels, ",") != strings.Join(tc.want, ",") {
			t.Errorf("Range(%s, %s, %s) = %q, want %q", tc.kind, tc.from, tc.to, labels, tc.want)
		}
	}

	// FY2000 M01 through FY2041 M08 is 41*12 + 8 = 500 months.
	got, err := c.Range(PeriodMonth, at("FY2000 M01"), at("FY2041 M08"))
	if err != nil || len(got) != 500 || got[499].Label() != "FY2041 M08" {
		t.Errorf("Range of 500 months: %d periods, %v", len(got), err)
	}
	for _, tc := range []struct {
		kind     PeriodKind
		from, to Period
	}{
		{PeriodMonth, at("FY2000 M01"), at("FY2041 M09")}, // 501 months
		{PeriodMonth, at("FY2027 M01"), at("FY2026 M12")},
		{PeriodYear, at("FY2027"), at("FY2026 Q4")},
		{"WEEK", at("FY2026"), at("FY2027")},
		{PeriodMonth, Period{}, at("FY2026")},
	} {
		if got, err := c.Range(tc.kind, tc.from, tc.to); err == nil || !errors.Is(err, ErrInvalidPeriod) {
			t.Errorf("Range(%s, %s, %s) = %d periods, %v, want ErrInvalidPeriod", tc.kind, tc.from.Label(), tc.to.Label(), len(got), err)
		}
	}
}

func TestElapsedFraction(t *testing.T) {
	c := mustCalendar(t, 1, "America/New_York")
	// March 2026 in New York: 2026-03-01T05:00Z to 2026-04-01T04:00Z, 743h.
	march, err := c.ParseLabel("FY2026 M03")
	if err != nil {
		t.Fatal(err)
	}
	year, err := c.ParseLabel("FY2026")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    Period
		at   string
		want float64
	}{
		{march, "2025-12-25T00:00:00Z", 0},
		{march, "2026-03-01T04:59:59.999999999Z", 0},
		{march, "2026-03-01T05:00:00Z", 0},
		{march, "2026-03-01T06:00:00Z", 1.0 / 743},
		// 9 March 00:00 EDT is 8 days less the hour lost on 8 March.
		{march, "2026-03-09T00:00:00-04:00", 191.0 / 743},
		{march, "2026-03-16T16:30:00Z", 0.5},
		{march, "2026-04-01T03:00:00Z", 742.0 / 743},
		{march, "2026-04-01T04:00:00Z", 1},
		{march, "2026-04-01T00:00:00-04:00", 1},
		{march, "2027-01-01T00:00:00Z", 1},
		{year, "2026-01-01T00:00:00-05:00", 0},
		{year, "2026-07-02T17:00:00Z", 0.5}, // 182.5 days after 2026-01-01T05:00Z
		{year, "2027-01-01T00:00:00-05:00", 1},
	} {
		if got := tc.p.ElapsedFraction(instant(t, tc.at)); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s.ElapsedFraction(%s) = %v, want %v", tc.p.Label(), tc.at, got, tc.want)
		}
	}
	if got := march.ElapsedFraction(march.End.Add(-time.Nanosecond)); got >= 1 || got < 0.999999 {
		t.Errorf("ElapsedFraction just before the end = %v", got)
	}
}

func TestInvalidUsePanics(t *testing.T) {
	c := mustCalendar(t, 1, "UTC")
	for name, f := range map[string]func(){
		"PeriodAt WEEK":  func() { c.PeriodAt("WEEK", time.Now()) },
		"zero Calendar":  func() { Calendar{}.PeriodAt(PeriodMonth, time.Now()) },
		"no Location":    func() { Calendar{StartMonth: time.March}.PeriodAt(PeriodMonth, time.Now()) },
		"zero Period":    func() { Period{}.Next() },
		"zero Period ":   func() { Period{}.Prev() },
		"StartMonth 13":  func() { Calendar{StartMonth: 13, Location: time.UTC}.PeriodAt(PeriodYear, time.Now()) },
		"StartMonth 0 y": func() { _, _ = Calendar{Location: time.UTC}.Period(PeriodYear, 2026, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}

// fuzzZones are the zones FuzzPeriod draws from, loaded once.
var fuzzZones = func() []*time.Location {
	var locs []*time.Location
	for _, name := range append(tilingZones, "Asia/Tokyo", "Africa/Casablanca", "Europe/Dublin", "Australia/Lord_Howe") {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		locs = append(locs, loc)
	}
	return locs
}()

func FuzzPeriod(f *testing.F) {
	f.Add(int64(0), uint8(0), uint8(0))
	f.Add(int64(1774936800), uint8(3), uint8(1))  // 2026-03-31T06:00Z
	f.Add(int64(1696132800), uint8(0), uint8(6))  // 2023-10-01T04:00Z, Asuncion
	f.Add(int64(1096578000), uint8(9), uint8(8))  // 2004-09-30T21:00Z, Gaza
	f.Add(int64(4133980799), uint8(11), uint8(5)) // 2100-12-31T23:59:59Z
	const (
		first = 0          // 1970-01-01T00:00:00Z
		last  = 4133980799 // 2100-12-31T23:59:59Z
	)
	f.Fuzz(func(t *testing.T, sec int64, startMonth, zone uint8) {
		s := sec % (last - first + 1)
		if s < 0 {
			s += last - first + 1
		}
		at := time.Unix(first+s, 0)
		c := Calendar{StartMonth: time.Month(startMonth%12 + 1), Location: fuzzZones[int(zone)%len(fuzzZones)]}
		var ps []Period
		for _, kind := range kinds {
			p := c.PeriodAt(kind, at)
			ps = append(ps, p)
			if !p.Contains(at) {
				t.Fatalf("%v start %v: %s %s [%v, %v) does not contain %v", c.Location, c.StartMonth, kind, p.Label(), p.Start, p.End, at)
			}
			if q, err := c.ParseLabel(p.Label()); err != nil || q != p {
				t.Fatalf("%v: ParseLabel(%q) = %v, %v, want %v", c.Location, p.Label(), q, err, p)
			}
			if q, err := c.Period(kind, p.Year, p.Index); err != nil || q != p {
				t.Fatalf("%v: Period(%s, %d, %d) = %v, %v, want %v", c.Location, kind, p.Year, p.Index, q, err, p)
			}
			if q := p.Next().Prev(); q != p {
				t.Fatalf("%v: %s.Next().Prev() = %v, want %v", c.Location, p.Label(), q, p)
			}
			if q := p.Prev().Next(); q != p {
				t.Fatalf("%v: %s.Prev().Next() = %v, want %v", c.Location, p.Label(), q, p)
			}
			if n := p.Next(); n.Start != p.End || n != c.PeriodAt(kind, p.End) {
				t.Fatalf("%v: %s.Next() = %v, want the period at %v", c.Location, p.Label(), n, p.End)
			}
			checkPeriod(t, c, p)
		}
		// The month is inside the quarter, which is inside the year.
		month, quarter, year := ps[0], ps[1], ps[2]
		if month.Year != year.Year || quarter.Year != year.Year || (month.Index-1)/3+1 != quarter.Index ||
			month.Start.Before(quarter.Start) || quarter.End.Before(month.End) ||
			quarter.Start.Before(year.Start) || year.End.Before(quarter.End) {
			t.Fatalf("%v: %s, %s, %s do not nest", c.Location, month.Label(), quarter.Label(), year.Label())
		}
	})
}
