package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// command is one of kpiflow's commands, as help lists it.
type command struct {
	name     string // "serve", "org create"
	args     string // what follows the name, for the synopsis
	summary  string
	longHelp string
}

var commands = []command{
	{"serve", "[--demo] [flags]", "serve the API (the default command)",
		"Serves the GraphQL API at /graphql, the console at / (and GraphiQL at /graphiql unless in\n" +
			"production). With --demo, an empty database first gets the demo organization. Without it, an\n" +
			"empty database is served as it is: create the first organization and admin with\n" +
			"`kpiflow org create` and `kpiflow user create`."},
	{"migrate", "[--dry-run]", "bring the database schema up to date, or print the SQL it would run",
		"Migrates the database schema. With --dry-run nothing is written, not even a new SQLite file:\n" +
			"the SQL is printed, or \"up to date\" when there is nothing to do."},
	{"seed", "--demo [--seed N] [--deals N] [--meetings N] [--reps N]", "create the demo organization",
		"Creates the demo organization with its teams, users, deals, meetings, targets and reviews.\n" +
			"--deals, --meetings and --reps scale it up for benchmarks."},
	{"org create", "--name NAME --currency CODE --timezone ZONE [--fiscal-year-start M]", "create an organization",
		"Creates an organization: the start of a new deployment. Names are unique."},
	{"user create", "--org ORG --email EMAIL --name NAME [--role ADMIN|MANAGER|REP] [--team TEAM]", "create a user, such as an organization's first admin",
		"Creates a user. --org is the organization's ID (org_…) or name; --team a team's ID or name.\n" +
			"The password is read from KPIFLOW_USER_PASSWORD or, without it, from the first line of\n" +
			"standard input, never from a flag (command lines are visible to other users)."},
	{"tick", "[--at INSTANT] [--dry-run] [--future]", "run the scheduled work once: review cycles due, periods ended",
		"Opens the review cycles that are due and closes the targets whose period ended, for every\n" +
			"organization, as every server does each minute. --at runs it for another instant: what it opens\n" +
			"and closes is written for good, so an instant in the future needs --future as well; --dry-run\n" +
			"tells what it would open and close and writes nothing."},
	{"import", "FILE.csv [--org ORG] [--kind deals|meetings] [--all-or-nothing]", "import deals or meetings from a CSV file",
		"Imports a CSV file of deals or meetings, idempotent by external_id: a row seen before updates\n" +
			"its record or leaves it unchanged. Bad rows are listed by line; the good ones import, unless\n" +
			"--all-or-nothing."},
	{"rollups verify", "", "compare the KPI rollups with the records",
		"Recomputes every organization's KPI rollups (the sums scorecards read) from its deals and\n" +
			"meetings and compares them with the stored ones, changing nothing. It fails, listing the\n" +
			"first rows that differ, when any does."},
	{"rollups rebuild", "", "recompute the KPI rollups from the records",
		"Recomputes every organization's KPI rollups from its deals and meetings, one transaction per\n" +
			"organization, then verifies them. Writers that bypass kpiflow (SQL, COPY) need it; kpiflow's\n" +
			"own writes keep the rollups exact in their transaction."},
	{"help", "[COMMAND]", "this help, or a command's",
		"Lists the commands, or shows a command's flags (as `kpiflow COMMAND --help` does)."},
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// printHelp writes the list of commands.
func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: kpiflow COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`kpiflow COMMAND --help` lists a command's flags. Every flag has an environment variable")
	fmt.Fprintln(w, "of the same meaning (named in its help); the flag wins.")
}

// usage sets the flag set's usage text to the command's.
func usage(fs *flag.FlagSet, c *command) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: kpiflow %s %s\n\n%s\n\nflags:\n", c.name, c.args, c.longHelp)
		fs.PrintDefaults()
	}
}

// wantsHelp reports whether the arguments ask for help (before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// isTerminal reports whether w is a terminal, where a progress bar that
// redraws itself with \r belongs (and not in a log file).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// plural writes a count with its noun, in the singular for one.
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
