package main

import (
	"context"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/lib/pq"

	"kpiflow/ent/deal"
	"kpiflow/store"
)

// plainName names the plain write of each dialect.
var plainName = map[string]string{dialect.Postgres: "plain COPY", dialect.SQLite: "plain multi-row INSERT"}

// plainColumns are the columns plainWrite writes: every column of a deal.
var plainColumns = []string{deal.FieldID, deal.FieldCreatedAt, deal.FieldUpdatedAt, deal.FieldOrganizationID,
	deal.FieldOwnerID, deal.FieldTeamID, deal.FieldName, deal.FieldCustomerName, deal.FieldAmount, deal.FieldStage,
	deal.FieldOpenedAt, deal.FieldClosedAt, deal.FieldCycleMicros, deal.FieldExternalID}

// plainWrite writes rows of deals in a transaction of their own with
// nothing checked and nothing read: with COPY … FROM STDIN (lib/pq's
// CopyIn) on PostgreSQL, one multi-row INSERT on SQLite. It is the
// baseline of the import: the database's own cost of taking the rows in.
func plainWrite(ctx context.Context, st *store.Store, columns []string, rows [][]any) error {
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after the commit, a no-op
	if st.Dialect == dialect.Postgres {
		cp, err := tx.PrepareContext(ctx, pq.CopyIn(deal.Table, columns...))
		if err != nil {
			return err
		}
		for _, r := range rows {
			if _, err := cp.ExecContext(ctx, r...); err != nil {
				return err
			}
		}
		if _, err := cp.ExecContext(ctx); err != nil {
			return err
		}
		if err := cp.Close(); err != nil {
			return err
		}
	} else {
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + deal.Table + " (" + strings.Join(columns, ", ") + ") VALUES ")
		args := make([]any, 0, len(rows)*len(columns))
		for i, r := range rows {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", len(r)), ", ") + ")")
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
