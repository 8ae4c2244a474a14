// Command kpiflow serves kpiflow's GraphQL API and runs its maintenance
// commands:
//
//	kpiflow [serve]            serve the API (the default command)
//	kpiflow migrate [--dry-run] migrate the database schema, or print the SQL
//	kpiflow seed --demo        create the demo organization (--deals N to scale it)
//	kpiflow org create         create an organization
//	kpiflow user create        create a user, such as an organization's first admin
//	kpiflow tick [--at T]      run the scheduled work (reviews due, periods ended) once
//	kpiflow import FILE.csv    import deals or meetings, idempotent by external_id
//
// Every setting is an environment variable with a flag of the same meaning;
// the flag wins. README.md lists them all.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // period boundaries need IANA zones even where the OS has none

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"kpiflow/auth"
	"kpiflow/demo"
	"kpiflow/ent"
	"kpiflow/graph"
	"kpiflow/httpapi"
	"kpiflow/kpi"
	"kpiflow/live"
	"kpiflow/store"
	"kpiflow/viewer"
	"kpiflow/workflow"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kpiflow:", err)
		os.Exit(1)
	}
}

// config is kpiflow's configuration, from the environment and flags.
type config struct {
	Addr            string
	DatabaseURL     string
	Playground      bool
	Introspection   bool
	Demo            bool
	LogFormat       string
	LogLevel        string
	ShutdownTimeout time.Duration
	AllowedOrigins  string
	Env             string
	MaxDepth        int
	MaxComplexity   int
	MaxAliases      int
	MaxTokens       int
	MaxFields       int
	MaxBodyBytes    int64
	RateLimit       float64
	RequestTimeout  time.Duration
	OperationsFile  string
	RateBurst       int
	JWTSecret       string
	JWTKeyFile      string
	JWTPreviousKeys string
	JWTIssuer       string
	JWTAudience     string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	HashConcurrency int
	MetricsAddr     string
	MetricsToken    string

	envErrs []error // environment variables that could not be read
}

// register defines the flags every command has.
func (c *config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", env("KPIFLOW_DATABASE_URL", store.DefaultURL),
		"postgres://… or sqlite:PATH (KPIFLOW_DATABASE_URL)")
	fs.StringVar(&c.LogFormat, "log-format", env("KPIFLOW_LOG_FORMAT", "text"), "text or json (KPIFLOW_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("KPIFLOW_LOG_LEVEL", "info"), "debug, info, warn or error (KPIFLOW_LOG_LEVEL)")
}

