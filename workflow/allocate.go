package workflow

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"

	"kpiflow/ent"
	entkpi "kpiflow/ent/kpi"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/target"
	entteam "kpiflow/ent/team"
	"kpiflow/ent/user"
	"kpiflow/enum"
	"kpiflow/errcode"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
	"kpiflow/settings"
	"kpiflow/viewer"
)

// Override fixes a member's value in an allocation: a decimal in the
// KPI's unit. A member is a rep (User) or, in an allocation among
// sub-teams, a sub-team (Team).
type Override struct {
	User  pulid.ID
	Team  pulid.ID
	Value string
}

// AllocationRequest asks to divide a team's target among its members: its
// reps, or with SubTeams its direct sub-teams.
type AllocationRequest struct {
	Target    pulid.ID
	Method    enum.AllocationMethod
	SubTeams  bool
	Overrides []Override
	DryRun    bool
}

// Share is one member's part of an allocation: a rep's (User) or a
// sub-team's (Team).
type Share struct {
	User *ent.User
	Team *ent.Team
	// Value is in the KPI's stored unit: whole units of a count, minor
	// units of money.
	Value float64
	// Weight is the member's weight as a share of all the weights of the
	// members not overridden (0 for an overridden member).
	Weight     float64
	Overridden bool
	// Kept: the member's open target stands (the member is overridden
	// with its value), and no draft is made for the member.
	Kept bool
	// Target is the draft made (nil in a dry run), or the open target kept.
	Target *ent.Target
}

// ID is the member's: the rep's or the sub-team's.
func (sh Share) ID() pulid.ID {
	if sh.Team != nil {
		return sh.Team.ID
	}
	return sh.User.ID
}

func (sh Share) scopeKey() string {
	if sh.Team != nil {
		return kpi.TeamScopeKey(sh.Team.ID)
	}
	return kpi.UserScopeKey(sh.User.ID)
}

func (sh Share) name() string {
	if sh.Team != nil {
		return sh.Team.Name
	}
	return sh.User.Email
}

// Allocation is a team target divided among the team's members.
type Allocation struct {
	TeamTarget      *ent.Target
	KPI             *ent.KPI
	Method, Applied enum.AllocationMethod
	SubTeams        bool
	DryRun          bool
	Shares          []Share
}

var openStatuses = []enum.TargetStatus{enum.StatusDraft, enum.StatusProposed, enum.StatusChangesRequested, enum.StatusApproved}

// allocatable reports whether a KPI's targets can be divided among people:
// counts and money that add up.
func allocatable(k *ent.KPI) bool {
	return (k.Unit == definition.Money || k.Unit == definition.Count) && k.Definition.Additive()
}

// teamReps is the direct members of a team who carry targets (its reps),
// by ID: the people a team target is divided among and reconciled with.
func teamReps(ctx context.Context, client *ent.Client, teamID pulid.ID) ([]*ent.User, error) {
	return client.User.Query().Where(user.TeamID(teamID), user.RoleEQ(user.RoleRep)).
		Order(ent.Asc(user.FieldID)).All(viewer.System(ctx))
}

// comparablePeriods is the last n completed periods of p's kind before p,
// oldest first: what the realism check compares with (a period still
// running would weigh a few weeks as a whole period), and so what
// allocation by history and what-it-takes read too.
func comparablePeriods(p kpi.Period, n int, now time.Time) []kpi.Period {
	periods := make([]kpi.Period, n)
	at := p.Prev()
	for ; at.End.After(now); at = at.Prev() {
	}
	for i := n - 1; i >= 0; i-- {
		periods[i] = at
		at = at.Prev()
	}
	return periods
}

// worked reports whether a period is one of a rep's: it ends after their
// hire. A period before it is no period of theirs, not a zero one.
func worked(u *ent.User, p kpi.Period) bool {
	return u == nil || p.End.After(u.HiredAt)
}

// workedInTeam reports whether a period is one of a rep's in their current
// team: it ends after their hire and after they joined the team.
func workedInTeam(u *ent.User, p kpi.Period) bool {
	return worked(u, p) && (u.TeamJoinedAt == nil || p.End.After(*u.TeamJoinedAt))
}

