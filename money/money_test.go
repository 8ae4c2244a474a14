package money

import (
	"math"
	"math/big"
	"testing"
)

func TestToMinor(t *testing.T) {
	for _, tc := range []struct {
		in       string
		currency string
		want     int64
		wantErr  bool
	}{
		{"12500.00", "USD", 1250000, false},
		{"12500.5", "USD", 1250050, false},
		{"12500", "USD", 1250000, false},
		{"0.01", "USD", 1, false},
		{"0", "USD", 0, false},
		{"000.10", "USD", 10, false},
		{"-3.5", "EUR", -350, false},
		{"1.230", "USD", 123, false}, // trailing zeros are not extra precision
		{"1.001", "USD", 0, true},
		{"1500000", "JPY", 1500000, false},
		{"1.5", "JPY", 0, true},
		{"1.5", "KWD", 1500, false},
		{"0.001", "KWD", 1, false},
		{"9999999999999.99", "USD", MaxMinor, false},
		{"10000000000000.00", "USD", 0, true},
		{"-9999999999999.99", "USD", -MaxMinor, false},
		{"-10000000000000", "USD", 0, true},
		{"999999999999999", "JPY", MaxMinor, false},
		{"1000000000000000", "JPY", 0, true},
		{"999999999999.999", "KWD", MaxMinor, false},
		{"92233720368547758.07", "USD", 0, true}, // fits in int64, but beyond the bound
		{"92233720368547758.08", "USD", 0, true},
		{"-92233720368547758.08", "USD", 0, true},
		{"99999999999999999999999999999999999999", "USD", 0, true},
		{"1e5", "USD", 0, true},
		{"+1", "USD", 0, true},
		{" 1", "USD", 0, true},
		{"1.", "USD", 0, true},
		{".5", "USD", 0, true},
		{"", "USD", 0, true},
		{"1", "XXX", 0, true},
	} {
		got, err := ToMinor(Decimal(tc.in), tc.currency)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ToMinor(%q, %s) = %d, %v; want %d, error %v", tc.in, tc.currency, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestFromMinor(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     Decimal
	}{
		{1250000, "USD", "12500.00"},
		{1, "USD", "0.01"},
		{0, "USD", "0.00"},
		{-350, "EUR", "-3.50"},
		{-5, "EUR", "-0.05"},
		{1500000, "JPY", "1500000"},
		{1, "KWD", "0.001"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
		{math.MinInt64, "USD", "-92233720368547758.08"},
	} {
		got, err := FromMinor(tc.minor, tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("FromMinor(%d, %s) = %q, %v; want %q", tc.minor, tc.currency, got, err, tc.want)
		}
	}
	if _, err := FromMinor(1, "ABC"); err == nil {
		t.Error("FromMinor accepted an unknown currency")
	}
}

// Sums beyond int64 format exactly, and agree with FromMinor where both
// apply; floats beyond int64 never go through an int64 conversion.
func TestFromMinorBigAndFloat(t *testing.T) {
	huge, _ := new(big.Int).SetString("9300000000000000000000", 10)
	for _, tc := range []struct {
		minor    *big.Int
		currency string
		want     Decimal
	}{
		{huge, "USD", "93000000000000000000.00"},
		{huge, "JPY", "9300000000000000000000"},
		{huge, "KWD", "9300000000000000000.000"},
		{new(big.Int).Neg(huge), "USD", "-93000000000000000000.00"},
		{big.NewInt(-5), "EUR", "-0.05"},
		{big.NewInt(math.MaxInt64), "USD", "92233720368547758.07"},
		{new(big.Int).Add(big.NewInt(math.MaxInt64), big.NewInt(1)), "USD", "92233720368547758.08"},
	} {
		got, err := FromMinorBig(tc.minor, tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("FromMinorBig(%s, %s) = %q, %v; want %q", tc.minor, tc.currency, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		minor float64
		want  Decimal
	}{
		{1250000.4, "12500.00"},
		{1250000.5, "12500.01"},
		{1e20, "1000000000000000000.00"},
		{-1e20, "-1000000000000000000.00"},
	} {
		got, err := FromMinorFloat(tc.minor, "USD")
		if err != nil || got != tc.want {
			t.Errorf("FromMinorFloat(%v) = %q, %v; want %q", tc.minor, got, err, tc.want)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := FromMinorFloat(bad, "USD"); err == nil {
			t.Errorf("FromMinorFloat(%v) gave no error", bad)
		}
	}
}

// Every amount within the bound survives the round trip through its
// decimal form, and every amount beyond it is refused on the way back.
func FuzzRoundTrip(f *testing.F) {
	for _, v := range []int64{0, 1, -1, 99, 100, 1250050, MaxMinor, -MaxMinor, MaxMinor + 1, math.MaxInt64, math.MinInt64} {
		f.Add(v, "USD")
		f.Add(v, "JPY")
		f.Add(v, "KWD")
	}
	f.Fuzz(func(t *testing.T, minor int64, currency string) {
		d, err := FromMinor(minor, currency)
		if err != nil {
			if ValidCurrency(currency) {
				t.Fatalf("FromMinor(%d, %s): %v", minor, currency, err)
			}
			return
		}
		back, err := ToMinor(d, currency)
		if minor > MaxMinor || minor < -MaxMinor {
			if err != ErrTooLarge {
				t.Fatalf("%d %s → %q → %d, %v; want ErrTooLarge", minor, currency, d, back, err)
			}
			return
		}
		if err != nil || back != minor {
			t.Fatalf("%d %s → %q → %d, %v", minor, currency, d, back, err)
		}
	})
}

func TestDecimalScalar(t *testing.T) {
	var d Decimal
	if err := d.UnmarshalGQL(12.5); err == nil {
		t.Error("a JSON number was accepted as a Decimal")
	}
	if err := d.UnmarshalGQL("12.50"); err != nil || d != "12.50" {
		t.Errorf("UnmarshalGQL(\"12.50\") = %q, %v", d, err)
	}
	if err := d.UnmarshalGQL("12,50"); err == nil {
		t.Error("12,50 was accepted")
	}
	if !ValidCurrency("USD") || ValidCurrency("usd") || ValidCurrency("US") {
		t.Error("currency validation")
	}

}

func TestDisplay(t *testing.T) {
	for _, tc := range []struct {
		amount, currency, want string
	}{
		{"233560.00", "USD", "$233,560.00"},
		{"233560", "USD", "$233,560.00"},
		{"0.5", "USD", "$0.50"},
		{"-5", "USD", "-$5.00"},
		{"1234567", "JPY", "¥1,234,567"},
		{"1234.567", "KWD", "KWD 1,234.567"},
		{"999.9995", "KWD", "KWD 1,000.000"}, // rounded half away from zero, exactly
		{"1234.5", "EUR", "€1,234.50"},
		{"-0.004", "EUR", "€0.00"},
		{"100", "CHF", "CHF 100.00"},
		{"12.5", "CAD", "CA$12.50"},
		{"99999999999999999999.99", "USD", "$99,999,999,999,999,999,999.99"},
		{"-1234567.891", "GBP", "-£1,234,567.89"},
	} {
		got, err := Display(Decimal(tc.amount), tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("Display(%s, %s) = %q, %v; want %q", tc.amount, tc.currency, got, err, tc.want)
		}
	}
	if _, err := Display("1", "XXX"); err == nil {
		t.Error("an unknown currency is displayed")
	}
	if _, err := Display("1e5", "USD"); err == nil {
		t.Error("a non-decimal is displayed")
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "999": "999", "1000": "1,000", "1234567.891": "1,234,567.891", "12.5": "12.5", "100000": "100,000"} {
		if got := Group(in); got != want {
			t.Errorf("Group(%s) = %s, want %s", in, got, want)
		}
	}
}
