// README's recipe for SPA authors, run as written: TypeScript types and
// Apollo's possibleTypes generated from the served SDL (examples/apollo/
// codegen.yml), type-checked, the cache configuration of
// examples/apollo/cache.mjs checked against every connection of the
// schema, and examples/apollo/scorecard.mjs run against the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, getNamedType, isInterfaceType, isObjectType, isUnionType } from "graphql";

const examples = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
const base = process.env.KPIFLOW_URL;

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: examples, env: { ...process.env, KPIFLOW_URL: base } });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, out }));
  });
}

async function servedSchema() {
  const res = await fetch(`${base}/graphql/schema.graphql`);
  assert.equal(res.status, 200);
  return buildSchema(await res.text());
}

const bin = (name) => join(examples, "node_modules", ".bin", name);

test("codegen recipe: types and possibleTypes from the served SDL", { timeout: 120_000 }, async (t) => {
  assert.ok(base, "KPIFLOW_URL names the server (scripts/e2e.sh sets it)");
  const gen = await run(bin("graphql-codegen"), ["--config", "apollo/codegen.yml"]);
  assert.equal(gen.code, 0, gen.out);
  const tsc = await run(bin("tsc"), ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext",
    "--skipLibCheck", "apollo/generated/types.ts"]);
  assert.equal(tsc.code, 0, tsc.out);

  const schema = await servedSchema();
  const want = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    if (isInterfaceType(type)) want[type.name] = schema.getPossibleTypes(type).map((p) => p.name).sort();
    if (isUnionType(type)) want[type.name] = type.getTypes().map((p) => p.name).sort();
  }
  const got = JSON.parse(await readFile(join(examples, "apollo/generated/possibleTypes.json"), "utf8")).possibleTypes;
  for (const k of Object.keys(got)) got[k].sort();
  assert.deepEqual(got, want);
  t.diagnostic(`possibleTypes: ${Object.entries(want).map(([k, v]) => `${k} (${v.length})`).join(", ")}`);
});

test("cache.mjs paginates every connection by its filter and order", async () => {
  const { typePolicies } = await import(join(examples, "apollo/cache.mjs"));
  const schema = await servedSchema();
  const missing = [];
  const wrong = [];
  const connections = new Set();
  for (const type of Object.values(schema.getTypeMap())) {
    // Subscriptions are not kept in the cache's root fields.
    if (type.name.startsWith("__") || !isObjectType(type) || type.name.endsWith("Edge") || type.name === "Subscription") continue;
    for (const field of Object.values(type.getFields())) {
      if (!getNamedType(field.type).name.endsWith("Connection")) continue;
      const key = `${type.name}.${field.name}`;
      connections.add(key);
      const policy = typePolicies[type.name]?.fields?.[field.name];
      if (!policy) {
        missing.push(key);
        continue;
      }
      const keyArgs = field.args.map((a) => a.name).filter((a) => !["first", "after", "last", "before"].includes(a)).sort();
      if (typeof policy.merge !== "function" || typeof policy.read !== "function" ||
        JSON.stringify([...(policy.keyArgs || [])].sort()) !== JSON.stringify(keyArgs)) {
        wrong.push(`${key}: keyArgs ${JSON.stringify(policy.keyArgs)}, want ${JSON.stringify(keyArgs)}`);
      }
    }
  }
  const extra = [];
  for (const [type, p] of Object.entries(typePolicies)) {
    for (const f of Object.keys(p.fields ?? {})) if (!connections.has(`${type}.${f}`)) extra.push(`${type}.${f}`);
  }
  assert.deepEqual({ missing, wrong, extra }, { missing: [], wrong: [], extra: [] });
});

test("examples/apollo/scorecard.mjs: a decision updates the cached scorecard; inbox pages merge", { timeout: 60_000 }, async (t) => {
  // Its possibleTypes come from the codegen test above.
  const { code, out } = await run("node", ["apollo/scorecard.mjs", base]);
  for (const line of out.trimEnd().split("\n")) t.diagnostic(line);
  assert.equal(code, 0, out);
  assert.match(out, /the cached scorecard shows \w+'s target .* without reading the scorecard again/);
  assert.match(out, /the manager's inbox: \d+ items, read two at a time into one list/);
});
