// The console's Apollo cache: the approach of examples/apollo/cache.mjs (the
// cache every SPA author is shown), for the fields the console reads.
//
// - possibleTypes from the SDL (codegen's fragment-matcher), so fragments on
//   Node match.
// - Every object with an identity implements Node with a global id: the
//   default key (__typename:id) is right, no keyFields. Scorecards, KPI
//   results, trends, history points and inbox items have ids derived from
//   what they are, so a result read on one screen is the same entry on another.
// - Every list is a Relay connection: relayStylePagination merges the pages
//   of a field with the same filter and order (its keyArgs).
// - Value objects without an id are stored in their parent; merge: true lets
//   a newer read replace them without a warning.
import { InMemoryCache } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import introspection from "./generated/possibleTypes.json";

const page = () => relayStylePagination(["where", "orderBy"]);

export function consoleCache() {
  return new InMemoryCache({
    possibleTypes: introspection.possibleTypes,
    typePolicies: {
      Query: {
        fields: {
          inbox: relayStylePagination(),
          kpis: page(),
          reviewCycles: page(),
          targets: page(),
          teams: page(),
          users: page(),
        },
      },
      ReviewCycle: { fields: { items: page() } },
      Target: { fields: { allocations: page(), events: page(), revisions: page() } },
      Team: { fields: { children: page(), managers: page(), members: page() } },
      User: { fields: { managedTeams: page() } },
      Money: { merge: true },
      OrganizationSettings: { merge: true },
      RealismSettings: { merge: true },
      StatusSettings: { merge: true },
      ReviewSuggestionSettings: { merge: true },
      Period: { merge: true },
      KPIValue: { merge: true },
      PageInfo: { merge: true },
    },
  });
}
