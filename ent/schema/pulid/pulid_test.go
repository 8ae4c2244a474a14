package pulid

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	a, b := New("deal"), New("deal")
	if a == b {
		t.Fatal("two IDs are equal")
	}
	if !strings.HasPrefix(string(a), "deal_") || len(a) != len("deal_")+26 {
		t.Errorf("ID %q is not deal_ + a ULID", a)
	}
	if a.Prefix() != "deal" || !a.Valid() {
		t.Errorf("%q: prefix %q valid %v", a, a.Prefix(), a.Valid())
	}
	if a > b {
		t.Errorf("IDs made in order sort out of order: %s > %s", a, b)
	}
}

func TestValid(t *testing.T) {
	for id, want := range map[ID]bool{
		"deal_01J00000000000000000000000": true,
		"org_01HZ6Q3WQ3B9G8S2Y7K4X5M1N0":  true,
		"deal_01J0000000000000000000000":  false, // 25 characters
		"deal_01J0000000000000000000000U": false, // U is not Crockford base32
		"_01J00000000000000000000000":     false,
		"01J00000000000000000000000":      false,
		"deal-01J00000000000000000000000": false,
		"":                                false,
	} {
		if got := id.Valid(); got != want {
			t.Errorf("%q.Valid() = %v, want %v", id, got, want)
		}
	}
}

func TestUnmarshalGQL(t *testing.T) {
	var id ID
	if err := id.UnmarshalGQL("deal_x"); err != nil || id != "deal_x" {
		t.Errorf("string: %q %v", id, err)
	}
	if err := id.UnmarshalGQL(ID("team_y")); err != nil || id != "team_y" {
		t.Errorf("ID: %q %v", id, err)
	}
	if err := id.UnmarshalGQL(42); err == nil {
		t.Error("a number was accepted as an ID")
	}
}
