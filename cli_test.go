package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kpiflow/apitest"
)

// help lists every command; every command (and `help COMMAND`) shows its
// usage and flags on standard output, and succeeds.
func TestHelpListsAndExplainsEveryCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		out.Reset()
		if err := run(context.Background(), args, &out, &errOut); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), "\n  "+c.name+" ") {
				t.Errorf("%v does not list %q:\n%s", args, c.name, out.String())
			}
		}
	}
	for _, c := range commands {
		if c.name == "help" {
			continue
		}
		words := strings.Fields(c.name)
		for _, args := range [][]string{append(append([]string(nil), words...), "--help"), append([]string{"help"}, words...)} {
			out.Reset()
			errOut.Reset()
			if err := run(context.Background(), args, &out, &errOut); err != nil {
				t.Errorf("%v: %v", args, err)
				continue
			}
			if !strings.HasPrefix(out.String(), "usage: kpiflow "+c.name+" ") || !strings.Contains(out.String(), "-database-url") ||
				!strings.Contains(out.String(), c.longHelp[:20]) {
				t.Errorf("%v printed:\n%s", args, out.String())
			}
			if errOut.Len() > 0 {
				t.Errorf("%v wrote to standard error: %s", args, errOut.String())
			}
		}
	}
	// Each command's own flags are in its help.
	for cmd, flag := range map[string]string{"tick": "-dry-run", "import": "-all-or-nothing", "migrate": "-dry-run",
		"seed": "-deals", "serve": "-addr"} {
		out.Reset()
		if err := run(context.Background(), []string{cmd, "-h"}, &out, &errOut); err != nil || !strings.Contains(out.String(), flag) {
			t.Errorf("%s -h (%v) lacks %s:\n%s", cmd, err, flag, out.String())
		}
	}
	for _, bad := range [][]string{{"frobnicate"}, {"org"}, {"org", "delete"}, {"user", "--help"}, {"help", "frobnicate"}} {
		if err := run(context.Background(), bad, &out, &errOut); err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
}

// The port is checked before anything touches the database: a server
// whose address is taken says so, and leaves no database behind.
func TestServeChecksTheAddressFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	path := filepath.Join(t.TempDir(), "new.db")
	var out bytes.Buffer
	err = run(context.Background(), []string{"serve", "--demo", "--addr", ln.Addr().String(), "--database-url", "sqlite:" + path}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "cannot listen on "+ln.Addr().String()) {
		t.Fatalf("serve on a taken port: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve on a taken port created the database (%v)", err)
	}
}

// An empty database served without --demo: the log says how to create
// the first organization and admin, with commands that work as printed.
func TestServeOnAnEmptyDatabaseSaysWhatToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("KPIFLOW_JWT_SECRET", strings.Repeat("s", 48))
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "empty.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &apitest.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", addr, "--database-url", dbURL}, logs, logs) }()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), "kpiflow is serving") {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var orgCmd, userCmd []string
	for _, line := range strings.Split(logs.String(), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.Contains(line, " org create "):
			orgCmd = shellWords(t, line[strings.Index(line, "org create"):])
		case strings.Contains(line, " user create "):
			userCmd = shellWords(t, line[strings.Index(line, "user create"):])
		}
	}
	if orgCmd == nil || userCmd == nil || !strings.Contains(logs.String(), "--database-url "+dbURL) {
		t.Fatalf("the log does not say how to begin:\n%s", logs.String())
	}
	// The printed commands run as they are.
	var out bytes.Buffer
	if err := run(context.Background(), orgCmd, &out, &out); err != nil {
		t.Fatalf("%v: %v", orgCmd, err)
	}
	t.Setenv("KPIFLOW_USER_PASSWORD", "choose a long password")
	if err := run(context.Background(), userCmd, &out, &out); err != nil {
		t.Fatalf("%v: %v\n%s", userCmd, err, out.String())
	}
	if !strings.Contains(out.String(), "created ADMIN admin@acme.example") {
		t.Errorf("printed: %s", out.String())
	}
}

// shellWords splits a command line of plain words and double-quoted ones.
func shellWords(t *testing.T, line string) []string {
	var words []string
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			break
		}
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"')
			if end < 0 {
				t.Fatalf("unbalanced quotes in %q", line)
			}
			words = append(words, line[1:end+1])
			line = line[end+2:]
			continue
		}
		end := strings.IndexByte(line, ' ')
		if end < 0 {
			end = len(line)
		}
		words = append(words, line[:end])
		line = line[end:]
	}
	return words
}

