// Package bulk imports deals and meetings from other systems (DESIGN.md
// §12): many rows per call, idempotent by the rows' external IDs (a row
// whose external ID is known updates its record, or leaves it as it is;
// none is ever duplicated), every row validated, the bad ones reported by
// line while the good ones are imported, or nothing imported at all when
// the caller asks for all or nothing.
//
// A batch is checked and written set-based, in the caller's transaction,
// with the caller's rights and the very rules ent applies to one row
// (createDeal, updateDeal…), but a batch at a time: one query reads the
// batch's owners, one its records by external ID, one the teams (or the
// deals its meetings name), each with the viewer's privacy filter, so what
// is out of sight stays out of sight; then every row is validated in Go by
// the functions the schema's hooks call (package record: closing, holding,
// the team a meeting counts toward, times), the generated field validators
// and the policies' own decisions (access.Recorder: who may record for
// whom, toward which team); and what passes is written by one multi-row
// INSERT and one UPDATE per table (Batch.write). A rejected row is never
// written, so nothing needs undoing and no savepoint is needed.
package bulk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"kpiflow/access"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/money"
	"kpiflow/record"
	"kpiflow/viewer"
)

// MaxRows is the most rows one call of the API may import; the command
// line imports files of any size in batches of this many.
const MaxRows = 1000

// Deal is a deal to import.
type Deal struct {
	// Line is where the row came from: its line in a CSV file, or its
	// position in a list, from 1.
	Line       int
	ExternalID string
	OwnerEmail string
	// Team is the name of the team the deal counts toward; empty for the
	// owner's team.
	Team         string
	Name         string
	CustomerName string
	// Amount is a decimal in the organization's currency.
	Amount   string
	Stage    deal.Stage
	OpenedAt time.Time
	ClosedAt *time.Time
}

// Meeting is a meeting to import.
type Meeting struct {
	Line       int
	ExternalID string
	OwnerEmail string
	// DealExternalID links the meeting to an imported deal, if not empty.
	DealExternalID  string
	Kind            meeting.Kind
	ScheduledAt     time.Time
	DurationMinutes int // 0: the default
	Status          meeting.Status
	HeldAt          *time.Time
	Notes           string
}

// RowError is why a row was not imported.
type RowError struct {
	Line       int
	ExternalID string
	// Field is the row's field at fault (GraphQL spelling), if one is.
	Field   string
	Code    errcode.Code
	Message string
}

