package graph

import (
	"encoding/base32"
	"strconv"
	"strings"

	"kpiflow/ent/schema/pulid"
	"kpiflow/kpi"
	"kpiflow/workflow"
)

// Derived IDs: the objects the API computes rather than stores (scorecards,
// KPI results, trends and their points, rollups and their members, a
// target's history points, inbox items) have IDs made of what identifies
// them, so that the same object has the same ID in every request and on
// every replica, and node(id:) can compute it again. A derived ID is a
// type prefix, an underscore and the base32 of its parts ("scard_KN…"):
// opaque to clients, and in the prefix_rest shape of stored IDs, with
// prefixes no stored type uses.
//
// They are not signed: node(id:) computes the object with the viewer's
// rights, through the same code and the same authorization as the query
// that returns it, so an ID names nothing the viewer could not query
// anyway. An ID of something out of the viewer's sight, and an ID that is
// not one this server would make (not canonical, of an unknown shape), is
// NOT_FOUND, like an unknown stored ID.

// The prefixes of derived IDs, by GraphQL type.
const (
	prefixScorecard    = "scard"
	prefixKPIResult    = "kres"
	prefixKPITrend     = "ktrend"
	prefixTrendPoint   = "kpoint"
	prefixTeamRollup   = "rollup"
	prefixRollupMember = "rmember"
	prefixHistoryPoint = "thist"
	prefixInboxItem    = "inbox"
)

var derivedPrefixes = map[string]string{
	prefixScorecard:    "Scorecard",
	prefixKPIResult:    "KPIResult",
	prefixKPITrend:     "KPITrend",
	prefixTrendPoint:   "TrendPoint",
	prefixTeamRollup:   "TeamRollup",
	prefixRollupMember: "RollupMember",
	prefixHistoryPoint: "TargetHistoryPoint",
	prefixInboxItem:    "InboxItem",
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

const idSep = "|"

// derivedID makes the ID of a derived object from its parts.
func derivedID(prefix string, parts ...string) pulid.ID {
	return pulid.ID(prefix + "_" + idEncoding.EncodeToString([]byte(strings.Join(parts, idSep))))
}

// splitDerived returns the prefix and the parts of a derived ID; ok is
// false for any other ID (a stored one, or one of no known shape).
func splitDerived(id pulid.ID) (prefix string, parts []string, ok bool) {
	prefix, rest, found := strings.Cut(string(id), "_")
	if !found {
		return "", nil, false
	}
	if _, known := derivedPrefixes[prefix]; !known {
		return "", nil, false
	}
	raw, err := idEncoding.DecodeString(rest)
	if err != nil || idEncoding.EncodeToString(raw) != rest {
		return prefix, nil, true // of a derived type, but malformed: not found
	}
	return prefix, strings.Split(string(raw), idSep), true
}

// isDerived reports whether an ID is of a derived type (well-formed or not).
func isDerived(id pulid.ID) bool {
	_, _, ok := splitDerived(id)
	return ok
}

// Scopes in IDs: "u:<user ID>", "t:<team ID>" or "o:<organization ID>".
func scopePart(sr kpi.ScopeRequest, org pulid.ID) string {
	switch {
	case sr.User != nil:
		return "u:" + string(*sr.User)
	case sr.Team != nil:
		return "t:" + string(*sr.Team)
	}
	return "o:" + string(org)
}

// parseScope reads a scope part: the request, and for an organization's
// scope the organization it names.
func parseScope(s string) (sr kpi.ScopeRequest, org pulid.ID, ok bool) {
	kind, id, found := strings.Cut(s, ":")
	if !found {
		return sr, "", false
	}
	pid := pulid.ID(id)
	switch kind {
	case "u":
		ok = storedID(pid, "user")
		sr.User = &pid
	case "t":
		ok = storedID(pid, "team")
		sr.Team = &pid
	case "o":
		ok = storedID(pid, "org")
		sr.Organization, org = true, pid
	}
	return sr, org, ok
}

// storedID reports whether s is a well-formed stored ID of the type.
func storedID(id pulid.ID, prefix string) bool {
	return id.Valid() && id.Prefix() == prefix
}

// Periods in IDs: "QUARTER:2027:1".
func periodPart(p kpi.Period) string {
	return string(p.Kind) + ":" + strconv.Itoa(p.Year) + ":" + strconv.Itoa(p.Index)
}

func parsePeriod(s string) (kpi.PeriodRequest, kpi.PeriodKind, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return kpi.PeriodRequest{}, "", false
	}
	kind := kpi.PeriodKind(parts[0])
	switch kind {
	case kpi.PeriodMonth, kpi.PeriodQuarter, kpi.PeriodYear:
	default:
		return kpi.PeriodRequest{}, "", false
	}
	year, ok1 := canonicalInt(parts[1])
	index, ok2 := canonicalInt(parts[2])
	if !ok1 || !ok2 {
		return kpi.PeriodRequest{}, "", false
	}
	return kpi.PeriodRequest{Kind: &kind, Year: &year, Index: &index}, kind, true
}

// canonicalInt reads an int written as strconv.Itoa writes it, within
// bounds no period comes near.
func canonicalInt(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || strconv.Itoa(n) != s || n < 0 || n > 100_000 {
		return 0, false
	}
	return n, true
}

func scorecardID(sr kpi.ScopeRequest, org pulid.ID, p kpi.Period) pulid.ID {
	return derivedID(prefixScorecard, scopePart(sr, org), periodPart(p))
}

func kpiResultID(sr kpi.ScopeRequest, org pulid.ID, kpiID pulid.ID, p kpi.Period) pulid.ID {
	return derivedID(prefixKPIResult, scopePart(sr, org), string(kpiID), periodPart(p))
}

func kpiTrendID(sr kpi.ScopeRequest, org pulid.ID, kpiID pulid.ID, kind kpi.PeriodKind, first, last kpi.Period) pulid.ID {
	return derivedID(prefixKPITrend, scopePart(sr, org), string(kpiID), string(kind), periodPart(first), periodPart(last))
}

func trendPointID(sr kpi.ScopeRequest, org pulid.ID, kpiID pulid.ID, p kpi.Period) pulid.ID {
	return derivedID(prefixTrendPoint, scopePart(sr, org), string(kpiID), periodPart(p))
}

func teamRollupID(teamID, kpiID pulid.ID, p kpi.Period) pulid.ID {
	return derivedID(prefixTeamRollup, string(teamID), string(kpiID), periodPart(p))
}

func rollupMemberID(teamID, kpiID pulid.ID, p kpi.Period, userID pulid.ID) pulid.ID {
	return derivedID(prefixRollupMember, string(teamID), string(kpiID), periodPart(p), string(userID))
}

// historyClose names the point of a target's close in its history.
const historyClose = "close"

// historyPointID is the ID of a target's point at a review (its cycle's
// ID) or at its close.
func historyPointID(targetID pulid.ID, cycleID *pulid.ID) pulid.ID {
	at := historyClose
	if cycleID != nil {
		at = string(*cycleID)
	}
	return derivedID(prefixHistoryPoint, string(targetID), at)
}

// inboxItemID is the ID of an inbox item: its reason and its target or
// review.
func inboxItemID(reason workflow.InboxReason, subject pulid.ID) pulid.ID {
	return derivedID(prefixInboxItem, string(reason), string(subject))
}
