package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"kpiflow/auth"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/viewer"
)

// stdin is where the user command reads a password from; tests replace it.
var stdin io.Reader = os.Stdin

// orgCreate creates an organization: the start of a new deployment. cfg is
// a pointer because fs fills it when the flags are parsed here.
func orgCreate(ctx context.Context, cfg *config, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	name := fs.String("name", "", "the organization's name")
	currency := fs.String("currency", "", "ISO 4217 currency of all its money, e.g. USD")
	timezone := fs.String("timezone", "", "IANA time zone of its periods, e.g. America/New_York")
	fyStart := fs.Int("fiscal-year-start", 1, "month its fiscal year starts in, 1-12")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openMigrated(ctx, *cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	org, err := st.Client.Organization.Create().
		SetName(*name).SetCurrency(*currency).SetTimezone(*timezone).SetFiscalYearStartMonth(*fyStart).
		Save(viewer.System(ctx))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created organization %q: %s\n", org.Name, org.ID)
	return nil
}

// userCreate creates a user, typically the first ADMIN of an organization,
// who then manages everyone else through the API. The password is read from
// KPIFLOW_USER_PASSWORD or, without it, from the first line of standard
// input, never from a flag (command lines are visible to other users).
func userCreate(ctx context.Context, cfg *config, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	org := fs.String("org", "", "the organization's ID (org_…)")
	email := fs.String("email", "", "sign-in email")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "ADMIN", "ADMIN, MANAGER or REP")
	team := fs.String("team", "", "ID of the team the user is a member of (optional)")
	hired := fs.String("hired-at", "", "start of tenure, YYYY-MM-DD (default: today)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *org == "" || *email == "" || *name == "" {
		return errors.New("user create: --org, --email and --name are required")
	}
	r := user.Role(strings.ToUpper(*role))
	if err := user.RoleValidator(r); err != nil {
		return fmt.Errorf("user create: --role must be ADMIN, MANAGER or REP")
	}
	password, ok := os.LookupEnv("KPIFLOW_USER_PASSWORD")
	if !ok {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("user create: give the password in KPIFLOW_USER_PASSWORD or on standard input")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if err := auth.CheckNewPassword(password); err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	hash, err := auth.HashPassword(password, auth.DefaultPasswordParams)
	if err != nil {
		return err
	}
	hiredAt := time.Now()
	if *hired != "" {
		if hiredAt, err = time.Parse(time.DateOnly, *hired); err != nil {
			return fmt.Errorf("user create: --hired-at must be YYYY-MM-DD")
		}
	}
	st, err := openMigrated(ctx, *cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	c := st.Client.User.Create().
		SetOrganizationID(pulid.ID(*org)).SetEmail(*email).SetName(*name).SetRole(r).
		SetPasswordHash(hash).SetHiredAt(hiredAt)
	if *team != "" {
		c.SetTeamID(pulid.ID(*team))
	}
	u, err := c.Save(viewer.System(ctx))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s: %s\n", u.Role, u.Email, u.ID)
	return nil
}
