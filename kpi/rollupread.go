package kpi

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"kpiflow/kpi/definition"
)

// fromRollups reports whether an aggregate can be read from the rollups:
// every filter but an amount range is a column of theirs. An aggregate
// with an amount range is computed from the records (by the statement of
// its source, as before).
func fromRollups(a *definition.Aggregate) bool {
	return a.Filter.AmountMin == nil && a.Filter.AmountMax == nil
}

// rollupMonths returns the months [first, end) of each period in the
// zone, ok false unless every period is a run of whole months there.
func rollupMonths(periods []Period, loc *time.Location) (months [][2]int, ok bool) {
	months = make([][2]int, len(periods))
	for i, p := range periods {
		first, end := monthOf(p.Start.In(loc)), monthOf(p.End.In(loc))
		if !monthStart(first, loc).Equal(p.Start) || !monthStart(end, loc).Equal(p.End) {
			return nil, false
		}
		months[i] = [2]int{first, end}
	}
	return months, true
}

// rollupSource is the rollups' code of a source.
var rollupSource = map[definition.Source]string{definition.Deals: rollupDeals, definition.Meetings: rollupMeetings}

// queryRollups adds the totals of the parts (of both sources), per period
// and per group, read from the rollups, to totals: one statement. by is ""
// or "owner_id".
func (e Engine) queryRollups(ctx context.Context, scope Scope, parts []*definition.Aggregate, periods []Period,
	months [][2]int, by string, totals map[string]map[partKey][]sums) error {
	b := &builder{dialect: e.Dialect}
	table := rollupTable
	if scope.Owner == "" && scope.Owners == nil && scope.Teams == nil && by == "" {
		table = orgRollupTable
	}
	b.w("SELECT ")
	if by != "" {
		b.w("x.", by)
	} else {
		b.w("''")
	}
	// Each distinct sum is selected once: KPIs share their conditions
	// (won deals count toward several), and each part of each period
	// reads its columns by index. With one period the statement's range
	// of months is the period's, and the sums need no condition on it.
	condSQL := map[string]string{}
	column := map[string]int{}
	width := 1
	sum := func(condKey string, cond func() string, value string) int {
		k := condKey + "|" + value
		if i, ok := column[k]; ok {
			return i
		}
		c, ok := condSQL[condKey]
		if !ok {
			c = cond()
			condSQL[condKey] = c
		}
		b.w(", SUM(CASE WHEN ", c, " THEN ", value, " ELSE 0 END)")
		column[k] = width
		width++
		return column[k]
	}
	// at[part][period] are the columns of n and, for a field, of its
	// sum's two halves.
	at := make([][][3]int, len(parts))
	for pi, a := range parts {
		at[pi] = make([][3]int, len(periods))
		for i := range periods {
			f := a.Filter
			key := rollupSource[a.Source] + "|" + string(a.DateOf()) + "|" + strings.Join(f.DealStages, ",") + "|" +
				strings.Join(f.MeetingKinds, ",") + "|" + strings.Join(f.MeetingStatuses, ",")
			if len(periods) > 1 {
				key += "|" + strconv.Itoa(months[i][0]) + "|" + strconv.Itoa(months[i][1])
			}
			cond := func() string {
				conds := []string{"x.source = '" + rollupSource[a.Source] + "'", "x.date_field = '" + string(a.DateOf()) + "'"}
				if len(periods) > 1 {
					conds = append(conds, "x.month >= "+strconv.Itoa(months[i][0]), "x.month < "+strconv.Itoa(months[i][1]))
				}
				if len(f.DealStages) > 0 {
					conds = append(conds, b.in("x.stage", f.DealStages))
				}
				if len(f.MeetingKinds) > 0 {
					conds = append(conds, b.in("x.kind", f.MeetingKinds))
				}
				if len(f.MeetingStatuses) > 0 {
					conds = append(conds, b.in("x.status", f.MeetingStatuses))
				}
				return strings.Join(conds, " AND ")
			}
			n, hi, lo := "x.n", "", ""
			switch a.Field {
			case definition.Amount:
				hi, lo = "x.amount_hi", "x.amount_lo"
			case definition.CycleDays:
				n, hi, lo = "x.cycle_n", "x.cycle_hi", "x.cycle_lo"
			case definition.DurationMinutes:
				hi, lo = "0", "x.minutes"
			}
			at[pi][i][0] = sum(key, cond, n)
			if hi != "" {
				at[pi][i][1] = sum(key, cond, hi)
				at[pi][i][2] = sum(key, cond, lo)
			}
		}
	}
	first, last := months[0][0], months[0][1]
	for _, m := range months[1:] {
		first, last = min(first, m[0]), max(last, m[1])
	}
	b.w(" FROM ", table, " x WHERE x.organization_id = ", b.arg(string(scope.Org)))
	b.scope("x", scope)
	b.w(" AND x.month >= ", strconv.Itoa(first), " AND x.month < ", strconv.Itoa(last))
	if by != "" {
		b.w(" GROUP BY x.", by)
	}
	rows, err := e.querier(ctx).QueryContext(ctx, b.sb.String(), b.args...)
	if err != nil {
		return fmt.Errorf("kpi: %w", err)
	}
	defer rows.Close()
	return scanTotals(rows, width, by, totals, func(cells []any, t map[partKey][]sums) error {
		for pi, a := range parts {
			ps := make([]sums, len(periods))
			for j := range periods {
				c := at[pi][j]
				n, err := asSum(cells[c[0]])
				if err != nil {
					return err
				}
				if n.wide != nil {
					return fmt.Errorf("kpi: a count beyond int64")
				}
				var s sums
				if a.Field != "" {
					hi, err := asSum(cells[c[1]])
					if err != nil {
						return err
					}
					lo, err := asSum(cells[c[2]])
					if err != nil {
						return err
					}
					s = joinWide(hi, lo)
				}
				s.n = n.sum
				ps[j] = s
			}
			t[keyOf(a)] = ps
		}
		return nil
	})
}

// joinWide adds two halves of a sum (value / 2²⁵ and value % 2²⁵, each
// summed exactly, as wide as it came) into the exact sum.
func joinWide(hi, lo sums) sums {
	if hi.wide == nil && lo.wide == nil {
		s, err := joinHalves(hi.sum, lo.sum)
		if err == nil {
			return s
		}
	}
	w := new(big.Int).Mul(hi.total(), big.NewInt(splitSum))
	w.Add(w, lo.total())
	return wideSum(w)
}
