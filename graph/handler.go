package graph

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	coderws "github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/auth"
	"kpiflow/ent"
	"kpiflow/graph/model"
	"kpiflow/kpi"
	"kpiflow/live"
	"kpiflow/viewer"
	"kpiflow/web"
	"kpiflow/workflow"
)

// Options configure the HTTP handler.
type Options struct {
	Client *ent.Client
	// Dialect is the database's: dialect.SQLite (the default) or
	// dialect.Postgres, for the SQL of the KPI engine.
	Dialect string
	// Auth authenticates requests and signs users in.
	Auth   *auth.Service
	Logger *slog.Logger
	// Ready reports whether the database can be reached, for /readyz.
	Ready func(context.Context) error
	// Playground serves GraphiQL at /graphiql, from the binary itself
	// (package web), beside the console that is always served at /.
	Playground bool
	// Introspection allows schema introspection queries.
	Introspection bool
	// Limits bound each operation; zero values mean DefaultLimits'.
	Limits Limits
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// Live publishes and delivers the notices behind subscriptions; nil
	// means in-process delivery only (one replica).
	Live *live.Hub
	// InboxRecheck is how often an inboxChanged subscription looks again
	// when nothing was announced (default DefaultInboxRecheck).
	InboxRecheck time.Duration
	// RequestTimeout bounds a request and every statement it runs
	// (default 30s): past it, the statements are cancelled and the client
	// gets UNAVAILABLE rather than waiting.
	RequestTimeout time.Duration
	// RateLimit bounds each viewer's requests; the zero value means
	// DefaultRateLimit, a negative PerSecond none.
	RateLimit RateLimit
	// Production turns off "did you mean" suggestions in errors.
	Production bool
	// Clock is the time the KPI engine's services and the workflow run at
	// (default time.Now): tests pin it, so that "the current quarter" does
	// not move under them.
	Clock func() time.Time
	// Operations, when not nil, is the allowlist of the only operations
	// the server runs (locked-down production).
	Operations Operations
	// AllowedOrigins are the origins (host patterns such as
	// "app.example.com" or "localhost:*") of pages that may open WebSocket
	// connections; the server's own origin always may.
	AllowedOrigins []string
	// MetricsToken, when set, is the bearer token /metrics asks for. In
	// production /metrics is served on this handler only with a token
	// (or on a separate address: MetricsHandler).
	MetricsToken string
	// NoMetrics leaves /metrics out of this handler (served elsewhere).
	NoMetrics bool
}

// withCursorKey gives every request the key that signs its cursors,
// derived from the token signing key, so that every replica signs alike.
func withCursorKey(a *auth.Service, next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	key := a.Tokens().DeriveKey("cursors")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(model.WithCursorKey(r.Context(), key)))
	})
}

// DefaultRequestTimeout bounds a request.
const DefaultRequestTimeout = 30 * time.Second

// NewHandler returns kpiflow's HTTP handler: GraphQL at /graphql, the
// console at /, GraphiQL at /graphiql when enabled, and the health
// endpoints /healthz and /readyz.
func NewHandler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	srv := NewGraphQLServer(o)
	mux := http.NewServeMux()
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.RateLimit == (RateLimit{}) {
		o.RateLimit = DefaultRateLimit
	}
	var limiter *rateLimiter
	if o.RateLimit.PerSecond > 0 {
		limiter = newRateLimiter(o.RateLimit)
	}
	if o.Introspection { // the SDL is the schema: served where introspection is allowed
		mux.HandleFunc("GET /graphql/schema.graphql", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, SDL())
		})
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	mux.Handle("/graphql", httpRules(o.MaxBodyBytes, o.RequestTimeout, withCursorKey(o.Auth,
		authenticate(o.Auth, rateLimited(limiter, idempotent(o.Client, o.Logger, srv))))))
	// The console at / and its routes, GraphiQL at /graphiql when enabled;
	// every other route is more specific.
	mux.Handle("/", web.Handler(web.Options{GraphiQL: o.Playground}))
	if m := metricsFor(o); m != nil {
		mux.Handle("GET /metrics", m)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if o.Ready != nil {
			if err := o.Ready(ctx); err != nil {
				o.Logger.WarnContext(ctx, "not ready", "request_id", RequestID(ctx), "error", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("database unreachable\n"))
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return withRequestLog(o.Logger, corsFor(o.AllowedOrigins, mux))
}

// MetricsHandler serves the Prometheus metrics, for a separate address.
func MetricsHandler() http.Handler { return promhttp.Handler() }

// metricsFor returns the /metrics handler of the options, or nil where
// they keep metrics off this handler: open in development, behind
// MetricsToken when one is set, absent in production without one.
func metricsFor(o Options) http.Handler {
	switch {
	case o.NoMetrics:
		return nil
	case o.MetricsToken != "":
		want := []byte("Bearer " + o.MetricsToken)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "a metrics token is required", http.StatusUnauthorized)
				return
			}
			promhttp.Handler().ServeHTTP(w, r)
		})
	case o.Production:
		return nil
	}
	return promhttp.Handler()
}

