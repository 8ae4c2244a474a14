package graph_test

import (
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/reviewcycle"
	"kpiflow/ent/reviewitem"
	"kpiflow/ent/target"
	"kpiflow/enum"
	"kpiflow/kpi"
	"kpiflow/workflow"
)

const settingsQuery = `{ viewer { organization { settings {
	realism { belowBaseline realistic stretch bestEverFactor comparablePeriods }
	status { onTrack atRisk } closeGraceHours rampSchedule rampedAfterMonths
	review { change minElapsed } minSamples { kpi { key } minSample } } } } }`

type settingsJSON struct {
	Realism struct {
		BelowBaseline, Realistic, Stretch, BestEverFactor float64
		ComparablePeriods                                 int
	}
	Status            struct{ OnTrack, AtRisk float64 }
	CloseGraceHours   int
	RampSchedule      []float64
	RampedAfterMonths int
	Review            struct{ Change, MinElapsed float64 }
	MinSamples        []struct {
		Kpi       struct{ Key string }
		MinSample int
	}
}

func readSettings(t *testing.T, c *apitest.Server) settingsJSON {
	t.Helper()
	var r struct {
		Viewer struct {
			Organization struct{ Settings settingsJSON }
		}
	}
	c.MustQuery(t, settingsQuery, nil, &r)
	return r.Viewer.Organization.Settings
}

const updateSettings = `mutation($in: UpdateOrganizationSettingsInput!) { updateOrganizationSettings(input: $in) {
	organization { settings { realism { realistic } } } } }`

// Every member reads the organization's settings, the defaults of DESIGN.md
// until an ADMIN changes them; only an ADMIN changes them.
func TestOrganizationSettingsDefaultsAndUpdate(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		for _, u := range []*ent.User{w.r1, w.mE, w.adm} {
			got := readSettings(t, s.As(t, u))
			if got.Realism.BelowBaseline != 0.9 || got.Realism.Realistic != 1.2 || got.Realism.Stretch != 1.5 ||
				got.Realism.BestEverFactor != 1.2 || got.Realism.ComparablePeriods != 4 ||
				got.Status.OnTrack != 1 || got.Status.AtRisk != 0.85 || got.CloseGraceHours != 72 ||
				len(got.RampSchedule) != 4 || got.RampSchedule[0] != 0.25 || got.RampSchedule[3] != 1 || got.RampedAfterMonths != 3 ||
				got.Review.Change != 0.2 || got.Review.MinElapsed != 0.25 {
				t.Errorf("%s reads %+v, want the defaults", u.Email, got)
			}
			if len(got.MinSamples) != 7 {
				t.Errorf("%s: %d KPIs with their minimum samples, want the 7 built-ins", u.Email, len(got.MinSamples))
			}
		}
		in := map[string]any{"realism": map[string]any{"realistic": 1.3, "comparablePeriods": 6},
			"status": map[string]any{"atRisk": 0.8}, "closeGraceHours": 24, "rampSchedule": []float64{0.5, 1},
			"review": map[string]any{"minElapsed": 0.1}}
		for _, u := range []*ent.User{w.r1, w.mE} {
			s.As(t, u).MustFail(t, "FORBIDDEN", updateSettings, map[string]any{"in": in})
		}
		if got := readSettings(t, s.As(t, w.r1)); got.Realism.Realistic != 1.2 {
			t.Errorf("a refused update changed the settings: %+v", got)
		}
		s.As(t, w.adm).MustQuery(t, updateSettings, map[string]any{"in": in}, nil)
		got := readSettings(t, s.As(t, w.r1))
		if got.Realism.Realistic != 1.3 || got.Realism.ComparablePeriods != 6 || got.Realism.Stretch != 1.5 ||
			got.Status.AtRisk != 0.8 || got.Status.OnTrack != 1 || got.CloseGraceHours != 24 ||
			len(got.RampSchedule) != 2 || got.RampedAfterMonths != 1 || got.Review.MinElapsed != 0.1 || got.Review.Change != 0.2 {
			t.Errorf("after the update: %+v", got)
		}
		s.As(t, w.adm).MustQuery(t, updateSettings, map[string]any{"in": map[string]any{"resetToDefaults": true}}, nil)
		if got := readSettings(t, s.As(t, w.r1)); got.Realism.Realistic != 1.2 || got.CloseGraceHours != 72 || len(got.RampSchedule) != 4 {
			t.Errorf("after the reset: %+v", got)
		}
	})
}