func (e RowError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

// Result is what an import did.
type Result struct {
	Created, Updated, Unchanged int
	Rejected                    []RowError
	// Committed is false when all or nothing was asked for and a row was
	// rejected: then nothing was imported, and the counts say what would
	// have been.
	Committed bool
}

// Add adds another batch's result to r.
func (r *Result) Add(o *Result) {
	r.Created += o.Created
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Rejected = append(r.Rejected, o.Rejected...)
	r.Committed = r.Committed && o.Committed
}

type outcome int

const (
	created outcome = iota
	updated
	unchanged
)

func (r *Result) count(o outcome) {
	switch o {
	case created:
		r.Created++
	case updated:
		r.Updated++
	default:
		r.Unchanged++
	}
}

// Batch is what one batch of an import writes: the new records, and the
// changed ones with what they were.
type Batch struct {
	NewDeals     []*ent.Deal
	ChangedDeals []DealChange
	NewMeetings  []*ent.Meeting
	// ChangedMeetings are the meetings changed.
	ChangedMeetings []MeetingChange
}

// DealChange is a deal an import changes: Old as it was, New as it will be.
type DealChange struct{ Old, New *ent.Deal }

// MeetingChange is a meeting an import changes.
type MeetingChange struct{ Old, New *ent.Meeting }

// batcher checks the rows of one batch.
type batcher struct {
	ctx    context.Context
	client *ent.Client
	org    *ent.Organization
	rec    *access.Recorder
	now    time.Time
	owners map[string]*ent.User
}

// rowError turns why a row is refused into its RowError.
func rowError(line int, externalID string, err error) RowError {
	re := RowError{Line: line, ExternalID: externalID}
	if c, ok := errcode.As(err); ok {
		re.Code, re.Field, re.Message = c.Code, c.Field, c.Message
	} else {
		re.Code, re.Message = errcode.BadUserInput, err.Error()
	}
	return re
}

// invalid is the error of a generated field validator, as ent reports it
// (errcode.ValidationReason): BAD_USER_INPUT naming the field.
func invalid(field string, err error) error {
	if err == nil {
		return nil
	}
	return errcode.BadInput(errcode.GraphQLName(field), "%s", err.Error())
}

// conflict is what a row gets whose external ID is taken by a record out
// of the viewer's sight (the unique index's answer to a single write).
var conflict = errcode.New(errcode.Conflict, "conflicts with an existing record (a unique value is already taken)")

// newBatcher checks what every row needs before anything else: an external
// ID, given once in the batch, and an owner in reach. It returns the
// rows' rejections so far.
func newBatcher(ctx context.Context, client *ent.Client, org *ent.Organization, lines []int, externalIDs, emails []string) (*batcher, map[int]RowError, error) {
	rec, err := access.RecorderOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	b := &batcher{ctx: ctx, client: client, org: org, rec: rec, now: record.Now()}
	bad := map[int]RowError{}
	first := map[string]int{}
	for i, id := range externalIDs {
		switch {
		case strings.TrimSpace(id) == "":
			bad[i] = RowError{Line: lines[i], Field: "externalId", Code: errcode.BadUserInput, Message: "is required: it is what makes a re-import update instead of duplicate"}
		case len(id) > 200:
			bad[i] = RowError{Line: lines[i], ExternalID: id, Field: "externalId", Code: errcode.BadUserInput, Message: "is longer than 200 characters"}
		default:
			if j, dup := first[id]; dup {
				bad[i] = RowError{Line: lines[i], ExternalID: id, Field: "externalId", Code: errcode.BadUserInput,
					Message: fmt.Sprintf("appears twice in this import (first at line %d)", lines[j])}
			} else {
				first[id] = i
			}
		}
	}
	wanted := map[string]bool{}
	for _, e := range emails {
		wanted[emailKey(e)] = true
	}
	list := make([]string, 0, len(wanted))
	for e := range wanted {
		list = append(list, e)
	}
	// Users out of the caller's reach are not found, as everywhere.
	users, err := client.User.Query().Where(user.OrganizationID(org.ID), user.EmailIn(list...)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	b.owners = make(map[string]*ent.User, len(users))
	for _, u := range users {
		b.owners[strings.ToLower(u.Email)] = u
	}
	for i, e := range emails {
		if _, done := bad[i]; done {
			continue
		}
		if b.owners[emailKey(e)] == nil {
			bad[i] = RowError{Line: lines[i], ExternalID: externalIDs[i], Field: "ownerEmail", Code: errcode.BadUserInput,
				Message: fmt.Sprintf("no user %q in your reach", e)}
		}
	}
	return b, bad, nil
}

func emailKey(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func (b *batcher) owner(email string) *ent.User { return b.owners[emailKey(email)] }

// taken returns which of the external IDs, none of them of a record the
// viewer sees, a record of the organization out of the viewer's sight
// has (the system sees every record: none).
func (b *batcher) taken(unseen []string, query func(ctx context.Context, ids []string) ([]string, error)) (map[string]bool, error) {
	out := map[string]bool{}
	if b.rec.System() || len(unseen) == 0 {
		return out, nil
	}
	ids, err := query(viewer.System(b.ctx), unseen)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// ImportDeals imports deals for the organization through client, which
// must be a transaction's (ctx carrying it) and act with the caller's
// rights; d is the database's dialect.
func ImportDeals(ctx context.Context, client *ent.Client, d string, org *ent.Organization, rows []Deal, allOrNothing bool) (*Result, error) {
	lines, ids, emails := make([]int, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		lines[i], ids[i], emails[i] = r.Line, r.ExternalID, r.OwnerEmail
	}
	b, bad, err := newBatcher(ctx, client, org, lines, ids, emails)
	if err != nil {
		return nil, err
	}
	existing := map[string]*ent.Deal{}
	found, err := client.Deal.Query().Where(deal.OrganizationID(org.ID), deal.ExternalIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range found {
		existing[*d.ExternalID] = d
	}
	teams := map[string]pulid.ID{}
	visible := map[pulid.ID]bool{}
	ts, err := client.Team.Query().Where(team.OrganizationID(org.ID)).Select(team.FieldID, team.FieldName).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		teams[strings.ToLower(t.Name)] = t.ID
		visible[t.ID] = true
	}
	var unseen []string
	for i, id := range ids {
		if _, ok := bad[i]; !ok && existing[id] == nil {
			unseen = append(unseen, id)
		}
	}
	taken, err := b.taken(unseen, func(ctx context.Context, ids []string) ([]string, error) {
		return client.Deal.Query().Where(deal.OrganizationID(org.ID), deal.ExternalIDIn(ids...)).
			Select(deal.FieldExternalID).Strings(ctx)
	})
	if err != nil {
		return nil, err
	}
	res, batch := &Result{}, &Batch{}
	for i, r := range rows {
		if e, ok := bad[i]; ok {
			res.Rejected = append(res.Rejected, e)
			continue
		}
		old := existing[r.ExternalID]
		nd, err := b.deal(r, b.owner(r.OwnerEmail), old, teams, visible)
		if err == nil && old == nil && taken[r.ExternalID] {
			err = conflict
		}
		switch {
		case err != nil:
			res.Rejected = append(res.Rejected, rowError(r.Line, r.ExternalID, err))
		case nd == nil:
			res.count(unchanged)
		case old == nil:
			batch.NewDeals = append(batch.NewDeals, nd)
			res.count(created)
		default:
			batch.ChangedDeals = append(batch.ChangedDeals, DealChange{Old: old, New: nd})
			res.count(updated)
		}
	}
	if allOrNothing && len(res.Rejected) > 0 {
		return res, nil // nothing written; the counts say what would have been
	}
	if err := batch.write(ctx, client, d); err != nil {
		return nil, err
	}
	res.Committed = true
	return res, nil
}

// deal checks one deal against the rules, in the order ent applies them
// to a single write (the privacy policy, the schema's hooks, the field
// validators), and returns the deal as it is to be stored: nil when the
// stored one is already as given.
func (b *batcher) deal(r Deal, owner *ent.User, old *ent.Deal, teams map[string]pulid.ID, visible map[pulid.ID]bool) (*ent.Deal, error) {
	amount, err := amountOf(r.Amount, b.org.Currency)
	if err != nil {
		return nil, err
	}
	teamID := owner.TeamID
	if r.Team != "" {
		id, ok := teams[strings.ToLower(strings.TrimSpace(r.Team))]
		if !ok {
			return nil, errcode.BadInput("team", "no team %q", r.Team)
		}
		teamID = &id
	}
	if teamID == nil {
		return nil, errcode.BadInput("team", "%s belongs to no team: name the team the deal counts toward", owner.Email)
	}
	openedAt := record.Instant(r.OpenedAt)
	var closedAt *time.Time
	if r.ClosedAt != nil {
		t := record.Instant(*r.ClosedAt)
		closedAt = &t
	}
	if old != nil {
		closed := closedAt
		if closed == nil && old.ClosedAt != nil && record.IsClosed(r.Stage) {
			closed = old.ClosedAt // closed when first imported: a re-import keeps the date
		}
		if old.OwnerID == owner.ID && old.TeamID == *teamID && old.Name == r.Name &&
			old.CustomerName == r.CustomerName && old.Amount == amount && old.Stage == r.Stage &&
			old.OpenedAt.Equal(openedAt) && sameTime(old.ClosedAt, closed) {
			return nil, nil
		}
	}
	// The privacy policy: who may record for the owner, toward the team.
	if err := b.rec.MayOwn(owner.ID, deref(owner.TeamID)); err != nil {
		return nil, err
	}
	if err := b.rec.MayCountToward(*teamID, visible[*teamID]); err != nil {
		return nil, err
	}
	// The hooks: the team is of the organization (the system sees all of
	// its teams), and the closing rules.
	if !visible[*teamID] {
		return nil, errcode.BadInput("teamID", "no such team")
	}
	c := record.Closing{Stage: r.Stage, OpenedAt: openedAt, OpenedSet: true, ClosedAt: closedAt}
	if old != nil {
		c.OldStage, c.OldClosedAt = old.Stage, old.ClosedAt
	}
	closedAt, cycle, err := record.Close(c, b.now)
	if err != nil {
		return nil, err
	}
	// The field validators.
	if err := errors.Join(invalid(deal.FieldName, deal.NameValidator(r.Name)),
		invalid(deal.FieldCustomerName, deal.CustomerNameValidator(r.CustomerName)),
		invalid(deal.FieldAmount, deal.AmountValidator(amount)),
		invalid(deal.FieldStage, deal.StageValidator(r.Stage))); err != nil {
		return nil, firstOf(err)
	}
	nd := &ent.Deal{OrganizationID: b.org.ID, OwnerID: owner.ID, TeamID: *teamID, Name: r.Name,
		CustomerName: r.CustomerName, Amount: amount, Stage: r.Stage, OpenedAt: openedAt, ClosedAt: closedAt,
		CycleMicros: cycle, UpdatedAt: b.now}
	if old == nil {
		id := r.ExternalID
		nd.ID, nd.CreatedAt, nd.ExternalID = deal.DefaultID(), b.now, &id
	} else {
		nd.ID, nd.CreatedAt, nd.ExternalID = old.ID, old.CreatedAt, old.ExternalID
	}
	return nd, nil
}

// firstOf returns the first of joined errors: the one ent would report.
func firstOf(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()[0]
	}
	return err
}

func deref(id *pulid.ID) pulid.ID {
	if id == nil {
		return ""
	}
	return *id
}

// ImportMeetings imports meetings for the organization; see ImportDeals.
// A meeting's deal is named by its external ID, and must be imported
// first (in an earlier call, or earlier in the same file).
func ImportMeetings(ctx context.Context, client *ent.Client, d string, org *ent.Organization, rows []Meeting, allOrNothing bool) (*Result, error) {
	lines, ids, emails := make([]int, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	var dealIDs []string
	for i, r := range rows {
		lines[i], ids[i], emails[i] = r.Line, r.ExternalID, r.OwnerEmail
		if r.DealExternalID != "" {
			dealIDs = append(dealIDs, r.DealExternalID)
		}
	}
	b, bad, err := newBatcher(ctx, client, org, lines, ids, emails)
	if err != nil {
		return nil, err
	}
	existing := map[string]*ent.Meeting{}
	found, err := client.Meeting.Query().Where(meeting.OrganizationID(org.ID), meeting.ExternalIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range found {
		existing[*m.ExternalID] = m
	}
	deals := map[string]pulid.ID{}
	if len(dealIDs) > 0 {
		ds, err := client.Deal.Query().Where(deal.OrganizationID(org.ID), deal.ExternalIDIn(dealIDs...)).
			Select(deal.FieldID, deal.FieldExternalID).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			deals[*d.ExternalID] = d.ID
		}
	}
	var unseen []string
	for i, id := range ids {
		if _, ok := bad[i]; !ok && existing[id] == nil {
			unseen = append(unseen, id)
		}
	}
	taken, err := b.taken(unseen, func(ctx context.Context, ids []string) ([]string, error) {
		return client.Meeting.Query().Where(meeting.OrganizationID(org.ID), meeting.ExternalIDIn(ids...)).
			Select(meeting.FieldExternalID).Strings(ctx)
	})
	if err != nil {
		return nil, err
	}
	res, batch := &Result{}, &Batch{}
	for i, r := range rows {
		if e, ok := bad[i]; ok {
			res.Rejected = append(res.Rejected, e)
			continue
		}
		old := existing[r.ExternalID]
		nm, err := b.meeting(r, b.owner(r.OwnerEmail), old, deals)
		if err == nil && old == nil && taken[r.ExternalID] {
			err = conflict
		}
		switch {
		case err != nil:
			res.Rejected = append(res.Rejected, rowError(r.Line, r.ExternalID, err))
		case nm == nil:
			res.count(unchanged)
		case old == nil:
			batch.NewMeetings = append(batch.NewMeetings, nm)
			res.count(created)
		default:
			batch.ChangedMeetings = append(batch.ChangedMeetings, MeetingChange{Old: old, New: nm})
			res.count(updated)
		}
	}
	if allOrNothing && len(res.Rejected) > 0 {
		return res, nil
	}
	if err := batch.write(ctx, client, d); err != nil {
		return nil, err
	}
	res.Committed = true
	return res, nil
}

// meeting checks one meeting against the rules, as deal does.
func (b *batcher) meeting(r Meeting, owner *ent.User, old *ent.Meeting, deals map[string]pulid.ID) (*ent.Meeting, error) {
	var dealID *pulid.ID
	if r.DealExternalID != "" {
		id, ok := deals[r.DealExternalID]
		if !ok {
			return nil, errcode.BadInput("dealExternalId", "no deal %q: import deals before their meetings", r.DealExternalID)
		}
		dealID = &id
	}
	duration := r.DurationMinutes
	if duration == 0 {
		duration = meeting.DefaultDurationMinutes
	}
	status := r.Status
	if status == "" {
		status = meeting.DefaultStatus
	}
	scheduledAt := record.Instant(r.ScheduledAt)
	var heldAt *time.Time
	if r.HeldAt != nil {
		t := record.Instant(*r.HeldAt)
		heldAt = &t
	}
	if old != nil && old.OwnerID == owner.ID && samePtr(old.DealID, dealID) && old.Kind == r.Kind &&
		old.ScheduledAt.Equal(scheduledAt) && old.DurationMinutes == duration && old.Status == status &&
		(heldAt == nil || sameTime(old.HeldAt, heldAt)) && old.Notes == r.Notes {
		return nil, nil
	}
	// The privacy policy: who may record for the owner.
	if err := b.rec.MayOwn(owner.ID, deref(owner.TeamID)); err != nil {
		return nil, err
	}
	// The hooks: the holding rules, and the team the meeting counts toward.
	h := record.Holding{Status: status, ScheduledAt: scheduledAt, HeldAt: heldAt}
	if old != nil {
		h.OldHeldAt = old.HeldAt
	}
	heldAt, err := record.Hold(h, b.now)
	if err != nil {
		return nil, err
	}
	nm := &ent.Meeting{OrganizationID: b.org.ID, OwnerID: owner.ID, DealID: dealID, Kind: r.Kind,
		ScheduledAt: scheduledAt, DurationMinutes: duration, Status: status, HeldAt: heldAt, Notes: r.Notes,
		UpdatedAt: b.now}
	var oldStatus meeting.Status
	if old != nil {
		nm.TeamID, oldStatus = old.TeamID, old.Status
	}
	if record.StampsTeam(old == nil, old != nil && old.OwnerID != owner.ID, oldStatus, status) {
		nm.TeamID = owner.TeamID
	}
	// The field validators.
	if err := errors.Join(invalid(meeting.FieldKind, meeting.KindValidator(r.Kind)),
		invalid(meeting.FieldDurationMinutes, meeting.DurationMinutesValidator(duration)),
		invalid(meeting.FieldStatus, meeting.StatusValidator(status)),
		invalid(meeting.FieldNotes, meeting.NotesValidator(r.Notes))); err != nil {
		return nil, firstOf(err)
	}
	if old == nil {
		id := r.ExternalID
		nm.ID, nm.CreatedAt, nm.ExternalID = meeting.DefaultID(), b.now, &id
	} else {
		nm.ID, nm.CreatedAt, nm.ExternalID = old.ID, old.CreatedAt, old.ExternalID
	}
	return nm, nil
}

func amountOf(s, currency string) (int64, error) {
	d, err := money.ParseDecimal(strings.TrimSpace(s))
	if err != nil {
		return 0, errcode.BadInput("amount", "%v", err)
	}
	minor, err := money.ToMinor(d, currency)
	if err != nil {
		return 0, errcode.BadInput("amount", "%v", err)
	}
	if minor < 0 {
		return 0, errcode.BadInput("amount", "must not be negative")
	}
	return minor, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func samePtr(a, b *pulid.ID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
