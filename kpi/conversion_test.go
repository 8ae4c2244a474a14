package kpi_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"kpiflow/apitest"
	"kpiflow/ent"
	"kpiflow/ent/deal"
	"kpiflow/ent/meeting"
	"kpiflow/ent/schema/pulid"
	"kpiflow/ent/user"
	"kpiflow/kpi"
	"kpiflow/kpi/definition"
)

// The meeting conversion rate is the share of the meetings held whose deal
// was won, never above 100%, on a record counted by hand (the calendar
// year in UTC; everything in 2026 Q3):
//
//	x: meeting M1 (held) of won deal D1; won deal D2 has no meeting: two
//	   deals from one meeting.
//	y: M2 (held, no deal), M3 (held) of lost D3, M4 (held) of open D4,
//	   M5 (held) and M6 (held) of won D5, M7 (cancelled) of won D5, and
//	   M8 (held in Q2) of won D5.
//	z: moved from team T to team U after holding M9 (held, of won D6) in T;
//	   then holds M10 (held, no deal) in U.
func TestMeetingConversionIsBounded(t *testing.T) {
	for _, b := range apitest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			st := apitest.OpenStore(t, b)
			ctx := apitest.Sys()
			c := st.Client
			org := c.Organization.Create().SetName("Acme").SetCurrency("USD").SetTimezone("UTC").
				SetFiscalYearStartMonth(1).SaveX(ctx)
			teamT := c.Team.Create().SetOrganizationID(org.ID).SetName("T").SaveX(ctx)
			teamU := c.Team.Create().SetOrganizationID(org.ID).SetName("U").SaveX(ctx)
			rep := func(email string, team *ent.Team) *ent.User {
				return c.User.Create().SetOrganizationID(org.ID).SetEmail(email).SetName(email).
					SetPasswordHash("x").SetRole(user.RoleRep).SetTeamID(team.ID).SaveX(ctx)
			}
			x, y, z := rep("x@acme.test", teamT), rep("y@acme.test", teamT), rep("z@acme.test", teamT)
			at := func(s string) time.Time {
				v, err := time.Parse(time.RFC3339, s)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			newDeal := func(owner *ent.User, stage deal.Stage) pulid.ID {
				d := c.Deal.Create().SetOwnerID(owner.ID).SetName("d").SetCustomerName("c").SetAmount(1000).
					SetStage(stage).SetOpenedAt(at("2026-06-01T00:00:00Z"))
				if stage == deal.StageWon || stage == deal.StageLost {
					d.SetClosedAt(at("2026-08-01T00:00:00Z"))
				}
				return d.SaveX(ctx).ID
			}
			newMeeting := func(owner *ent.User, status meeting.Status, when string, dealID pulid.ID) {
				m := c.Meeting.Create().SetOwnerID(owner.ID).SetKind(meeting.KindDemo).SetStatus(status).
					SetScheduledAt(at(when))
				if dealID != "" {
					m.SetDealID(dealID)
				}
				m.SaveX(ctx)
			}
			d1 := newDeal(x, deal.StageWon)
			newDeal(x, deal.StageWon) // D2, of no meeting
			newMeeting(x, meeting.StatusHeld, "2026-07-02T10:00:00Z", d1)
			d3, d4, d5 := newDeal(y, deal.StageLost), newDeal(y, deal.StageProspecting), newDeal(y, deal.StageWon)
			newMeeting(y, meeting.StatusHeld, "2026-07-03T10:00:00Z", "")
			newMeeting(y, meeting.StatusHeld, "2026-07-04T10:00:00Z", d3)
			newMeeting(y, meeting.StatusHeld, "2026-07-05T10:00:00Z", d4)
			newMeeting(y, meeting.StatusHeld, "2026-07-06T10:00:00Z", d5)
			newMeeting(y, meeting.StatusHeld, "2026-07-07T10:00:00Z", d5)
			newMeeting(y, meeting.StatusCancelled, "2026-07-08T10:00:00Z", d5)
			newMeeting(y, meeting.StatusHeld, "2026-06-20T10:00:00Z", d5)
			d6 := newDeal(z, deal.StageWon)
			newMeeting(z, meeting.StatusHeld, "2026-07-09T10:00:00Z", d6)
			c.User.UpdateOne(z).SetTeamID(teamU.ID).ExecX(ctx)
			newMeeting(z, meeting.StatusHeld, "2026-07-10T10:00:00Z", "")

			cal, err := kpi.NewCalendar(1, "UTC")
			if err != nil {
				t.Fatal(err)
			}
			q3, err := cal.Period(kpi.PeriodQuarter, 2026, 3)
			if err != nil {
				t.Fatal(err)
			}
			var conversion kpi.KPI
			for _, bi := range definition.Builtins {
				if bi.Key == "MEETING_CONVERSION_RATE" {
					conversion = kpi.KPI{Key: bi.Key, Unit: bi.Unit, Definition: bi.Definition}
				}
			}
			old := kpi.KPI{Key: "OLD", Unit: definition.Percent, Definition: definition.Retired[0].Definition}
			e := kpi.Engine{DB: st.DB, Dialect: st.Dialect}
			for _, tc := range []struct {
				what     string
				scope    kpi.Scope
				want     string // the share of held meetings whose deal was won
				wantOld  string // deals won per 100 meetings held
				heldWith string
			}{
				{"x", kpi.Scope{Org: org.ID, Owner: x.ID}, "100.0000", "200.0000", "1 of 1"},
				{"y", kpi.Scope{Org: org.ID, Owner: y.ID}, "40.0000", "20.0000", "2 of 5: M5, M6"},
				{"z", kpi.Scope{Org: org.ID, Owner: z.ID}, "50.0000", "50.0000", "1 of 2"},
				{"T", kpi.Scope{Org: org.ID, Teams: []pulid.ID{teamT.ID}}, "57.1429", "57.1429", "4 of 7: M1, M5, M6, M9"},
				{"U", kpi.Scope{Org: org.ID, Teams: []pulid.ID{teamU.ID}}, "0.0000", "0.0000", "0 of 1: M10"},
				{"Acme", kpi.Scope{Org: org.ID}, "50.0000", "50.0000", "4 of 8"},
			} {
				got, err := e.Compute(context.Background(), tc.scope, []kpi.KPI{conversion, old}, []kpi.Period{q3})
				if err != nil {
					t.Fatal(err)
				}
				v := got[conversion.Key][0]
				if s := fmt.Sprintf("%.4f", v.Float); !v.Defined || s != tc.want {
					t.Errorf("%s: conversion %s (%+v), want %s (%s)", tc.what, s, v, tc.want, tc.heldWith)
				}
				if v.Float < 0 || v.Float > 100 {
					t.Errorf("%s: conversion %v is not a percentage", tc.what, v.Float)
				}
				if s := fmt.Sprintf("%.4f", got["OLD"][0].Float); s != tc.wantOld {
					t.Errorf("%s: deals per 100 meetings %s, want %s", tc.what, s, tc.wantOld)
				}
			}
		})
	}
}
