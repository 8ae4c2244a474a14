package definition

// Builtin is a KPI every organization has (DESIGN.md §4).
type Builtin struct {
	Key, Name, Description string
	Unit                   Unit
	Direction              Direction
	MinSample              int
	Definition             Definition
}

var (
	won        = Filter{DealStages: []string{"WON"}}
	closed     = Filter{DealStages: []string{"WON", "LOST"}}
	held       = Filter{MeetingStatuses: []string{"HELD"}}
	dealsWon   = Aggregate{Source: Deals, Function: CountOf, Date: ClosedAt, Filter: won}
	revenueWon = Aggregate{Source: Deals, Function: SumOf, Field: Amount, Date: ClosedAt, Filter: won}
	heldCount  = Aggregate{Source: Meetings, Function: CountOf, Date: HeldAt, Filter: held}
	heldAndWon = Aggregate{Source: Meetings, Function: CountOf, Date: HeldAt,
		Filter: Filter{MeetingStatuses: []string{"HELD"}, DealStages: []string{"WON"}}}
)

// Builtins are the built-in KPIs, in the order scorecards show them.
var Builtins = []Builtin{
	{
		Key: "MEETINGS_HELD", Name: "Meetings held",
		Description: "Meetings with status HELD and held in the period.",
		Unit:        Count, Direction: HigherIsBetter,
		Definition: Definition{Aggregate: &heldCount},
	},
	{
		Key: "DEALS_CLOSED", Name: "Deals closed",
		Description: "Deals WON and closed in the period.",
		Unit:        Count, Direction: HigherIsBetter,
		Definition: Definition{Aggregate: &dealsWon},
	},
	{
		Key: "REVENUE_WON", Name: "Revenue won",
		Description: "The sum of the amounts of deals WON and closed in the period.",
		Unit:        Money, Direction: HigherIsBetter,
		Definition: Definition{Aggregate: &revenueWon},
	},
	{
		Key: "AVERAGE_DEAL_SIZE", Name: "Average deal size",
		Description: "Revenue won divided by deals closed; none when no deal closed.",
		Unit:        Money, Direction: HigherIsBetter, MinSample: 3,
		Definition: Definition{Numerator: &revenueWon, Denominator: &dealsWon},
	},
	{
		Key: "SALES_CYCLE_LENGTH", Name: "Sales cycle length",
		Description: "The mean number of days from opening to closing, over deals WON and closed in the period.",
		Unit:        Days, Direction: LowerIsBetter, MinSample: 3,
		Definition: Definition{Aggregate: &Aggregate{Source: Deals, Function: AvgOf, Field: CycleDays, Date: ClosedAt, Filter: won}},
	},
	{
		Key: "WIN_RATE", Name: "Win rate",
		Description: "Deals WON as a share of deals WON or LOST, over deals closed in the period.",
		Unit:        Percent, Direction: HigherIsBetter, MinSample: 5,
		Definition: Definition{
			Numerator:   &dealsWon,
			Denominator: &Aggregate{Source: Deals, Function: CountOf, Date: ClosedAt, Filter: closed},
		},
	},
	{
		Key: "MEETING_CONVERSION_RATE", Name: "Meeting conversion rate",
		Description: "Of the meetings held in the period, the share whose deal was won (0–100%).",
		Unit:        Percent, Direction: HigherIsBetter, MinSample: 10,
		Definition: Definition{Numerator: &heldAndWon, Denominator: &heldCount},
	},
}

// Retired built-ins: definitions that built-in KPIs once had under a key
// that now means something else. An organization's KPI of such a key and
// definition is kept, with its targets, under the honest key and name
// given here, as a custom KPI (its definition unchanged), and the built-in
// of the key is added anew (kpi.EnsureBuiltins).
var Retired = []RetiredBuiltin{{
	Key: "MEETING_CONVERSION_RATE",
	// Deals closed ÷ meetings held, which exceeds 100 when a
	// meeting leads to more than one deal, or deals close without meetings.
	Definition: Definition{Numerator: &dealsWon, Denominator: &heldCount},
	NewKey:     "DEALS_CLOSED_PER_100_MEETINGS",
	NewName:    "Deals closed per 100 meetings",
	NewDescription: "Deals WON and closed in the period per 100 meetings held in it (the former meeting conversion rate); " +
		"not a share: it exceeds 100 when meetings lead to more than one deal.",
}}

// RetiredBuiltin is a built-in definition retired from its key.
type RetiredBuiltin struct {
	Key                             string
	Definition                      Definition
	NewKey, NewName, NewDescription string
}
