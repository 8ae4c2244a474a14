package store

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// CopyIn writes rows of the columns into table with PostgreSQL's COPY …
// FROM STDIN (lib/pq's CopyIn) in tx, a transaction of a store's client
// (ent.Tx.DriverTx), counted as one statement: several times faster for
// PostgreSQL to take in than an INSERT of as many rows. It writes nothing
// and returns false when tx is not such a transaction on PostgreSQL.
func CopyIn(ctx context.Context, tx dialect.Tx, table string, columns []string, rows [][]any) (bool, error) {
	ct, ok := tx.(countingTx)
	if !ok {
		return false, nil
	}
	et, ok := ct.Tx.(*entsql.Tx) // SQLite's is a utcTx
	if !ok {
		return false, nil
	}
	st, ok := et.Tx.(*sql.Tx)
	if !ok {
		return false, nil
	}
	ct.n.Add(1)
	cp, err := st.PrepareContext(ctx, pq.CopyIn(table, columns...))
	if err != nil {
		return true, err
	}
	defer cp.Close()
	for _, r := range rows {
		if _, err := cp.ExecContext(ctx, r...); err != nil {
			return true, err
		}
	}
	if _, err := cp.ExecContext(ctx); err != nil {
		return true, err
	}
	return true, cp.Close()
}
