package store

import (
	"context"
	"database/sql"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// utcDriver passes every time argument of every statement to SQLite in UTC.
// SQLite has no time type: it stores and compares times as text, so an
// instant written or compared in another zone ("…05:00:00+05:00") would sort
// wrongly against the stored UTC values. Writes are normalized by the
// schema's time hook too; this also covers filters and raw queries.
type utcDriver struct{ *entsql.Driver }

func (d utcDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.Driver.Exec(ctx, query, utcArgs(args), v)
}

func (d utcDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.Driver.Query(ctx, query, utcArgs(args), v)
}

func (d utcDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.DB().ExecContext(ctx, query, utcArgs(args).([]any)...)
}

func (d utcDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.DB().QueryContext(ctx, query, utcArgs(args).([]any)...)
}

func (d utcDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

func (d utcDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return utcTx{tx.(*entsql.Tx)}, nil
}

type utcTx struct{ *entsql.Tx }

func (t utcTx) Exec(ctx context.Context, query string, args, v any) error {
	return t.Tx.Exec(ctx, query, utcArgs(args), v)
}

func (t utcTx) Query(ctx context.Context, query string, args, v any) error {
	return t.Tx.Query(ctx, query, utcArgs(args), v)
}

func (t utcTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, query, utcArgs(args).([]any)...)
}

func (t utcTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, query, utcArgs(args).([]any)...)
}

// utcArgs returns args with every time.Time in UTC, copying the slice only
// when something changes.
func utcArgs(args any) any {
	list, ok := args.([]any)
	if !ok {
		return args
	}
	var out []any
	for i, a := range list {
		var t time.Time
		switch a := a.(type) {
		case time.Time:
			t = a
		case *time.Time:
			if a == nil {
				continue
			}
			t = *a
		default:
			continue
		}
		if t.Location() == time.UTC {
			continue
		}
		if out == nil {
			out = append([]any(nil), list...)
		}
		out[i] = t.UTC()
	}
	if out == nil {
		return list
	}
	return out
}
