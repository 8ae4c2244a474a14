package graph

import (
	"context"
	"math/big"
	"sync"

	"kpiflow/ent"
	"kpiflow/ent/organization"
	"kpiflow/ent/schema/pulid"
	"kpiflow/errcode"
	"kpiflow/money"
	"kpiflow/viewer"
)

// currencies remembers the currency of each organization an operation has
// shown money of, so that a list of deals costs one lookup, not one per row.
type currencies struct {
	mu sync.Mutex
	m  map[pulid.ID]string
}

type currenciesKey struct{}

func withCurrencies(ctx context.Context) context.Context {
	return context.WithValue(ctx, currenciesKey{}, &currencies{m: map[pulid.ID]string{}})
}

// currencyOf returns the currency of an organization.
func currencyOf(ctx context.Context, org pulid.ID) (string, error) {
	c, _ := ctx.Value(currenciesKey{}).(*currencies)
	if c == nil {
		c = &currencies{m: map[pulid.ID]string{}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.m[org]; ok {
		return cur, nil
	}
	// A query has the viewer's organization, read with the viewer.
	if v := viewer.FromContext(ctx); v != nil && v.Organization != nil && v.OrgID == org && ent.TxFromContext(ctx) == nil {
		c.m[org] = v.Organization.Currency
		return v.Organization.Currency, nil
	}
	cur, err := ent.FromContext(ctx).Organization.Query().
		Where(organization.ID(org)).
		Select(organization.FieldCurrency).
		String(ctx)
	if err != nil {
		return "", err
	}
	c.m[org] = cur
	return cur, nil
}

// forgetCurrency drops what the operation remembered of an
// organization's currency (updateOrganization changed it).
func forgetCurrency(ctx context.Context, org pulid.ID) {
	if c, _ := ctx.Value(currenciesKey{}).(*currencies); c != nil {
		c.mu.Lock()
		delete(c.m, org)
		c.mu.Unlock()
	}
}

// moneyOf returns minor units of an organization's currency as Money.
func moneyOf(ctx context.Context, org pulid.ID, minor int64) (*money.Money, error) {
	cur, err := currencyOf(ctx, org)
	if err != nil {
		return nil, err
	}
	m, err := money.New(minor, cur)
	return &m, err
}

// wideMoneyOf returns minor units beyond int64's range (a sum) as Money.
func wideMoneyOf(ctx context.Context, org pulid.ID, minor *big.Int) (*money.Money, error) {
	cur, err := currencyOf(ctx, org)
	if err != nil {
		return nil, err
	}
	d, err := money.FromMinorBig(minor, cur)
	if err != nil {
		return nil, err
	}
	return &money.Money{Amount: d, Currency: cur}, nil
}

// minorUnits converts an amount given in the API to minor units of currency.
func minorUnits(d money.Decimal, currency string) (int64, error) {
	amount, err := money.ToMinor(d, currency)
	if err != nil {
		return 0, errcode.BadInput("amount", "%v", err)
	}
	if amount < 0 {
		return 0, errcode.BadInput("amount", "must not be negative")
	}
	return amount, nil
}
