package graph_test

import (
	"fmt"
	"testing"

	"kpiflow/apitest"
	"kpiflow/ent/deal"
	"kpiflow/graph"
)

// TestExternalIDProbesAreBounded: a rep learns that an external ID is taken
// by a deal out of their sight (CONFLICT, nothing more), at most
// graph.ProbeBurst times; then writes that set external IDs are
// RATE_LIMITED, through createDeal and importDeals alike, while other writes
// go on. Another organization's external IDs never conflict.
func TestExternalIDProbesAreBounded(t *testing.T) {
	apitest.Each(t, func(t *testing.T, s *apitest.Server) {
		w := newWorld(t, s)
		s.Client.Deal.UpdateOneID(w.ids["dealB"]).SetExternalID("crm-B").ExecX(apitest.Sys())
		s.Client.Deal.UpdateOneID(w.ids["dealG"]).SetExternalID("crm-G").ExecX(apitest.Sys())
		rep := s.As(t, w.users["repA"])
		create := func(ext string) map[string]any {
			in := map[string]any{"ownerID": w.ids["repA"], "name": "N", "customerName": "C", "amount": "1.00"}
			if ext != "" {
				in["externalID"] = ext
			}
			return map[string]any{"input": in}
		}
		// Another organization's external ID is free here.
		rep.MustQuery(t, createDeal, create("crm-G"), nil)
		for i := range graph.ProbeBurst {
			e := rep.MustFail(t, "CONFLICT", createDeal, create("crm-B"))
			if i == 0 && e.Message != "conflicts with an existing record (a unique value is already taken)" {
				t.Errorf("the conflict tells more than that: %q", e.Message)
			}
		}
		e := rep.MustFail(t, "RATE_LIMITED", createDeal, create("crm-B"))
		if e.Extensions["retryAfter"] == nil {
			t.Errorf("no retryAfter: %+v", e)
		}
		rep.MustFail(t, "RATE_LIMITED", createDeal, create("crm-new"))
		rows := []map[string]any{{"externalId": "crm-2", "ownerEmail": "repA@example.test", "name": "N", "customerName": "C",
			"amount": "1.00", "stage": "PROSPECTING", "openedAt": "2026-01-05T00:00:00Z"}}
		rep.MustFail(t, "RATE_LIMITED", `mutation($rows: [ImportDealRow!]!) { importDeals(input: {rows: $rows}) { created } }`,
			map[string]any{"rows": rows})
		rep.MustQuery(t, createDeal, create(""), nil) // without an external ID
		if n := s.Client.Deal.Query().Where(deal.ExternalIDIn("crm-new", "crm-2")).CountX(apitest.Sys()); n != 0 {
			t.Errorf("%d deals written while rate limited", n)
		}

		// One import cannot test more than the budget: 21 taken IDs refuse
		// the call, which changes nothing.
		rep2 := s.As(t, w.users["repA2"])
		var many []map[string]any
		for i := range graph.ProbeBurst + 1 {
			ext := fmt.Sprintf("crm-hidden-%d", i)
			s.Client.Deal.Create().SetOwnerID(w.ids["repB"]).SetTeamID(w.ids["B"]).SetName("h").SetCustomerName("C").
				SetAmount(1).SetExternalID(ext).ExecX(apitest.Sys())
			many = append(many, map[string]any{"externalId": ext, "ownerEmail": "repA2@example.test", "name": "N",
				"customerName": "C", "amount": "1.00", "stage": "PROSPECTING", "openedAt": "2026-01-05T00:00:00Z"})
		}
		many = append(many, map[string]any{"externalId": "crm-fresh", "ownerEmail": "repA2@example.test", "name": "N",
			"customerName": "C", "amount": "1.00", "stage": "PROSPECTING", "openedAt": "2026-01-05T00:00:00Z"})
		rep2.MustFail(t, "RATE_LIMITED", `mutation($rows: [ImportDealRow!]!) { importDeals(input: {rows: $rows}) { created } }`,
			map[string]any{"rows": many})
		if n := s.Client.Deal.Query().Where(deal.ExternalID("crm-fresh")).CountX(apitest.Sys()); n != 0 {
			t.Errorf("a refused import wrote %d deals", n)
		}
	})
}
