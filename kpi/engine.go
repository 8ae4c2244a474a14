package kpi

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/kpi/definition"
)

// Querier runs SQL: the ent client (feature sql/execquery) or a *sql.DB.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Scope is whose record a computation reads: an organization's, narrowed
// to one owner or to a set of teams.
type Scope struct {
	Org pulid.ID
	// Owner narrows the scope to one user's deals and meetings.
	Owner pulid.ID
	// Owners narrows the scope to these users' deals and meetings (with
	// ComputeByOwner: the values of many reps in one statement per source).
	Owners []pulid.ID
	// Teams narrows the scope to deals and meetings counted toward these
	// teams (deal.team_id, meeting.team_id: the team of their owner when
	// they were credited or held, not the owner's current team); a team
	// scope lists the team and all its sub-teams.
	Teams []pulid.ID
	// Zone is the organization's time zone, when the caller knows it: the
	// engine then reads the periods that are whole months of it from the
	// rollups (Engine.Rollups).
	Zone *time.Location
}

// KPI is what the engine needs of a KPI definition.
type KPI struct {
	Key        string
	Unit       definition.Unit
	MinSample  int
	Definition definition.Definition
}

// Value is a KPI's value for a scope in a period.
type Value struct {
	// Defined is false for an average or ratio of nothing.
	Defined bool
	// Int holds COUNT values and MONEY values in minor units.
	Int int64
	// Wide holds a MONEY value beyond int64's range instead of Int (a sum
	// of very many very large deals), else nil. No legal record makes a
	// sum overflow: sums are computed exactly, as wide as they need.
	Wide *big.Int
	// Float holds DAYS and PERCENT values.
	Float float64
	// Sample counts the rows behind the value (behind the denominator of a
	// ratio).
	Sample int64
	// LowConfidence is set when Sample is below the KPI's minimum sample.
	LowConfidence bool
}

// Engine computes KPI values in SQL (DESIGN.md §4): every aggregate is
// pushed into the database, one statement per record source (deals,
// meetings) for any number of KPIs and periods, and only the sums and
// counts come back. Sums are of integers (minor units, seconds, minutes),
// so results are exact and the same on every database.
type Engine struct {
	DB      Querier
	Dialect string // dialect.SQLite or dialect.Postgres
	// Rollups lets the engine read the rollups (kpi_rollups) instead of
	// the records, for scopes that give their organization's zone.
	Rollups bool
}

// querier is the request's transaction when there is one (a mutation
// holds one connection, and must not wait for a second while holding it),
// else DB.
func (e Engine) querier(ctx context.Context) Querier {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	return e.DB
}

// rollupsServe reports whether the rollups answer the computation, with
// the periods' months: the engine reads them, the scope knows its
// organization's zone, every period is whole months of it, and the values
// are of the scope or per owner.
func (e Engine) rollupsServe(scope Scope, periods []Period, by string) ([][2]int, bool) {
	if !e.Rollups || scope.Zone == nil || (by != "" && by != "r.owner_id") {
		return nil, false
	}
	return rollupMonths(periods, scope.Zone)
}

// Compute returns the values of the KPIs for the scope in each period:
// result[kpi.Key][i] is the value in periods[i].
func (e Engine) Compute(ctx context.Context, scope Scope, kpis []KPI, periods []Period) (map[string][]Value, error) {
	byGroup, err := e.compute(ctx, scope, kpis, periods, "")
	if err != nil {
		return nil, err
	}
	out := byGroup[""]
	if out == nil {
		out = evaluate(kpis, periods, nil)
	}
	return out, nil
}

// ComputeByOwner returns the values of the KPIs for each owner of the
// scope's record in each period, in one statement per source. Owners with
// no rows in the scope are absent.
func (e Engine) ComputeByOwner(ctx context.Context, scope Scope, kpis []KPI, periods []Period) (map[pulid.ID]map[string][]Value, error) {
	return e.computeBy(ctx, scope, kpis, periods, "r.owner_id")
}

// ComputeByTeam returns the values of the KPIs for each team the scope's
// record is credited to (deal.team_id, meeting.team_id) in each period, in
// one statement per source. Teams with no rows in the scope are absent.
func (e Engine) ComputeByTeam(ctx context.Context, scope Scope, kpis []KPI, periods []Period) (map[pulid.ID]map[string][]Value, error) {
	return e.computeBy(ctx, scope, kpis, periods, "r.team_id")
}