// registerServe defines the flags of the serve command.
func (c *config) registerServe(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("KPIFLOW_ADDR", "127.0.0.1:8080"), "listen address (KPIFLOW_ADDR)")
	c.Env = env("KPIFLOW_ENV", "development")
	dev := c.Env != "production"
	fs.BoolVar(&c.Playground, "playground", c.envBool("KPIFLOW_PLAYGROUND", dev), "serve GraphiQL at /graphiql (KPIFLOW_PLAYGROUND; default off in production)")
	fs.BoolVar(&c.Introspection, "introspection", c.envBool("KPIFLOW_INTROSPECTION", dev), "allow schema introspection (KPIFLOW_INTROSPECTION; default off in production)")
	fs.IntVar(&c.MaxDepth, "max-depth", c.envInt("KPIFLOW_MAX_DEPTH", graph.DefaultLimits.MaxDepth), "deepest field nesting of an operation (KPIFLOW_MAX_DEPTH)")
	fs.IntVar(&c.MaxComplexity, "max-complexity", c.envInt("KPIFLOW_MAX_COMPLEXITY", graph.DefaultLimits.MaxComplexity),
		"complexity budget of an operation; pages multiply what they select (KPIFLOW_MAX_COMPLEXITY)")
	fs.IntVar(&c.MaxAliases, "max-aliases", c.envInt("KPIFLOW_MAX_ALIASES", graph.DefaultLimits.MaxAliases), "aliased fields per operation (KPIFLOW_MAX_ALIASES)")
	fs.IntVar(&c.MaxTokens, "max-tokens", c.envInt("KPIFLOW_MAX_TOKENS", graph.DefaultLimits.MaxTokens), "parser tokens per query document (KPIFLOW_MAX_TOKENS)")
	fs.IntVar(&c.MaxFields, "max-fields", c.envInt("KPIFLOW_MAX_FIELDS", graph.DefaultLimits.MaxFields),
		"selections per query document, fragments expanded, checked before validation (KPIFLOW_MAX_FIELDS)")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.envFloat("KPIFLOW_RATE_LIMIT", httpapi.DefaultRateLimit.PerSecond),
		"requests per second per viewer (or client address); 0 turns the limit off (KPIFLOW_RATE_LIMIT)")
	fs.IntVar(&c.RateBurst, "rate-burst", c.envInt("KPIFLOW_RATE_BURST", httpapi.DefaultRateLimit.Burst), "requests a viewer may make at once (KPIFLOW_RATE_BURST)")
	fs.DurationVar(&c.RequestTimeout, "request-timeout", c.envDuration("KPIFLOW_REQUEST_TIMEOUT", httpapi.DefaultRequestTimeout),
		"how long a request and its statements may take before they are cancelled (KPIFLOW_REQUEST_TIMEOUT)")
	fs.StringVar(&c.OperationsFile, "operations-file", env("KPIFLOW_OPERATIONS_FILE", ""),
		"allowlist of the only operations to run: a JSON object of operation texts by SHA-256 (KPIFLOW_OPERATIONS_FILE)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", int64(c.envInt("KPIFLOW_MAX_BODY_BYTES", httpapi.DefaultMaxBodyBytes)), "largest request body (KPIFLOW_MAX_BODY_BYTES)")
	fs.BoolVar(&c.Demo, "demo", c.envBool("KPIFLOW_DEMO", false), "create the demo organization when the database is empty (KPIFLOW_DEMO)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.envDuration("KPIFLOW_SHUTDOWN_TIMEOUT", 15*time.Second),
		"how long a shutdown waits for requests in flight (KPIFLOW_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.AllowedOrigins, "allowed-origins", env("KPIFLOW_ALLOWED_ORIGINS", ""),
		"comma-separated origins (host patterns such as app.example.com or localhost:*) whose pages may open WebSockets (KPIFLOW_ALLOWED_ORIGINS)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("KPIFLOW_METRICS_ADDR", ""),
		"serve /metrics on this address only, not on the API's (KPIFLOW_METRICS_ADDR)")
	// The secrets have no flag: command lines are visible to other users.
	c.MetricsToken = env("KPIFLOW_METRICS_TOKEN", "")
	c.JWTSecret = env("KPIFLOW_JWT_SECRET", "")
	fs.StringVar(&c.JWTKeyFile, "jwt-key-file", env("KPIFLOW_JWT_KEY_FILE", ""),
		"Ed25519 private key (PEM) to sign EdDSA tokens instead of HS256 (KPIFLOW_JWT_KEY_FILE)")
	fs.StringVar(&c.JWTPreviousKeys, "jwt-previous-key-files", env("KPIFLOW_JWT_PREVIOUS_KEY_FILES", ""),
		"comma-separated Ed25519 public keys (PEM) still accepted during a key rotation (KPIFLOW_JWT_PREVIOUS_KEY_FILES)")
	fs.StringVar(&c.JWTIssuer, "jwt-issuer", env("KPIFLOW_JWT_ISSUER", auth.DefaultIssuer), "iss of access tokens (KPIFLOW_JWT_ISSUER)")
	fs.StringVar(&c.JWTAudience, "jwt-audience", env("KPIFLOW_JWT_AUDIENCE", auth.DefaultAudience), "aud of access tokens (KPIFLOW_JWT_AUDIENCE)")
	fs.DurationVar(&c.AccessTokenTTL, "access-token-ttl", c.envDuration("KPIFLOW_ACCESS_TOKEN_TTL", auth.DefaultTTL),
		"lifetime of access tokens (KPIFLOW_ACCESS_TOKEN_TTL)")
	fs.DurationVar(&c.RefreshTokenTTL, "refresh-token-ttl", c.envDuration("KPIFLOW_REFRESH_TOKEN_TTL", auth.DefaultRefreshTTL),
		"lifetime of refresh tokens (KPIFLOW_REFRESH_TOKEN_TTL)")
	fs.IntVar(&c.HashConcurrency, "password-hash-concurrency", c.envInt("KPIFLOW_PASSWORD_HASH_CONCURRENCY", auth.DefaultHashConcurrency()),
		"password hashes (sign-ins, password changes) run at once, each taking 64 MiB while it runs; more wait their turn (KPIFLOW_PASSWORD_HASH_CONCURRENCY)")
}

