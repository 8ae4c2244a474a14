// Package errcode defines the error codes kpiflow's API promises its clients
// (DESIGN.md §9) and the typed error that carries one. Domain packages return
// *Error values; the GraphQL error presenter turns them into extensions.code.
package errcode

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Code is a machine-readable error class, sent as extensions.code.
type Code string

// The codes of DESIGN.md §9.
const (
	Unauthenticated   Code = "UNAUTHENTICATED"
	Forbidden         Code = "FORBIDDEN"
	NotFound          Code = "NOT_FOUND"
	BadUserInput      Code = "BAD_USER_INPUT"
	Conflict          Code = "CONFLICT"
	InvalidTransition Code = "INVALID_TRANSITION"
	RateLimited       Code = "RATE_LIMITED"
	// FailedPrecondition: the input is valid, but what is stored forbids
	// the change now (e.g. a currency once money is stored in it).
	FailedPrecondition Code = "FAILED_PRECONDITION"
	Internal           Code = "INTERNAL"
	// Unavailable: the database could not be reached, or did not answer in
	// time; the request may be retried.
	Unavailable Code = "UNAVAILABLE"
)

// Error is an error meant for the client: its message is safe to show.
type Error struct {
	Code    Code
	Message string
	// Field names the input field at fault (GraphQL spelling), if any.
	Field string
	// Extra holds more extensions for the client, e.g. retryAfter.
	Extra map[string]any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// BadInput reports an invalid value of an input field.
func BadInput(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// New returns an error with a code and a client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// Values lists every code.
func (Code) Values() []string {
	return []string{string(Unauthenticated), string(Forbidden), string(NotFound), string(BadUserInput), string(Conflict),
		string(InvalidTransition), string(RateLimited), string(FailedPrecondition), string(Internal), string(Unavailable)}
}

// MarshalGQL implements graphql.Marshaler: a code is the ErrorCode enum
// where a field holds one (an import's row errors).
func (c Code) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (c *Code) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(Code("").Values(), s) {
		return fmt.Errorf("%v is not a valid ErrorCode", v)
	}
	*c = Code(s)
	return nil
}