// periodMean is the mean of a KPI's values over the periods counted (a
// period without a value counting 0, negative values 0), and whether any
// period counted.
func periodMean(k *ent.KPI, vals []kpi.Value, count func(i int) bool) (float64, bool) {
	sum, n := 0.0, 0
	for i, v := range vals {
		if !count(i) {
			continue
		}
		n++
		if f := v.Number(k.Unit); f != nil && *f > 0 {
			sum += *f
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// memberHistory returns each rep's history weight of the KPI in the team
// over the comparable periods before p, keyed by user ID: the mean of the
// rep's values per period of theirs in the team (the periods ending after
// their hire and after they joined the team; a period without a value
// counts 0). A rep with no period of theirs weighs 0.
func (s *Service) memberHistory(ctx context.Context, k *ent.KPI, teamID pulid.ID, reps []*ent.User, org pulid.ID, st settings.Settings, p kpi.Period) (map[pulid.ID]float64, error) {
	periods := comparablePeriods(p, st.Realism.Periods, s.now())
	ks := kpi.EngineKPIs([]*ent.KPI{k})
	byOwner, err := s.Engine.ComputeByOwner(viewer.System(ctx), kpi.Scope{Org: org, Teams: []pulid.ID{teamID}}, ks, periods)
	if err != nil {
		return nil, err
	}
	out := map[pulid.ID]float64{}
	for _, m := range reps {
		vals := byOwner[m.ID][k.Key]
		if vals == nil {
			continue
		}
		out[m.ID], _ = periodMean(k, vals, func(i int) bool { return workedInTeam(m, periods[i]) })
	}
	return out, nil
}

// maxTreeDepth bounds a walk down the team tree (the schema allows 8), as
// kpi.Subtree's does.
const maxTreeDepth = 16

// descendants maps every team below root to the direct sub-team of root
// it is in (a direct sub-team to itself): one statement per level of the
// tree.
func descendants(ctx context.Context, client *ent.Client, root pulid.ID) (map[pulid.ID]pulid.ID, error) {
	sys := viewer.System(ctx)
	out := map[pulid.ID]pulid.ID{}
	frontier := []pulid.ID{root}
	for depth := 0; len(frontier) > 0 && depth < maxTreeDepth; depth++ {
		level, err := client.Team.Query().Where(entteam.ParentIDIn(frontier...)).
			Select(entteam.FieldID, entteam.FieldParentID).All(sys)
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0:0]
		for _, t := range level {
			if _, ok := out[t.ID]; ok {
				continue
			}
			if *t.ParentID == root {
				out[t.ID] = t.ID
			} else {
				out[t.ID] = out[*t.ParentID]
			}
			frontier = append(frontier, t.ID)
		}
	}
	return out, nil
}

// subTeamHistory returns each direct sub-team's history weight of the KPI
// over the comparable periods before p, keyed by team ID: the mean per
// period of the value credited to the sub-team and the teams below it.
// Three statements or so whatever the number of teams: the tree's levels
// and one per record source.
func (s *Service) subTeamHistory(ctx context.Context, client *ent.Client, k *ent.KPI, teamID pulid.ID, subs []*ent.Team, org pulid.ID, st settings.Settings, p kpi.Period) (map[pulid.ID]float64, error) {
	out := map[pulid.ID]float64{}
	if len(subs) == 0 {
		return out, nil
	}
	below, err := descendants(ctx, client, teamID)
	if err != nil {
		return nil, err
	}
	teams := make([]pulid.ID, 0, len(below))
	for id := range below {
		teams = append(teams, id)
	}
	sort.Slice(teams, func(i, j int) bool { return teams[i] < teams[j] })
	periods := comparablePeriods(p, st.Realism.Periods, s.now())
	ks := kpi.EngineKPIs([]*ent.KPI{k})
	byTeam, err := s.Engine.ComputeByTeam(viewer.System(ctx), kpi.Scope{Org: org, Teams: teams}, ks, periods)
	if err != nil {
		return nil, err
	}
	sums := map[pulid.ID][]float64{}
	for team, vals := range byTeam {
		sub, ok := below[team]
		if !ok {
			continue
		}
		if sums[sub] == nil {
			sums[sub] = make([]float64, len(periods))
		}
		for i, v := range vals[k.Key] {
			if f := v.Number(k.Unit); f != nil && *f > 0 {
				sums[sub][i] += *f
			}
		}
	}
	for _, t := range subs {
		total := 0.0
		for _, f := range sums[t.ID] {
			total += f
		}
		out[t.ID] = total / float64(len(periods))
	}
	return out, nil
}

// subTeams is a team's direct sub-teams by ID, with their managers.
func subTeams(ctx context.Context, client *ent.Client, teamID pulid.ID, managers bool) ([]*ent.Team, error) {
	q := client.Team.Query().Where(entteam.ParentID(teamID)).Order(ent.Asc(entteam.FieldID))
	if managers {
		q = q.WithManagers(func(q *ent.UserQuery) { q.Order(ent.Asc(user.FieldID)) })
	}
	return q.All(viewer.System(ctx))
}

// Allocate divides a team's target among the team's members: its reps
// (its direct members with the REP role), one DRAFT per rep whose
// proposer is the rep; or, with SubTeams, its direct sub-teams, one DRAFT
// team target per sub-team whose proposer is the sub-team's first manager
// (by ID; the allocating viewer for a sub-team without one), which that
// manager submits and in turn allocates among the sub-team's reps. Each
// draft is submitted as it is or changed. The values sum exactly to the
// team target: the overrides first, the rest split by largest remainder
// (splitUnits). A dry run returns the split and writes nothing. client
// must be the request's transaction.
func (s *Service) Allocate(ctx context.Context, client *ent.Client, r AllocationRequest) (*Allocation, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "sign in first")
	}
	tt, err := client.Target.Get(ctx, r.Target) // NOT_FOUND when out of sight
	if err != nil {
		return nil, err
	}
	if tt.TeamID == nil {
		return nil, errcode.BadInput("targetId", "is a user's target: allocate a team's target")
	}
	var shares []Share
	if r.SubTeams {
		subs, err := subTeams(ctx, client, *tt.TeamID, !r.DryRun)
		if err != nil {
			return nil, err
		}
		for _, t := range subs {
			shares = append(shares, Share{Team: t})
		}
	} else {
		reps, err := teamReps(ctx, client, *tt.TeamID)
		if err != nil {
			return nil, err
		}
		for _, m := range reps {
			shares = append(shares, Share{User: m})
		}
	}
	index := map[pulid.ID]int{}
	for i, sh := range shares {
		index[sh.ID()] = i
	}
	// An override's member out of the viewer's sight is NOT_FOUND, as any
	// ID of nothing, before anything else is said of it; one in sight but
	// not a member is bad input.
	for i, o := range r.Overrides {
		field := fmt.Sprintf("overrides[%d]", i)
		if _, ok := index[o.User]; o.User != "" && !ok {
			if _, err := client.User.Get(ctx, o.User); err != nil {
				return nil, err
			}
		}
		if _, ok := index[o.Team]; o.Team != "" && !ok {
			if _, err := client.Team.Get(ctx, o.Team); err != nil {
				return nil, err
			}
		}
		switch {
		case (o.User == "") == (o.Team == ""):
			return nil, errcode.BadInput(field, "give exactly one of userID and teamID")
		case r.SubTeams && o.User != "":
			return nil, errcode.BadInput(field+".userID", "an allocation among sub-teams is overridden by teamID")
		case !r.SubTeams && o.Team != "":
			return nil, errcode.BadInput(field+".teamID", "an allocation among reps is overridden by userID")
		}
		if _, ok := index[o.User+o.Team]; ok {
			continue
		}
		if o.User != "" {
			return nil, errcode.BadInput(field+".userID", "is not a rep of the team")
		}
		return nil, errcode.BadInput(field+".teamID", "is not a direct sub-team of the team")
	}
	if !tt.Status.Open() {
		return nil, errcode.BadInput("targetId", "is %s: only an open team target (DRAFT, PROPOSED, CHANGES_REQUESTED or APPROVED) is allocated", tt.Status)
	}
	if !tt.PeriodEnd.After(s.now()) {
		return nil, errcode.BadInput("targetId", "its period is over: targets are for the current or a future period")
	}
	if err := s.mayPropose(ctx, client, nil, tt.TeamID); err != nil {
		return nil, errcode.New(errcode.Forbidden, "a team's target is allocated by a manager of the team")
	}
	sys := viewer.System(ctx)
	k, err := client.KPI.Get(sys, tt.KpiID)
	if err != nil {
		return nil, err
	}
	if !allocatable(k) {
		return nil, errcode.BadInput("targetId", "%s is not a count or an amount that adds up: only those are divided among people", k.Key)
	}
	org, cal, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, err
	}
	st := settings.Of(org.Settings)
	p, err := cal.Period(kpi.PeriodKind(tt.PeriodKind), tt.PeriodYear, tt.PeriodIndex)
	if err != nil {
		return nil, err
	}
	if len(shares) == 0 {
		if r.SubTeams {
			return nil, errcode.BadInput("targetId", "the team has no sub-teams to allocate its target to")
		}
		return nil, errcode.BadInput("targetId", "the team has no reps to allocate its target to (a team of teams is allocated among its sub-teams: among: SUB_TEAMS)")
	}
	total := int64(math.Round(tt.Value))
	rest := total
	overrideOf := map[int]int{} // share index → override index
	for i, o := range r.Overrides {
		field := fmt.Sprintf("overrides[%d]", i)
		at := index[o.User+o.Team]
		if shares[at].Overridden {
			which := ".userID"
			if o.Team != "" {
				which = ".teamID"
			}
			return nil, errcode.BadInput(field+which, "is overridden twice")
		}
		val, err := parseValue(o.Value, k.Unit, org.Currency)
		if err != nil {
			return nil, errcode.BadInput(field+".value", "%s", strings.TrimPrefix(err.Error(), "value: "))
		}
		shares[at].Overridden, shares[at].Value = true, val
		overrideOf[at] = i
		rest -= int64(val)
		if rest < 0 {
			return nil, errcode.BadInput("overrides", "sum to more than the team target")
		}
	}
	// The members' open targets for the KPI and period. A member overridden
	// with the value of their open target keeps it (no draft is made for
	// them); any other open target would collide with a draft: refused,
	// naming the members, rather than leaving the allocation short of the
	// team target or replacing a target its proposer has not withdrawn.
	keys := make([]string, len(shares))
	byKey := map[string]int{}
	for i, sh := range shares {
		keys[i] = sh.scopeKey()
		byKey[keys[i]] = i
	}
	taken, err := client.Target.Query().Where(target.KpiID(k.ID), target.ScopeKeyIn(keys...),
		target.PeriodKindEQ(tt.PeriodKind), target.PeriodYear(tt.PeriodYear), target.PeriodIndex(tt.PeriodIndex),
		target.StatusIn(openStatuses...)).All(sys)
	if err != nil {
		return nil, err
	}
	sort.Slice(taken, func(a, b int) bool { return byKey[taken[a].ScopeKey] < byKey[taken[b].ScopeKey] })
	var names []string
	for _, t := range taken {
		at := byKey[t.ScopeKey]
		sh := &shares[at]
		held := fmt.Sprintf("%s (%s, %s)", sh.name(), FormatValue(t.Value, k.Unit, org.Currency), t.Status)
		if !sh.Overridden {
			names = append(names, held)
			continue
		}
		if int64(math.Round(sh.Value)) != int64(math.Round(t.Value)) {
			return nil, errcode.BadInput(fmt.Sprintf("overrides[%d].value", overrideOf[at]),
				"%s already has an open target of %s for %s (%s): override with that value to keep it, or withdraw it first",
				sh.name(), FormatValue(t.Value, k.Unit, org.Currency), p.Label(), t.Status)
		}
		sh.Kept, sh.Target = true, t
	}
	if len(names) > 0 {
		sort.Strings(names)
		return nil, errcode.New(errcode.Conflict, "already with an open %s target for %s: %s (withdraw it, or keep it by overriding the member with its value)",
			k.Key, p.Label(), strings.Join(names, ", "))
	}
	weights, applied, err := s.allocationWeights(ctx, client, k, tt, r.Method, shares, org.ID, st, p)
	if err != nil {
		return nil, err
	}
	var free []int
	for i := range shares {
		if !shares[i].Overridden {
			free = append(free, i)
		}
	}
	if len(free) == 0 && rest != 0 {
		return nil, errcode.BadInput("overrides", "every member is overridden, and the overrides sum to less than the team target")
	}
	if len(free) > 0 {
		ids := make([]pulid.ID, len(free))
		ws := make([]float64, len(free))
		sum := 0.0
		for j, i := range free {
			ids[j], ws[j] = shares[i].ID(), weights[i]
			sum += weights[i]
		}
		units := splitUnits(rest, ws, ids)
		for j, i := range free {
			shares[i].Value = float64(units[j])
			if sum > 0 {
				shares[i].Weight = ws[j] / sum
			} else {
				shares[i].Weight = 1 / float64(len(free))
			}
		}
	}
	out := &Allocation{TeamTarget: tt, KPI: k, Method: r.Method, Applied: applied, SubTeams: r.SubTeams, DryRun: r.DryRun, Shares: shares}
	if r.DryRun {
		return out, nil
	}
	if err := s.writeAllocation(ctx, client, out, p, v.UserID); err != nil {
		return nil, err
	}
	return out, nil
}

