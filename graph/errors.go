package graph

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"syscall"

	"github.com/lib/pq"

	"entgo.io/ent/dialect/sql/sqlgraph"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kpiflow/ent"
	"kpiflow/ent/privacy"
	"kpiflow/errcode"
	"kpiflow/request"
)

// presentError is the one place where errors become what a client sees
// (DESIGN.md §9). What gqlgen says about the request itself (parsing,
// validation, a malformed argument) passes through. Of the errors resolvers
// return, coded domain errors and ent's validation, not-found and constraint
// errors are translated; anything else is logged with the request id and
// masked, so that no SQL or driver text reaches a client.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := graphql.DefaultErrorPresenter(ctx, err)
		if c, ok := errcode.As(err); ok { // kpiflow's own coded errors are meant for the client
			out = coded(out, c.Code, c.Error(), c.Field)
			for k, v := range c.Extra {
				out.Extensions[k] = v
			}
			return out
		}
		if notFound(err) {
			// A privacy denial is reported like a missing row: the API
			// never reveals that something out of reach exists.
			return coded(out, errcode.NotFound, "not found", "")
		}
		var re resolverError
		if !errors.As(err, &re) && !resolving(ctx) {
			if _, ok := err.(*gqlerror.Error); ok {
				return requestError(out)
			}
		} else if g, ok := err.(*gqlerror.Error); ok && g.Err == nil {
			// A resolver's own word about the request (entgql's pagination
			// checks): safe to show.
			return requestError(out)
		}
		var ve *ent.ValidationError
		if errors.As(err, &ve) {
			field := errcode.GraphQLName(ve.Name)
			return coded(out, errcode.BadUserInput, field+": "+errcode.ValidationReason(ve), field)
		}
		if ent.IsConstraintError(err) {
			if sqlgraph.IsUniqueConstraintError(err) {
				return coded(out, errcode.Conflict, "conflicts with an existing record (a unique value is already taken)", "")
			}
			return coded(out, errcode.BadUserInput, "refers to a record that does not exist", "")
		}
		id := request.ID(ctx)
		if unavailable(err) {
			logger.WarnContext(ctx, "database unavailable", "request_id", id, "path", out.Path.String(), "error", err)
			out.Message = "the database is unavailable or slow to answer: try again shortly"
			out.Extensions = map[string]any{"code": errcode.Unavailable, "requestId": id}
			return out
		}
		logger.ErrorContext(ctx, "internal error", "request_id", id, "path", out.Path.String(), "error", err)
		out.Message = "internal error"
		out.Extensions = map[string]any{"code": errcode.Internal, "requestId": id}
		return out
	}
}

// notFound reports whether err says that what was asked for does not exist
// for the viewer: ent's not-found, a privacy denial, or entgql's own
// NOT_FOUND error (nodes(ids:) reports an ID it cannot resolve with it).
// All are one error for the client: NOT_FOUND, "not found".
func notFound(err error) bool {
	if ent.IsNotFound(err) || errors.Is(err, privacy.Deny) {
		return true
	}
	var g *gqlerror.Error
	return errors.As(err, &g) && g.Extensions["code"] == string(errcode.NotFound)
}

// resolverError marks an error that is a resolver's without coming from
// one through gqlgen (a panic, a failed authentication lookup), for
// presentError.
type resolverError struct{ err error }

func (e resolverError) Error() string { return e.err.Error() }
func (e resolverError) Unwrap() error { return e.err }

// resolving reports whether an error presented in ctx arose once its
// field's arguments were read: in the field's resolver, its directives or
// the marshaling of its value. Only such errors can carry database or
// driver text; the errors of reading arguments (an enum or scalar that does
// not parse, a missing input field) are about the request and safe to
// show. gqlgen wraps both kinds in *gqlerror.Error; what tells them apart
// is the field's context, whose Args gqlgen sets only once they are read.
// It is decided here, where errors are presented, rather than by a
// middleware around every field, which would cost every field of every
// response for what only errors need.
func resolving(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	for fc != nil && fc.Field.Field == nil { // a list element's context: its field's is above
		fc = fc.Parent
	}
	if fc == nil {
		return false // the operation's: parsing, validation, the extensions
	}
	return fc.Args != nil || fc.Field.Definition == nil || len(fc.Field.Definition.Arguments) == 0
}

// requestError keeps gqlgen's parse and validation codes and makes any
// other code of a request error (entgql's INVALID_PAGINATION, none at all)
// BAD_USER_INPUT, so that clients see only the codes of DESIGN.md §9.
func requestError(out *gqlerror.Error) *gqlerror.Error {
	if out.Extensions == nil {
		out.Extensions = map[string]any{}
	}
	switch out.Extensions["code"] {
	case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", errcode.BadUserInput, errcode.NotFound,
		string(errcode.BadUserInput), string(errcode.NotFound):
	default:
		out.Extensions["code"] = errcode.BadUserInput
	}
	return out
}

func coded(e *gqlerror.Error, code errcode.Code, msg, field string) *gqlerror.Error {
	e.Message = msg
	e.Extensions = map[string]any{"code": code}
	if field != "" {
		e.Extensions["field"] = field
	}
	return e
}

// unavailable reports whether err says the database could not be reached
// or did not answer in time, rather than that something is wrong.
func unavailable(err error) bool {
	var pqErr *pq.Error
	var netErr net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &pqErr):
		// 08: connection exception; 57: operator intervention (shutdown,
		// statement timeout).
		class := pqErr.Code.Class()
		return class == "08" || class == "57"
	case errors.As(err, &netErr):
		return true
	}
	return false
}