// authService builds the authentication service. Without a secret it
// refuses to start, except in demo mode, where a random secret is made up
// (tokens then die with the process).
func (c *config) authService(client *ent.Client, logger *slog.Logger) (*auth.Service, error) {
	tokens := auth.TokenConfig{
		Issuer:   c.JWTIssuer,
		Audience: c.JWTAudience,
		TTL:      c.AccessTokenTTL,
		Leeway:   auth.DefaultLeeway,
	}
	if c.JWTKeyFile != "" {
		key, err := auth.LoadSigningKey(c.JWTKeyFile)
		if err != nil {
			return nil, err
		}
		tokens.SigningKey = key
		for _, path := range splitList(c.JWTPreviousKeys) {
			pub, err := auth.LoadVerifyingKey(path)
			if err != nil {
				return nil, err
			}
			tokens.PreviousKeys = append(tokens.PreviousKeys, pub)
		}
		return auth.NewService(client, auth.Config{Tokens: tokens, RefreshTTL: c.RefreshTokenTTL, HashConcurrency: c.HashConcurrency})
	}
	secret := []byte(c.JWTSecret)
	if len(secret) == 0 && c.Demo {
		logger.Warn("KPIFLOW_JWT_SECRET is not set: demo mode signs tokens with a random secret, valid until the server stops")
		secret = auth.RandomSecret()
	}
	if len(secret) < auth.MinSecretLength {
		return nil, fmt.Errorf("KPIFLOW_JWT_SECRET must be set to at least %d bytes (e.g. openssl rand -base64 48), or use --demo", auth.MinSecretLength)
	}
	tokens.Secret = secret
	return auth.NewService(client, auth.Config{Tokens: tokens, RefreshTTL: c.RefreshTokenTTL, HashConcurrency: c.HashConcurrency})
}

func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", c.LogFormat)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		cmd, args = "help", args[1:]
	}
	name := cmd
	if cmd == "org" || cmd == "user" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return fmt.Errorf("%s: say what to do: kpiflow %s create (kpiflow %s create --help)", cmd, cmd, cmd)
		}
		name, args = cmd+" "+args[0], args[1:]
	}
	if cmd == "rollups" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			return fmt.Errorf("rollups: say what to do: kpiflow rollups verify, or kpiflow rollups rebuild")
		}
		name, args = cmd+" "+args[0], args[1:]
	}
	if cmd == "help" {
		if len(args) == 0 {
			printHelp(stdout)
			return nil
		}
		return dispatch(ctx, append(append([]string(nil), args...), "--help"), stdout, stderr)
	}
	c := findCommand(name)
	if c == nil {
		return fmt.Errorf("unknown command %q: kpiflow help lists the commands", name)
	}
	var cfg config
	fs := flag.NewFlagSet("kpiflow "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if wantsHelp(args) {
		fs.SetOutput(stdout)
	}
	usage(fs, c)
	cfg.register(fs)
	if cmd == "serve" {
		cfg.registerServe(fs)
	}
	if err := errors.Join(cfg.envErrs...); err != nil && !wantsHelp(args) {
		return err
	}
	switch name {
	case "serve":
		if err := fs.Parse(args); err != nil {
			return err
		}
		return serve(ctx, cfg, stderr)
	case "migrate":
		dryRun := fs.Bool("dry-run", false, "print the SQL instead of running it; write nothing")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return migrate(ctx, cfg, *dryRun, stdout)
	case "seed":
		isDemo := fs.Bool("demo", false, "create the demo organization")
		seed := fs.Uint64("seed", 1, "random seed of the demo data")
		deals := fs.Int("deals", 0, "scale the demo to about this many deals (0: the default ~700)")
		meetings := fs.Int("meetings", 0, "scale the demo to about this many meetings (0: about 4 per deal)")
		repsFlag := fs.Int("reps", 0, "scale the demo to this many reps (0: as many as the deals need; at least 12)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if !*isDemo {
			return errors.New("seed: say what to create: --demo")
		}
		return seedDemo(ctx, cfg, demo.Options{Seed: *seed, Deals: *deals, Meetings: *meetings, Reps: *repsFlag}, stdout, stderr)
	case "tick":
		return tickCommand(ctx, &cfg, fs, args, stdout)
	case "import":
		return importFile(ctx, &cfg, fs, args, stdout, stderr)
	case "org create":
		return orgCreate(ctx, &cfg, fs, args, stdout)
	case "user create":
		return userCreate(ctx, &cfg, fs, args, stdout)
	case "rollups verify", "rollups rebuild":
		return rollupsCommand(ctx, &cfg, name == "rollups rebuild", fs, args, stdout)
	}
	return fmt.Errorf("unknown command %q: kpiflow help lists the commands", name)
}