func (e Engine) computeBy(ctx context.Context, scope Scope, kpis []KPI, periods []Period, column string) (map[pulid.ID]map[string][]Value, error) {
	byGroup, err := e.compute(ctx, scope, kpis, periods, column)
	if err != nil {
		return nil, err
	}
	out := make(map[pulid.ID]map[string][]Value, len(byGroup))
	for group, v := range byGroup {
		out[pulid.ID(group)] = v
	}
	return out, nil
}

// Empty returns the values of the KPIs over no rows at all.
func Empty(kpis []KPI, periods []Period) map[string][]Value { return evaluate(kpis, periods, nil) }

// sums are the totals of one aggregate in one period: n rows, summing to
// sum, or to wide when the exact sum does not fit in an int64.
type sums struct {
	n, sum int64
	wide   *big.Int
}

// total is the exact sum.
func (s sums) total() *big.Int {
	if s.wide != nil {
		return s.wide
	}
	return big.NewInt(s.sum)
}

// float is the sum as a float.
func (s sums) float() float64 {
	if s.wide != nil {
		f, _ := new(big.Float).SetInt(s.wide).Float64()
		return f
	}
	return float64(s.sum)
}

// splitSum is the radix of the two halves in which SQLite sums a column:
// SQLite's SUM of integers fails on overflow, so each row contributes
// value / splitSum and value % splitSum to two sums, which stay far from
// overflowing (an amount is below 2⁵⁰: each half below 2²⁵, so 2³⁸ rows
// fit), and Go adds them up exactly. PostgreSQL's SUM of bigint is a
// numeric, which does not overflow.
const splitSum = 1 << 25

type partKey string

func keyOf(a *definition.Aggregate) partKey {
	b, _ := json.Marshal(a)
	return partKey(b)
}

func (e Engine) compute(ctx context.Context, scope Scope, kpis []KPI, periods []Period, by string) (map[string]map[string][]Value, error) {
	if scope.Org == "" {
		return nil, fmt.Errorf("kpi: a scope needs its organization")
	}
	if len(periods) == 0 || len(kpis) == 0 {
		return map[string]map[string][]Value{}, nil
	}
	// The distinct aggregates of the KPIs, by source.
	parts := map[definition.Source][]*definition.Aggregate{}
	seen := map[partKey]bool{}
	for _, k := range kpis {
		for _, a := range k.Definition.Parts() {
			if key := keyOf(a); !seen[key] {
				seen[key] = true
				parts[a.Source] = append(parts[a.Source], a)
			}
		}
	}
	totals := map[string]map[partKey][]sums{} // group → part → per period
	if months, ok := e.rollupsServe(scope, periods, by); ok {
		// The parts the rollups hold, of both sources, in one statement;
		// the others from the records.
		var rolled []*definition.Aggregate
		for _, source := range []definition.Source{definition.Deals, definition.Meetings} {
			var rest []*definition.Aggregate
			for _, a := range parts[source] {
				if fromRollups(a) {
					rolled = append(rolled, a)
				} else {
					rest = append(rest, a)
				}
			}
			parts[source] = rest
		}
		if len(rolled) > 0 {
			column := strings.TrimPrefix(by, "r.")
			if err := e.queryRollups(ctx, scope, rolled, periods, months, column, totals); err != nil {
				return nil, err
			}
		}
	}
	for _, source := range []definition.Source{definition.Deals, definition.Meetings} {
		if len(parts[source]) == 0 {
			continue
		}
		if err := e.query(ctx, scope, source, parts[source], periods, by, totals); err != nil {
			return nil, err
		}
	}
	out := map[string]map[string][]Value{}
	for group, t := range totals {
		out[group] = evaluate(kpis, periods, t)
	}
	return out, nil
}

// builder writes a statement with placeholders of the dialect.
type builder struct {
	dialect string
	sb      strings.Builder
	args    []any
}

// arg adds an argument and returns its numbered placeholder, which may be
// used more than once in the statement ($n for PostgreSQL, ?n for SQLite).
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	if b.dialect == dialect.Postgres {
		return "$" + strconv.Itoa(len(b.args))
	}
	return "?" + strconv.Itoa(len(b.args))
}

func (b *builder) in(column string, values []string) string {
	ph := make([]string, len(values))
	for i, v := range values {
		ph[i] = b.arg(v)
	}
	return column + " IN (" + strings.Join(ph, ", ") + ")"
}