// Every setting is checked, alone and against the others; a refused update
// names the field and changes nothing.
func TestOrganizationSettingsValidation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		adm := s.As(t, w.adm)
		realism := func(k string, v any) map[string]any { return map[string]any{"realism": map[string]any{k: v}} }
		status := func(k string, v any) map[string]any { return map[string]any{"status": map[string]any{k: v}} }
		review := func(k string, v any) map[string]any { return map[string]any{"review": map[string]any{k: v}} }
		for _, c := range []struct {
			field string
			in    map[string]any
		}{
			{"realism.belowBaseline", realism("belowBaseline", 0)},
			{"realism.belowBaseline", realism("belowBaseline", -0.5)},
			{"realism.belowBaseline", realism("belowBaseline", 1.05)},
			{"realism.realistic", realism("realistic", 0.95)},
			{"realism.stretch", realism("stretch", 1.2)}, // not above realistic
			{"realism.stretch", realism("stretch", 1.1)},
			{"realism.stretch", realism("stretch", 101)},
			{"realism.bestEverFactor", realism("bestEverFactor", 0.99)},
			{"realism.bestEverFactor", realism("bestEverFactor", 1000)},
			{"realism.comparablePeriods", realism("comparablePeriods", 0)},
			{"realism.comparablePeriods", realism("comparablePeriods", 25)},
			{"status.onTrack", status("onTrack", 0)},
			{"status.onTrack", status("onTrack", 1000)},
			{"status.atRisk", status("atRisk", 0)},
			{"status.atRisk", status("atRisk", 1)}, // not below onTrack
			{"status.atRisk", status("atRisk", 1.2)},
			{"closeGraceHours", map[string]any{"closeGraceHours": -1}},
			{"closeGraceHours", map[string]any{"closeGraceHours": 745}},
			{"rampSchedule", map[string]any{"rampSchedule": []float64{}}},
			{"rampSchedule", map[string]any{"rampSchedule": []float64{0, 1}}},
			{"rampSchedule", map[string]any{"rampSchedule": []float64{0.5, 0.4, 1}}},
			{"rampSchedule", map[string]any{"rampSchedule": []float64{0.5, 0.9}}},
			{"rampSchedule", map[string]any{"rampSchedule": []float64{1.5, 1}}},
			{"rampSchedule", map[string]any{"rampSchedule": make([]float64, 37)}},
			{"review.change", review("change", 0)},
			{"review.change", review("change", 1)},
			{"review.minElapsed", review("minElapsed", -0.1)},
			{"review.minElapsed", review("minElapsed", 1)},
		} {
			e := adm.MustFail(t, "BAD_USER_INPUT", updateSettings, map[string]any{"in": c.in})
			if e.Extensions["field"] != c.field {
				t.Errorf("%v: field %v, want %s (%s)", c.in, e.Extensions["field"], c.field, e.Message)
			}
		}
		// Fields valid alone are checked together: a stretch below the
		// realistic bound given in the same update.
		e := adm.MustFail(t, "BAD_USER_INPUT", updateSettings, map[string]any{"in": map[string]any{
			"realism": map[string]any{"realistic": 2, "stretch": 1.8}}})
		if e.Extensions["field"] != "realism.stretch" {
			t.Errorf("stretch below realistic: field %v", e.Extensions["field"])
		}
		got := readSettings(t, adm)
		if got.Realism.Realistic != 1.2 || got.Realism.Stretch != 1.5 || got.CloseGraceHours != 72 || len(got.RampSchedule) != 4 {
			t.Errorf("refused updates changed the settings: %+v", got)
		}
		if o := s.Client.Organization.GetX(apitest.Sys(), w.org.ID); o.Settings != nil {
			t.Errorf("refused updates stored settings: %+v", o.Settings)
		}
	})
}