// allocationWeights returns each member's weight under the method (by the
// members' index) and the method applied: HISTORY falls back to EQUAL when
// the members not overridden have no history at all.
func (s *Service) allocationWeights(ctx context.Context, client *ent.Client, k *ent.KPI, tt *ent.Target, method enum.AllocationMethod,
	shares []Share, org pulid.ID, st settings.Settings, p kpi.Period) ([]float64, enum.AllocationMethod, error) {
	w := make([]float64, len(shares))
	for i := range w {
		w[i] = 1
	}
	var reps []*ent.User
	var subs []*ent.Team
	for _, sh := range shares {
		if sh.Team != nil {
			subs = append(subs, sh.Team)
		} else {
			reps = append(reps, sh.User)
		}
	}
	switch method {
	case enum.AllocationCapacity:
		if len(subs) > 0 {
			capacity, err := s.subTeamCapacity(ctx, client, *tt.TeamID, st, p)
			if err != nil {
				return nil, "", err
			}
			for i, sh := range shares {
				w[i] = capacity[sh.Team.ID]
			}
			break
		}
		for i, sh := range shares {
			w[i], _ = st.RampShare(monthsBetween(sh.User.HiredAt, p.Start))
		}
	case enum.AllocationHistory:
		var hist map[pulid.ID]float64
		var err error
		if len(subs) > 0 {
			hist, err = s.subTeamHistory(ctx, client, k, *tt.TeamID, subs, org, st, p)
		} else {
			hist, err = s.memberHistory(ctx, k, *tt.TeamID, reps, org, st, p)
		}
		if err != nil {
			return nil, "", err
		}
		any := false
		for i, sh := range shares {
			if !shares[i].Overridden && hist[sh.ID()] > 0 {
				any = true
			}
		}
		if !any {
			return w, enum.AllocationEqual, nil
		}
		for i, sh := range shares {
			w[i] = hist[sh.ID()]
		}
	}
	return w, method, nil
}