// scope narrows the rows of alias to the scope's owner, owners or teams
// (its organization is the caller's condition).
func (b *builder) scope(alias string, scope Scope) {
	column, ids := "", []pulid.ID(nil)
	switch {
	case scope.Owner != "":
		b.w(" AND ", alias, ".owner_id = ", b.arg(string(scope.Owner)))
		return
	case scope.Owners != nil:
		column, ids = "owner_id", scope.Owners
	case scope.Teams != nil:
		column, ids = "team_id", scope.Teams
	default:
		return
	}
	if len(ids) == 0 {
		b.w(" AND 1 = 0")
		return
	}
	values := make([]string, len(ids))
	for i, id := range ids {
		values[i] = string(id)
	}
	b.w(" AND ", b.in(alias+"."+column, values))
}

func (b *builder) w(s ...string) {
	for _, x := range s {
		b.sb.WriteString(x)
	}
}

// Columns of the record, as the ent schema names them.
var (
	dateColumn = map[definition.DateField]string{
		definition.ClosedAt:    "r." + deal.FieldClosedAt,
		definition.OpenedAt:    "r." + deal.FieldOpenedAt,
		definition.HeldAt:      "r." + meeting.FieldHeldAt,
		definition.ScheduledAt: "r." + meeting.FieldScheduledAt,
	}
	fieldColumn = map[definition.Field]string{
		definition.Amount:          "r." + deal.FieldAmount,
		definition.CycleDays:       "r." + deal.FieldCycleMicros,
		definition.DurationMinutes: "r." + meeting.FieldDurationMinutes,
	}
	tableOf = map[definition.Source]string{definition.Deals: deal.Table, definition.Meetings: meeting.Table}
)

// query adds the totals of the parts of one source, per period (and per
// owner), to totals. It is one statement: a pair of conditional sums per
// part and period, over the rows of the scope dated within the periods.
func (e Engine) query(ctx context.Context, scope Scope, source definition.Source, parts []*definition.Aggregate,
	periods []Period, by string, totals map[string]map[partKey][]sums) error {
	b := &builder{dialect: e.Dialect}
	b.w("SELECT ")
	if by != "" {
		b.w(by)
	} else {
		b.w("''")
	}
	for _, a := range parts {
		for _, p := range periods {
			cond := e.condition(b, a, p)
			value := "1"
			if a.Field != "" {
				value = fieldColumn[a.Field]
			}
			b.w(", SUM(CASE WHEN ", cond, " THEN 1 ELSE 0 END)")
			if e.splits(a) {
				b.w(", SUM(CASE WHEN ", cond, " THEN ", value, " / ", strconv.Itoa(splitSum), " ELSE 0 END)")
				b.w(", SUM(CASE WHEN ", cond, " THEN ", value, " % ", strconv.Itoa(splitSum), " ELSE 0 END)")
			} else {
				b.w(", SUM(CASE WHEN ", cond, " THEN ", value, " ELSE 0 END)")
			}
		}
	}
	b.w(" FROM ", tableOf[source], " r")
	if source == definition.Meetings && slices.ContainsFunc(parts, func(a *definition.Aggregate) bool { return len(a.Filter.DealStages) > 0 }) {
		// Meetings filtered by their deal's stage: each meeting's deal, by
		// its primary key (none for a meeting of no deal).
		b.w(" LEFT JOIN ", deal.Table, " md ON md.", deal.FieldID, " = r.", meeting.FieldDealID)
	}
	b.w(" WHERE r.organization_id = ", b.arg(string(scope.Org)))
	// Deals and meetings count toward the team they were credited to,
	// which they keep when their owner moves.
	b.scope("r", scope)
	// Only rows dated within the periods, by any date the parts use: the
	// clause the indexes serve.
	first, last := periods[0].Start.UTC(), periods[0].End.UTC()
	for _, p := range periods[1:] { // periods may come in any order
		if p.Start.Before(first) {
			first = p.Start.UTC()
		}
		if p.End.After(last) {
			last = p.End.UTC()
		}
	}
	dates := map[definition.DateField]bool{}
	var ranges []string
	for _, a := range parts {
		if d := a.DateOf(); !dates[d] {
			dates[d] = true
			ranges = append(ranges, dateColumn[d]+" >= "+b.arg(first)+" AND "+dateColumn[d]+" < "+b.arg(last))
		}
	}
	b.w(" AND (", strings.Join(ranges, " OR "), ")")
	if by != "" {
		b.w(" GROUP BY ", by)
	}

	rows, err := e.querier(ctx).QueryContext(ctx, b.sb.String(), b.args...)
	if err != nil {
		return fmt.Errorf("kpi: %w", err)
	}
	defer rows.Close()
	width := 1
	for _, a := range parts {
		cols := 2
		if e.splits(a) {
			cols = 3
		}
		width += cols * len(periods)
	}
	return scanTotals(rows, width, by, totals, func(cells []any, t map[partKey][]sums) error {
		i := 1
		for _, a := range parts {
			ps := make([]sums, len(periods))
			for j := range periods {
				n, err := asInt(cells[i])
				if err != nil {
					return err
				}
				var s sums
				if e.splits(a) {
					s, err = joinHalves(cells[i+1], cells[i+2])
					i += 3
				} else {
					s, err = asSum(cells[i+1])
					i += 2
				}
				if err != nil {
					return err
				}
				s.n = n
				ps[j] = s
			}
			t[keyOf(a)] = ps
		}
		return nil
	})
}

