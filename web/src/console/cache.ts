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
//   of a field with the same filter and order (its keyArgs). The fields and
//   their keyArgs are generated from the schema (generated/connections.json,
//   by scripts/connections.mjs), so every connection has its policy.
// - Value objects without an id are stored in their parent; merge: true lets
//   a newer read replace them without a warning.
import { InMemoryCache, type TypePolicies } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import connections from "./generated/connections.json";
import introspection from "./generated/possibleTypes.json";

// connectionPolicies: Relay-style pagination for each connection field of
// the schema, keyed by its filter and order arguments.
export function connectionPolicies(): TypePolicies {
  const policies: TypePolicies = {};
  for (const [key, args] of Object.entries(connections as Record<string, string[]>)) {
    const [type, field] = key.split(".");
    const p = (policies[type] ??= { fields: {} });
    p.fields![field] = relayStylePagination(args.length ? args : false);
  }
  return policies;
}

export function consoleCache() {
  return new InMemoryCache({
    possibleTypes: introspection.possibleTypes,
    typePolicies: {
      ...connectionPolicies(),
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