// originHosts turns allowed origins into the host patterns WebSocket
// origin checks compare: https://app.example.com → app.example.com.
func originHosts(allowed []string) []string {
	out := make([]string, len(allowed))
	for i, o := range allowed {
		if _, host, ok := strings.Cut(o, "://"); ok {
			o = host
		}
		out[i] = o
	}
	return out
}

// corsFor lets the pages of the allowed origins (the SPAs) call the API
// from the browser: the origins of KPIFLOW_ALLOWED_ORIGINS, as full origins
// (https://app.example.com) or host patterns (app.example.com,
// localhost:*), both accepted. The token travels in a header, never a
// cookie, so credentials are not allowed.
func corsFor(allowed []string, next http.Handler) http.Handler {
	if len(allowed) == 0 {
		return next
	}
	var origins []string
	for _, o := range allowed {
		if strings.Contains(o, "://") {
			origins = append(origins, o)
		} else {
			origins = append(origins, "https://"+o, "http://"+o)
		}
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept", "Idempotency-Key"},
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After", "Idempotent-Replayed"},
		AllowCredentials: false,
		MaxAge:           600,
	}).Handler(next)
}

// SDL returns the whole schema in the schema definition language: what
// clients generate their types from (served at /graphql/schema.graphql
// and committed as docs/schema.graphql). It is the schema introspection
// shows: PublicSchema's.
func SDL() string {
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(PublicSchema())
	return b.String()
}

// internalDirectives are declared by gqlgen and gqlparser but are no part
// of the API: @goField and @goModel say how Go binds the schema, and
// @defer needs an incremental-delivery transport the server does not
// offer (a query that uses it is refused as invalid).
var internalDirectives = []string{"goField", "goModel", "defer"}

// PublicSchema is the schema the server executes, introspects and serves
// as SDL: the generated one without internalDirectives, declared or used.
// It is loaded once from the schema sources, apart from the generated
// code's own copy, which gqlgen's tests and tools may still read.
var PublicSchema = sync.OnceValue(func() *ast.Schema {
	s := gqlparser.MustLoadSchema(sources...)
	keep := func(dl ast.DirectiveList) ast.DirectiveList {
		var out ast.DirectiveList
		for _, d := range dl {
			if !slices.Contains(internalDirectives, d.Name) {
				out = append(out, d)
			}
		}
		return out
	}
	for _, name := range internalDirectives {
		delete(s.Directives, name)
	}
	for _, def := range s.Types {
		def.Directives = keep(def.Directives)
		for _, f := range def.Fields {
			f.Directives = keep(f.Directives)
			for _, a := range f.Arguments {
				a.Directives = keep(a.Directives)
			}
		}
		for _, v := range def.EnumValues {
			v.Directives = keep(v.Directives)
		}
	}
	return s
})

// NewGraphQLServer returns the GraphQL endpoint itself.
func NewGraphQLServer(o Options) *handler.Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Dialect == "" {
		o.Dialect = dialect.SQLite
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	engine := kpi.Engine{DB: o.Client, Dialect: o.Dialect, Rollups: true}
	if o.Live == nil {
		o.Live = live.New(o.Client, dialect.SQLite, "", o.Logger) // in-process
	}
	if o.Auth != nil {
		o.Auth.NotifySessions(o.Live) // open connections end with their sessions
	}
	schema := NewExecutableSchema(Config{Schema: PublicSchema(), Resolvers: &Resolver{client: o.Client, auth: o.Auth,
		kpis: kpi.NewServiceAt(engine, o.Clock), workflow: workflow.NewServiceAt(engine, o.Clock),
		live: o.Live, logger: o.Logger, inboxRecheck: o.InboxRecheck, probes: newProbes()},
		Directives: DirectiveRoot{Reach: reach}})
	srv := handler.New(schema)
	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: originHosts(o.AllowedOrigins)},
		},
		InitFunc:              websocketInit(o.Auth, o.Live),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	queryCache := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(queryCache)
	limits := o.Limits
	if limits.MaxDepth <= 0 {
		limits.MaxDepth = DefaultLimits.MaxDepth
	}
	if limits.MaxComplexity <= 0 {
		limits.MaxComplexity = DefaultLimits.MaxComplexity
	}
	if limits.MaxAliases <= 0 {
		limits.MaxAliases = DefaultLimits.MaxAliases
	}
	if limits.MaxTokens <= 0 {
		limits.MaxTokens = DefaultLimits.MaxTokens
	}
	if limits.MaxFields <= 0 {
		limits.MaxFields = DefaultLimits.MaxFields
	}
	srv.SetParserTokenLimit(limits.MaxTokens)
	srv.SetDisableSuggestion(o.Production)
	if o.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(noIntrospection{})
	}
	if o.Operations != nil {
		srv.Use(allowlist{o.Operations})
	} else {
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	}
	// After the persisted operations, which give the query its text.
	srv.Use(fieldLimit{max: limits.MaxFields, tokens: limits.MaxTokens, cache: queryCache})
	srv.Use(inputCheck{schema: schema.Schema()})
	srv.Use(pageLimits{})
	srv.Use(queryLimits{limits}) // after pageLimits: it reads the page sizes
	srv.Use(whereLimits{})
	srv.Use(sessionsAlone{})
	srv.Use(transactional{client: o.Client, logger: o.Logger})
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(ent.NewContext(ctx, o.Client))
	})
	// Lookups are remembered per response, not per operation: a
	// subscription lives long and sends many.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(withCoherenceBatches(withActualBatches(withKPICache(withCurrencies(ctx)))))
	})
	srv.AroundResponses(logOperation)
	srv.AroundResponses(measureOperation)
	srv.AroundRootFields(requireViewer)
	srv.SetErrorPresenter(presentError(o.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		return resolverError{fmt.Errorf("panic: %v\n%s", v, debug.Stack())}
	})
	return srv
}

