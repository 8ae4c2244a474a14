package kpi

import (
	"context"
	"strings"
	"unicode/utf8"

	"kpiflow/ent"
	"kpiflow/ent/deal"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/marketfactor"
	"kpiflow/ent/organization"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	"kpiflow/errcode"
	"kpiflow/money"
	records "kpiflow/record"
	"kpiflow/viewer"
)

// MaxOrganizationName is the longest name of an organization, in bytes of
// UTF-8 as the schema stores it (200 characters of Latin script).
const MaxOrganizationName = 200

// OrganizationChange is what an ADMIN changes of their organization's
// basics; nil keeps the stored value.
type OrganizationChange struct {
	Name                 *string
	Currency             *string
	Timezone             *string
	FiscalYearStartMonth *int
}

// UpdateOrganization changes the viewer's organization's name, currency,
// time zone and fiscal year start, in client (the request's transaction).
// What the stored records are kept in cannot move under them: money is
// stored in the currency's minor units, so the currency changes only while
// nothing of money is stored (no deal, no target, no custom KPI with an
// amount filter); targets, review cycles and market factors are stored by
// fiscal period, so the fiscal year changes only while there are none. A
// time zone change moves every period's bounds: the rollups are rebuilt (a
// hook on organizations, rollup.go) and the stored bounds of the targets
// follow (their actuals are computed over them). A value equal to the
// stored one changes nothing.
func (s *Service) UpdateOrganization(ctx context.Context, client *ent.Client, c OrganizationChange) (*ent.Organization, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	if !v.IsAdmin() {
		return nil, errcode.New(errcode.Forbidden, "an organization's name, currency, time zone and fiscal year are changed by its ADMINs")
	}
	org, err := client.Organization.Query().Where(organization.ID(v.OrgID)).Only(ctx)
	if err != nil {
		return nil, err
	}
	up := client.Organization.UpdateOne(org)
	changed := false
	if c.Name != nil {
		name := strings.TrimSpace(*c.Name)
		switch {
		case name == "":
			return nil, errcode.BadInput("name", "is required")
		case len(name) > MaxOrganizationName || !utf8.ValidString(name):
			return nil, errcode.BadInput("name", "is at most %d characters", MaxOrganizationName)
		}
		if name != org.Name {
			up.SetName(name)
			changed = true
		}
	}
	sys := viewer.System(ctx)
	if c.Currency != nil {
		cur := strings.ToUpper(strings.TrimSpace(*c.Currency))
		if !money.ValidCurrency(cur) {
			return nil, errcode.BadInput("currency", "%q is not an ISO 4217 currency code", *c.Currency)
		}
		if cur != org.Currency {
			if err := currencyMayChange(sys, client, org.ID); err != nil {
				return nil, err
			}
			up.SetCurrency(cur)
			changed = true
		}
	}
	cal, err := NewCalendar(org.FiscalYearStartMonth, org.Timezone)
	if err != nil {
		return nil, err
	}
	zoneChanged := false
	if c.Timezone != nil {
		zone := strings.TrimSpace(*c.Timezone)
		next, err := NewCalendar(org.FiscalYearStartMonth, zone)
		if err != nil {
			return nil, errcode.BadInput("timezone", "%q is not an IANA time zone (such as Europe/Paris)", *c.Timezone)
		}
		if zone != org.Timezone {
			up.SetTimezone(zone)
			changed, zoneChanged, cal = true, true, next
		}
	}
	if c.FiscalYearStartMonth != nil {
		m := *c.FiscalYearStartMonth
		if m < 1 || m > 12 {
			return nil, errcode.BadInput("fiscalYearStartMonth", "must be 1 (January) to 12 (December)")
		}
		if m != org.FiscalYearStartMonth {
			if err := fiscalYearMayChange(sys, client, org.ID); err != nil {
				return nil, err
			}
			up.SetFiscalYearStartMonth(m)
			changed = true
		}
	}
	if !changed {
		return org, nil
	}
	if org, err = up.Save(ctx); err != nil {
		return nil, err
	}
	if zoneChanged {
		if err := s.moveTargetBounds(sys, client, org.ID, cal); err != nil {
			return nil, err
		}
	}
	return org, nil
}

