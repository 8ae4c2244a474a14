package settings

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Settings stored before a setting existed read its default; none stored
// reads the defaults, which are valid.
func TestStoredSettingsReadOverTheDefaults(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("the defaults are invalid: %v", err)
	}
	if got := Of(nil); !reflect.DeepEqual(got, Default()) {
		t.Errorf("no settings read %+v", got)
	}
	var s Settings
	if err := json.Unmarshal([]byte(`{"graceHours": 10, "realism": {"stretch": 2}}`), &s); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.GraceHours, want.Realism.Stretch = 10, 2
	if !reflect.DeepEqual(s, want) {
		t.Errorf("read %+v, want %+v", s, want)
	}
	b, _ := json.Marshal(want)
	var back Settings
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, want) {
		t.Errorf("round trip: %+v (%v)", back, err)
	}
}

func TestRampShare(t *testing.T) {
	s := Default()
	for tenure, want := range map[int]float64{-1: 0.25, 0: 0.25, 1: 0.5, 2: 0.75, 3: 1, 40: 1} {
		if got, _ := s.RampShare(tenure); got != want {
			t.Errorf("tenure %d: share %v, want %v", tenure, got, want)
		}
	}
	if s.RampMonths() != 3 {
		t.Errorf("ramped after %d months", s.RampMonths())
	}
}
