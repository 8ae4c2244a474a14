// Package httpapi serves kpiflow over HTTP: the GraphQL executor of
// package graph at /graphql, behind the rules of GraphQL over HTTP, body
// limits, timeouts, authentication, rate limits and idempotency keys; the
// console and GraphiQL (package web); CORS, /metrics, health and
// readiness, request ids and the access log.
package httpapi

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"

	"kpiflow/auth"
	"kpiflow/graph"
	"kpiflow/graph/model"
	"kpiflow/request"
	"kpiflow/viewer"
	"kpiflow/web"
)

// Options configure the HTTP handler: the GraphQL executor's (graph.Options)
// and the HTTP layer's own.
type Options struct {
	graph.Options
	// Ready reports whether the database can be reached, for /readyz.
	Ready func(context.Context) error
	// Playground serves GraphiQL at /graphiql, from the binary itself
	// (package web), beside the console that is always served at /.
	Playground bool
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// RequestTimeout bounds a request and every statement it runs
	// (default 30s): past it, the statements are cancelled and the client
	// gets UNAVAILABLE rather than waiting.
	RequestTimeout time.Duration
	// RateLimit bounds each viewer's requests; the zero value means
	// DefaultRateLimit, a negative PerSecond none.
	RateLimit RateLimit
	// AllowedOrigins are the origins (host patterns such as
	// "app.example.com" or "localhost:*") of pages that may call the API
	// from the browser (CORS) and open WebSocket connections; the
	// server's own origin always may.
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
	o.WebSocketOrigins = append(originHosts(o.AllowedOrigins), o.WebSocketOrigins...)
	srv := graph.NewGraphQLServer(o.Options)
	srv.AddTransport(postTransport{}) // POST, the transport of every SPA request
	// The access log's and the metrics' view of each operation.
	srv.AroundResponses(logOperation)
	srv.AroundResponses(measureOperation)
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
			_, _ = io.WriteString(w, graph.SDL())
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
				o.Logger.WarnContext(ctx, "not ready", "request_id", request.ID(ctx), "error", err)
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
		id := request.NewID()
		w.Header().Set("X-Request-Id", id)
		entry := &accessEntry{}
		ctx := request.WithID(r.Context(), id)
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
