package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"kpiflow/apitest"
	"kpiflow/store"
)

// preparedCount returns how many named prepared statements the PostgreSQL
// session of conn holds (by a statement without arguments, which is never
// kept).
func preparedCount(t *testing.T, conn *sql.Conn, pg bool) int {
	t.Helper()
	if !pg {
		return 0 // SQLite lists no statements
	}
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT count(*) FROM pg_prepared_statements").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPreparedStatements checks the connections' statement cache on both
// databases: a statement with arguments is prepared once per connection
// and run again from it, the cache keeps at most its size (closing what it
// lets go on the server), statements prepared in a transaction that rolls
// back still run, COPY and statements without arguments pass by it, a
// statement whose result changed with the schema is prepared again outside
// a transaction, and on SQLite, where a connection can read two result
// sets at once, a statement run again while its rows are open runs apart.
func TestPreparedStatements(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		pg := b.Name == "postgres"
		// The statements below are written for PostgreSQL; SQLite numbers
		// its placeholders ?1, ?2.
		q := func(s string) string {
			if pg {
				return s
			}
			return strings.NewReplacer("$1", "?1", "$2", "?2").Replace(s)
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			size := store.StatementCache
			store.StatementCache = 3
			t.Cleanup(func() { store.StatementCache = size })
			st, err := store.Open(ctx, apitest.DatabaseURL(t, b))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			conn, err := st.DB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, "CREATE TABLE prepared_probe (id integer PRIMARY KEY, v text)"); err != nil {
				t.Fatal(err)
			}
			base := preparedCount(t, conn, pg)

			// The same text runs from one statement, with each run's arguments.
			for i := 1; i <= 5; i++ {
				if _, err := conn.ExecContext(ctx, q("INSERT INTO prepared_probe (id, v) VALUES ($1, $2)"), i, fmt.Sprint("v", i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := 1; i <= 5; i++ {
				var v string
				if err := conn.QueryRowContext(ctx, q("SELECT v FROM prepared_probe WHERE id = $1"), i).Scan(&v); err != nil {
					t.Fatal(err)
				}
				if v != fmt.Sprint("v", i) {
					t.Fatalf("row %d: got %q", i, v)
				}
			}
			if got := preparedCount(t, conn, pg) - base; pg && got != 2 {
				t.Fatalf("%d statements prepared for 2 texts run 5 times each", got)
			}

			// At most the cache's size: the least recently used is closed.
			for i := 0; i < 4; i++ {
				var n int
				if err := conn.QueryRowContext(ctx, q(fmt.Sprintf("SELECT count(*) + %d FROM prepared_probe WHERE id > $1", i)), 0).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 5+i {
					t.Fatalf("count %d: got %d", i, n)
				}
			}
			if got := preparedCount(t, conn, pg) - base; pg && got != 3 {
				t.Fatalf("%d statements prepared with a cache of 3", got)
			}

			// Prepared in a transaction that rolls back: kept, and runs after.
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, q("UPDATE prepared_probe SET v = $1 WHERE id = $2"), "rolled back", 1); err != nil {
				t.Fatal(err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			res, err := conn.ExecContext(ctx, q("UPDATE prepared_probe SET v = $1 WHERE id = $2"), "kept", 1)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("%d rows updated", n)
			}
			var v string
			if err := conn.QueryRowContext(ctx, q("SELECT v FROM prepared_probe WHERE id = $1"), 1).Scan(&v); err != nil || v != "kept" {
				t.Fatalf("got %q, %v", v, err)
			}

			// An error of a statement's own (a duplicate key) leaves it usable.
			if _, err := conn.ExecContext(ctx, q("INSERT INTO prepared_probe (id, v) VALUES ($1, $2)"), 1, "again"); err == nil {
				t.Fatal("a duplicate key was inserted")
			}
			if _, err := conn.ExecContext(ctx, q("INSERT INTO prepared_probe (id, v) VALUES ($1, $2)"), 6, "v6"); err != nil {
				t.Fatal(err)
			}

			if !pg {
				sqliteOpenRows(t, conn)
				return
			}
			// The result type changes with the schema: prepared again.
			if _, err := conn.ExecContext(ctx, "ALTER TABLE prepared_probe ALTER COLUMN v TYPE varchar(20)"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "ALTER TABLE prepared_probe ALTER COLUMN v TYPE integer USING length(v)"); err != nil {
				t.Fatal(err)
			}
			var length int
			if err := conn.QueryRowContext(ctx, q("SELECT v FROM prepared_probe WHERE id = $1"), 6).Scan(&length); err != nil {
				t.Fatalf("after the schema changed: %v", err)
			}
			if length != 2 {
				t.Fatalf("got %d", length)
			}

			// COPY passes by the cache, in a transaction as the import uses it.
			tx, err = st.DB.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			cp, err := tx.PrepareContext(ctx, "COPY prepared_probe (id, v) FROM STDIN")
			if err != nil {
				t.Fatal(err)
			}
			for i := 7; i <= 9; i++ {
				if _, err := cp.ExecContext(ctx, i, i); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := cp.ExecContext(ctx); err != nil {
				t.Fatal(err)
			}
			if err := cp.Close(); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := st.DB.QueryRowContext(ctx, q("SELECT count(*) FROM prepared_probe WHERE id >= $1"), 7).Scan(&n); err != nil || n != 3 {
				t.Fatalf("%d rows copied, %v", n, err)
			}
		})
	}
}

// sqliteOpenRows runs a statement again, in a transaction, while its first
// run's rows are open, then after they closed.
func sqliteOpenRows(t *testing.T, conn *sql.Conn) {
	ctx := context.Background()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const each = "SELECT id FROM prepared_probe WHERE id >= ?1 ORDER BY id"
	outer, err := tx.QueryContext(ctx, each, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var id int
		if err := outer.Scan(&id); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, each, id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fmt.Sprint(id, ":", n))
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(pairs, " "); got != "1:6 2:5 3:4 4:3 5:2 6:1" {
		t.Fatalf("ids and the rows from each: %s", got)
	}
	var n int
	if err := tx.QueryRowContext(ctx, each, 6).Scan(&n); err != nil || n != 6 {
		t.Fatalf("after the rows closed: %d, %v", n, err)
	}
}
