package bulk

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/sqlgraph"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/store"
)

// write writes a batch in the caller's transaction (client is the
// transaction's; d its dialect): the new deals and meetings in one
// multi-row INSERT per table, the changed ones in one UPDATE per table,
// every column as the schema's hooks would set it (the rows were checked
// and completed by ImportDeals and ImportMeetings). It is the one place
// where imported records are stored: whatever else must follow a change of
// the record (data derived from deals and meetings) belongs here, for the
// whole batch at once.
func (b *Batch) write(ctx context.Context, client *ent.Client, d string) error {
	w := &writer{ctx: ctx, client: client, dialect: d}
	if len(b.NewDeals) > 0 {
		rows := make([][]any, len(b.NewDeals))
		for i, n := range b.NewDeals {
			rows[i] = append([]any{string(n.ID), n.CreatedAt, string(n.OrganizationID)}, dealValues(n)...)
		}
		if err := w.insert(deal.Table, append([]string{deal.FieldID, deal.FieldCreatedAt, deal.FieldOrganizationID},
			dealColumns...), rows); err != nil {
			return fmt.Errorf("inserting deals: %w", err)
		}
	}
	if len(b.ChangedDeals) > 0 {
		rows := make([][]any, len(b.ChangedDeals))
		for i, c := range b.ChangedDeals {
			rows[i] = append([]any{string(c.New.ID), c.Old.UpdatedAt}, dealValues(c.New)...)
		}
		if err := w.update(deal.Table, dealColumns, dealTypes, rows); err != nil {
			return fmt.Errorf("updating deals: %w", err)
		}
	}
	if len(b.NewMeetings) > 0 {
		rows := make([][]any, len(b.NewMeetings))
		for i, n := range b.NewMeetings {
			rows[i] = append([]any{string(n.ID), n.CreatedAt, string(n.OrganizationID), *n.ExternalID}, meetingValues(n)...)
		}
		if err := w.insert(meeting.Table, append([]string{meeting.FieldID, meeting.FieldCreatedAt,
			meeting.FieldOrganizationID, meeting.FieldExternalID}, meetingColumns...), rows); err != nil {
			return fmt.Errorf("inserting meetings: %w", err)
		}
	}
	if len(b.ChangedMeetings) > 0 {
		rows := make([][]any, len(b.ChangedMeetings))
		for i, c := range b.ChangedMeetings {
			rows[i] = append([]any{string(c.New.ID), c.Old.UpdatedAt}, meetingValues(c.New)...)
		}
		if err := w.update(meeting.Table, meetingColumns, meetingTypes, rows); err != nil {
			return fmt.Errorf("updating meetings: %w", err)
		}
	}
	// The KPI rollups of what the batch wrote (ent's hooks, which keep them
	// for writes through ent, do not see these statements).
	written := kpi.Written{NewDeals: b.NewDeals, NewMeetings: b.NewMeetings}
	for _, c := range b.ChangedDeals {
		written.ChangedDeals = append(written.ChangedDeals, [2]*ent.Deal{c.Old, c.New})
	}
	for _, c := range b.ChangedMeetings {
		written.ChangedMeetings = append(written.ChangedMeetings, [2]*ent.Meeting{c.Old, c.New})
	}
	if err := kpi.ApplyWritten(ctx, client, d, written); err != nil {
		return fmt.Errorf("the rollups of the batch: %w", err)
	}
	return nil
}

// The columns an import writes, beside the ID (and, for new rows, the
// creation time, the organization and the meeting's external ID), with
// their PostgreSQL types for the UPDATE's VALUES list.
var (
	dealColumns = []string{deal.FieldUpdatedAt, deal.FieldOwnerID, deal.FieldTeamID, deal.FieldName,
		deal.FieldCustomerName, deal.FieldAmount, deal.FieldStage, deal.FieldOpenedAt, deal.FieldClosedAt,
		deal.FieldCycleMicros, deal.FieldExternalID}
	dealTypes      = []string{"timestamptz", "text", "text", "text", "text", "bigint", "text", "timestamptz", "timestamptz", "bigint", "text"}
	meetingColumns = []string{meeting.FieldUpdatedAt, meeting.FieldOwnerID, meeting.FieldTeamID, meeting.FieldDealID,
		meeting.FieldKind, meeting.FieldScheduledAt, meeting.FieldDurationMinutes, meeting.FieldStatus,
		meeting.FieldHeldAt, meeting.FieldNotes}
	meetingTypes = []string{"timestamptz", "text", "text", "text", "text", "timestamptz", "bigint", "text", "timestamptz", "text"}
)

func dealValues(n *ent.Deal) []any {
	return []any{n.UpdatedAt, string(n.OwnerID), string(n.TeamID), n.Name, n.CustomerName, n.Amount,
		string(n.Stage), n.OpenedAt, nullable(n.ClosedAt), nullable(n.CycleMicros), nullable(n.ExternalID)}
}