// scanTotals reads each row of rows (width cells: the group first when
// by is set, then the sums) and hands its cells to fill with its group's
// totals, made when the group is new.
func scanTotals(rows *sql.Rows, width int, by string, totals map[string]map[partKey][]sums,
	fill func(cells []any, t map[partKey][]sums) error) error {
	for rows.Next() {
		cells := make([]any, width)
		ptrs := make([]any, width)
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("kpi: %w", err)
		}
		group := ""
		if by != "" {
			group = asString(cells[0])
		}
		t := totals[group]
		if t == nil {
			t = map[partKey][]sums{}
			totals[group] = t
		}
		if err := fill(cells, t); err != nil {
			return err
		}
	}
	return rows.Err()
}

// condition is the SQL condition of a row counting toward an aggregate in
// a period.
func (e Engine) condition(b *builder, a *definition.Aggregate, p Period) string {
	date := dateColumn[a.DateOf()]
	conds := []string{date + " >= " + b.arg(p.Start.UTC()), date + " < " + b.arg(p.End.UTC())}
	f := a.Filter
	if len(f.DealStages) > 0 && a.Source == definition.Meetings {
		// The meeting's deal, joined once for the statement (query).
		conds = append(conds, b.in("md."+deal.FieldStage, f.DealStages))
	} else if len(f.DealStages) > 0 {
		conds = append(conds, b.in("r."+deal.FieldStage, f.DealStages))
	}
	if f.AmountMin != nil {
		conds = append(conds, "r."+deal.FieldAmount+" >= "+b.arg(*f.AmountMin))
	}
	if f.AmountMax != nil {
		conds = append(conds, "r."+deal.FieldAmount+" <= "+b.arg(*f.AmountMax))
	}
	if len(f.MeetingKinds) > 0 {
		conds = append(conds, b.in("r."+meeting.FieldKind, f.MeetingKinds))
	}
	if len(f.MeetingStatuses) > 0 {
		conds = append(conds, b.in("r."+meeting.FieldStatus, f.MeetingStatuses))
	}
	if a.Field != "" {
		conds = append(conds, fieldColumn[a.Field]+" IS NOT NULL")
	}
	return strings.Join(conds, " AND ")
}

// splits reports whether the aggregate's sum is computed in two halves.
func (e Engine) splits(a *definition.Aggregate) bool {
	return a.Field != "" && e.Dialect != dialect.Postgres
}

// joinHalves adds up the two halves of a split sum exactly.
func joinHalves(hiCell, loCell any) (sums, error) {
	hi, err := asInt(hiCell)
	if err != nil {
		return sums{}, err
	}
	lo, err := asInt(loCell)
	if err != nil {
		return sums{}, err
	}
	const limit = (1<<63 - 1) / splitSum / 2
	if hi > -limit && hi < limit && lo > -limit*splitSum && lo < limit*splitSum {
		return sums{sum: hi*splitSum + lo}, nil
	}
	w := new(big.Int).Mul(big.NewInt(hi), big.NewInt(splitSum))
	w.Add(w, big.NewInt(lo))
	return wideSum(w), nil
}

