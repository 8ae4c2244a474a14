// Package money converts between the integer minor units kpiflow stores
// (cents, yen, fils) and the decimal strings its API speaks ("12500.00").
// GraphQL's Int is 32 bits wide and floats lose cents, so money never
// travels as a number.
package money

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// MaxMinor is the largest amount kpiflow takes, in minor units, for any
// money it is given: a deal's amount, a target, a KPI's amount filter. In
// a two-decimal currency it is 9,999,999,999,999.99. Sums of amounts can
// be larger than any one amount; they are computed exactly, beyond int64
// where they need to (package kpi), and formatted by FromMinorBig.
const MaxMinor = 999_999_999_999_999

// ErrTooLarge is returned for amounts beyond MaxMinor.
var ErrTooLarge = errors.New("amount is too large: at most 999999999999999 minor units (9999999999999.99 in a two-decimal currency)")

// minorDigits lists ISO 4217 currencies whose minor unit is not 1/100.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
	"XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// twoDigits lists the ISO 4217 currencies with cents-like minor units that
// kpiflow accepts. Together with minorDigits it is the set of valid codes.
var twoDigits = strings.Fields(`AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND
BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR
FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD
KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO
NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL`)

func init() {
	for _, c := range twoDigits {
		minorDigits[c] = 2
	}
}

// ValidCurrency reports whether code is an ISO 4217 currency kpiflow knows.
func ValidCurrency(code string) bool {
	_, ok := minorDigits[code]
	return ok
}

// Digits returns the number of decimal digits of a currency's minor unit.
func Digits(currency string) (int, error) {
	d, ok := minorDigits[currency]
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", currency)
	}
	return d, nil
}

// Decimal is an exact decimal number in its canonical string form, such as
// "12500.00" or "-3.5". It is the API's representation of money.
type Decimal string

// ErrNotDecimal is returned for strings that are not plain decimal numbers.
var ErrNotDecimal = errors.New(`must be a decimal number such as "12500.00"`)

// ParseDecimal checks that s is a plain decimal number: an optional minus,
// digits, and an optional fraction. Exponents, spaces and "+" are refused.
func ParseDecimal(s string) (Decimal, error) {
	if len(s) == 0 || len(s) > 40 {
		return "", ErrNotDecimal
	}
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return "", ErrNotDecimal
	}
	return Decimal(s), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// UnmarshalGQL implements graphql.Unmarshaler. Numbers are refused on
// purpose: a JSON number may already have lost precision in the client.
func (d *Decimal) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf(`Decimal must be a string such as "12500.00"`)
	}
	p, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// MarshalGQL implements graphql.Marshaler.
func (d Decimal) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(d)))
}

// ToMinor converts a decimal amount of a currency to minor units. It refuses
// more fraction digits than the currency has (no silent rounding) and values
// that do not fit in int64.
func ToMinor(d Decimal, currency string) (int64, error) {
	digits, err := Digits(currency)
	if err != nil {
		return 0, err
	}
	s, err := ParseDecimal(string(d))
	if err != nil {
		return 0, err
	}
	str := string(s)
	neg := strings.HasPrefix(str, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(str, "-"), ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		return 0, fmt.Errorf("%s amounts have at most %d decimal places", currency, digits)
	}
	frac += strings.Repeat("0", digits-len(frac))
	all := strings.TrimLeft(intPart+frac, "0")
	if all == "" {
		return 0, nil
	}
	if neg {
		all = "-" + all // parsed with its sign: -2⁶³ has no positive twin
	}
	n, err := strconv.ParseInt(all, 10, 64)
	if err != nil || n > MaxMinor || n < -MaxMinor {
		return 0, ErrTooLarge
	}
	return n, nil
}