// subTeamCapacity is each direct sub-team's ramp-adjusted headcount: the
// sum of the ramp shares of the reps of the sub-team and the teams below
// it, keyed by the sub-team's ID.
func (s *Service) subTeamCapacity(ctx context.Context, client *ent.Client, teamID pulid.ID, st settings.Settings, p kpi.Period) (map[pulid.ID]float64, error) {
	below, err := descendants(ctx, client, teamID)
	if err != nil {
		return nil, err
	}
	out := map[pulid.ID]float64{}
	if len(below) == 0 {
		return out, nil
	}
	teams := make([]pulid.ID, 0, len(below))
	for id := range below {
		teams = append(teams, id)
	}
	reps, err := client.User.Query().Where(user.TeamIDIn(teams...), user.RoleEQ(user.RoleRep)).All(viewer.System(ctx))
	if err != nil {
		return nil, err
	}
	for _, m := range reps {
		share, _ := st.RampShare(monthsBetween(m.HiredAt, p.Start))
		out[below[*m.TeamID]] += share
	}
	return out, nil
}

// splitUnits divides total whole units (≥ 0) among weights (≥ 0, not all
// 0) so that the parts sum exactly to total, by the largest-remainder
// method: each part is the whole part of total × weight ÷ Σ weights,
// computed exactly; the units left over go one each to the parts with the
// largest fractional remainders, ties to the smaller ID.
func splitUnits(total int64, weights []float64, ids []pulid.ID) []int64 {
	sum := new(big.Rat)
	rats := make([]*big.Rat, len(weights))
	for i, w := range weights {
		rats[i] = new(big.Rat)
		if w > 0 && !math.IsInf(w, 0) {
			rats[i].SetFloat64(w)
		}
		sum.Add(sum, rats[i])
	}
	out := make([]int64, len(weights))
	if sum.Sign() == 0 { // no weight at all: equal parts
		for i := range rats {
			rats[i].SetInt64(1)
		}
		sum.SetInt64(int64(len(rats)))
	}
	fracs := make([]*big.Rat, len(weights))
	left := total
	for i, w := range rats {
		q := new(big.Rat).Mul(new(big.Rat).SetInt64(total), w)
		q.Quo(q, sum)
		whole := new(big.Int).Quo(q.Num(), q.Denom())
		out[i] = whole.Int64()
		fracs[i] = q.Sub(q, new(big.Rat).SetInt(whole))
		left -= out[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if c := fracs[order[a]].Cmp(fracs[order[b]]); c != 0 {
			return c > 0
		}
		return ids[order[a]] < ids[order[b]]
	})
	for j := 0; left > 0; j = (j + 1) % len(order) {
		out[order[j]]++
		left--
	}
	return out
}

