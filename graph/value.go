package graph

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"kpiflow/ent"
	"kpiflow/ent/schema/pulid"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/money"
)

// KPI values in the API's one shape (graph/kpi.graphql KPIValue): the
// unit, the exact value as a Decimal, Money for MONEY, a number for charts
// and a display string. Engine values (kpi.Value) are exact: counts and
// money are integers (money in minor units, as wide as a sum needs), days
// and percentages floats; stored numbers (targets, review items,
// assessments) are floats in the KPI's unit, money in minor units.

// The decimals a value keeps of a float (trailing zeros trimmed): enough
// for what the engine computes, none of a float's noise (46.400000000000006
// days is "46.4").
const (
	countDecimals   = 2 // a pro-rata or mean count; whole counts have none
	daysDecimals    = 6
	percentDecimals = 4
)

// kpiValue is an engine value in its KPI's unit, or nil when it has none.
func kpiValue(ctx context.Context, k *ent.KPI, v kpi.Value) (*KPIValue, error) {
	if !v.Defined {
		return nil, nil
	}
	switch k.Unit {
	case definition.Money:
		if v.Wide != nil {
			return moneyValue(ctx, k, func(cur string) (money.Decimal, error) { return money.FromMinorBig(v.Wide, cur) })
		}
		return moneyValue(ctx, k, func(cur string) (money.Decimal, error) { return money.FromMinor(v.Int, cur) })
	case definition.Days, definition.Percent:
		return floatValue(k.Unit, v.Float)
	}
	if v.Wide != nil {
		return shaped(k.Unit, money.Decimal(v.Wide.String()), nil), nil
	}
	return shaped(k.Unit, money.Decimal(strconv.FormatInt(v.Int, 10)), nil), nil
}

// numberValue is a stored number in its KPI's unit (MONEY in minor units),
// or nil when there is none.
func numberValue(ctx context.Context, k *ent.KPI, f *float64) (*KPIValue, error) {
	if f == nil {
		return nil, nil
	}
	if math.IsNaN(*f) || math.IsInf(*f, 0) {
		return nil, fmt.Errorf("kpi value: %v is not a number", *f)
	}
	if k.Unit == definition.Money {
		return moneyValue(ctx, k, func(cur string) (money.Decimal, error) { return money.FromMinorFloat(*f, cur) })
	}
	return floatValue(k.Unit, *f)
}

func moneyValue(ctx context.Context, k *ent.KPI, amount func(currency string) (money.Decimal, error)) (*KPIValue, error) {
	cur, err := currencyOf(ctx, k.OrganizationID)
	if err != nil {
		return nil, err
	}
	d, err := amount(cur)
	if err != nil {
		return nil, err
	}
	return shaped(definition.Money, d, &money.Money{Amount: d, Currency: cur}), nil
}

// floatValue is a float in a unit other than MONEY, exactly to its unit's
// decimals.
func floatValue(unit definition.Unit, f float64) (*KPIValue, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("kpi value: %v is not a number", f)
	}
	decimals := countDecimals
	switch unit {
	case definition.Days:
		decimals = daysDecimals
	case definition.Percent:
		decimals = percentDecimals
	}
	var s string
	if r := math.Round(f); r == f && unit == definition.Count {
		s = new(big.Float).SetFloat64(r).Text('f', 0) // exact for any whole float
	} else {
		s = strconv.FormatFloat(f, 'f', decimals, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
	}
	if s == "-0" {
		s = "0"
	}
	return shaped(unit, money.Decimal(s), nil), nil
}

// shaped completes a value from its exact decimal: the number and the
// display string.
func shaped(unit definition.Unit, d money.Decimal, m *money.Money) *KPIValue {
	n, _ := strconv.ParseFloat(string(d), 64) // a decimal string always parses; beyond float64 it is ±Inf
	if math.IsInf(n, 0) {
		n = math.Copysign(math.MaxFloat64, n)
	}
	return &KPIValue{Unit: unit, Value: d, Money: m, Number: n, Display: display(unit, d, m)}
}

