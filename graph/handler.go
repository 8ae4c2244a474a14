package graph

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	coderws "github.com/coder/websocket"

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
	"kpiflow/kpi"
	"kpiflow/live"
	"kpiflow/request"
	"kpiflow/viewer"
	"kpiflow/web"
	"kpiflow/workflow"
)

// Options configure the GraphQL executor (NewGraphQLServer); package
// httpapi serves it over HTTP with options of its own.
type Options struct {
	Client *ent.Client
	// Dialect is the database's: dialect.SQLite (the default) or
	// dialect.Postgres, for the SQL of the KPI engine.
	Dialect string
	// Auth authenticates requests and signs users in.
	Auth   *auth.Service
	Logger *slog.Logger
	// Introspection allows schema introspection queries.
	Introspection bool
	// Limits bound each operation; zero values mean DefaultLimits'.
	Limits Limits
	// Live publishes and delivers the notices behind subscriptions; nil
	// means in-process delivery only (one replica).
	Live *live.Hub
	// InboxRecheck is how often an inboxChanged subscription looks again
	// when nothing was announced (default DefaultInboxRecheck).
	InboxRecheck time.Duration
	// Production turns off "did you mean" suggestions in errors.
	Production bool
	// Clock is the time the KPI engine's services and the workflow run at
	// (default time.Now): tests pin it, so that "the current quarter" does
	// not move under them.
	Clock func() time.Time
	// Operations, when not nil, is the allowlist of the only operations
	// the server runs (locked-down production).
	Operations Operations
	// WebSocketOrigins are the host patterns (such as "app.example.com"
	// or "localhost:*") of pages that may open WebSocket connections; the
	// server's own origin always may.
	WebSocketOrigins []string
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

// NewGraphQLServer returns the GraphQL executor: the schema and its
// resolvers, its transports but POST's (the WebSocket one authenticates
// its connection_init), and the extensions that bound, check, run in a
// transaction and present each operation. Package httpapi serves it, and
// adds its own POST transport (httpapi.postTransport).
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
		live: o.Live, logger: o.Logger, inboxRecheck: o.InboxRecheck, probes: newProbes(), dialect: o.Dialect},
		Directives: DirectiveRoot{Reach: reach}})
	srv := handler.New(schema)
	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: o.WebSocketOrigins},
		},
		InitFunc:              websocketInit(o.Auth, o.Live),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
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
		// The console served beside the API runs on a locked-down server too.
		console, err := web.ConsoleOperations()
		if err != nil {
			panic(err) // the build's own file: a test reads it
		}
		a, err := newAllowlist(o.Operations, console, limits.MaxTokens)
		if err != nil {
			panic(err)
		}
		srv.Use(a)
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
		return next(withFactorBatches(withEarlierBatches(withCoherenceBatches(withActualBatches(withKPICache(withCurrencies(ctx)))))))
	})
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
			t.logger.ErrorContext(ctx, "rollback", "request_id", request.ID(ctx), "error", err)
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
