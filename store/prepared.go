package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/lib/pq"
)

// StatementCache is how many prepared statements each database
// connection keeps (0: none, every statement parsed and planned anew). It
// is read when a store is opened.
var StatementCache = 128

// A statement is kept prepared only when its text and its arguments are
// no larger than these: the long ones (multi-row inserts, long IN lists)
// are written for one batch and would only push out the ones that repeat.
const (
	maxCachedQuery = 16 << 10
	maxCachedArgs  = 256
)

// preparedConnector opens connections that keep the statements they run
// prepared. On PostgreSQL, lib/pq sends a statement with arguments as an unnamed
// prepared statement every time: a round trip to parse and describe it,
// then one to bind and execute it, and PostgreSQL parses and plans it
// anew. Kept prepared (a named statement of the connection, by its SQL
// text), the next run of the same text is one round trip that binds and
// executes; PostgreSQL plans it from its parse tree, and after a few runs
// keeps a generic plan when it costs no more than the custom ones. On
// SQLite, the driver compiles every statement anew: kept, a statement is
// reset and bound again (SQLite compiles it again by itself when the
// schema changed).
//
// Prepared statements belong to the server's session, not to a
// transaction: one prepared inside a transaction that rolls back stays
// valid. Statements without arguments (lib/pq's simple query protocol,
// which may hold several statements) and COPY are passed through
// unchanged. A statement whose rows are still open when its text runs
// again on the connection runs that time unprepared.
type preparedConnector struct {
	base driver.Connector
	size int
}

// sqliteConnector is a driver.Connector of a driver that has none.
type sqliteConnector struct {
	drv driver.Driver
	dsn string
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c sqliteConnector) Driver() driver.Driver                        { return c.drv }

func (c preparedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newPreparedConn(cn, c.size), nil
}

func (c preparedConnector) Driver() driver.Driver { return c.base.Driver() }

// baseConn is what preparedConn needs of a driver's connection; the
// other interfaces database/sql looks for are passed on when it has them.
type baseConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
}

// preparedConn is one connection with its statements, least recently
// used first out. database/sql uses a connection from one goroutine at a
// time, so it needs no lock.
type preparedConn struct {
	baseConn
	size  int
	bySQL map[string]*list.Element
	lru   *list.List // of *cachedStmt, most recently used first
	// inTx is set between BeginTx and the end of its transaction.
	inTx bool
}

type cachedStmt struct {
	query string
	stmt  interface {
		driver.Stmt
		driver.StmtQueryContext
		driver.StmtExecContext
	}
	// busy is set while rows of the statement are open.
	busy bool
}

func newPreparedConn(cn driver.Conn, size int) driver.Conn {
	pc, ok := cn.(baseConn)
	if !ok || size <= 0 {
		return cn
	}
	return &preparedConn{baseConn: pc, size: size, bySQL: map[string]*list.Element{}, lru: list.New()}
}

func cacheable(query string, args []driver.NamedValue) bool {
	if len(args) == 0 || len(args) > maxCachedArgs || len(query) > maxCachedQuery {
		return false
	}
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) < 4 || !strings.EqualFold(q[:4], "COPY")
}

// prepared returns the connection's statement for query, prepared now if
// it is not yet.
func (c *preparedConn) prepared(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.bySQL[query]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cachedStmt), nil
	}
	st, err := c.baseConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s, ok := st.(interface {
		driver.Stmt
		driver.StmtQueryContext
		driver.StmtExecContext
	})
	if !ok {
		_ = st.Close()
		return nil, driver.ErrSkip
	}
	cs := &cachedStmt{query: query, stmt: s}
	c.bySQL[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		back := c.lru.Back()
		if back.Value.(*cachedStmt).busy {
			break // its rows close first; the next statement evicts it
		}
		c.evict(back)
	}
	return cs, nil
}

// evict forgets a statement and closes it on the server. A failed close
// leaves the connection marked bad by lib/pq, which database/sql then
// discards: the error has nowhere better to go.
func (c *preparedConn) evict(e *list.Element) {
	cs := c.lru.Remove(e).(*cachedStmt)
	delete(c.bySQL, cs.query)
	_ = cs.stmt.Close()
}

// stale forgets the statement of query when err says the server no
// longer holds it as it was prepared: a changed result type after a
// schema change ("cached plan must not change result type", feature not
// supported) or a statement the session lost (invalid statement name).
// It says whether the statement may run again, prepared anew: only
// outside a transaction, which the error has aborted otherwise.
func (c *preparedConn) stale(query string, err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || (pqErr.Code != "0A000" && pqErr.Code != "26000") {
		return false
	}
	e, ok := c.bySQL[query]
	if !ok {
		return false
	}
	c.evict(e)
	return !c.inTx
}

func (c *preparedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if !cacheable(query, args) {
		return c.baseConn.QueryContext(ctx, query, args)
	}
	for again := true; ; again = false {
		cs, err := c.prepared(ctx, query)
		if err != nil {
			return nil, err
		}
		if cs.busy {
			return c.baseConn.QueryContext(ctx, query, args)
		}
		rows, err := cs.stmt.QueryContext(ctx, args)
		if err != nil {
			if again && c.stale(query, err) {
				continue
			}
			return nil, err
		}
		cs.busy = true
		return &preparedRows{Rows: rows, stmt: cs}, nil
	}
}

func (c *preparedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if !cacheable(query, args) {
		return c.baseConn.ExecContext(ctx, query, args)
	}
	for again := true; ; again = false {
		cs, err := c.prepared(ctx, query)
		if err != nil {
			return nil, err
		}
		if cs.busy {
			return c.baseConn.ExecContext(ctx, query, args)
		}
		res, err := cs.stmt.ExecContext(ctx, args)
		if err != nil && again && c.stale(query, err) {
			continue
		}
		return res, err
	}
}

// BeginTx begins a transaction, which the connection follows: a
// statement that fails inside it is not run again.
func (c *preparedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.baseConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return preparedTx{Tx: tx, c: c}, nil
}

type preparedTx struct {
	driver.Tx
	c *preparedConn
}

func (t preparedTx) Commit() error {
	t.c.inTx = false
	return t.Tx.Commit()
}

func (t preparedTx) Rollback() error {
	t.c.inTx = false
	return t.Tx.Rollback()
}

// Close closes the connection; its prepared statements end with its
// session.
func (c *preparedConn) Close() error { return c.baseConn.Close() }

// The optional interfaces of the driver's connection, passed on, with
// database/sql's own behavior when the driver has none.

func (c *preparedConn) Ping(ctx context.Context) error {
	if p, ok := c.baseConn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *preparedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.baseConn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *preparedConn) IsValid() bool {
	if v, ok := c.baseConn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *preparedConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.baseConn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// preparedRows are the rows of a kept statement, which is free again when
// they close. The column type interfaces are passed on, with
// database/sql's defaults when the driver's rows have none.
type preparedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *preparedRows) Close() error {
	r.stmt.busy = false
	return r.Rows.Close()
}

func (r *preparedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *preparedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *preparedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *preparedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *preparedRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *preparedRows) HasNextResultSet() bool {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *preparedRows) NextResultSet() error {
	if n, ok := r.Rows.(driver.RowsNextResultSet); ok {
		return n.NextResultSet()
	}
	return io.EOF
}
