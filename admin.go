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
	"kpiflow/ent"
	"kpiflow/ent/organization"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/team"
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
	*name = strings.TrimSpace(*name)
	if *name == "" || *currency == "" || *timezone == "" {
		return errors.New("org create: --name, --currency and --timezone are required (kpiflow org create --help)")
	}
	st, err := openMigrated(ctx, *cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sys := viewer.System(ctx)
	tx, err := st.Client.Tx(sys)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after a commit, a no-op
	// Names are unique, so that --org NAME names one organization.
	if same, err := tx.Organization.Query().Where(organization.NameEqualFold(*name)).First(sys); err == nil {
		return fmt.Errorf("org create: an organization named %q exists already (%s)", same.Name, same.ID)
	} else if !ent.IsNotFound(err) {
		return err
	}
	org, err := tx.Organization.Create().
		SetName(*name).SetCurrency(strings.ToUpper(*currency)).SetTimezone(*timezone).SetFiscalYearStartMonth(*fyStart).
		Save(sys)
	if err != nil {
		return inWords("org create", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created organization %q: %s\n", org.Name, org.ID)
	return nil
}

// flagOf names the flag that sets a field, for errors in words.
var flagOf = map[string]string{
	"name": "--name", "currency": "--currency", "timezone": "--timezone",
	"fiscal_year_start_month": "--fiscal-year-start", "email": "--email", "role": "--role",
	"team_id": "--team", "hired_at": "--hired-at",
}

// inWords turns an ent validation error into the flag it is about.
func inWords(cmd string, err error) error {
	var ve *ent.ValidationError
	if errors.As(err, &ve) {
		f := flagOf[ve.Name]
		if f == "" {
			f = ve.Name
		}
		inner := errors.Unwrap(ve) // ent: validator failed for field …: the validator's own words
		if words := errors.Unwrap(inner); words != nil {
			inner = words
		}
		return fmt.Errorf("%s: %s: %v", cmd, f, inner)
	}
	return fmt.Errorf("%s: %w", cmd, err)
}

// userCreate creates a user, typically the first ADMIN of an organization,
// who then manages everyone else through the API. The password is read from
// KPIFLOW_USER_PASSWORD or, without it, from the first line of standard
// input, never from a flag (command lines are visible to other users).
func userCreate(ctx context.Context, cfg *config, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	orgRef := fs.String("org", "", "the organization: its ID (org_…) or name; may be left out when there is only one")
	email := fs.String("email", "", "sign-in email")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "ADMIN", "ADMIN, MANAGER or REP")
	teamRef := fs.String("team", "", "the team the user is a member of, by ID or name (optional)")
	hired := fs.String("hired-at", "", "start of tenure, YYYY-MM-DD (default: today)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return errors.New("user create: --email and --name are required (kpiflow user create --help)")
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
	sys := viewer.System(ctx)
	tx, err := st.Client.Tx(sys)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after a commit, a no-op
	org, err := findOrg(sys, tx.Client(), *orgRef)
	if err != nil {
		return fmt.Errorf("user create: %w", err)
	}
	normalized := strings.ToLower(strings.TrimSpace(*email))
	if n, err := tx.User.Query().Where(user.OrganizationID(org.ID), user.EmailEqualFold(normalized)).Count(sys); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("user create: %s already has a user with the email %s", org.Name, normalized)
	}
	c := tx.User.Create().
		SetOrganizationID(org.ID).SetEmail(*email).SetName(*name).SetRole(r).
		SetPasswordHash(hash).SetHiredAt(hiredAt)
	if *teamRef != "" {
		t, err := tx.Team.Query().Where(team.OrganizationID(org.ID),
			team.Or(team.ID(pulid.ID(*teamRef)), team.Name(*teamRef))).All(sys)
		if err != nil {
			return err
		}
		switch len(t) {
		case 0:
			return fmt.Errorf("user create: %s has no team %q", org.Name, *teamRef)
		case 1:
			c.SetTeamID(t[0].ID)
		default:
			return fmt.Errorf("user create: %s has %d teams named %q: give the team's ID", org.Name, len(t), *teamRef)
		}
	}
	u, err := c.Save(sys)
	if err != nil {
		return inWords("user create", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %s: %s\n", u.Role, u.Email, u.ID)
	return nil
}
