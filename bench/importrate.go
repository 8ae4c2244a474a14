package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"kpiflow/access"
	"kpiflow/auth"
	"kpiflow/bulk"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/user"
	"kpiflow/store"
	"kpiflow/viewer"
)

// importRate measures bulk import (package bulk) on the loaded database:
// n deals of the organization's reps imported as the import command does
// (transactions of bulk.MaxRows rows, as the system), then again (every
// row unchanged), then as the admin (every privacy rule applied), then as
// many through the importDeals mutation (calls of bulk.MaxRows rows, as
// the admin); beside them, the same rows written plainly, with every
// column given and nothing checked, in the same transactions: COPY on
// PostgreSQL, multi-row INSERTs on SQLite. The ratio plain ÷ import is
// what checking each batch costs.
func importRate(ctx context.Context, out io.Writer, st *store.Store, svc *auth.Service, gqlURL string, org *ent.Organization, n int) error {
	sys := viewer.System(ctx)
	reps, err := st.Client.User.Query().Where(user.OrganizationID(org.ID), user.RoleEQ(user.RoleRep)).
		Order(ent.Asc(user.FieldEmail)).Limit(200).All(sys)
	if err != nil {
		return err
	}
	admin, err := st.Client.User.Query().Where(user.OrganizationID(org.ID), user.RoleEQ(user.RoleAdmin)).First(sys)
	if err != nil {
		return err
	}
	opened := time.Now().AddDate(0, -1, 0).UTC().Truncate(time.Second)
	rows := func(prefix string) []bulk.Deal {
		out := make([]bulk.Deal, n)
		for i := range out {
			closed := opened.Add(time.Duration(i%500) * time.Minute)
			out[i] = bulk.Deal{Line: i + 2, ExternalID: fmt.Sprintf("%s-%d", prefix, i), OwnerEmail: reps[i%len(reps)].Email,
				Name: "Imported", CustomerName: "Initech", Amount: "1250.00", Stage: deal.StageWon,
				OpenedAt: opened.AddDate(0, 0, -30), ClosedAt: &closed}
		}
		return out
	}
	as := func(ctx context.Context) func(batch []bulk.Deal) (*bulk.Result, error) {
		return func(batch []bulk.Deal) (*bulk.Result, error) {
			tx, err := st.Client.Tx(ctx)
			if err != nil {
				return nil, err
			}
			r, err := bulk.ImportDeals(ent.NewTxContext(ctx, tx), tx.Client(), st.Dialect, org, batch, false)
			if err != nil {
				_ = tx.Rollback()
				return nil, err
			}
			return r, tx.Commit()
		}
	}
	direct := as(sys)
	byAdmin := as(viewer.NewContext(ctx, viewer.New(admin.ID, admin.OrganizationID, admin.Role, access.LoadScope(st.Client, admin.ID))))
	teamOf := map[string]string{}
	for _, r := range reps {
		teamOf[r.Email] = string(*r.TeamID)
	}
	repOf := map[string]string{}
	for _, r := range reps {
		repOf[r.Email] = string(r.ID)
	}
	plain := func(batch []bulk.Deal) (*bulk.Result, error) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		rows := make([][]any, len(batch))
		for i, d := range batch {
			cycle := d.ClosedAt.Sub(d.OpenedAt).Microseconds()
			rows[i] = []any{string(deal.DefaultID()), now, now, string(org.ID), repOf[d.OwnerEmail], teamOf[d.OwnerEmail],
				d.Name, d.CustomerName, int64(125000), string(d.Stage), d.OpenedAt, *d.ClosedAt, cycle, d.ExternalID}
		}
		if err := plainWrite(ctx, st, plainColumns, rows); err != nil {
			return nil, err
		}
		return &bulk.Result{Created: len(batch), Committed: true}, nil
	}
	adminSession, err := svc.StartSession(ctx, admin)
	if err != nil {
		return err
	}
	token := adminSession.AccessToken
	mutation := `mutation($rows: [ImportDealRow!]!) { importDeals(input: {rows: $rows}) { created updated unchanged rejected { line } } }`
	viaAPI := func(batch []bulk.Deal) (*bulk.Result, error) {
		in := make([]map[string]any, len(batch))
		for i, d := range batch {
			in[i] = map[string]any{"externalId": d.ExternalID, "ownerEmail": d.OwnerEmail, "name": d.Name,
				"customerName": d.CustomerName, "amount": d.Amount, "stage": d.Stage,
				"openedAt": d.OpenedAt.Format(time.RFC3339), "closedAt": d.ClosedAt.Format(time.RFC3339)}
		}
		b, err := post(ctx, gqlURL, token, mutation, map[string]any{"rows": in})
		if err != nil {
			return nil, err
		}
		var r struct {
			Data struct {
				ImportDeals struct{ Created, Updated, Unchanged int }
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		d := r.Data.ImportDeals
		return &bulk.Result{Created: d.Created, Updated: d.Updated, Unchanged: d.Unchanged, Committed: true}, nil
	}

	fmt.Fprintf(out, "Bulk import of %d won deals of %d reps (batches of %d rows, each a transaction; "+
		"every row validated, owners looked up, external IDs matched), beside a %s of the same rows "+
		"(every column given, nothing checked or read), batch for batch in turns with the first import, "+
		"so that both meet the same load of the shared machine:\n\n", n, len(reps), bulk.MaxRows, plainName[st.Dialect])
	fmt.Fprintln(out, "| import | rows | created | unchanged | time | rows/s | time ÷ the plain write's |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	type measure struct {
		name string
		rows []bulk.Deal
		f    func([]bulk.Deal) (*bulk.Result, error)
		res  *bulk.Result
		took time.Duration
	}
	first := rows("bench-cli")
	cases := []*measure{
		{name: "as the import command, new rows", rows: first, f: direct},
		{name: plainName[st.Dialect] + " of the same rows, unchecked", rows: rows("bench-plain"), f: plain},
		{name: "as the import command, the same rows again", rows: first, f: direct},
		{name: "as the admin (privacy applied), new rows", rows: rows("bench-admin"), f: byAdmin},
		{name: "through importDeals (GraphQL), new rows", rows: rows("bench-api"), f: viaAPI},
	}
	for _, c := range cases {
		c.res = &bulk.Result{Committed: true}
	}
	// The first two in turns, a batch of each; then the others.
	step := func(c *measure, lo int) error {
		start := time.Now()
		r, err := c.f(c.rows[lo:min(lo+bulk.MaxRows, len(c.rows))])
		c.took += time.Since(start)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		c.res.Add(r)
		return nil
	}
	for lo := 0; lo < n; lo += bulk.MaxRows {
		for _, c := range cases[:2] {
			if err := step(c, lo); err != nil {
				return err
			}
		}
	}
	for _, c := range cases[2:] {
		for lo := 0; lo < n; lo += bulk.MaxRows {
			if err := step(c, lo); err != nil {
				return err
			}
		}
	}
	for _, c := range cases {
		r := c.res
		if r.Created+r.Unchanged != n || len(r.Rejected) > 0 {
			return fmt.Errorf("%s: %d created, %d unchanged, %d rejected of %d", c.name, r.Created, r.Unchanged, len(r.Rejected), n)
		}
		fmt.Fprintf(out, "| %s | %d | %d | %d | %s | %.0f | %.2f |\n", c.name, n, r.Created, r.Unchanged,
			c.took.Round(time.Millisecond), float64(n)/c.took.Seconds(), c.took.Seconds()/cases[1].took.Seconds())
	}
	fmt.Fprintln(out)
	return nil
}