// display formats a value for people: MONEY for its currency
// (money.Display), COUNT grouped by thousands with its decimals ("1,234",
// "4.5"), DAYS to one decimal with its unit ("46.4 days", "1.0 day"),
// PERCENT to one decimal ("17.2 %").
func display(unit definition.Unit, d money.Decimal, m *money.Money) string {
	switch unit {
	case definition.Money:
		if s, err := money.Display(m.Amount, m.Currency); err == nil {
			return s
		}
		return string(d) + " " + m.Currency
	case definition.Days:
		n := rounded(d, 1)
		if n == "1.0" {
			return n + " day"
		}
		return n + " days"
	case definition.Percent:
		return rounded(d, 1) + " %"
	}
	neg, body := money.RoundDecimal(string(d), countDecimals)
	if strings.Contains(string(d), ".") {
		body = strings.TrimRight(strings.TrimRight(body, "0"), ".")
	} else {
		body, _, _ = strings.Cut(body, ".")
	}
	return sign(neg) + money.Group(body)
}

func rounded(d money.Decimal, digits int) string {
	neg, body := money.RoundDecimal(string(d), digits)
	return sign(neg) + money.Group(body)
}

func sign(neg bool) string {
	if neg {
		return "-"
	}
	return ""
}

// assessmentValue is a number of a realism assessment (a target's, a
// suggestion's) in the assessment's KPI's unit: the KPI of the target or
// the suggestion the assessment is shown under. Targets in a list share
// one lookup (kpiOfTarget).
func assessmentValue(ctx context.Context, f *float64) (*KPIValue, error) {
	if f == nil {
		return nil, nil
	}
	k, err := kpiOfAssessment(ctx)
	if err != nil {
		return nil, err
	}
	return numberValue(ctx, k, f)
}

// kpiOfAssessment finds the KPI of the assessment being resolved: an
// assessment is shown only under a target or an object that names its KPI
// (assessedKPI: a suggestion) or returned by a query field that names it
// (assessTarget(kpi:)), found above it in the field contexts.
func kpiOfAssessment(ctx context.Context) (*ent.KPI, error) {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Object == "Query" {
			if id, ok := fc.Args["kpi"].(pulid.ID); ok {
				return kpiOf(ctx, id)
			}
		}
		switch r := fc.Result.(type) {
		case *ent.Target:
			if r != nil {
				return kpiOfTarget(ctx, r.ID)
			}
		case assessedKPI:
			if k := r.assessedKPI(); k != nil {
				return k, nil
			}
		}
	}
	return nil, fmt.Errorf("an assessment outside a target or an object naming its KPI")
}

// periodOfAssessment finds the period of the assessment being resolved as
// kpiOfAssessment finds its KPI: the target's or the suggestion's above it,
// or the one the query field that returned it was asked for.
func (r *Resolver) periodOfAssessment(ctx context.Context) (*kpi.Period, error) {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Object == "Query" {
			if in, ok := fc.Args["period"].(PeriodInput); ok {
				p, err := r.kpis.Period(ctx, ent.FromContext(ctx), periodRequest(in))
				return &p, err
			}
		}
		switch v := fc.Result.(type) {
		case *ent.Target:
			if v != nil {
				return r.Target().Period(ctx, v)
			}
		case *TargetSuggestion:
			if v != nil {
				return v.Period, nil
			}
		}
	}
	return nil, fmt.Errorf("an assessment outside a target, a suggestion or a query naming its period")
}

// assessedKPI is an object of the API that holds an assessment of a KPI
// other than a target's.
type assessedKPI interface{ assessedKPI() *ent.KPI }

func (s *TargetSuggestion) assessedKPI() *ent.KPI {
	if s == nil {
		return nil
	}
	return s.Kpi
}

// suggestionValue is a value kpiflow suggests as a target's: as
// numberValue, but a count is rounded (half away from zero) to the whole
// number a target of it must be, so that the suggestion can be given back
// as it reads.
func suggestionValue(ctx context.Context, k *ent.KPI, f *float64) (*KPIValue, error) {
	if f != nil && k.Unit == definition.Count {
		r := math.Round(*f)
		f = &r
	}
	return numberValue(ctx, k, f)
}