// writeAllocation writes the drafts of an allocation, their CREATE_DRAFT
// events and first revisions: three statements whatever the team's size.
func (s *Service) writeAllocation(ctx context.Context, client *ent.Client, a *Allocation, p kpi.Period, actor pulid.ID) error {
	sys := viewer.System(ctx)
	tt := a.TeamTarget
	rationale := fmt.Sprintf("Allocated from the team's target by %s.", a.Applied)
	var creates []*ent.TargetCreate
	var drafted []int // the shares drafted, by index: not those kept
	for i, sh := range a.Shares {
		if sh.Kept {
			continue
		}
		drafted = append(drafted, i)
		how := rationale
		if sh.Overridden {
			how = "Allocated from the team's target (a value set by the manager)."
		}
		c := client.Target.Create().
			SetOrganizationID(tt.OrganizationID).SetKpiID(tt.KpiID).SetScopeKey(sh.scopeKey()).
			SetPeriodKind(tt.PeriodKind).SetPeriodYear(tt.PeriodYear).SetPeriodIndex(tt.PeriodIndex).
			SetPeriodStart(p.Start).SetPeriodEnd(p.End).
			SetValue(sh.Value).SetRationale(how).
			SetAllocationMethod(a.Applied).SetAllocatedFromID(tt.ID)
		if sh.Team != nil {
			// The sub-team's manager submits it, and allocates it in turn.
			proposer := actor
			if ms := sh.Team.Edges.Managers; len(ms) > 0 {
				proposer = ms[0].ID
			}
			c.SetTeamID(sh.Team.ID).SetProposerID(proposer)
		} else {
			c.SetUserID(sh.User.ID).SetProposerID(sh.User.ID)
		}
		creates = append(creates, c)
	}
	if len(creates) == 0 {
		return nil // every member keeps their open target
	}
	ts, err := client.Target.CreateBulk(creates...).Save(sys)
	if ent.IsConstraintError(err) {
		return errcode.New(errcode.Conflict, "a member of the team already has an open %s target for %s", a.KPI.Key, p.Label())
	}
	if err != nil {
		return err
	}
	events := make([]*ent.TargetEventCreate, len(ts))
	revisions := make([]*ent.TargetRevisionCreate, len(ts))
	for i, t := range ts {
		a.Shares[drafted[i]].Target = t
		// The edges at hand, so that reading the drafts' member, proposer,
		// KPI and team target costs no statement per draft.
		sh := a.Shares[drafted[i]]
		t.Edges.Kpi, t.Edges.AllocatedFrom = a.KPI, tt
		if sh.Team != nil {
			t.Edges.Team = sh.Team
			if ms := sh.Team.Edges.Managers; len(ms) > 0 {
				t.Edges.Proposer = ms[0]
			}
		} else {
			t.Edges.User, t.Edges.Proposer = sh.User, sh.User
		}
		events[i] = client.TargetEvent.Create().SetOrganizationID(t.OrganizationID).SetTargetID(t.ID).
			SetActorID(actor).SetAction(enum.ActionCreateDraft).SetFromStatus(enum.StatusDraft).
			SetToStatus(enum.StatusDraft).SetNewValue(t.Value).SetVersion(t.Version).SetComment(t.Rationale)
		revisions[i] = client.TargetRevision.Create().SetOrganizationID(t.OrganizationID).SetTargetID(t.ID).
			SetAuthorID(actor).SetValue(t.Value).SetAction(enum.ActionCreateDraft).SetComment(t.Rationale)
	}
	if err := client.TargetEvent.CreateBulk(events...).Exec(sys); err != nil {
		return err
	}
	if err := client.TargetRevision.CreateBulk(revisions...).Exec(sys); err != nil {
		return err
	}
	for range ts {
		transitions.WithLabelValues(string(enum.ActionCreateDraft)).Inc()
	}
	return nil
}

