package store

import (
	"context"
	"database/sql"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// countingDriver counts the statements sent to the database, so that tests
// can assert exactly how many a request makes (N+1 freedom, and "no query
// at all" for refused requests).
type countingDriver struct {
	dialect.Driver
	n *atomic.Int64
	// types, on PostgreSQL, memoizes the rows' column types
	// (memoColumnTypes).
	types *typeMemo
}

func (d countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d countingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.n.Add(1)
	err := d.Driver.Query(ctx, query, args, v)
	d.types.memo(v)
	return err
}

func (d countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.n.Add(1)
	return d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, query, args...)
}

func (d countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.n.Add(1)
	return d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

func (d countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	capture(ctx, tx)
	return countingTx{tx, d.n, d.types}, nil
}

func (d countingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	}).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	capture(ctx, tx)
	return countingTx{tx, d.n, d.types}, nil
}

type txHolderKey struct{}

type txHolder struct{ tx *sql.Tx }

// CaptureTx returns a context with which the next transaction begun
// through a store's ent client (client.Tx(ctx)) also hands over its
// database/sql transaction, to the returned function: for what ent
// cannot do, such as PostgreSQL's COPY, in the same transaction. The
// function returns nil when no such transaction was begun.
func CaptureTx(ctx context.Context) (context.Context, func() *sql.Tx) {
	h := &txHolder{}
	return context.WithValue(ctx, txHolderKey{}, h), func() *sql.Tx { return h.tx }
}

func capture(ctx context.Context, tx dialect.Tx) {
	h, ok := ctx.Value(txHolderKey{}).(*txHolder)
	if !ok || h.tx != nil {
		return
	}
	if etx, ok := tx.(*entsql.Tx); ok {
		h.tx, _ = etx.Tx.(*sql.Tx)
	}
}

type countingTx struct {
	dialect.Tx
	n     *atomic.Int64
	types *typeMemo
}

func (t countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	err := t.Tx.Query(ctx, query, args, v)
	t.types.memo(v)
	return err
}

func (t countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.n.Add(1)
	return t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}).ExecContext(ctx, query, args...)
}

func (t countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.n.Add(1)
	return t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// typeMemo makes the rows ent reads answer ColumnTypes from the first
// answer: ent asks for them again for every row and every column it has
// no type of its own for (the values a query selects beside its entity's
// fields), and database/sql builds them all anew each time. Only on
// PostgreSQL, where a statement's columns have one type; SQLite answers
// with the type of the current row's value (an integer 0 in one row, a
// real in the next). Not while migrating: ent's migration reads the
// *sql.Rows itself.
type typeMemo struct {
	// migrating counts the migrations running (Store.schema).
	migrating atomic.Int32
}

func (m *typeMemo) memo(v any) {
	if m == nil || m.migrating.Load() > 0 {
		return
	}
	if r, ok := v.(*entsql.Rows); ok && r != nil && r.ColumnScanner != nil {
		if _, done := r.ColumnScanner.(*columnTypesOnce); !done {
			r.ColumnScanner = &columnTypesOnce{ColumnScanner: r.ColumnScanner}
		}
	}
}

type columnTypesOnce struct {
	entsql.ColumnScanner
	types []*sql.ColumnType
	err   error
	done  bool
}

func (c *columnTypesOnce) ColumnTypes() ([]*sql.ColumnType, error) {
	if !c.done {
		c.types, c.err = c.ColumnScanner.ColumnTypes()
		c.done = true
	}
	return c.types, c.err
}

// NextResultSet moves to the next result set, whose columns are its own.
func (c *columnTypesOnce) NextResultSet() bool {
	c.types, c.err, c.done = nil, nil, false
	return c.ColumnScanner.NextResultSet()
}
