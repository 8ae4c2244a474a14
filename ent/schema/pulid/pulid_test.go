package pulid

import (
	"encoding/json"
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

// MarshalGQL writes what encoding/json writes for the string: for the IDs
// kpiflow makes (written as they are) and for any other string (quoted
// with JSON's escapes, which for a control character are not Go's).
func TestMarshalGQLQuotes(t *testing.T) {
	for _, s := range []string{"", "dea_01JDZ8Q6V4W9X2Y3Z4A5B6C7D8", "a-b_C9", "with space", `q"uote`, `back\slash`, "é", "<&>", "\x01", "\u2028"} {
		var b strings.Builder
		ID(s).MarshalGQL(&b)
		want, _ := json.Marshal(s)
		if b.String() != string(want) {
			t.Errorf("ID(%q): %s, want %s", s, b.String(), want)
		}
	}
}