// tickCommand runs the scheduled work once, for now or for --at. An
// instant in the future writes what is due then for good (cycles opened,
// targets closed), so it needs --future; --dry-run writes nothing.
func tickCommand(ctx context.Context, cfg *config, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	at := fs.String("at", "", "the instant to run for, RFC 3339 such as 2026-12-01T09:00:00Z (default: now)")
	dryRun := fs.Bool("dry-run", false, "say what would be opened and closed, and write nothing")
	future := fs.Bool("future", false, "allow --at in the future: what is due then is written for good")
	if err := fs.Parse(args); err != nil {
		return err
	}
	now := time.Now()
	t := now
	if *at != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("tick: --at must be an RFC 3339 instant such as 2026-12-01T09:00:00Z")
		}
	}
	if t.After(now.Add(time.Minute)) && !*future && !*dryRun {
		return fmt.Errorf("tick: %s is in the future, and what is due then would be written for good "+
			"(review cycles opened, targets closed before their time); see it with --dry-run, or write it with --future",
			t.UTC().Format(time.RFC3339))
	}
	st, err := openMigrated(ctx, *cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	when := t.UTC().Format(time.RFC3339)
	if *dryRun {
		opened, closed, err := tickDryRun(ctx, st, t)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "at %s: would open %s, close %s (dry run: nothing written)\n", when,
			plural(opened, "review cycle"), plural(closed, "target"))
		return nil
	}
	// With PostgreSQL, subscribers on the servers hear of what this pass
	// opens and closes.
	live.New(st.Client, st.Dialect, st.URL, nil)
	opened, closed, err := tick(ctx, st, t)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "at %s: opened %s, closed %s\n", when, plural(opened, "review cycle"), plural(closed, "target"))
	return nil
}

func openMigrated(ctx context.Context, cfg config) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrating the database: %w", err)
	}
	return st, nil
}