func precondition(field, format string, args ...any) *errcode.Error {
	e := errcode.New(errcode.FailedPrecondition, format, args...)
	e.Field = field
	return e
}

// currencyMayChange refuses a change of currency once money is stored.
func currencyMayChange(ctx context.Context, client *ent.Client, org pulid.ID) error {
	const why = "the currency cannot change once money is stored in it (amounts are kept in its minor units): "
	if n, err := client.Deal.Query().Where(deal.OrganizationID(org)).Limit(1).Count(ctx); err != nil || n > 0 {
		return orPrecondition(err, precondition("currency", why+"the organization has deals"))
	}
	if n, err := client.Target.Query().Where(target.OrganizationID(org)).Limit(1).Count(ctx); err != nil || n > 0 {
		return orPrecondition(err, precondition("currency", why+"the organization has targets"))
	}
	custom, err := client.KPI.Query().Where(entkpi.OrganizationID(org), entkpi.Builtin(false)).All(ctx)
	if err != nil {
		return err
	}
	for _, k := range custom {
		for _, a := range k.Definition.Parts() {
			if a != nil && (a.Filter.AmountMin != nil || a.Filter.AmountMax != nil) {
				return precondition("currency", why+"the custom KPI %s filters on an amount", k.Key)
			}
		}
	}
	return nil
}

// fiscalYearMayChange refuses a change of the fiscal year once anything is
// stored by fiscal period.
func fiscalYearMayChange(ctx context.Context, client *ent.Client, org pulid.ID) error {
	const why = "the fiscal year cannot change once anything is stored by fiscal period (it would rename every period): "
	if n, err := client.Target.Query().Where(target.OrganizationID(org)).Limit(1).Count(ctx); err != nil || n > 0 {
		return orPrecondition(err, precondition("fiscalYearStartMonth", why+"the organization has targets"))
	}
	if n, err := client.ReviewCycle.Query().Where(reviewcycle.OrganizationID(org)).Limit(1).Count(ctx); err != nil || n > 0 {
		return orPrecondition(err, precondition("fiscalYearStartMonth", why+"the organization has review cycles"))
	}
	if n, err := client.MarketFactor.Query().Where(marketfactor.OrganizationID(org)).Limit(1).Count(ctx); err != nil || n > 0 {
		return orPrecondition(err, precondition("fiscalYearStartMonth", why+"the organization has market factors"))
	}
	return nil
}

func orPrecondition(err error, e *errcode.Error) error {
	if err != nil {
		return err
	}
	return e
}

// moveTargetBounds sets the stored bounds of the organization's targets to
// their periods' in cal: one statement per period the targets are of.
func (s *Service) moveTargetBounds(ctx context.Context, client *ent.Client, org pulid.ID, cal Calendar) error {
	var periods []struct {
		Kind  string `json:"period_kind"`
		Year  int    `json:"period_year"`
		Index int    `json:"period_index"`
	}
	err := client.Target.Query().Where(target.OrganizationID(org)).
		GroupBy(target.FieldPeriodKind, target.FieldPeriodYear, target.FieldPeriodIndex).Scan(ctx, &periods)
	if err != nil {
		return err
	}
	for _, p := range periods {
		np, err := cal.Period(PeriodKind(p.Kind), p.Year, p.Index)
		if err != nil {
			return err
		}
		b := &builder{dialect: s.Engine.Dialect}
		b.sb.WriteString("UPDATE " + target.Table + " SET " + target.FieldPeriodStart + " = " + b.arg(records.Instant(np.Start)) +
			", " + target.FieldPeriodEnd + " = " + b.arg(records.Instant(np.End)) +
			" WHERE " + target.FieldOrganizationID + " = " + b.arg(string(org)) + " AND " + target.FieldPeriodKind + " = " + b.arg(p.Kind) +
			" AND " + target.FieldPeriodYear + " = " + b.arg(p.Year) + " AND " + target.FieldPeriodIndex + " = " + b.arg(p.Index))
		if _, err := client.ExecContext(ctx, b.sb.String(), b.args...); err != nil {
			return err
		}
	}
	return nil
}
