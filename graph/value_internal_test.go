package graph

import (
	"testing"

	"kpiflow/kpi/definition"
)

// The decimals and display of values that are not money (money's are
// money.Display's): a float's noise trimmed, each unit's display rule.
func TestFloatValues(t *testing.T) {
	for _, tc := range []struct {
		unit           definition.Unit
		f              float64
		value, display string
	}{
		{definition.Days, 46.400000000000006, "46.4", "46.4 days"},
		{definition.Days, 1, "1", "1.0 day"},
		{definition.Days, 0.96, "0.96", "1.0 day"},
		{definition.Days, 35.666666666666664, "35.666667", "35.7 days"},
		{definition.Days, 1234.56, "1234.56", "1,234.6 days"},
		{definition.Days, -0.0000001, "0", "0.0 days"},
		{definition.Percent, 17.25, "17.25", "17.3 %"},
		{definition.Percent, 66.66666666666667, "66.6667", "66.7 %"},
		{definition.Percent, 100, "100", "100.0 %"},
		{definition.Count, 1234, "1234", "1,234"},
		{definition.Count, 0.9782608695652174, "0.98", "0.98"},
		{definition.Count, 4.5, "4.5", "4.5"},
		{definition.Count, 1e17, "100000000000000000", "100,000,000,000,000,000"},
	} {
		v, err := floatValue(tc.unit, tc.f)
		if err != nil || string(v.Value) != tc.value || v.Display != tc.display || v.Unit != tc.unit || v.Money != nil {
			t.Errorf("%s %v = %+v, %v; want %s %q", tc.unit, tc.f, v, err, tc.value, tc.display)
		}
	}
}