// Reconciliation is a team's target against its reps' targets and its
// sub-teams' team targets, for a KPI that adds up, in a period.
type Reconciliation struct {
	KPI        *ent.KPI
	TeamTarget *ent.Target
	// The sums of the members' targets by status: APPROVED (or CLOSED);
	// PROPOSED and CHANGES_REQUESTED; DRAFT. The members are the team's
	// reps, or for a team without reps its direct sub-teams (SubTeamsBasis).
	Approved, Proposed, Drafts float64
	SubTeamsBasis              bool
	Tolerance                  float64
	Members                    []ReconciledMember
	SubTeams                   []ReconciledTeam
	SubTeamsSum                float64
	subTeamTargets             int
	team                       *float64 // the team target's value, seen or not
}

// ReconciledMember is a rep's target beside their historical share.
type ReconciledMember struct {
	User   *ent.User
	Target *ent.Target
	// HistoricalShare is the rep's share of the reps' total value over the
	// comparable periods; nil when the total is 0.
	HistoricalShare *float64
}

// ReconciledTeam is a sub-team's team target beside its historical share.
type ReconciledTeam struct {
	Team   *ent.Team
	Target *ent.Target
	// HistoricalShare is the sub-team's share of the sub-teams' total
	// value over the comparable periods, as an allocation among sub-teams
	// by HISTORY weighs it; nil when the total is 0.
	HistoricalShare *float64
}

// ratio is a ÷ b, nil when b is 0 or there is no b.
func ratio(a float64, b *float64) *float64 {
	if b == nil || *b == 0 {
		return nil
	}
	r := a / *b
	return &r
}

func (r *Reconciliation) teamValue() *float64 { return r.team }

// Gap is the team target less the approved sum; nil without a team target.
func (r *Reconciliation) Gap() *float64 {
	t := r.teamValue()
	if t == nil {
		return nil
	}
	g := *t - r.Approved
	return &g
}

// Coverage is the approved sum ÷ the team target.
func (r *Reconciliation) Coverage() *float64 { return ratio(r.Approved, r.teamValue()) }

// OpenCoverage is the sum of every open rep target ÷ the team target.
func (r *Reconciliation) OpenCoverage() *float64 {
	return ratio(r.Approved+r.Proposed+r.Drafts, r.teamValue())
}

// Covered reports whether the approved sum is between the team target and
// the tolerance above it; nil without a team target.
func (r *Reconciliation) Covered() *bool {
	t := r.teamValue()
	if t == nil {
		return nil
	}
	c := covered(r.Approved, *t, r.Tolerance)
	return &c
}

// SubTeamsCoverage is the sub-teams' targets' sum ÷ the team target; nil
// without a team target or sub-team targets.
func (r *Reconciliation) SubTeamsCoverage() *float64 {
	if r.subTeamTargets == 0 {
		return nil
	}
	return ratio(r.SubTeamsSum, r.teamValue())
}

// Share is a target's value ÷ the team target.
func (r *Reconciliation) Share(t *ent.Target) *float64 {
	if t == nil {
		return nil
	}
	return ratio(t.Value, r.teamValue())
}