// A changed threshold changes the behaviour it governs: the band of a
// proposal, the status of a pace, when a period's targets close, and what
// a review suggests.
func TestOrganizationSettingsGovernTheirRules(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newKPIWorld(t, s)
		sys := apitest.Sys()
		s.Client.User.UpdateOne(w.r1).SetHiredAt(utc("2025-01-01T05:00:00Z")).ExecX(sys)
		adm := s.As(t, w.adm)
		update := func(in map[string]any) {
			t.Helper()
			adm.MustQuery(t, updateSettings, map[string]any{"in": in}, nil)
		}
		dealsClosed := w.kpiID(t, "DEALS_CLOSED")

		// Band. r1's DEALS_CLOSED in the four completed quarters before
		// FY2027 Q4: 1 (d8), 2 (d1, d2), 1 (d5), 0, weighted 1-4: a
		// baseline of 8/10 = 0.8. A proposal of 1 is 1.25 of it: STRETCH
		// by default, REALISTIC once realistic reaches 1.3.
		band := func() (string, *kpiNumber) {
			var r struct {
				AssessTarget struct {
					Band     string
					Expected *kpiNumber
				}
			}
			s.As(t, w.r1).MustQuery(t, `query($kpi: ID!, $user: ID!) { assessTarget(kpi: $kpi, scope: {userID: $user},
				period: {label: "FY2027 Q4"}, value: "1") { band expected { value } } }`,
				map[string]any{"kpi": dealsClosed, "user": w.r1.ID}, &r)
			return r.AssessTarget.Band, r.AssessTarget.Expected
		}
		if b, e := band(); b != "STRETCH" || !near(e, 0.8) {
			t.Errorf("default band %s expected %v, want STRETCH and 0.8", b, e)
		}
		update(map[string]any{"realism": map[string]any{"realistic": 1.3}})
		if b, _ := band(); b != "REALISTIC" {
			t.Errorf("band with realistic 1.3: %s, want REALISTIC", b)
		}

		// Status. r1's approved target of 2 for FY2027 Q4 (1 November 2026
		// to 1 February 2027 in New York), one deal won on 10 November; on
		// 28 November 12:00 UTC (apitest.Now) 27.33 of the quarter's 92.04
		// days have gone: a pace of 1 / (2 × 0.297) = 1.68. ON_TRACK by
		// default; AT_RISK when on track needs 2 and at risk 1.5.
		s.Client.Deal.Create().SetOwnerID(w.r1.ID).SetName("n").SetCustomerName("c").SetAmount(100).
			SetStage(deal.StageWon).SetOpenedAt(utc("2026-11-02T00:00:00Z")).SetClosedAt(utc("2026-11-10T00:00:00Z")).ExecX(sys)
		q4Start, q4End := utc("2026-11-01T04:00:00Z"), utc("2027-02-01T05:00:00Z")
		approved := func(start, end time.Time, year, index int) *ent.Target {
			return s.Client.Target.Create().SetOrganizationID(w.org.ID).SetKpiID(dealsClosed).SetUserID(w.r1.ID).
				SetScopeKey("user:" + string(w.r1.ID)).SetPeriodKind(enum.PeriodQuarter).SetPeriodYear(year).
				SetPeriodIndex(index).SetPeriodStart(start).SetPeriodEnd(end).SetValue(2).SetStatus(enum.StatusApproved).
				SetVersion(3).SetProposerID(w.r1.ID).SetApproverID(w.mE.ID).SaveX(sys)
		}
		approved(q4Start, q4End, 2027, 4)
		status := func() string {
			var r struct {
				Scorecard struct {
					Results []struct {
						Kpi    struct{ Key string }
						Pace   *float64
						Status *string
					}
				}
			}
			s.As(t, w.r1).MustQuery(t, `query($u: ID!) { scorecard(scope: {userID: $u}, period: {label: "FY2027 Q4"}) {
				results { kpi { key } pace status } } }`, map[string]any{"u": w.r1.ID}, &r)
			for _, res := range r.Scorecard.Results {
				if res.Kpi.Key == "DEALS_CLOSED" && res.Status != nil {
					pace := 1 / (2 * (apitest.Now.Sub(q4Start).Hours() / q4End.Sub(q4Start).Hours()))
					if !near(res.Pace, pace) {
						t.Errorf("pace %v, want %v", *res.Pace, pace)
					}
					return *res.Status
				}
			}
			return ""
		}
		if st := status(); st != "ON_TRACK" {
			t.Errorf("default status %s, want ON_TRACK", st)
		}
		update(map[string]any{"status": map[string]any{"onTrack": 2, "atRisk": 1.5}})
		if st := status(); st != "AT_RISK" {
			t.Errorf("status with onTrack 2, atRisk 1.5: %s, want AT_RISK", st)
		}

		// Close. An approved target of FY2027 Q3, which ended on 1
		// November 04:00 UTC: a day later it is still within the default
		// grace of 72 hours; with a grace of 12 hours it closes.
		q3 := approved(utc("2026-08-01T04:00:00Z"), q4Start, 2027, 3)
		engine := kpi.Engine{DB: s.Client, Dialect: s.Store.Dialect}
		dayAfter := workflow.NewServiceAt(engine, func() time.Time { return q4Start.Add(24 * time.Hour) })
		if n, err := dayAfter.ClosePeriods(sys, s.Client, w.org.ID); err != nil || n != 0 {
			t.Errorf("a day after the period, within 72 hours of grace: closed %d (%v), want 0", n, err)
		}
		update(map[string]any{"closeGraceHours": 12})
		if n, err := dayAfter.ClosePeriods(sys, s.Client, w.org.ID); err != nil || n != 1 {
			t.Errorf("a day after the period, with 12 hours of grace: closed %d (%v), want 1", n, err)
		}
		if tg := s.Client.Target.GetX(sys, q3.ID); tg.Status != enum.StatusClosed {
			t.Errorf("the Q3 target is %s", tg.Status)
		}

		// Suggestion. East reviews weekly; at Monday 23 November (05:00
		// UTC) 22.04 of Q4's 92.04 days have gone (23.9%): too early to
		// change by default (25%), so KEEP. From 20%, r1's 1 deal projects
		// to 1 / 0.239 = 4.18 of a target of 2: RAISE to 4.
		s.Client.Team.UpdateOne(w.east).SetReviewCadence(enum.CadenceWeekly).ExecX(sys)
		point := utc("2026-11-23T05:00:00Z")
		suggestion := func() (reviewitem.SuggestedAction, *float64) {
			t.Helper()
			svc := workflow.NewServiceAt(engine, func() time.Time { return point })
			if _, err := svc.OpenReviews(sys, s.Client, w.org.ID, point); err != nil {
				t.Fatal(err)
			}
			c := s.Client.ReviewCycle.Query().Where(reviewcycle.TeamID(w.east.ID)).OnlyX(sys)
			it := s.Client.ReviewItem.Query().Where(reviewitem.CycleID(c.ID)).OnlyX(sys)
			s.Client.ReviewItem.DeleteOne(it).ExecX(sys)
			s.Client.ReviewCycle.DeleteOne(c).ExecX(sys)
			return it.SuggestedAction, it.SuggestedValue
		}
		if a, v := suggestion(); a != reviewitem.SuggestedActionKEEP || v != nil {
			t.Errorf("default suggestion %s %v, want KEEP", a, v)
		}
		update(map[string]any{"review": map[string]any{"minElapsed": 0.2}})
		if a, v := suggestion(); a != reviewitem.SuggestedActionRAISE || !near(v, 4) {
			t.Errorf("suggestion from 20%%: %s %v, want RAISE to 4", a, v)
		}
		// Against a target of 4 the projection of 4.18 is 104.5%: within
		// 20%, KEEP; beyond a change of 4%, RAISE.
		s.Client.Target.Update().Where(target.UserID(w.r1.ID), target.PeriodIndex(4)).SetValue(4).ExecX(sys)
		if a, v := suggestion(); a != reviewitem.SuggestedActionKEEP {
			t.Errorf("suggestion at 104.5%% of the target: %s %v, want KEEP", a, v)
		}
		update(map[string]any{"review": map[string]any{"change": 0.04}})
		if a, v := suggestion(); a != reviewitem.SuggestedActionRAISE || !near(v, 4) {
			t.Errorf("suggestion at 104.5%% with a change of 4%%: %s %v, want RAISE to 4", a, v)
		}
	})
}
