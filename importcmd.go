package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"kpiflow/bulk"
	"kpiflow/ent"
	"kpiflow/ent/organization"
	"kpiflow/ent/schema/pulid"
	"kpiflow/viewer"
)

// importFile imports a CSV file of deals or meetings into an organization
// (package bulk): in batches of --batch rows, each its own transaction, or
// the whole file in one with --all-or-nothing. The rejected rows are
// listed by line; when any was, the command fails (exit status 1), after
// importing the good ones unless --all-or-nothing.
func importFile(ctx context.Context, cfg *config, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	orgFlag := fs.String("org", "", "the organization (org_… or its name); may be left out when there is only one")
	kindFlag := fs.String("kind", "", "deals or meetings (default: told by the CSV header)")
	all := fs.Bool("all-or-nothing", false, "import nothing if any row is rejected")
	batch := fs.Int("batch", bulk.MaxRows, "rows per transaction")
	quiet := fs.Bool("quiet", false, "no progress bar (there is none when standard error is not a terminal)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("import: name the CSV file, e.g. kpiflow import deals.csv")
	}
	path := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil { // flags after the file
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: one file at a time (also got %q)", fs.Arg(0))
	}
	if *batch <= 0 {
		return errors.New("import: --batch must be positive")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	st, err := openMigrated(ctx, *cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sys := viewer.System(ctx)
	org, err := findOrg(sys, st.Client, *orgFlag)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	loc, err := time.LoadLocation(org.Timezone)
	if err != nil {
		return err
	}
	r, err := bulk.NewReader(f, bulk.Kind(*kindFlag), loc)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	total := &bulk.Result{Committed: true}
	var tx *ent.Tx
	if *all {
		if tx, err = st.Client.Tx(sys); err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }() // after a commit, a no-op
	}
	rows, started := 0, time.Now()
	bar := !*quiet && isTerminal(stderr) // a bar redrawn with \r belongs on a terminal, not in a log
	progress := func(final bool) {
		if !bar {
			return
		}
		end := "\r"
		if final {
			end = "\n"
		}
		fmt.Fprintf(stderr, "\r%s %3d%% %d rows, %.0f rows/s%s", progressBar(int(r.Offset()), int(info.Size()), 30),
			100*r.Offset()/max(info.Size(), 1), rows, float64(rows)/max(time.Since(started).Seconds(), 1e-3), end)
	}
	for {
		var n int
		var bad []bulk.RowError
		var run func(ctx context.Context, client *ent.Client) (*bulk.Result, error)
		switch r.Kind {
		case bulk.Deals:
			var ds []bulk.Deal
			ds, bad, err = r.NextDeals(*batch)
			n = len(ds) + len(bad)
			run = func(ctx context.Context, client *ent.Client) (*bulk.Result, error) {
				return bulk.ImportDeals(ctx, client, st.Dialect, org, ds, false)
			}
		default:
			var ms []bulk.Meeting
			ms, bad, err = r.NextMeetings(*batch)
			n = len(ms) + len(bad)
			run = func(ctx context.Context, client *ent.Client) (*bulk.Result, error) {
				return bulk.ImportMeetings(ctx, client, st.Dialect, org, ms, false)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		res, err := inTx(sys, st.Client, tx, run)
		if err != nil {
			return err
		}
		res.Rejected = append(bad, res.Rejected...)
		total.Add(res)
		rows += n
		progress(false)
	}
	progress(true)
	if tx != nil {
		if len(total.Rejected) > 0 {
			total.Committed = false
		} else if err := tx.Commit(); err != nil {
			return err
		}
	}
	verb := "imported"
	if !total.Committed {
		verb = "rejected the file (all or nothing), which would have"
	}
	fmt.Fprintf(stdout, "%s %s: %s %d created, %d updated, %d unchanged; %s rejected\n",
		path, org.Name, verb, total.Created, total.Updated, total.Unchanged, plural(len(total.Rejected), "row"))
	for _, e := range total.Rejected {
		id := ""
		if e.ExternalID != "" {
			id = " (" + e.ExternalID + ")"
		}
		fmt.Fprintf(stdout, "  line %d%s: %s\n", e.Line, id, fieldMessage(e))
	}
	if len(total.Rejected) > 0 {
		return fmt.Errorf("%s rejected", plural(len(total.Rejected), "row"))
	}
	return nil
}

func fieldMessage(e bulk.RowError) string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// inTx runs f in tx, or in a transaction of its own committed at once.
func inTx(ctx context.Context, client *ent.Client, tx *ent.Tx,
	f func(ctx context.Context, client *ent.Client) (*bulk.Result, error)) (*bulk.Result, error) {
	if tx != nil {
		return f(ent.NewTxContext(ctx, tx), tx.Client())
	}
	own, err := client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	res, err := f(ent.NewTxContext(ctx, own), own.Client())
	if err != nil {
		_ = own.Rollback()
		return nil, err
	}
	return res, own.Commit()
}

// findOrg finds an organization by ID or name; the only one when ref is
// empty.
func findOrg(ctx context.Context, client *ent.Client, ref string) (*ent.Organization, error) {
	if ref == "" {
		orgs, err := client.Organization.Query().Limit(2).All(ctx)
		if err != nil {
			return nil, err
		}
		switch len(orgs) {
		case 0:
			return nil, errors.New("there is no organization yet: kpiflow org create makes one")
		case 1:
			return orgs[0], nil
		}
		return nil, errors.New("say which organization: --org org_… or its name")
	}
	orgs, err := client.Organization.Query().
		Where(organization.Or(organization.ID(pulid.ID(ref)), organization.NameEqualFold(ref))).Limit(2).All(ctx)
	switch {
	case err != nil:
		return nil, err
	case len(orgs) == 0:
		return nil, fmt.Errorf("no organization %q (kpiflow org create makes one)", ref)
	case len(orgs) > 1:
		return nil, fmt.Errorf("%d organizations are named %q: give the ID (org_…)", len(orgs), ref)
	}
	return orgs[0], nil
}