// covered is the inbox's rule: sum within [target, target × (1 + tolerance)].
// Minor units and whole units are integers, so the comparison is exact.
func covered(sum, teamTarget, tolerance float64) bool {
	return sum >= teamTarget && sum <= teamTarget*(1+tolerance)+1e-9
}

// Reconcile returns the reconciliation of a team's target for a KPI that
// adds up in a period (nil for another KPI): a fixed number of statements
// whatever the team's size (its reps, sub-teams, the targets of all of
// them, the targets the viewer sees of them, the reps' history, and with
// sub-teams the tree below them a level at a time and their history). The
// sums are of the reps' targets, or for a team without reps of its
// sub-teams' (SubTeamsBasis). The sums count
// every rep's target, whoever the viewer is, as the rollup's do; the
// targets returned are those the viewer may read.
func (s *Service) Reconcile(ctx context.Context, client *ent.Client, teamID pulid.ID, k *ent.KPI, p kpi.Period) (*Reconciliation, error) {
	if !allocatable(k) {
		return nil, nil
	}
	sys := viewer.System(ctx)
	org, _, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, err
	}
	st := settings.Of(org.Settings)
	reps, err := teamReps(ctx, client, teamID)
	if err != nil {
		return nil, err
	}
	subs, err := client.Team.Query().Where(entteam.ParentID(teamID)).Order(ent.Asc(entteam.FieldID)).All(sys)
	if err != nil {
		return nil, err
	}
	keys := []string{kpi.TeamScopeKey(teamID)}
	for _, m := range reps {
		keys = append(keys, kpi.UserScopeKey(m.ID))
	}
	for _, t := range subs {
		keys = append(keys, kpi.TeamScopeKey(t.ID))
	}
	all, err := client.Target.Query().Where(target.KpiID(k.ID), target.ScopeKeyIn(keys...),
		target.PeriodKindEQ(enum.PeriodKind(p.Kind)), target.PeriodYear(p.Year), target.PeriodIndex(p.Index),
		target.StatusIn(append(openStatuses, enum.StatusClosed)...)).
		Order(ent.Asc(target.FieldCreatedAt), ent.Asc(target.FieldID)).All(sys)
	if err != nil {
		return nil, err
	}
	ids := make([]pulid.ID, len(all))
	for i, t := range all {
		ids[i] = t.ID
	}
	seen := map[pulid.ID]bool{}
	if len(ids) > 0 {
		visible, err := client.Target.Query().Where(target.IDIn(ids...)).IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range visible {
			seen[id] = true
		}
	}
	// One target per scope: the open one, else the closed one.
	byScope := map[string]*ent.Target{}
	for _, t := range all {
		if cur, ok := byScope[t.ScopeKey]; !ok || (cur.Status == enum.StatusClosed && t.Status != enum.StatusClosed) {
			byScope[t.ScopeKey] = t
		}
	}
	show := func(t *ent.Target) *ent.Target {
		if t != nil && seen[t.ID] {
			return t
		}
		return nil
	}
	r := &Reconciliation{KPI: k, Tolerance: st.ReconciliationTolerance}
	if tt := byScope[kpi.TeamScopeKey(teamID)]; tt != nil {
		r.TeamTarget, r.team = tt, &tt.Value
	}
	hist, err := s.memberHistory(ctx, k, teamID, reps, org.ID, st, p)
	if err != nil {
		return nil, err
	}
	subHist, err := s.subTeamHistory(ctx, client, k, teamID, subs, org.ID, st, p)
	if err != nil {
		return nil, err
	}
	histTotal, subTotal := 0.0, 0.0
	for _, m := range reps {
		histTotal += hist[m.ID]
	}
	for _, t := range subs {
		subTotal += subHist[t.ID]
	}
	r.SubTeamsBasis = len(reps) == 0 && len(subs) > 0
	count := func(t *ent.Target) {
		switch t.Status {
		case enum.StatusApproved, enum.StatusClosed:
			r.Approved += t.Value
		case enum.StatusProposed, enum.StatusChangesRequested:
			r.Proposed += t.Value
		case enum.StatusDraft:
			r.Drafts += t.Value
		}
	}
	for _, m := range reps {
		t := byScope[kpi.UserScopeKey(m.ID)]
		if t != nil {
			count(t)
		}
		r.Members = append(r.Members, ReconciledMember{User: m, Target: show(t), HistoricalShare: ratio(hist[m.ID], &histTotal)})
	}
	for _, tm := range subs {
		t := byScope[kpi.TeamScopeKey(tm.ID)]
		if t != nil {
			r.SubTeamsSum += t.Value
			r.subTeamTargets++
			if r.SubTeamsBasis {
				count(t)
			}
		}
		r.SubTeams = append(r.SubTeams, ReconciledTeam{Team: tm, Target: show(t), HistoricalShare: ratio(subHist[tm.ID], &subTotal)})
	}
	if r.TeamTarget != nil && !seen[r.TeamTarget.ID] {
		r.TeamTarget = nil
	}
	return r, nil
}

