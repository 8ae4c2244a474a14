package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

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
// row unchanged), then as many through the importDeals mutation (calls of
// bulk.MaxRows rows, as the admin).
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
	batches := func(rs []bulk.Deal, f func([]bulk.Deal) (*bulk.Result, error)) (*bulk.Result, time.Duration, error) {
		total := &bulk.Result{Committed: true}
		start := time.Now()
		for lo := 0; lo < len(rs); lo += bulk.MaxRows {
			r, err := f(rs[lo:min(lo+bulk.MaxRows, len(rs))])
			if err != nil {
				return nil, 0, err
			}
			total.Add(r)
		}
		return total, time.Since(start), nil
	}
	direct := func(batch []bulk.Deal) (*bulk.Result, error) {
		tx, err := st.Client.Tx(sys)
		if err != nil {
			return nil, err
		}
		r, err := bulk.ImportDeals(ent.NewTxContext(sys, tx), tx.Client(), st.Dialect, org, batch, false)
		if err != nil {
			_ = tx.Rollback()
			return nil, err
		}
		return r, tx.Commit()
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
		"every row validated, owners looked up, external IDs matched):\n\n", n, len(reps), bulk.MaxRows)
	fmt.Fprintln(out, "| import | rows | created | unchanged | time | rows/s |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	first := rows("bench-cli")
	for _, c := range []struct {
		name string
		rows []bulk.Deal
		f    func([]bulk.Deal) (*bulk.Result, error)
	}{
		{"as the import command, new rows", first, direct},
		{"as the import command, the same rows again", first, direct},
		{"through importDeals (GraphQL), new rows", rows("bench-api"), viaAPI},
	} {
		r, d, err := batches(c.rows, c.f)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if r.Created+r.Unchanged != n || len(r.Rejected) > 0 {
			return fmt.Errorf("%s: %d created, %d unchanged, %d rejected of %d", c.name, r.Created, r.Unchanged, len(r.Rejected), n)
		}
		fmt.Fprintf(out, "| %s | %d | %d | %d | %s | %.0f |\n", c.name, n, r.Created, r.Unchanged,
			d.Round(time.Millisecond), float64(n)/d.Seconds())
	}
	fmt.Fprintln(out)
	return nil
}
