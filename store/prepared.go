package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"github.com/lib/pq"
)

// PostgresStatementCache is how many prepared statements each PostgreSQL
// connection keeps (0: none, every statement parsed and planned anew). It
// is read when a store is opened.
var PostgresStatementCache = 128

// A statement is kept prepared only when its text and its arguments are
// no larger than these: the long ones (multi-row inserts, long IN lists)
// are written for one batch and would only push out the ones that repeat.
const (
	maxCachedQuery = 16 << 10
	maxCachedArgs  = 256
)

// preparedConnector opens lib/pq connections that keep the statements
// they run prepared. lib/pq sends a statement with arguments as an unnamed
// prepared statement every time: a round trip to parse and describe it,
// then one to bind and execute it, and PostgreSQL parses and plans it
// anew. Kept prepared (a named statement of the connection, by its SQL
// text), the next run of the same text is one round trip that binds and
// executes; PostgreSQL plans it from its parse tree, and after a few runs
// keeps a generic plan when it costs no more than the custom ones.
//
// Prepared statements belong to the server's session, not to a
// transaction: one prepared inside a transaction that rolls back stays
// valid. Statements without arguments (lib/pq's simple query protocol,
// which may hold several statements) and COPY are passed through
// unchanged.
type preparedConnector struct {
	base driver.Connector
	size int
}

func (c preparedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newPreparedConn(cn, c.size), nil
}

func (c preparedConnector) Driver() driver.Driver { return c.base.Driver() }

// pqConn is what lib/pq's connection implements and preparedConn passes
// on.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// preparedConn is one connection with its statements, least recently
// used first out. database/sql uses a connection from one goroutine at a
// time, so it needs no lock.
type preparedConn struct {
	pqConn
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
}

func newPreparedConn(cn driver.Conn, size int) driver.Conn {
	pc, ok := cn.(pqConn)
	if !ok || size <= 0 {
		return cn
	}
	return &preparedConn{pqConn: pc, size: size, bySQL: map[string]*list.Element{}, lru: list.New()}
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
	st, err := c.pqConn.PrepareContext(ctx, query)
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
		c.evict(c.lru.Back())
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
		return c.pqConn.QueryContext(ctx, query, args)
	}
	for again := true; ; again = false {
		cs, err := c.prepared(ctx, query)
		if err != nil {
			return nil, err
		}
		rows, err := cs.stmt.QueryContext(ctx, args)
		if err != nil && again && c.stale(query, err) {
			continue
		}
		return rows, err
	}
}

func (c *preparedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if !cacheable(query, args) {
		return c.pqConn.ExecContext(ctx, query, args)
	}
	for again := true; ; again = false {
		cs, err := c.prepared(ctx, query)
		if err != nil {
			return nil, err
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
	tx, err := c.pqConn.BeginTx(ctx, opts)
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
func (c *preparedConn) Close() error { return c.pqConn.Close() }
