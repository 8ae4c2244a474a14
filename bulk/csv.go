package bulk

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/errcode"
)

// Kind is what a CSV file holds.
type Kind string

const (
	Deals    Kind = "deals"
	Meetings Kind = "meetings"
)

// The columns of each kind of file; those marked required must be present
// in the header. Column names are matched ignoring case, spaces and
// dashes.
var columns = map[Kind][]struct {
	name     string
	required bool
}{
	Deals: {{"external_id", true}, {"owner_email", true}, {"team", false}, {"name", true}, {"customer_name", true},
		{"amount", true}, {"stage", true}, {"opened_at", true}, {"closed_at", false}},
	Meetings: {{"external_id", true}, {"owner_email", true}, {"deal_external_id", false}, {"kind", true},
		{"scheduled_at", true}, {"duration_minutes", false}, {"status", false}, {"held_at", false}, {"notes", false}},
}

// Reader reads the rows of a CSV file of deals or meetings, a batch at a
// time. Its first row is a header naming the columns.
type Reader struct {
	Kind Kind
	csv  *csv.Reader
	col  map[string]int
	loc  *time.Location
}

func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(s)
}

// NewReader reads the header of a CSV file and tells deals from meetings
// by it (kind "" guesses: a file with an amount column is of deals, one
// with scheduled_at of meetings). Dates without a time of day are
// midnight in loc, the organization's time zone.
func NewReader(r io.Reader, kind Kind, loc *time.Location) (*Reader, error) {
	c := csv.NewReader(r)
	c.FieldsPerRecord = -1
	c.ReuseRecord = false
	header, err := c.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[normalize(h)] = i
	}
	if kind == "" {
		_, amount := col["amount"]
		_, scheduled := col["scheduled_at"]
		switch {
		case amount && !scheduled:
			kind = Deals
		case scheduled && !amount:
			kind = Meetings
		default:
			return nil, errors.New("cannot tell deals from meetings by the header: say which (--kind)")
		}
	}
	cols, ok := columns[kind]
	if !ok {
		return nil, fmt.Errorf("unknown kind %q: deals or meetings", kind)
	}
	var missing []string
	for _, c := range cols {
		if _, ok := col[c.name]; c.required && !ok {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the CSV header lacks the %s column(s) %s", kind, strings.Join(missing, ", "))
	}
	return &Reader{Kind: kind, csv: c, col: col, loc: loc}, nil
}

// csvRecord is one CSV row with its line.
type csvRecord struct {
	line   int
	fields []string
	col    map[string]int
}

func (r csvRecord) get(name string) string {
	i, ok := r.col[name]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// next reads up to n records; io.EOF when there are none left.
func (r *Reader) next(n int) ([]csvRecord, error) {
	var out []csvRecord
	for len(out) < n {
		fields, err := r.csv.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return out, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
		}
		if err != nil {
			return out, err
		}
		line, _ := r.csv.FieldPos(0)
		if len(fields) == 1 && fields[0] == "" {
			continue // a blank line
		}
		out = append(out, csvRecord{line: line, fields: fields, col: r.col})
	}
	if len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}

// Offset is how far into the file the reader has read, in bytes: for a
// progress bar.
func (r *Reader) Offset() int64 { return r.csv.InputOffset() }

// NextDeals reads up to n deals, with the rows that could not be read as
// deals; io.EOF at the end of the file.
func (r *Reader) NextDeals(n int) ([]Deal, []RowError, error) {
	recs, err := r.next(n)
	if err != nil {
		return nil, nil, err
	}
	var rows []Deal
	var bad []RowError
	for _, rec := range recs {
		d := Deal{Line: rec.line, ExternalID: rec.get("external_id"), OwnerEmail: rec.get("owner_email"),
			Team: rec.get("team"), Name: rec.get("name"), CustomerName: rec.get("customer_name"), Amount: rec.get("amount")}
		var e *errcode.Error
		d.Stage = deal.Stage(strings.ToUpper(rec.get("stage")))
		if err := deal.StageValidator(d.Stage); err != nil {
			e = errcode.BadInput("stage", "%q is not a stage (PROSPECTING, QUALIFIED, PROPOSAL, NEGOTIATION, WON, LOST)", rec.get("stage"))
		}
		if e == nil {
			d.OpenedAt, e = r.instant(rec, "opened_at", "openedAt")
		}
		if e == nil && rec.get("closed_at") != "" {
			var t time.Time
			t, e = r.instant(rec, "closed_at", "closedAt")
			d.ClosedAt = &t
		}
		if e != nil {
			bad = append(bad, RowError{Line: rec.line, ExternalID: d.ExternalID, Field: e.Field, Code: e.Code, Message: e.Message})
			continue
		}
		rows = append(rows, d)
	}
	return rows, bad, nil
}

// NextMeetings reads up to n meetings; see NextDeals.
func (r *Reader) NextMeetings(n int) ([]Meeting, []RowError, error) {
	recs, err := r.next(n)
	if err != nil {
		return nil, nil, err
	}
	var rows []Meeting
	var bad []RowError
	for _, rec := range recs {
		m := Meeting{Line: rec.line, ExternalID: rec.get("external_id"), OwnerEmail: rec.get("owner_email"),
			DealExternalID: rec.get("deal_external_id"), Notes: rec.get("notes")}
		var e *errcode.Error
		m.Kind = meeting.Kind(strings.ToUpper(rec.get("kind")))
		if err := meeting.KindValidator(m.Kind); err != nil {
			e = errcode.BadInput("kind", "%q is not a kind of meeting (DISCOVERY, DEMO, PROPOSAL, NEGOTIATION, FOLLOW_UP)", rec.get("kind"))
		}
		if s := rec.get("status"); e == nil && s != "" {
			m.Status = meeting.Status(strings.ToUpper(s))
			if err := meeting.StatusValidator(m.Status); err != nil {
				e = errcode.BadInput("status", "%q is not a status (SCHEDULED, HELD, CANCELLED, NO_SHOW)", s)
			}
		}
		if e == nil {
			m.ScheduledAt, e = r.instant(rec, "scheduled_at", "scheduledAt")
		}
		if e == nil && rec.get("held_at") != "" {
			var t time.Time
			t, e = r.instant(rec, "held_at", "heldAt")
			m.HeldAt = &t
		}
		if s := rec.get("duration_minutes"); e == nil && s != "" {
			if m.DurationMinutes, _ = strconv.Atoi(s); m.DurationMinutes <= 0 {
				e = errcode.BadInput("durationMinutes", "%q is not a positive whole number of minutes", s)
			}
		}
		if e != nil {
			bad = append(bad, RowError{Line: rec.line, ExternalID: m.ExternalID, Field: e.Field, Code: e.Code, Message: e.Message})
			continue
		}
		rows = append(rows, m)
	}
	return rows, bad, nil
}

// instant reads a column as an RFC 3339 instant, or a date (midnight in
// the organization's time zone).
func (r *Reader) instant(rec csvRecord, column, field string) (time.Time, *errcode.Error) {
	s := rec.get(column)
	if s == "" {
		return time.Time{}, errcode.BadInput(field, "is required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, r.loc); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, errcode.BadInput(field, "%q is not a date (2026-03-31) or an instant (2026-03-31T17:00:00Z)", s)
}