// FromMinorBig formats minor units beyond int64's range (a sum of many
// large amounts) as FromMinor does.
func FromMinorBig(minor *big.Int, currency string) (Decimal, error) {
	if minor.IsInt64() {
		return FromMinor(minor.Int64(), currency)
	}
	digits, err := Digits(currency)
	if err != nil {
		return "", err
	}
	s := new(big.Int).Abs(minor).String() // more than 18 digits: longer than any fraction
	if digits > 0 {
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if minor.Sign() < 0 {
		s = "-" + s
	}
	return Decimal(s), nil
}

// FromMinorFloat formats a whole number of minor units held as a float
// (a target, a projection), rounded to the minor unit; values beyond
// int64's range are formatted exactly as the float holds them, never
// converted to int64 (which Go leaves undefined).
func FromMinorFloat(minor float64, currency string) (Decimal, error) {
	if math.IsNaN(minor) || math.IsInf(minor, 0) {
		return "", fmt.Errorf("money: %v is not an amount", minor)
	}
	r := math.Round(minor)
	if r > -(1<<63) && r < 1<<63 {
		return FromMinor(int64(r), currency)
	}
	b, _ := big.NewFloat(r).Int(nil)
	return FromMinorBig(b, currency)
}

// FromMinor formats minor units of a currency as a decimal with exactly the
// currency's number of fraction digits.
func FromMinor(minor int64, currency string) (Decimal, error) {
	digits, err := Digits(currency)
	if err != nil {
		return "", err
	}
	neg := minor < 0
	var abs uint64
	if neg {
		abs = uint64(-(minor + 1)) + 1 // safe for math.MinInt64
	} else {
		abs = uint64(minor)
	}
	s := strconv.FormatUint(abs, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return Decimal(s), nil
}

// Money is an amount in a currency, as the API shows it.
type Money struct {
	Amount   Decimal `json:"amount"`
	Currency string  `json:"currency"`
}

// New returns the Money for minor units of a currency.
func New(minor int64, currency string) (Money, error) {
	d, err := FromMinor(minor, currency)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: d, Currency: currency}, nil
}

// symbols are the currency symbols in common English use (CLDR's "en"
// symbols) of currencies that have a well-known one; the others are shown
// by their ISO code.
var symbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹",
	"KRW": "₩", "ILS": "₪", "VND": "₫", "PHP": "₱", "AUD": "A$", "BRL": "R$",
	"CAD": "CA$", "HKD": "HK$", "MXN": "MX$", "NZD": "NZ$", "TWD": "NT$",
	"XCD": "EC$",
}

// Display formats an amount of a currency for people: the currency's
// symbol when it has a well-known one ("$233,560.00", "¥1,234,567"), else
// its ISO code and a space ("KWD 1,234.567"); thousands grouped by commas,
// the currency's number of decimals (the amount is rounded half away from
// zero to them), a minus sign first ("-$5.00").
func Display(d Decimal, currency string) (string, error) {
	digits, err := Digits(currency)
	if err != nil {
		return "", err
	}
	s, err := ParseDecimal(string(d))
	if err != nil {
		return "", err
	}
	neg, body := RoundDecimal(string(s), digits)
	prefix := currency + " "
	if sym, ok := symbols[currency]; ok {
		prefix = sym
	}
	if neg {
		prefix = "-" + prefix
	}
	return prefix + Group(body), nil
}

// RoundDecimal rounds a decimal string (as ParseDecimal accepts) half away
// from zero to exactly digits decimals, exactly, and returns its sign and
// its digits ("-0.004" to 2 decimals is not negative: "0.00").
func RoundDecimal(s string, digits int) (neg bool, body string) {
	neg = strings.HasPrefix(s, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	up := len(frac) > digits && frac[digits] >= '5'
	if len(frac) > digits {
		frac = frac[:digits]
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, _ := new(big.Int).SetString(intPart+frac, 10)
	if up {
		n.Add(n, big.NewInt(1))
	}
	all := n.String()
	if len(all) <= digits {
		all = strings.Repeat("0", digits-len(all)+1) + all
	}
	body = all
	if digits > 0 {
		body = all[:len(all)-digits] + "." + all[len(all)-digits:]
	}
	return neg && n.Sign() != 0, body
}

// Group separates the thousands of a non-negative decimal's integer part
// by commas: "1234567.5" is "1,234,567.5".
func Group(s string) string {
	intPart, frac, hasDot := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasDot {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