// asSum reads a sum the database returned, however large.
func asSum(v any) (sums, error) {
	var text string
	switch v := v.(type) {
	case []byte:
		text = string(v)
	case string:
		text = v
	default:
		n, err := asInt(v)
		return sums{sum: n}, err
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return sums{sum: n}, nil
	}
	w, ok := new(big.Int).SetString(text, 10)
	if !ok {
		return sums{}, fmt.Errorf("kpi: %q is not an integer sum", text)
	}
	return wideSum(w), nil
}

// wideSum keeps an exact sum in an int64 when it fits.
func wideSum(w *big.Int) sums {
	if w.IsInt64() {
		return sums{sum: w.Int64()}
	}
	return sums{wide: w}
}

// asInt reads an integer the database returned: SQLite gives int64, and
// PostgreSQL's SUM of bigint is numeric, which lib/pq gives as text.
func asInt(v any) (int64, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return v, nil
	case float64:
		return int64(v), nil
	case []byte:
		return strconv.ParseInt(string(v), 10, 64)
	case string:
		return strconv.ParseInt(v, 10, 64)
	}
	return 0, fmt.Errorf("kpi: unexpected %T from the database", v)
}

func asString(v any) string {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// evaluate turns the totals of the aggregates into the KPIs' values.
func evaluate(kpis []KPI, periods []Period, totals map[partKey][]sums) map[string][]Value {
	out := make(map[string][]Value, len(kpis))
	for _, k := range kpis {
		vs := make([]Value, len(periods))
		for i := range periods {
			at := func(a *definition.Aggregate) sums {
				if t := totals[keyOf(a)]; t != nil {
					return t[i]
				}
				return sums{}
			}
			vs[i] = value(k, at)
			vs[i].LowConfidence = vs[i].Sample < int64(k.MinSample)
		}
		out[k.Key] = vs
	}
	return out
}

// microsPerDay: sales cycles are summed in microseconds (deal.cycle_micros).
const microsPerDay = 86_400_000_000

func value(k KPI, at func(*definition.Aggregate) sums) Value {
	d := k.Definition
	if !d.IsRatio() {
		a := d.Aggregate
		s := at(a)
		switch a.Function {
		case definition.CountOf:
			return Value{Defined: true, Int: s.n, Sample: s.n}
		case definition.SumOf:
			if a.Field == definition.CycleDays {
				return Value{Defined: true, Float: s.float() / microsPerDay, Sample: s.n}
			}
			return Value{Defined: true, Int: s.sum, Wide: s.wide, Sample: s.n}
		default: // AVG
			if s.n == 0 {
				return Value{Sample: 0}
			}
			if a.Field == definition.CycleDays {
				return Value{Defined: true, Float: s.float() / float64(s.n) / microsPerDay, Sample: s.n}
			}
			v := Value{Defined: true, Sample: s.n}
			v.Int, v.Wide = divide(s, sums{sum: s.n})
			return v
		}
	}
	num, den := amount(d.Numerator, at(d.Numerator)), amount(d.Denominator, at(d.Denominator))
	v := Value{Sample: at(d.Denominator).n}
	if den.wide == nil && den.sum == 0 {
		return v
	}
	v.Defined = true
	switch k.Unit {
	case definition.Percent:
		v.Float = num.float() * 100 / den.float()
	case definition.Money:
		v.Int, v.Wide = divide(num, den)
	case definition.Days:
		v.Float = num.float() / den.float() / microsPerDay
	}
	return v
}

// amount is what an aggregate contributes to a ratio: its count or its sum.
func amount(a *definition.Aggregate, s sums) sums {
	if a.Function == definition.CountOf {
		return sums{sum: s.n}
	}
	return sums{sum: s.sum, wide: s.wide}
}

// divide divides exact sums, rounding half away from zero; the quotient is
// in an int64 when it fits, else wide.
func divide(num, den sums) (int64, *big.Int) {
	if num.wide == nil && den.wide == nil {
		return divRound(num.sum, den.sum), nil
	}
	n, d := num.total(), new(big.Int).Set(den.total())
	neg := n.Sign()*d.Sign() < 0
	n, d = new(big.Int).Abs(n), d.Abs(d)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Lsh(r, 1).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if q.IsInt64() {
		return q.Int64(), nil
	}
	return 0, q
}

// divRound divides, rounding half away from zero: money is rounded to the
// minor unit the way people round.
func divRound(num, den int64) int64 {
	if den < 0 {
		num, den = -num, -den
	}
	q, r := num/den, num%den
	if r < 0 {
		r = -r
	}
	if r >= den-r {
		if num < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}