// The commands say what is wrong in words: no driver or SQL text.
func TestCommandErrorsInWords(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := apitest.DatabaseURL(t, b)
			ctx := context.Background()
			var out bytes.Buffer
			do := func(args ...string) error {
				out.Reset()
				return run(ctx, append(args, "--database-url", url), &out, &out)
			}
			if err := do("org", "create", "--name", "Initech", "--currency", "eur", "--timezone", "Europe/Berlin"); err != nil {
				t.Fatal(err)
			}
			t.Setenv("KPIFLOW_USER_PASSWORD", "a long enough password")
			// The only organization may be left out; by name otherwise.
			if err := do("user", "create", "--email", "first@initech.test", "--name", "First"); err != nil {
				t.Fatalf("user create without --org in a one-organization database: %v", err)
			}
			if err := do("org", "create", "--name", "Globex", "--currency", "USD", "--timezone", "UTC"); err != nil {
				t.Fatal(err)
			}
			if err := do("user", "create", "--org", "initech", "--email", "second@initech.test", "--name", "Second", "--role", "rep"); err != nil {
				t.Fatalf("user create --org NAME: %v", err)
			}
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"org", "create", "--name", "INITECH", "--currency", "USD", "--timezone", "UTC"}, `an organization named "Initech" exists already`},
				{[]string{"org", "create", "--name", "X", "--currency", "EURO", "--timezone", "UTC"}, `--currency: "EURO" is not an ISO 4217 currency code`},
				{[]string{"org", "create", "--name", "X", "--currency", "USD", "--timezone", "Mars/Olympus"}, "--timezone:"},
				{[]string{"org", "create", "--name", "X", "--currency", "USD", "--timezone", "UTC", "--fiscal-year-start", "13"}, "--fiscal-year-start:"},
				{[]string{"org", "create", "--currency", "USD", "--timezone", "UTC"}, "--name, --currency and --timezone are required"},
				{[]string{"user", "create", "--email", "x@initech.test", "--name", "X"}, "say which organization"},
				{[]string{"user", "create", "--org", "Umbrella", "--email", "x@initech.test", "--name", "X"}, `no organization "Umbrella"`},
				{[]string{"user", "create", "--org", "org_01J00000000000000000000000", "--email", "x@initech.test", "--name", "X"}, `no organization "org_01J00000000000000000000000"`},
				{[]string{"user", "create", "--org", "Initech", "--email", "FIRST@initech.test", "--name", "X"}, "Initech already has a user with the email first@initech.test"},
				{[]string{"user", "create", "--org", "Initech", "--email", "x@initech.test", "--name", "X", "--team", "Sales"}, `Initech has no team "Sales"`},
			} {
				err := do(tc.args...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
					continue
				}
				for _, raw := range []string{"constraint", "FOREIGN KEY", "UNIQUE", "SQL", "ent:", "pq:", "not singular"} {
					if strings.Contains(err.Error(), raw) {
						t.Errorf("%v: %q is not in words", tc.args, err)
					}
				}
			}
		})
	}
}

// A SQLite path in a directory that does not exist is refused with the
// path, and nothing is created (only the default ./data is made).
func TestSQLitePathsAreNotInvented(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "x.db")
	var out bytes.Buffer
	err := run(context.Background(), []string{"migrate", "--database-url", "sqlite:" + missing}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no", "such", "dir")) {
		t.Errorf("migrate into a missing directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a missing directory was created")
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		err := run(context.Background(), []string{"migrate", "--database-url", "sqlite:" + filepath.Join(ro, "x.db")}, &out, &out)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(ro, "x.db")) {
			t.Errorf("an unwritable path: %v", err)
		}
	}
	// A directory where the file should be: the error names the path.
	err = run(context.Background(), []string{"migrate", "--database-url", "sqlite:" + dir}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("a directory as the database: %v", err)
	}
}

// tick refuses to write the future unless told, and --dry-run writes
// nothing at all.
func TestTickDryRunAndFuture(t *testing.T) {
	url := apitest.DatabaseURL(t, apitest.Backends(t)[0])
	var out bytes.Buffer
	if err := run(context.Background(), []string{"seed", "--demo", "--database-url", url}, &out, &out); err != nil {
		t.Fatal(err)
	}
	later := time.Now().AddDate(0, 4, 0).UTC().Format(time.RFC3339)
	tick := func(args ...string) (string, error) {
		out.Reset()
		err := run(context.Background(), append([]string{"tick", "--database-url", url}, args...), &out, &out)
		return out.String(), err
	}
	if _, err := tick("--at", later); err == nil || !strings.Contains(err.Error(), "is in the future") {
		t.Fatalf("tick in the future without --future: %v", err)
	}
	for i := 0; i < 2; i++ { // a dry run leaves the same work for the next
		got, err := tick("--at", later, "--dry-run")
		var n int
		if err != nil || !strings.Contains(got, "nothing written") || !scanInt(got, "would open ", &n) || n < 4 {
			t.Fatalf("dry run %d (%v): %s", i, err, got)
		}
	}
	got, err := tick("--at", later, "--future")
	var n int
	if err != nil || !scanInt(got, "opened ", &n) || n < 4 {
		t.Fatalf("tick --future (%v): %s", err, got)
	}
	if got, err := tick("--at", later, "--dry-run"); err != nil || !strings.Contains(got, "would open 0 review cycles") {
		t.Errorf("a dry run after the real one (%v): %s", err, got)
	}
}

func scanInt(s, after string, n *int) bool {
	i := strings.Index(s, after)
	if i < 0 {
		return false
	}
	rest := s[i+len(after):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if j == 0 {
		return false
	}
	*n = 0
	for _, c := range rest[:j] {
		*n = *n*10 + int(c-'0')
	}
	return true
}
