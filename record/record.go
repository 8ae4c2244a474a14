// Package record holds the rules of the sales record that decide what a
// write of a deal or a meeting stores: its times, its closing, its holding
// and the team a meeting counts toward. They are pure functions of the
// write and the row before it, so that the schema's hooks (one row through
// ent) and bulk import (a batch at a time, package bulk) apply the very
// same rules.
package record

import (
	"time"

	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/errcode"
)

// ClockSkew is how far in the future a client's clock may be before a time
// that must lie in the past ("closed at", "held at") is refused.
const ClockSkew = 5 * time.Minute

// Now is the clock of the record: UTC, truncated to the microsecond that
// PostgreSQL stores, so that SQLite and PostgreSQL hold identical instants.
func Now() time.Time { return Instant(time.Now()) }

// Instant is how a time is stored: in UTC, truncated to the microsecond.
// SQLite compares times as text, which is only correct when all of them
// are written in one zone.
func Instant(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// IsClosed reports whether a stage closes a deal.
func IsClosed(s deal.Stage) bool { return s == deal.StageWon || s == deal.StageLost }

// Closing is what a write of a deal says of its stage and dates, and what
// the deal was before (zero values for a deal being created).
type Closing struct {
	Stage deal.Stage
	// OpenedAt is the deal's opening as it will be; OpenedSet says whether
	// the write sets it.
	OpenedAt  time.Time
	OpenedSet bool
	// ClosedAt is the closing the write sets, if any; ClosedCleared says
	// that the write clears it.
	ClosedAt      *time.Time
	ClosedCleared bool
	// The deal before the write.
	OldStage    deal.Stage
	OldClosedAt *time.Time
}

// Close applies the closing rules to a write of a deal, at now: closedAt
// is set exactly when the deal is WON or LOST (by default now, or the
// closing it had when it was closed already), never in the future (beyond
// ClockSkew) nor before openedAt, and openedAt is not in the future. It
// returns the deal's closing and its cycle in microseconds (nil for an open
// deal), or a BAD_USER_INPUT naming the field at fault.
func Close(c Closing, now time.Time) (closedAt *time.Time, cycleMicros *int64, err error) {
	if c.OpenedSet && c.OpenedAt.After(now.Add(ClockSkew)) {
		return nil, nil, errcode.BadInput("openedAt", "must not be in the future")
	}
	if !IsClosed(c.Stage) {
		if c.ClosedAt != nil {
			return nil, nil, errcode.BadInput("closedAt", "can only be set on a WON or LOST deal")
		}
		return nil, nil, nil
	}
	var at time.Time
	switch {
	case c.ClosedAt != nil:
		at = *c.ClosedAt
	case c.ClosedCleared:
		return nil, nil, errcode.BadInput("closedAt", "a %s deal needs a closedAt", c.Stage)
	case c.OldClosedAt != nil && IsClosed(c.OldStage):
		at = *c.OldClosedAt // WON corrected to LOST, or the reverse
	default:
		at = now
	}
	if at.After(now.Add(ClockSkew)) {
		return nil, nil, errcode.BadInput("closedAt", "must not be in the future")
	}
	if at.Before(c.OpenedAt) {
		return nil, nil, errcode.BadInput("closedAt", "must not be before openedAt")
	}
	cycle := at.Sub(c.OpenedAt).Microseconds()
	return &at, &cycle, nil
}

// Holding is what a write of a meeting says of its status and holding,
// and the holding it had (nil for a meeting being created).
type Holding struct {
	Status      meeting.Status
	ScheduledAt time.Time
	// HeldAt is the holding the write sets, if any; HeldCleared says that
	// the write clears it.
	HeldAt      *time.Time
	HeldCleared bool
	OldHeldAt   *time.Time
}

// Hold applies the holding rules to a write of a meeting, at now: heldAt
// is set exactly when the meeting is HELD (by default at its scheduled
// time, or when it was held already), and a new one is not in the future.
// It returns the meeting's holding (nil unless HELD), or a BAD_USER_INPUT
// naming the field at fault.
func Hold(h Holding, now time.Time) (*time.Time, error) {
	if h.Status != meeting.StatusHeld {
		if h.HeldAt != nil {
			return nil, errcode.BadInput("heldAt", "can only be set on a HELD meeting")
		}
		return nil, nil
	}
	var at time.Time
	switch {
	case h.HeldAt != nil:
		at = *h.HeldAt
	case h.HeldCleared:
		return nil, errcode.BadInput("heldAt", "a HELD meeting needs a heldAt")
	case h.OldHeldAt != nil:
		return h.OldHeldAt, nil
	default:
		at = h.ScheduledAt
	}
	if at.After(now.Add(ClockSkew)) {
		return nil, errcode.BadInput("heldAt", "must not be in the future: a meeting is HELD once it took place")
	}
	return &at, nil
}

// StampsTeam reports whether a write of a meeting records the team it
// counts toward again (DESIGN.md §3: history does not move when people
// change teams): when the meeting is recorded, when it becomes HELD (a
// meeting scheduled in one team and held after its owner moved counts
// toward the team it was held for), and when it changes owner. Any other
// change, re-imports of the same row included, keeps its team. The team
// stamped is the owner's team of the moment, or none.
// oldStatus and status are the meeting's before and after the write (equal
// when the write leaves it).
func StampsTeam(creating, ownerChanged bool, oldStatus, status meeting.Status) bool {
	return creating || ownerChanged || status == meeting.StatusHeld && oldStatus != meeting.StatusHeld
}