// transactional runs every mutation operation in one database transaction
// that commits only when the operation produced no error: a failed mutation
// changes nothing. Unlike entgql.Transactioner it never shows the client the
// driver's words when a transaction cannot begin or commit.
type transactional struct {
	client *ent.Client
	logger *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = transactional{}

// MutateOperationContext makes the resolvers of a mutation run one at a
// time: they share one database connection, which is not safe for
// concurrent use.
func (transactional) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	previous := oc.ResolverMiddleware
	var mu sync.Mutex
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		return previous(ctx, next)
	}
	return nil
}

func (transactional) ExtensionName() string                   { return "Transactional" }
func (transactional) Validate(graphql.ExecutableSchema) error { return nil }

func (t transactional) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation || isSessionOperation(oc.Operation) ||
		len(graphql.GetErrors(ctx)) > 0 { // refused before execution: nothing to run
		return next(ctx)
	}
	// The viewer's reach is loaded before the transaction begins: loading
	// it inside would need a second connection while holding the first,
	// and enough concurrent mutations would then exhaust the pool.
	if v := viewer.FromContext(ctx); v != nil {
		if _, err := v.Scope(ctx); err != nil {
			return t.fail(ctx, "load the viewer", err)
		}
	}
	tx, err := t.client.Tx(ctx)
	if err != nil {
		return t.fail(ctx, "begin transaction", err)
	}
	ctx = ent.NewTxContext(ctx, tx)
	ctx = ent.NewContext(ctx, tx.Client())
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	resp := next(ctx)
	if len(resp.Errors) > 0 {
		if err := tx.Rollback(); err != nil {
			t.logger.ErrorContext(ctx, "rollback", "request_id", RequestID(ctx), "error", err)
		}
		return &graphql.Response{Errors: resp.Errors, Extensions: resp.Extensions}
	}
	if err := tx.Commit(); err != nil {
		return t.fail(ctx, "commit transaction", err)
	}
	return resp
}

func (t transactional) fail(ctx context.Context, what string, err error) *graphql.Response {
	return &graphql.Response{Errors: gqlerror.List{presentError(t.logger)(ctx, fmt.Errorf("%s: %w", what, err))}}
}

type requestIDKey struct{}

// RequestID returns the id of the HTTP request being served, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// accessEntry is what the access log says of a request, filled in by the
// layers that learn it.
type accessEntry struct {
	mu        sync.Mutex
	operation string
	viewer    string
	codes     []string
}

type accessKey struct{}

func entryOf(ctx context.Context) *accessEntry {
	e, _ := ctx.Value(accessKey{}).(*accessEntry)
	if e == nil {
		return &accessEntry{}
	}
	return e
}

// withRequestLog gives every request an id (X-Request-Id, also in every log
// line and in masked errors) and writes one access-log line per request:
// the operation's name, the viewer, the status, the error codes and the
// duration.
func withRequestLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		entry := &accessEntry{}
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = context.WithValue(ctx, accessKey{}, entry)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		next.ServeHTTP(rec, r.WithContext(ctx))
		entry.mu.Lock()
		defer entry.mu.Unlock()
		level := slog.LevelInfo
		if probe(r.URL.Path) && rec.status < 500 {
			level = slog.LevelDebug // probes every few seconds would drown the log
		}
		logger.LogAttrs(ctx, level, "request",
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("operation", entry.operation),
			slog.String("viewer", entry.viewer),
			slog.Int("status", rec.status),
			slog.String("codes", strings.Join(entry.codes, ",")),
			slog.Duration("duration", time.Since(start)),
		)
	})
}

// probe reports whether a path is a health or readiness probe's.
func probe(path string) bool { return path == "/healthz" || path == "/readyz" }

// logOperation records the operation's name and its errors' codes for the
// access log.
func logOperation(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	e := entryOf(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && e.operation == "" {
		e.operation = oc.Operation.Name
		if e.operation == "" {
			e.operation = "(" + string(oc.Operation.Operation) + ")" // an anonymous operation
		}
	}
	if v := viewer.Settled(ctx); v != nil {
		e.viewer = string(v.UserID)
	}
	if resp != nil {
		for _, err := range resp.Errors {
			if c, ok := err.Extensions["code"]; ok {
				e.codes = append(e.codes, fmt.Sprint(c))
			}
		}
	}
	return resp
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