// planningItems are the inbox's items of planning (DESIGN.md §6): the
// allocated drafts the viewer proposes (a rep's own, a sub-team manager's
// team draft), and, for a manager, the approved targets of the teams they
// manage, for periods not yet over, that their members' approved targets
// (the reps', or for a team without reps its sub-teams') do not cover
// (below the team target, or more than the organization's
// reconciliationTolerance above it). At most six statements, whatever the
// number of teams and reps.
func (s *Service) planningItems(ctx context.Context, client *ent.Client) ([]InboxItem, error) {
	v := viewer.FromContext(ctx)
	now := s.now()
	var items []InboxItem
	drafts, err := client.Target.Query().Where(target.ProposerID(v.UserID),
		target.StatusEQ(enum.StatusDraft), target.AllocatedFromIDNotNil(), target.PeriodEndGT(now)).
		Order(ent.Asc(target.FieldUpdatedAt), ent.Asc(target.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range drafts {
		items = append(items, InboxItem{Reason: SubmitAllocatedDraft, Target: t, Key: inboxKey(1, t.UpdatedAt, SubmitAllocatedDraft, t.ID)})
	}
	if v.Role != user.RoleManager {
		return items, nil
	}
	sc, err := v.Scope(ctx)
	if err != nil {
		return nil, err
	}
	if len(sc.Managed) == 0 {
		return items, nil
	}
	teamTargets, err := client.Target.Query().Where(target.TeamIDIn(sc.Managed...), target.StatusEQ(enum.StatusApproved),
		target.PeriodEndGT(now)).Order(ent.Asc(target.FieldUpdatedAt), ent.Asc(target.FieldID)).All(ctx)
	if err != nil || len(teamTargets) == 0 {
		return items, err
	}
	sys := viewer.System(ctx)
	var kpiIDs, teamIDs []pulid.ID
	for _, t := range teamTargets {
		kpiIDs, teamIDs = append(kpiIDs, t.KpiID), append(teamIDs, *t.TeamID)
	}
	ks, err := client.KPI.Query().Where(entkpi.IDIn(kpiIDs...)).All(sys)
	if err != nil {
		return nil, err
	}
	kpis := map[pulid.ID]*ent.KPI{}
	for _, k := range ks {
		kpis[k.ID] = k
	}
	reps, err := client.User.Query().Where(user.TeamIDIn(teamIDs...), user.RoleEQ(user.RoleRep)).All(sys)
	if err != nil {
		return nil, err
	}
	// The members whose approved targets cover a team's: its reps, or for
	// a team without reps its direct sub-teams (one more statement, only
	// when there is such a team).
	repTeam := map[string]pulid.ID{}
	keys := make([]string, len(reps))
	withReps := map[pulid.ID]bool{}
	for i, m := range reps {
		keys[i] = kpi.UserScopeKey(m.ID)
		repTeam[keys[i]] = *m.TeamID
		withReps[*m.TeamID] = true
	}
	var repless []pulid.ID
	for _, id := range teamIDs {
		if !withReps[id] {
			repless = append(repless, id)
		}
	}
	if len(repless) > 0 {
		subs, err := client.Team.Query().Where(entteam.ParentIDIn(repless...)).Select(entteam.FieldID, entteam.FieldParentID).All(sys)
		if err != nil {
			return nil, err
		}
		for _, t := range subs {
			key := kpi.TeamScopeKey(t.ID)
			keys = append(keys, key)
			repTeam[key] = *t.ParentID
		}
	}
	type slot struct {
		team, kpi pulid.ID
		kind      enum.PeriodKind
		year, idx int
	}
	sums := map[slot]float64{}
	if len(keys) > 0 {
		approved, err := client.Target.Query().Where(target.ScopeKeyIn(keys...), target.KpiIDIn(kpiIDs...),
			target.StatusIn(enum.StatusApproved, enum.StatusClosed), target.PeriodEndGT(now)).All(sys)
		if err != nil {
			return nil, err
		}
		for _, t := range approved {
			sums[slot{repTeam[t.ScopeKey], t.KpiID, t.PeriodKind, t.PeriodYear, t.PeriodIndex}] += t.Value
		}
	}
	org, _, err := kpi.Organization(ctx, client)
	if err != nil {
		return nil, err
	}
	tol := settings.Of(org.Settings).ReconciliationTolerance
	for _, t := range teamTargets {
		k := kpis[t.KpiID]
		if k == nil || !allocatable(k) {
			continue
		}
		sum := sums[slot{*t.TeamID, t.KpiID, t.PeriodKind, t.PeriodYear, t.PeriodIndex}]
		if !covered(sum, t.Value, tol) {
			items = append(items, InboxItem{Reason: TeamTargetUncovered, Target: t, Key: inboxKey(1, t.UpdatedAt, TeamTargetUncovered, t.ID)})
		}
	}
	return items, nil
}
