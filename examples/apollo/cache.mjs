// Apollo Client's cache for kpiflow: what the API needs of it, in one place
// (README "For SPA authors" shows it; web/e2e/apollo.test.mjs checks it
// against the served schema).
//
// - possibleTypes: the types of each interface and union, so that fragments
//   on Node (or any interface) match. Generated from the served SDL by the
//   codegen recipe (codegen.yml writes generated/possibleTypes.json).
// - Every object with an identity implements Node with a global `id`:
//   Apollo's default key (`__typename:id`) is right for all of them, so no
//   keyFields are needed. Scorecards, KPI results, rollups, trends, history
//   points and inbox items have ids derived from what they are (scope, KPI,
//   period), so a result read in one view is the same cache entry in another.
// - Every list is a Relay connection: relayStylePagination merges the pages
//   of a field with the same filter and order (its keyArgs) into one list.
// - Value objects without an id (Money, KPIValue, Period, PageInfo, ...) are
//   stored inside their parent; `merge: true` lets a newer read replace them
//   without a warning.
import { InMemoryCache } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";

// The filter and order of a connection field: a page of other arguments
// is a different list.
const page = () => relayStylePagination(["where", "orderBy"]);

export const typePolicies = {
  Query: {
    fields: {
      deals: page(),
      // The viewer's inbox: one list, whatever page was asked.
      inbox: relayStylePagination(),
      kpis: page(),
      meetings: page(),
      organizations: page(),
      reviewCycles: page(),
      targets: page(),
      teams: page(),
      users: page(),
    },
  },
  Deal: { fields: { meetings: page() } },
  ReviewCycle: { fields: { items: page() } },
  Target: { fields: { allocations: page(), events: page(), revisions: page() } },
  Team: { fields: { children: page(), managers: page(), members: page(), deals: page() } },
  User: { fields: { deals: page(), managedTeams: page(), meetings: page() } },
  Money: { merge: true },
  Period: { merge: true },
  PageInfo: { merge: true },
};

export function kpiflowCache(possibleTypes) {
  return new InMemoryCache({ possibleTypes, typePolicies });
}
