package demo

import (
	"kpiflow/ent/meeting"
	"kpiflow/ent/user"
	"kpiflow/enum"
)

// The fixed cast of the demo organization. Only tenure and skill are
// jittered by the seed; names, emails and the team tree never change, so
// that the README and the login page can name them.

// teamSpec is a team of the tree; parent indexes teams, -1 for the root.
type teamSpec struct {
	name    string
	cadence enum.ReviewCadence
	parent  int
}

const regionTeam = 0

var teams = []teamSpec{
	{"North America", enum.CadenceQuarterly, -1},
	{"East", enum.CadenceMonthly, regionTeam},
	{"Central", enum.CadenceBiweekly, regionTeam},
	{"West", enum.CadenceMonthly, regionTeam},
}

// staffSpec is a user without a quota: the admin and the managers. manages
// indexes teams, -1 for none. Managers belong to no team, so that they do
// not appear as empty-handed members in their teams' rollups.
type staffSpec struct {
	name, email string
	role        user.Role
	manages     int
	tenureDays  int
	login       string // what the login is for, in Logins
}

var staff = []staffSpec{
	{"Taylor Quinn", "admin@demo.kpiflow.test", user.RoleAdmin, -1, 6 * 365, "administrator: sees and configures everything"},
	{"Alex Morgan", "region.manager@demo.kpiflow.test", user.RoleManager, regionTeam, 7 * 365, "manager of the North America region (all three teams)"},
	{"Morgan Reyes", "manager@demo.kpiflow.test", user.RoleManager, 1, 5 * 365, "manager of the East team"},
	{"Dana Whitfield", "central.manager@demo.kpiflow.test", user.RoleManager, 2, 4 * 365, "manager of the Central team"},
	{"Chris Tanaka", "west.manager@demo.kpiflow.test", user.RoleManager, 3, 3*365 + 120, "manager of the West team"},
}

// repSpec is a sales rep. team indexes teams. skill, in [0, 1], is hidden:
// it drives win rate, deal size and cycle length, so that reps differ the
// way real ones do.
type repSpec struct {
	name, email string
	team        int
	tenureDays  int
	skill       float64
}

// repEmail is the one rep login documented for the demo.
const repEmail = "rep@demo.kpiflow.test"

var reps = []repSpec{
	{"Jordan Ellis", repEmail, 1, 3*365 + 40, 0.55},
	{"Priya Raman", "priya.raman@demo.kpiflow.test", 1, 6*365 + 200, 0.90},
	{"Marcus Bell", "marcus.bell@demo.kpiflow.test", 1, 385, 0.45},
	{"Hannah Cho", "hannah.cho@demo.kpiflow.test", 1, 45, 0.50}, // ramping
	{"Diego Alvarez", "diego.alvarez@demo.kpiflow.test", 2, 5*365 + 90, 0.75},
	{"Emily Novak", "emily.novak@demo.kpiflow.test", 2, 2*365 + 30, 0.35},
	{"Samuel Okafor", "samuel.okafor@demo.kpiflow.test", 2, 340, 0.60},
	{"Grace Lindqvist", "grace.lindqvist@demo.kpiflow.test", 2, 4*365 + 10, 0.20},
	{"Aiden Brooks", "aiden.brooks@demo.kpiflow.test", 3, 8*365 + 150, 0.65},
	{"Sofia Marino", "sofia.marino@demo.kpiflow.test", 3, 3*365 + 250, 0.85},
	{"Noah Whitaker", "noah.whitaker@demo.kpiflow.test", 3, 547, 0.30},
	{"Leila Haddad", "leila.haddad@demo.kpiflow.test", 3, 78, 0.55}, // ramping
}

// Customer names are a prefix and a suffix: 30×20 combinations, so that
// some customers come back for another deal, as they do.
var customerPrefixes = []string{
	"Northwind", "Bluepeak", "Cobalt", "Evergreen", "Harbor", "Ironclad",
	"Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Oakridge",
	"Pinnacle", "Quarry", "Redwood", "Summit", "Tidewater", "Union",
	"Vertex", "Willow", "Brightline", "Clearwater", "Granite", "Silverline",
	"Orchard", "Beacon", "Crescent", "Falcon", "Horizon", "Maple",
}

