package definition

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

func unmarshalEnum[T ~string](v any, values []string, name string) (T, error) {
	s, ok := v.(string)
	if !ok || !slices.Contains(values, s) {
		return "", fmt.Errorf("%v is not a valid %s", v, name)
	}
	return T(s), nil
}

func marshalEnum[T ~string](w io.Writer, v T) { _, _ = io.WriteString(w, strconv.Quote(string(v))) }

// MarshalGQL implements graphql.Marshaler.
func (u Unit) MarshalGQL(w io.Writer) { marshalEnum(w, u) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (u *Unit) UnmarshalGQL(v any) (err error) {
	*u, err = unmarshalEnum[Unit](v, Unit("").Values(), "KPIUnit")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (d Direction) MarshalGQL(w io.Writer) { marshalEnum(w, d) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (d *Direction) UnmarshalGQL(v any) (err error) {
	*d, err = unmarshalEnum[Direction](v, Direction("").Values(), "KPIDirection")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (s Source) MarshalGQL(w io.Writer) { marshalEnum(w, s) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (s *Source) UnmarshalGQL(v any) (err error) {
	*s, err = unmarshalEnum[Source](v, []string{"DEALS", "MEETINGS"}, "KPISource")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (f Function) MarshalGQL(w io.Writer) { marshalEnum(w, f) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (f *Function) UnmarshalGQL(v any) (err error) {
	*f, err = unmarshalEnum[Function](v, []string{"COUNT", "SUM", "AVG"}, "KPIFunction")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (f Field) MarshalGQL(w io.Writer) { marshalEnum(w, f) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (f *Field) UnmarshalGQL(v any) (err error) {
	*f, err = unmarshalEnum[Field](v, []string{"AMOUNT", "CYCLE_DAYS", "DURATION_MINUTES"}, "KPIField")
	return err
}

// MarshalGQL implements graphql.Marshaler.
func (d DateField) MarshalGQL(w io.Writer) { marshalEnum(w, d) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (d *DateField) UnmarshalGQL(v any) (err error) {
	*d, err = unmarshalEnum[DateField](v, []string{"CLOSED_AT", "OPENED_AT", "HELD_AT", "SCHEDULED_AT"}, "KPIDate")
	return err
}
