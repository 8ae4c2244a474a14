package definition

import "testing"

func TestBuiltinsAreValid(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range Builtins {
		if err := b.Definition.Validate(b.Unit); err != nil {
			t.Errorf("%s: %v", b.Key, err)
		}
		if !ValidKey(b.Key) || seen[b.Key] {
			t.Errorf("%s: bad or repeated key", b.Key)
		}
		seen[b.Key] = true
	}
	if len(Builtins) != 7 {
		t.Errorf("%d built-ins, want the 7 of DESIGN.md §4", len(Builtins))
	}
}

func TestValidate(t *testing.T) {
	count := func(src Source) *Aggregate { return &Aggregate{Source: src, Function: CountOf} }
	minus, zero := int64(-1), int64(0)
	for _, tc := range []struct {
		name  string
		d     Definition
		unit  Unit
		field string // "" when valid
	}{
		{"count of deals", Definition{Aggregate: count(Deals)}, Count, ""},
		{"count in money", Definition{Aggregate: count(Deals)}, Money, "unit"},
		{"sum of amounts", Definition{Aggregate: &Aggregate{Source: Deals, Function: SumOf, Field: Amount}}, Money, ""},
		{"sum of amounts in days", Definition{Aggregate: &Aggregate{Source: Deals, Function: SumOf, Field: Amount}}, Days, "unit"},
		{"average cycle", Definition{Aggregate: &Aggregate{Source: Deals, Function: AvgOf, Field: CycleDays}}, Days, ""},
		{"sum of minutes", Definition{Aggregate: &Aggregate{Source: Meetings, Function: SumOf, Field: DurationMinutes}}, Count, ""},
		{"average minutes", Definition{Aggregate: &Aggregate{Source: Meetings, Function: AvgOf, Field: DurationMinutes}}, Count, "agg.function"},
		{"sum without a field", Definition{Aggregate: &Aggregate{Source: Deals, Function: SumOf}}, Money, "agg.field"},
		{"unknown function", Definition{Aggregate: &Aggregate{Source: Deals, Function: "MEDIAN"}}, Count, "agg.function"},
		{"unknown source", Definition{Aggregate: &Aggregate{Source: "LEADS", Function: CountOf}}, Count, "agg.source"},
		{"negative amount", Definition{Aggregate: &Aggregate{Source: Deals, Function: CountOf, Filter: Filter{AmountMin: &minus}}}, Count, "agg.filter"},
		{"unknown status", Definition{Aggregate: &Aggregate{Source: Meetings, Function: CountOf, Filter: Filter{MeetingStatuses: []string{"DONE"}}}}, Count, "agg.filter.meetingStatuses"},
		{"meetings by their deal's stage", Definition{Aggregate: &Aggregate{Source: Meetings, Function: CountOf, Filter: Filter{DealStages: []string{"WON"}}}}, Count, ""},
		{"meetings by an unknown deal stage", Definition{Aggregate: &Aggregate{Source: Meetings, Function: CountOf, Filter: Filter{DealStages: []string{"SIGNED"}}}}, Count, "agg.filter.dealStages"},
		{"meetings by a minimum amount", Definition{Aggregate: &Aggregate{Source: Meetings, Function: CountOf, Filter: Filter{AmountMin: &zero}}}, Count, "agg.filter.amountMin"},
		{"meetings by a maximum amount", Definition{Aggregate: &Aggregate{Source: Meetings, Function: CountOf, Filter: Filter{AmountMax: &zero}}}, Count, "agg.filter.amountMax"},
		{"deals by meeting kind", Definition{Aggregate: &Aggregate{Source: Deals, Function: CountOf, Filter: Filter{MeetingKinds: []string{"DEMO"}}}}, Count, "agg.filter.meetingKinds"},
		{"deals by meeting status", Definition{Aggregate: &Aggregate{Source: Deals, Function: CountOf, Filter: Filter{MeetingStatuses: []string{"HELD"}}}}, Count, "agg.filter.meetingStatuses"},
		{"conversion of meetings", Definition{Numerator: &Aggregate{Source: Meetings, Function: CountOf, Filter: Filter{MeetingStatuses: []string{"HELD"}, DealStages: []string{"WON"}}},
			Denominator: &Aggregate{Source: Meetings, Function: CountOf, Filter: Filter{MeetingStatuses: []string{"HELD"}}}}, Percent, ""},
		{"win rate", Definition{Numerator: count(Deals), Denominator: &Aggregate{Source: Deals, Function: CountOf, Filter: Filter{DealStages: []string{"WON"}}}}, Percent, ""},
		{"ratio of itself", Definition{Numerator: count(Deals), Denominator: count(Deals)}, Percent, "definition.denominator"},
		{"ratio in counts", Definition{Numerator: count(Deals), Denominator: count(Meetings)}, Count, "unit"},
		{"average as a numerator", Definition{Numerator: &Aggregate{Source: Deals, Function: AvgOf, Field: Amount}, Denominator: count(Meetings)}, Money, "definition.numerator"},
		{"money per meeting", Definition{Numerator: &Aggregate{Source: Deals, Function: SumOf, Field: Amount}, Denominator: count(Meetings)}, Money, ""},
		{"both shapes", Definition{Aggregate: count(Deals), Numerator: count(Deals), Denominator: count(Meetings)}, Percent, "definition"},
		{"half a ratio", Definition{Numerator: count(Deals)}, Percent, "definition"},
	} {
		err := tc.d.Validate(tc.unit)
		field := ""
		if e, ok := err.(*Error); ok {
			field = e.Field
		} else if err != nil {
			t.Errorf("%s: untyped error %v", tc.name, err)
		}
		want := tc.field
		if len(want) > 4 && want[:4] == "agg." {
			want = "definition.aggregate." + want[4:]
		}
		if field != want {
			t.Errorf("%s: error at %q (%v), want %q", tc.name, field, err, want)
		}
	}
}