var customerSuffixes = []string{
	"Logistics", "Health", "Foods", "Manufacturing", "Capital", "Energy",
	"Labs", "Retail", "Media", "Systems", "Partners", "Biotech", "Freight",
	"Insurance", "Hospitality", "Software", "Construction", "Dental Group",
	"Analytics", "Outfitters",
}

var products = []string{
	"Platform subscription", "Analytics add-on", "Annual renewal",
	"Seat expansion", "Pilot", "Enterprise upgrade", "Onboarding package",
	"Multi-year agreement", "Integration bundle", "Premium support",
}

// ladder is the order in which a deal's meetings happen as it advances.
var ladder = []meeting.Kind{
	meeting.KindDiscovery, meeting.KindDemo, meeting.KindProposal, meeting.KindNegotiation,
}

// durations are the usual lengths, in minutes, of each kind of meeting.
var durations = map[meeting.Kind][]int{
	meeting.KindDiscovery:   {30, 30, 45},
	meeting.KindDemo:        {45, 60, 60, 90},
	meeting.KindProposal:    {30, 45, 60},
	meeting.KindNegotiation: {30, 60, 60},
	meeting.KindFollowUp:    {15, 30, 30},
}

var notes = map[meeting.Kind][]string{
	meeting.KindDiscovery: {
		"Mapped current process and pain points.",
		"Budget confirmed for this fiscal year; decision by committee.",
		"Intro call; they are evaluating two other vendors.",
	},
	meeting.KindDemo: {
		"Demoed reporting and dashboards; strong interest from ops.",
		"Technical deep-dive with IT; SSO questions to follow up.",
		"Demo went well; asked for a trial workspace.",
	},
	meeting.KindProposal: {
		"Walked through pricing tiers and the rollout plan.",
		"Sent proposal; procurement wants a multi-year option.",
	},
	meeting.KindNegotiation: {
		"Negotiated payment terms; legal reviewing the MSA.",
		"Asked for a discount to close this quarter.",
	},
	meeting.KindFollowUp: {
		"Checked in after the trial.",
		"Answered open security questionnaire items.",
		"Quarterly check-in with the account.",
	},
}

// The people of a scaled demo beyond the cast are named from these pools;
// a number in their emails keeps the emails unique.
var firstNames = []string{
	"Avery", "Blake", "Camila", "Daniel", "Elena", "Farah", "Gabriel", "Hiro",
	"Isla", "Jamal", "Kira", "Lucas", "Maya", "Nikhil", "Olivia", "Pedro",
	"Quinn", "Rosa", "Sean", "Tara", "Umar", "Vera", "Wes", "Ximena",
	"Yusuf", "Zoe", "Aaron", "Bianca", "Caleb", "Nadia", "Oscar", "Ingrid",
}

var lastNames = []string{
	"Adams", "Barros", "Castillo", "Dubois", "Eriksen", "Fischer", "Gupta",
	"Hughes", "Ibrahim", "Jensen", "Kowalski", "Larsen", "Mendes", "Nguyen",
	"Ortiz", "Patel", "Rossi", "Sato", "Turner", "Usman", "Varga", "Walsh",
	"Yilmaz", "Zimmer", "Bauer", "Coleman", "Duarte", "Foster", "Kim", "Lopez",
}

// regionNames name the regions of a scaled demo beyond North America; once
// they run out, they come round again with a number ("Pacific 2").
var regionNames = []string{
	"Northeast", "Southeast", "Midwest", "Southwest", "Pacific", "Canada",
	"UK & Ireland", "DACH", "Nordics", "Benelux", "France", "Iberia",
	"Italy", "Middle East", "Africa", "India", "Japan", "ANZ", "Southeast Asia",
	"Brazil", "Mexico", "Andes",
}
