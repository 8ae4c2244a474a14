// The served schema read as an SPA's tools read it: graphql-js builds it
// from /graphql/schema.graphql and from introspection, and the rules an
// SPA relies on are checked over every type and field of it, so that a
// type added later is held to them without editing this file.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isEnumType,
  isInterfaceType,
  isListType,
  isObjectType,
  isScalarType,
  lexicographicSortSchema,
  printSchema,
} from "graphql";

const base = process.env.KPIFLOW_URL;

async function servedSchema() {
  assert.ok(base, "KPIFLOW_URL names the server (scripts/e2e.sh sets it)");
  const res = await fetch(`${base}/graphql/schema.graphql`);
  assert.equal(res.status, 200);
  return buildSchema(await res.text());
}

async function introspectedSchema() {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return buildClientSchema(body.data);
}

// objectFields yields every field of every object and interface type but
// the introspection types.
function* objectFields(schema) {
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const field of Object.values(type.getFields())) yield [type, field];
  }
}

const isConnection = (name) => name.endsWith("Connection");
const isEdge = (name) => name.endsWith("Edge");
const operationTypes = new Set(["Query", "Mutation", "Subscription"]);

test("introspection and the served SDL are the same schema", async () => {
  const served = printSchema(lexicographicSortSchema(await servedSchema()));
  const introspected = printSchema(lexicographicSortSchema(await introspectedSchema()));
  assert.equal(introspected, served);
});

// Money travels as Money (amount and currency) or as a Decimal string:
// never as a GraphQL number. A KPI's values are KPIValue, whose `value` is
// a Decimal and whose `number` is the one Float a chart plots.
const moneyName = /amount|revenue|price|money|sum|baseline|expected|proposed|projection|bestever|actual|median|value/i;
// Unit-less numbers whose names match the pattern above: a ratio says so
// in its description; the others are listed here.
const unitless = new Map([
  ["KPIValue.number", "the KPI value as a number, for charts (its exact form is value)"],
  ["Deal.cycleDays", "one deal's sales cycle, named with its unit"],
]);

test("no money or KPI value is a GraphQL number", async () => {
  const schema = await servedSchema();
  const bad = [];
  for (const [type, field] of objectFields(schema)) {
    const named = getNamedType(field.type);
    if (!isScalarType(named) || !["Int", "Float"].includes(named.name)) continue;
    const key = `${type.name}.${field.name}`;
    if (named.name === "Float" && /\bratios?\b/i.test(field.description ?? "")) continue;
    if (moneyName.test(field.name) && !unitless.has(key)) bad.push(`${key}: ${named.name}`);
  }
  assert.deepEqual(bad, [], "money and KPI values are Money, Decimal or KPIValue");
  for (const key of unitless.keys()) {
    const [t, f] = key.split(".");
    assert.ok(schema.getType(t)?.getFields()[f], `${key} exists (or leave it off the list)`);
  }
});

test("no two enums have the same values", async () => {
  const schema = await servedSchema();
  const byValues = new Map();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isEnumType(type) || type.name.startsWith("__")) continue;
    // An order field enum names the fields of its own type; two types may
    // order by the same field names and still be two concepts.
    if (type.name.endsWith("OrderField")) continue;
    const key = type.getValues().map((v) => v.name).sort().join(",");
    byValues.set(key, [...(byValues.get(key) ?? []), type.name]);
  }
  const same = [...byValues.values()].filter((names) => names.length > 1);
  assert.deepEqual(same, [], "one enum per concept");
});

