package record_test

import (
	"testing"
	"time"

	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/errcode"
	"kpiflow/record"
)

var (
	now    = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	opened = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
)

func ptr(t time.Time) *time.Time { return &t }

func fieldOf(err error) string {
	if c, ok := errcode.As(err); ok {
		return c.Field
	}
	return ""
}

func TestClose(t *testing.T) {
	closed := opened.Add(48 * time.Hour)
	for _, c := range []struct {
		name   string
		in     record.Closing
		closed *time.Time // nil: open
		field  string     // the error's field, if any
	}{
		{"open", record.Closing{Stage: deal.StageProspecting, OpenedAt: opened, OpenedSet: true}, nil, ""},
		{"open with a closing", record.Closing{Stage: deal.StageQualified, OpenedAt: opened, ClosedAt: &closed}, nil, "closedAt"},
		{"opened in the future", record.Closing{Stage: deal.StageProspecting, OpenedAt: now.Add(time.Hour), OpenedSet: true}, nil, "openedAt"},
		{"opened within the clock skew", record.Closing{Stage: deal.StageProspecting, OpenedAt: now.Add(time.Minute), OpenedSet: true}, nil, ""},
		{"won, closed as given", record.Closing{Stage: deal.StageWon, OpenedAt: opened, ClosedAt: &closed}, &closed, ""},
		{"won without a closing: now", record.Closing{Stage: deal.StageWon, OpenedAt: opened}, &now, ""},
		{"won, the closing cleared", record.Closing{Stage: deal.StageWon, OpenedAt: opened, ClosedCleared: true}, nil, "closedAt"},
		{"won corrected to lost keeps its closing", record.Closing{Stage: deal.StageLost, OpenedAt: opened,
			OldStage: deal.StageWon, OldClosedAt: &closed}, &closed, ""},
		{"closed before opened", record.Closing{Stage: deal.StageLost, OpenedAt: closed, ClosedAt: ptr(opened)}, nil, "closedAt"},
		{"closed in the future", record.Closing{Stage: deal.StageWon, OpenedAt: opened, ClosedAt: ptr(now.Add(time.Hour))}, nil, "closedAt"},
	} {
		got, cycle, err := record.Close(c.in, now)
		if fieldOf(err) != c.field || (err != nil) != (c.field != "") {
			t.Errorf("%s: error %v, want one on %q", c.name, err, c.field)
			continue
		}
		if err != nil {
			continue
		}
		switch {
		case c.closed == nil && (got != nil || cycle != nil):
			t.Errorf("%s: closed %v, cycle %v; want open", c.name, got, cycle)
		case c.closed != nil && (got == nil || !got.Equal(*c.closed) || cycle == nil ||
			*cycle != c.closed.Sub(c.in.OpenedAt).Microseconds()):
			t.Errorf("%s: closed %v, cycle %v; want %v", c.name, got, cycle, c.closed)
		}
	}
}

func TestHold(t *testing.T) {
	scheduled := time.Date(2026, 10, 3, 15, 0, 0, 0, time.UTC)
	held := scheduled.Add(time.Hour)
	for _, c := range []struct {
		name  string
		in    record.Holding
		held  *time.Time
		field string
	}{
		{"scheduled", record.Holding{Status: meeting.StatusScheduled, ScheduledAt: scheduled}, nil, ""},
		{"scheduled with a holding", record.Holding{Status: meeting.StatusScheduled, ScheduledAt: scheduled, HeldAt: &held}, nil, "heldAt"},
		{"held as given", record.Holding{Status: meeting.StatusHeld, ScheduledAt: scheduled, HeldAt: &held}, &held, ""},
		{"held at its time by default", record.Holding{Status: meeting.StatusHeld, ScheduledAt: scheduled}, &scheduled, ""},
		{"held before keeps its holding", record.Holding{Status: meeting.StatusHeld, ScheduledAt: scheduled, OldHeldAt: &held}, &held, ""},
		{"held, the holding cleared", record.Holding{Status: meeting.StatusHeld, ScheduledAt: scheduled, HeldCleared: true}, nil, "heldAt"},
		{"held in the future", record.Holding{Status: meeting.StatusHeld, ScheduledAt: now.Add(time.Hour)}, nil, "heldAt"},
		{"cancelled after it was held", record.Holding{Status: meeting.StatusCancelled, ScheduledAt: scheduled, OldHeldAt: &held}, nil, ""},
	} {
		got, err := record.Hold(c.in, now)
		if fieldOf(err) != c.field || (err != nil) != (c.field != "") {
			t.Errorf("%s: error %v, want one on %q", c.name, err, c.field)
			continue
		}
		if (got == nil) != (c.held == nil) || got != nil && !got.Equal(*c.held) {
			t.Errorf("%s: held %v, want %v", c.name, got, c.held)
		}
	}
}

func TestStampsTeam(t *testing.T) {
	for _, c := range []struct {
		creating, ownerChanged bool
		old, now               meeting.Status
		want                   bool
	}{
		{true, false, "", meeting.StatusScheduled, true},
		{false, true, meeting.StatusScheduled, meeting.StatusScheduled, true},
		{false, false, meeting.StatusScheduled, meeting.StatusHeld, true},
		{false, false, meeting.StatusHeld, meeting.StatusHeld, false},
		{false, false, meeting.StatusScheduled, meeting.StatusCancelled, false},
	} {
		if got := record.StampsTeam(c.creating, c.ownerChanged, c.old, c.now); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
}