func meetingValues(n *ent.Meeting) []any {
	var team, deal any
	if n.TeamID != nil {
		team = string(*n.TeamID)
	}
	if n.DealID != nil {
		deal = string(*n.DealID)
	}
	return []any{n.UpdatedAt, string(n.OwnerID), team, deal, string(n.Kind), n.ScheduledAt,
		int64(n.DurationMinutes), string(n.Status), nullable(n.HeldAt), n.Notes}
}

// nullable is a pointer's value, or NULL.
func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// maxParams are the bind-parameter limits of the dialects: SQLite's
// SQLITE_MAX_VARIABLE_NUMBER and PostgreSQL's 16-bit parameter count.
var maxParams = map[string]int{dialect.SQLite: 32766, dialect.Postgres: 65535}

type writer struct {
	ctx     context.Context
	client  *ent.Client
	dialect string
}

func (w *writer) param(n int, typ string) string {
	if w.dialect != dialect.Postgres {
		return "?"
	}
	if typ != "" {
		return "$" + strconv.Itoa(n) + "::" + typ
	}
	return "$" + strconv.Itoa(n)
}

// chunks calls f with the rows in runs that fit the dialect's parameters.
func (w *writer) chunks(rows [][]any, f func([][]any) error) error {
	per := maxParams[w.dialect] / len(rows[0])
	for lo := 0; lo < len(rows); lo += per {
		if err := f(rows[lo:min(lo+per, len(rows))]); err != nil {
			return err
		}
	}
	return nil
}

// values writes the VALUES list of rows to sb and returns its arguments;
// types, when given, cast each parameter (PostgreSQL).
func (w *writer) values(sb *strings.Builder, rows [][]any, types []string) []any {
	args := make([]any, 0, len(rows)*len(rows[0]))
	sb.WriteString("VALUES ")
	for r, row := range rows {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c, v := range row {
			if c > 0 {
				sb.WriteString(", ")
			}
			typ := ""
			if types != nil {
				typ = types[c]
			}
			args = append(args, v)
			sb.WriteString(w.param(len(args), typ))
		}
		sb.WriteByte(')')
	}
	return args
}

// insert inserts rows of the columns: with COPY in the caller's
// transaction on PostgreSQL (store.CopyIn), else in one multi-row INSERT
// (or as few as the dialect's parameters allow). An external ID taken
// meanwhile by another transaction fails the batch as CONFLICT.
func (w *writer) insert(table string, columns []string, rows [][]any) error {
	err := w.insertRows(table, columns, rows)
	if sqlgraph.IsUniqueConstraintError(err) {
		return errcode.New(errcode.Conflict, "records with external IDs of this import were written meanwhile: import again")
	}
	return err
}

func (w *writer) insertRows(table string, columns []string, rows [][]any) error {
	if tx := ent.TxFromContext(w.ctx); tx != nil && w.dialect == dialect.Postgres {
		if done, err := store.CopyIn(w.ctx, tx.DriverTx(), table, columns, rows); done {
			return err
		}
	}
	return w.chunks(rows, func(rows [][]any) error {
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + quote(table) + " (" + quoteAll(columns, "") + ") ")
		args := w.values(&sb, rows, nil)
		_, err := w.client.ExecContext(w.ctx, sb.String(), args...)
		return err
	})
}

// update sets the columns of the rows whose ID is each row's first value,
// still as they were read (their update time is the second value), in one
// statement (or as few as the dialect's parameters allow). Every row must
// be found so: one changed meanwhile by another transaction (whose change
// could have moved it out of the importer's reach) fails the batch.
func (w *writer) update(table string, columns, types []string, rows [][]any) error {
	return w.chunks(rows, func(rows [][]any) error {
		var sb strings.Builder
		names := append([]string{"id", "read_updated_at"}, columns...)
		var casts []string
		if w.dialect == dialect.Postgres {
			casts = append([]string{"text", "timestamptz"}, types...)
		}
		sb.WriteString("WITH v (" + quoteAll(names, "") + ") AS (")
		args := w.values(&sb, rows, casts)
		sb.WriteString(") UPDATE " + quote(table) + " SET ")
		for i, c := range columns {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(quote(c) + " = v." + quote(c))
		}
		sb.WriteString(" FROM v WHERE " + quote(table) + `."id" = v."id" AND ` + quote(table) + `."updated_at" = v."read_updated_at"`)
		res, err := w.client.ExecContext(w.ctx, sb.String(), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if int(n) != len(rows) {
			return errcode.New(errcode.Conflict, "records of this import changed while it ran: import again")
		}
		return nil
	})
}

func quote(name string) string { return `"` + name + `"` }

func quoteAll(names []string, prefix string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = prefix + quote(n)
	}
	return strings.Join(q, ", ")
}
