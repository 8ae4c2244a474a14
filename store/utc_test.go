package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"kpiflow/ent/organization"
	"kpiflow/viewer"
)

// An instant given in any zone finds the rows stored at that instant, on
// SQLite too, where times are compared as text.
func TestTimesCompareAsInstantsOnSQLite(t *testing.T) {
	ctx := viewer.System(context.Background())
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org := st.Client.Organization.Create().SetName("o").SetCurrency("USD").SetTimezone("UTC").SaveX(ctx)
	plus5 := time.FixedZone("+05:00", 5*3600)
	at := org.CreatedAt.In(plus5)
	for name, q := range map[string]func() int{
		"query": func() int { return st.Client.Organization.Query().Where(organization.CreatedAtGTE(at)).CountX(ctx) },
		"raw": func() int {
			rows, err := st.Client.QueryContext(ctx, "SELECT COUNT(*) FROM organizations WHERE created_at >= ?", at)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var n int
			rows.Next()
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		"in a transaction": func() int {
			tx, err := st.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			return tx.Organization.Query().Where(organization.CreatedAtGTE(at)).CountX(ctx)
		},
	} {
		if n := q(); n != 1 {
			t.Errorf("%s: created_at >= its own instant in +05:00 matched %d rows, want 1", name, n)
		}
	}
}