// Lists that are not connections: each is small and bounded by its
// parent, and said why here (as in graph/lists_test.go, which checks the
// same rule in Go).
const plainLists = new Map([
  ["Query.nodes", "the Relay nodes(ids:) field: one result per ID asked for"],
  ["Scorecard.results", "one per enabled KPI of the organization, all shown side by side"],
  ["KPITrend.points", "one per period of the range asked for, all drawn at once"],
  ["TargetAssessment.evidence", "the few comparable periods behind a baseline"],
  ["TeamRollup.members", "one per member of the team in the period, shown side by side"],
  ["Target.history", "one per review of the target and its close"],
  ["Target.earlierTargets", "at most 24 earlier targets of the same scope, KPI and kind, newest first"],
  ["ImportPayload.rejected", "the rows one import refused, at most the rows it was given"],
  ["OrganizationSettings.minSamples", "one per KPI, part of the settings object"],
  ["Team.marketFactors", "a team's newest few market factors, at most 48"],
  ["TargetAssessment.coherence", "the few ratio sets one target is part of, at most one per ratio KPI"],
  ["TargetAssessment.whatItTakes", "what whatItTakes gave for the proposed value, kept with it"],
  ["WhatItTakes.history", "the few comparable periods behind the ratios"],
  ["WhatItTakes.requirements", "one per aggregate reached through the organization's few ratio KPIs"],
  ["AllocateTeamTargetPayload.shares", "one per rep of the team, summing to the team target"],
  ["AllocateTeamTargetPayload.teamShares", "one per direct sub-team, summing to the team target"],
  ["TargetReconciliation.members", "one per rep of the team, beside the sums of their targets"],
  ["TargetReconciliation.subTeams", "one per direct sub-team, beside the sum of their team targets"],
]);

test("every list of objects is a connection", async () => {
  const schema = await servedSchema();
  const bad = [];
  for (const [type, field] of objectFields(schema)) {
    const inner = getNullableType(field.type);
    if (!isListType(inner)) continue;
    const named = getNamedType(inner);
    if (!(isObjectType(named) || isInterfaceType(named))) continue;
    const key = `${type.name}.${field.name}`;
    if (isConnection(type.name) && ["edges", "nodes"].includes(field.name)) continue;
    if (!plainLists.has(key)) bad.push(`${key}: [${named.name}]`);
  }
  assert.deepEqual(bad, [], "lists are connections, or on the documented list of plain lists");
});

test("every object with an identity implements Node", async () => {
  const schema = await servedSchema();
  const node = schema.getType("Node");
  assert.ok(node, "the Node interface");
  const bad = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__") || operationTypes.has(type.name)) continue;
    const id = type.getFields().id;
    if (!id || getNamedType(id.type).name !== "ID") continue;
    if (!type.getInterfaces().includes(node)) bad.push(type.name);
  }
  assert.deepEqual(bad, [], "objects with an id are Nodes, resolvable by node(id:)");
});

// What a cache needs to keep an object: an id. The objects a view reads
// again and again (a scorecard and its results, inbox items, history
// points, rollups) are Nodes.
test("the objects an SPA caches have an id", async () => {
  const schema = await servedSchema();
  const node = schema.getType("Node");
  const missing = [];
  for (const name of ["Scorecard", "KPIResult", "TeamRollup", "RollupMember", "KPITrend", "TargetHistoryPoint", "InboxItem"]) {
    const type = schema.getType(name);
    if (!type || !type.getInterfaces().includes(node)) missing.push(name);
  }
  assert.deepEqual(missing, []);
});

test("connections follow the Relay spec", async () => {
  const schema = await servedSchema();
  const bad = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !isConnection(type.name)) continue;
    const f = type.getFields();
    for (const need of ["edges", "pageInfo", "totalCount"]) if (!f[need]) bad.push(`${type.name}.${need}`);
    const edge = f.edges && getNamedType(f.edges.type);
    if (edge && !(isEdge(edge.name) && edge.getFields().cursor && edge.getFields().node)) bad.push(`${edge.name}: cursor, node`);
  }
  for (const [type, field] of objectFields(schema)) {
    if (!isConnection(getNamedType(field.type).name) || isEdge(type.name)) continue;
    const args = new Set(field.args.map((a) => a.name));
    for (const need of ["first", "after", "last", "before"]) if (!args.has(need)) bad.push(`${type.name}.${field.name}(${need})`);
  }
  assert.deepEqual(bad, []);
});