func migrate(ctx context.Context, cfg config, dryRun bool, stdout io.Writer) error {
	if dryRun {
		return migrateDryRun(ctx, cfg, stdout)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database schema is up to date")
	return nil
}

// migrateDryRun prints the SQL a migration would run, writing nothing: a
// SQLite file is opened read-only, and one that does not exist yet is not
// created (the SQL is then the whole schema's).
func migrateDryRun(ctx context.Context, cfg config, stdout io.Writer) error {
	st, err := store.OpenExisting(ctx, cfg.DatabaseURL)
	if errors.Is(err, store.ErrNoDatabase) {
		fmt.Fprintf(stdout, "-- %v: migrate would create it with:\n", err)
		if st, err = store.Open(ctx, "sqlite::memory:"); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	defer st.Close()
	var sql strings.Builder
	if err := st.PrintMigration(ctx, &sql); err != nil {
		return err
	}
	for _, line := range strings.Split(sql.String(), "\n") {
		switch strings.TrimSpace(line) {
		case "", "BEGIN;", "COMMIT;":
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		_, err := io.WriteString(stdout, sql.String())
		return err
	}
	fmt.Fprintln(stdout, "database schema is up to date: nothing to migrate")
	return nil
}

func seedDemo(ctx context.Context, cfg config, o demo.Options, stdout, stderr io.Writer) error {
	st, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	o.Dialect = st.Dialect
	if o.Deals > 0 || o.Meetings > 0 {
		start, last := time.Now(), time.Time{}
		o.Progress = func(done, total int) {
			if time.Since(last) < time.Second && done < total {
				return
			}
			last = time.Now()
			fmt.Fprintf(stderr, "\r%s %d/%d rows (%.0f%%)", progressBar(done, total, 30), done, total, 100*float64(done)/float64(max(total, 1)))
			if done >= total {
				fmt.Fprintf(stderr, " in %s\n", time.Since(start).Round(time.Second))
			}
		}
	}
	sum, err := demo.Seed(ctx, st.Client, o)
	if err != nil {
		return err
	}
	if err := st.Analyze(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %q: %d teams, %d users, %d deals, %d meetings, %d targets\n",
		sum.Organization.Name, sum.Teams, sum.Users, sum.Deals, sum.Meetings, sum.Targets)
	return nil
}

var dbStats prometheus.Collector

func serve(ctx context.Context, cfg config, logOut io.Writer) error {
	logger, err := cfg.logger(logOut)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if !cfg.Demo && cfg.JWTKeyFile == "" && len(cfg.JWTSecret) < auth.MinSecretLength {
		return fmt.Errorf("KPIFLOW_JWT_SECRET must be set to at least %d bytes (e.g. openssl rand -base64 48), or use --demo", auth.MinSecretLength)
	}
	// The address first: a port in use is told before any database work.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another server running there? choose another address with --addr or KPIFLOW_ADDR): %w", cfg.Addr, err)
	}
	defer ln.Close()
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("cannot listen on %s for /metrics (KPIFLOW_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		defer mln.Close()
	}
	st, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Optimize(ctx); err != nil {
		return fmt.Errorf("optimizing the database: %w", err)
	}
	// Organizations created before a built-in KPI existed get it now.
	if err := kpi.EnsureAllBuiltins(ctx, st.Client); err != nil {
		return err
	}
	if cfg.Demo {
		empty, err := demo.Empty(ctx, st.Client)
		if err != nil {
			return err
		}
		if empty {
			sum, err := demo.Seed(ctx, st.Client, demo.Options{Seed: 1})
			if err != nil {
				return fmt.Errorf("creating the demo organization: %w", err)
			}
			logger.Info("created the demo organization", "deals", sum.Deals, "meetings", sum.Meetings, "targets", sum.Targets)
			if err := st.Analyze(ctx); err != nil {
				return err
			}
		}
	}

	// The database pool's statistics, at /metrics (of this database: a
	// process that serves again replaces the last one's).
	if dbStats != nil {
		prometheus.Unregister(dbStats)
	}
	dbStats = collectors.NewDBStatsCollector(st.DB, "kpiflow")
	if err := prometheus.Register(dbStats); err != nil {
		return err
	}
	authSvc, err := cfg.authService(st.Client, logger)
	if err != nil {
		return err
	}
	var operations graph.Operations
	if cfg.OperationsFile != "" {
		if operations, err = graph.LoadOperations(cfg.OperationsFile); err != nil {
			return err
		}
		logger.Info("running registered operations only", "operations", len(operations))
	}
	// Notices for subscriptions: with PostgreSQL, those of every replica.
	hub := live.New(st.Client, st.Dialect, st.URL, logger)
	if err := hub.Listen(ctx); err != nil {
		return fmt.Errorf("listening for notices: %w", err)
	}
	defer hub.Close()
	// The GraphQL executor (schema, resolvers, per-operation limits), served
	// by the HTTP layer with its own limits, CORS, metrics and probes.
	executor := graph.Options{
		Live:          hub,
		Operations:    operations,
		Client:        st.Client,
		Dialect:       st.Dialect,
		Auth:          authSvc,
		Logger:        logger,
		Introspection: cfg.Introspection,
		Production:    cfg.Env == "production",
		Limits: graph.Limits{MaxDepth: cfg.MaxDepth, MaxComplexity: cfg.MaxComplexity,
			MaxAliases: cfg.MaxAliases, MaxTokens: cfg.MaxTokens, MaxFields: cfg.MaxFields},
	}
	h := httpapi.NewHandler(httpapi.Options{
		Options:        executor,
		Ready:          st.Ping,
		Playground:     cfg.Playground,
		AllowedOrigins: splitList(cfg.AllowedOrigins),
		RateLimit:      rateLimit(cfg.RateLimit, cfg.RateBurst),
		MaxBodyBytes:   cfg.MaxBodyBytes,
		RequestTimeout: cfg.RequestTimeout,
		MetricsToken:   cfg.MetricsToken,
		NoMetrics:      cfg.MetricsAddr != "",
	})
	if !cfg.Demo {
		if err := tellIfEmpty(ctx, st, cfg, logOut); err != nil {
			return err
		}
	}
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", httpapi.MetricsHandler())
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		logger.Info("metrics are served apart", "metrics", "http://"+mln.Addr().String()+"/metrics")
	}
	// Connections live in their own context: a signal stops new work at
	// once, but requests in flight finish (Shutdown drains them), and only
	// then are the remaining, hijacked WebSocket connections ended.
	connCtx, endConns := context.WithCancel(context.WithoutCancel(ctx))
	defer endConns()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return connCtx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go schedule(ctx, st, time.Minute, logger)
	logger.Info("kpiflow is serving", "graphql", "http://"+ln.Addr().String()+"/graphql",
		"database", st.Dialect, "playground", cfg.Playground)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests in flight", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	endConns() // WebSocket connections, which Shutdown does not wait for
	logger.Info("stopped")
	return nil
}

// tellIfEmpty prints, for a database without any organization, the
// commands that create the first one and its admin.
func tellIfEmpty(ctx context.Context, st *store.Store, cfg config, w io.Writer) error {
	n, err := st.Client.Organization.Query().Count(viewer.System(ctx))
	if err != nil || n > 0 {
		return err
	}
	prog := "kpiflow"
	if strings.Contains(os.Args[0], "go-build") {
		prog = "go run ."
	}
	db := ""
	switch {
	case strings.HasPrefix(cfg.DatabaseURL, "sqlite:") && cfg.DatabaseURL != store.DefaultURL:
		db = " --database-url " + cfg.DatabaseURL
	case !strings.HasPrefix(cfg.DatabaseURL, "sqlite:"):
		db = ` --database-url "$KPIFLOW_DATABASE_URL"`
	}
	fmt.Fprintf(w, `
The database has no organization yet. Create the first one and its admin, then sign in as that admin:

  %[1]s org create%[2]s --name "Acme" --currency USD --timezone America/New_York --fiscal-year-start 1
  KPIFLOW_USER_PASSWORD='choose a long password' %[1]s user create%[2]s --org "Acme" --email admin@acme.example --name "Ada Admin" --role ADMIN

Or stop this server and try kpiflow with demo data: %[1]s serve --demo%[2]s

`, prog, db)
	return nil
}

// tick runs the scheduled work for an instant, for every organization:
// review cycles that are due open, and targets whose period ended close.
// Both are exactly-once in the database, so every replica may tick.
func tick(ctx context.Context, st *store.Store, at time.Time) (opened, closed int, err error) {
	svc := workflow.NewServiceAt(kpi.Engine{DB: st.Client, Dialect: st.Dialect}, func() time.Time { return at })
	orgs, err := st.Client.Organization.Query().IDs(viewer.System(ctx))
	if err != nil {
		return 0, 0, err
	}
	for _, org := range orgs {
		n, err := svc.OpenReviews(ctx, st.Client, org, at)
		if err != nil {
			return opened, closed, err
		}
		opened += n
		tx, err := st.Client.Tx(ctx)
		if err != nil {
			return opened, closed, err
		}
		n, err = svc.ClosePeriods(ent.NewTxContext(ctx, tx), tx.Client(), org)
		if err != nil {
			_ = tx.Rollback()
			return opened, closed, err
		}
		if err := tx.Commit(); err != nil {
			return opened, closed, err
		}
		closed += n
	}
	return opened, closed, nil
}

// tickDryRun runs tick's work for an instant in one transaction that is
// rolled back: it reports what tick would open and close, and writes
// nothing.
func tickDryRun(ctx context.Context, st *store.Store, at time.Time) (opened, closed int, err error) {
	svc := workflow.NewServiceAt(kpi.Engine{DB: st.Client, Dialect: st.Dialect}, func() time.Time { return at })
	tx, err := st.Client.Tx(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = tx.Rollback() }()
	txCtx := ent.NewTxContext(ctx, tx)
	orgs, err := tx.Client().Organization.Query().IDs(viewer.System(txCtx))
	if err != nil {
		return 0, 0, err
	}
	for _, org := range orgs {
		n, err := svc.OpenReviews(txCtx, tx.Client(), org, at)
		if err != nil {
			return opened, closed, err
		}
		opened += n
		if n, err = svc.ClosePeriods(txCtx, tx.Client(), org); err != nil {
			return opened, closed, err
		}
		closed += n
	}
	return opened, closed, nil
}

// schedule ticks every interval until ctx ends.
func schedule(ctx context.Context, st *store.Store, every time.Duration, logger *slog.Logger) {
	for {
		opened, closed, err := tick(ctx, st, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("scheduled work", "error", err)
		case opened+closed > 0:
			logger.Info("scheduled work", "review_cycles_opened", opened, "targets_closed", closed)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// rateLimit turns the configuration into the handler's: 0 means none.
func rateLimit(perSecond float64, burst int) httpapi.RateLimit {
	if perSecond <= 0 {
		return httpapi.RateLimit{PerSecond: -1}
	}
	return httpapi.RateLimit{PerSecond: perSecond, Burst: burst}
}

func progressBar(done, total, width int) string {
	n := width
	if total > 0 {
		n = width * done / total
	}
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func (c *config) envBool(key string, def bool) bool {
	if v, ok := os.LookupEnv(key); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not a boolean (true or false)", key, v))
		}
		return b
	}
	return def
}

func (c *config) envFloat(key string, def float64) float64 {
	if v, ok := os.LookupEnv(key); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not a number of requests per second", key, v))
		}
		return f
	}
	return def
}

func (c *config) envInt(key string, def int) int {
	if v, ok := os.LookupEnv(key); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not a positive whole number", key, v))
		}
		return n
	}
	return def
}

