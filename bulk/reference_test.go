package bulk_test

// The reference for the equivalence test: the import as it was before it
// went set-based, one row at a time through ent, with the schema's hooks
// and the privacy policies applied to each write by ent itself, each row in
// a savepoint. It is kept here, in the test, as the definition the batch
// path must agree with, with two corrections made to both:
//  1. times are compared as they are stored (UTC, microseconds), so a row
//     given with nanoseconds is unchanged on re-import;
//  2. a WON or LOST row without closedAt updates a deal as createDeal and
//     updateDeal do (closed now, or when it was closed), instead of being
//     refused because the update cleared the closing.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql/sqlgraph"

	"kpiflow/bulk"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/privacy"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/errcode"
	"kpiflow/money"
	"kpiflow/record"
)

// importer holds what one batch needs.
type importer struct {
	ctx    context.Context
	client *ent.Client
	org    *ent.Organization
	seq    int
}

// savepoint runs f in a savepoint: when f fails, what it wrote is undone
// and the transaction goes on.
func (im *importer) savepoint(f func() error) error {
	im.seq++
	name := fmt.Sprintf("kpiflow_bulk_%d", im.seq)
	if _, err := im.client.ExecContext(im.ctx, "SAVEPOINT "+name); err != nil {
		return err
	}
	if err := f(); err != nil {
		if _, rerr := im.client.ExecContext(im.ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, rerr)
		}
		if _, rerr := im.client.ExecContext(im.ctx, "RELEASE SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := im.client.ExecContext(im.ctx, "RELEASE SAVEPOINT "+name)
	return err
}

// rowError turns what a row's write returned into a RowError, or returns
// false for an error that is not the row's fault (the database is down):
// that one ends the import.
func rowError(line int, externalID string, err error) (bulk.RowError, bool) {
	re := bulk.RowError{Line: line, ExternalID: externalID}
	var ve *ent.ValidationError
	switch c, ok := errcode.As(err); {
	case ok:
		re.Code, re.Field, re.Message = c.Code, c.Field, c.Message
	case errors.As(err, &ve):
		re.Code, re.Field, re.Message = errcode.BadUserInput, errcode.GraphQLName(ve.Name), errcode.ValidationReason(ve)
	case ent.IsNotFound(err) || errors.Is(err, privacy.Deny):
		re.Code, re.Message = errcode.Forbidden, "you may not record this for its owner"
	case sqlgraph.IsUniqueConstraintError(err):
		re.Code, re.Message = errcode.Conflict, "conflicts with an existing record (a unique value is already taken)"
	case ent.IsConstraintError(err):
		re.Code, re.Message = errcode.BadUserInput, "refers to a record that does not exist"
	default:
		return re, false
	}
	return re, true
}

// prepare checks what every row needs before anything is written: an
// external ID, given once in the batch, and an owner in reach. It returns
// the owners by email and the rows' rejections so far.
func (im *importer) prepare(lines []int, externalIDs, emails []string) (map[string]*ent.User, map[int]bulk.RowError, error) {
	bad := map[int]bulk.RowError{}
	first := map[string]int{}
	for i, id := range externalIDs {
		switch {
		case strings.TrimSpace(id) == "":
			bad[i] = bulk.RowError{Line: lines[i], Field: "externalId", Code: errcode.BadUserInput, Message: "is required: it is what makes a re-import update instead of duplicate"}
		case len(id) > 200:
			bad[i] = bulk.RowError{Line: lines[i], ExternalID: id, Field: "externalId", Code: errcode.BadUserInput, Message: "is longer than 200 characters"}
		default:
			if j, dup := first[id]; dup {
				bad[i] = bulk.RowError{Line: lines[i], ExternalID: id, Field: "externalId", Code: errcode.BadUserInput,
					Message: fmt.Sprintf("appears twice in this import (first at line %d)", lines[j])}
			} else {
				first[id] = i
			}
		}
	}
	wanted := map[string]bool{}
	for _, e := range emails {
		wanted[strings.ToLower(strings.TrimSpace(e))] = true
	}
	list := make([]string, 0, len(wanted))
	for e := range wanted {
		list = append(list, e)
	}
	// Users out of the caller's reach are not found, as everywhere.
	users, err := im.client.User.Query().Where(user.OrganizationID(im.org.ID), user.EmailIn(list...)).All(im.ctx)
	if err != nil {
		return nil, nil, err
	}
	owners := make(map[string]*ent.User, len(users))
	for _, u := range users {
		owners[strings.ToLower(u.Email)] = u
	}
	for i, e := range emails {
		if _, done := bad[i]; done {
			continue
		}
		if owners[strings.ToLower(strings.TrimSpace(e))] == nil {
			bad[i] = bulk.RowError{Line: lines[i], ExternalID: externalIDs[i], Field: "ownerEmail", Code: errcode.BadUserInput,
				Message: fmt.Sprintf("no user %q in your reach", e)}
		}
	}
	return owners, bad, nil
}

// all runs the batch in a savepoint of its own when all or nothing was
// asked for, and undoes it when a row was rejected.
func (im *importer) all(allOrNothing bool, res *bulk.Result, rows func() error) error {
	if !allOrNothing {
		res.Committed = true
		return rows()
	}
	rejected := errors.New("rows rejected")
	err := im.savepoint(func() error {
		if err := rows(); err != nil {
			return err
		}
		if len(res.Rejected) > 0 {
			return rejected
		}
		return nil
	})
	switch {
	case errors.Is(err, rejected):
		res.Committed = false
		return nil
	case err != nil:
		return err
	}
	res.Committed = true
	return nil
}

// referenceDeals imports deals for the organization through client, which
// must be a transaction's (ctx carrying it) and act with the caller's
// rights.
func referenceDeals(ctx context.Context, client *ent.Client, org *ent.Organization, rows []bulk.Deal, allOrNothing bool) (*bulk.Result, error) {
	im := &importer{ctx: ctx, client: client, org: org}
	lines, ids, emails := make([]int, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		lines[i], ids[i], emails[i] = r.Line, r.ExternalID, r.OwnerEmail
	}
	owners, bad, err := im.prepare(lines, ids, emails)
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
	ts, err := client.Team.Query().Where(team.OrganizationID(org.ID)).Select(team.FieldID, team.FieldName).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		teams[strings.ToLower(t.Name)] = t.ID
	}
	res := &bulk.Result{}
	err = im.all(allOrNothing, res, func() error {
		for i, r := range rows {
			if e, ok := bad[i]; ok {
				res.Rejected = append(res.Rejected, e)
				continue
			}
			outcome, err := im.deal(r, owners[strings.ToLower(strings.TrimSpace(r.OwnerEmail))], existing[r.ExternalID], teams)
			if err != nil {
				re, ok := rowError(r.Line, r.ExternalID, err)
				if !ok {
					return err
				}
				res.Rejected = append(res.Rejected, re)
				continue
			}
			count(res, outcome)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type outcome int

const (
	created outcome = iota
	updated
	unchanged
)

func count(r *bulk.Result, o outcome) {
	switch o {
	case created:
		r.Created++
	case updated:
		r.Updated++
	default:
		r.Unchanged++
	}
}

// deal creates or updates one deal, in a savepoint.
func (im *importer) deal(r bulk.Deal, owner *ent.User, old *ent.Deal, teams map[string]pulid.ID) (outcome, error) {
	amount, err := amountOf(r.Amount, im.org.Currency)
	if err != nil {
		return 0, err
	}
	teamID := owner.TeamID
	if r.Team != "" {
		id, ok := teams[strings.ToLower(strings.TrimSpace(r.Team))]
		if !ok {
			return 0, errcode.BadInput("team", "no team %q", r.Team)
		}
		teamID = &id
	}
	if teamID == nil {
		return 0, errcode.BadInput("team", "%s belongs to no team: name the team the deal counts toward", owner.Email)
	}
	// Correction 1: times compare as they are stored.
	r.OpenedAt = record.Instant(r.OpenedAt)
	if r.ClosedAt != nil {
		t := record.Instant(*r.ClosedAt)
		r.ClosedAt = &t
	}
	closed := r.ClosedAt
	if closed == nil && old != nil && old.ClosedAt != nil && (r.Stage == deal.StageWon || r.Stage == deal.StageLost) {
		closed = old.ClosedAt // closed when first imported: a re-import keeps the date
	}
	if old != nil && old.OwnerID == owner.ID && old.TeamID == *teamID && old.Name == r.Name &&
		old.CustomerName == r.CustomerName && old.Amount == amount && old.Stage == r.Stage &&
		old.OpenedAt.Equal(r.OpenedAt) && sameTime(old.ClosedAt, closed) {
		return unchanged, nil
	}
	err = im.savepoint(func() error {
		if old == nil {
			return im.client.Deal.Create().SetExternalID(r.ExternalID).SetOwnerID(owner.ID).SetTeamID(*teamID).
				SetName(r.Name).SetCustomerName(r.CustomerName).SetAmount(amount).SetStage(r.Stage).
				SetOpenedAt(r.OpenedAt).SetNillableClosedAt(r.ClosedAt).Exec(im.ctx)
		}
		u := im.client.Deal.UpdateOne(old).SetOwnerID(owner.ID).SetTeamID(*teamID).SetName(r.Name).
			SetCustomerName(r.CustomerName).SetAmount(amount).SetStage(r.Stage).SetOpenedAt(r.OpenedAt)
		// Correction 2: a closed deal without a closedAt is closed as
		// createDeal and updateDeal close it (now, or when it was closed).
		if r.ClosedAt != nil {
			u.SetClosedAt(*r.ClosedAt)
		} else if r.Stage != deal.StageWon && r.Stage != deal.StageLost {
			u.ClearClosedAt()
		}
		return u.Exec(im.ctx)
	})
	if err != nil {
		return 0, err
	}
	if old == nil {
		return created, nil
	}
	return updated, nil
}

// referenceMeetings imports meetings; see referenceDeals.
// A meeting's deal is named by its external ID, and must be imported
// first (in an earlier call, or earlier in the same file).
func referenceMeetings(ctx context.Context, client *ent.Client, org *ent.Organization, rows []bulk.Meeting, allOrNothing bool) (*bulk.Result, error) {
	im := &importer{ctx: ctx, client: client, org: org}
	lines, ids, emails := make([]int, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	var dealIDs []string
	for i, r := range rows {
		lines[i], ids[i], emails[i] = r.Line, r.ExternalID, r.OwnerEmail
		if r.DealExternalID != "" {
			dealIDs = append(dealIDs, r.DealExternalID)
		}
	}
	owners, bad, err := im.prepare(lines, ids, emails)
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
	ds, err := client.Deal.Query().Where(deal.OrganizationID(org.ID), deal.ExternalIDIn(dealIDs...)).
		Select(deal.FieldID, deal.FieldExternalID).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		deals[*d.ExternalID] = d.ID
	}
	res := &bulk.Result{}
	err = im.all(allOrNothing, res, func() error {
		for i, r := range rows {
			if e, ok := bad[i]; ok {
				res.Rejected = append(res.Rejected, e)
				continue
			}
			outcome, err := im.meeting(r, owners[strings.ToLower(strings.TrimSpace(r.OwnerEmail))], existing[r.ExternalID], deals)
			if err != nil {
				re, ok := rowError(r.Line, r.ExternalID, err)
				if !ok {
					return err
				}
				res.Rejected = append(res.Rejected, re)
				continue
			}
			count(res, outcome)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// meeting creates or updates one meeting, in a savepoint.
func (im *importer) meeting(r bulk.Meeting, owner *ent.User, old *ent.Meeting, deals map[string]pulid.ID) (outcome, error) {
	var dealID *pulid.ID
	if r.DealExternalID != "" {
		id, ok := deals[r.DealExternalID]
		if !ok {
			return 0, errcode.BadInput("dealExternalId", "no deal %q: import deals before their meetings", r.DealExternalID)
		}
		dealID = &id
	}
	duration := r.DurationMinutes
	if duration == 0 {
		duration = 30
	}
	status := r.Status
	if status == "" {
		status = meeting.StatusScheduled
	}
	r.ScheduledAt = record.Instant(r.ScheduledAt) // correction 1
	if r.HeldAt != nil {
		t := record.Instant(*r.HeldAt)
		r.HeldAt = &t
	}
	if old != nil && old.OwnerID == owner.ID && samePtr(old.DealID, dealID) && old.Kind == r.Kind &&
		old.ScheduledAt.Equal(r.ScheduledAt) && old.DurationMinutes == duration && old.Status == status &&
		(r.HeldAt == nil || sameTime(old.HeldAt, r.HeldAt)) && old.Notes == r.Notes {
		return unchanged, nil
	}
	err := im.savepoint(func() error {
		if old == nil {
			return im.client.Meeting.Create().SetExternalID(r.ExternalID).SetOwnerID(owner.ID).SetNillableDealID(dealID).
				SetKind(r.Kind).SetScheduledAt(r.ScheduledAt).SetDurationMinutes(duration).SetStatus(status).
				SetNillableHeldAt(r.HeldAt).SetNotes(r.Notes).Exec(im.ctx)
		}
		u := im.client.Meeting.UpdateOne(old).SetOwnerID(owner.ID).SetKind(r.Kind).SetScheduledAt(r.ScheduledAt).
			SetDurationMinutes(duration).SetStatus(status).SetNillableHeldAt(r.HeldAt).SetNotes(r.Notes)
		if dealID != nil {
			u.SetDealID(*dealID)
		} else {
			u.ClearDealID()
		}
		return u.Exec(im.ctx)
	})
	if err != nil {
		return 0, err
	}
	if old == nil {
		return created, nil
	}
	return updated, nil
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