func (c *config) envDuration(key string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(key); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q is not a duration such as 15s", key, v))
		}
		return d
	}
	return def
}

// errRollupsDiffer is rollups verify's failure: the rollups differ from
// the records.
var errRollupsDiffer = errors.New("the KPI rollups differ from the records: `kpiflow rollups rebuild` recomputes them")

// rollupsCommand verifies the KPI rollups against the records, or
// rebuilds them from the records (then verifies them).
func rollupsCommand(ctx context.Context, cfg *config, rebuild bool, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("rollups: unexpected %q", fs.Arg(0))
	}
	st, err := openMigrated(ctx, *cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if rebuild {
		start := time.Now()
		n, err := st.Rollups.RebuildAll(ctx, st.Client)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rebuilt the rollups of %s in %s\n", plural(n, "organization"), time.Since(start).Round(time.Millisecond))
	}
	v, err := st.Rollups.Verify(ctx, st.Client)
	if err != nil {
		return err
	}
	if v.Differences > 0 {
		fmt.Fprintf(stdout, "%s of %s differ from the records:\n", plural(v.Differences, "rollup row"), plural(v.Organizations, "organization"))
		for _, e := range v.Examples {
			fmt.Fprintf(stdout, "  %s\n", e)
		}
		return errRollupsDiffer
	}
	fmt.Fprintf(stdout, "the rollups of %s agree with the records (%s)\n", plural(v.Organizations, "organization"), plural(v.Rows, "rollup row"))
	return nil
}
