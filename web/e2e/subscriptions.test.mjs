// The console's subscriptions put no changing object into the cache. A
// subscription's answer travels apart from a mutation's: one read before a
// decision can arrive after the decision's own answer and, written into the
// normalized cache, would put the older state back where nothing corrects
// it. So a subscription whose selection reaches an object that changes
// (anything with an id but the immutable records below) must be read with
// fetchPolicy "no-cache"; one that selects only immutable records (an
// event) may be cached. Every useSubscription call of the console's source
// is checked against the documents it runs, enumerated from the source and
// typed against docs/schema.graphql.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, getNamedType, isAbstractType, isObjectType, Kind, parse, TypeInfo, visit, visitWithTypeInfo } from "graphql";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const consoleDir = join(root, "web", "src", "console");
// Records that never change once written: their cached copy cannot be stale.
const immutable = new Set(["TargetEvent", "TargetRevision"]);

function files(dir, ext) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "generated" ? [] : files(p, ext);
    return ext.some((x) => e.name.endsWith(x)) ? [p] : [];
  });
}

// calls returns each useSubscription(NameDocument, options) of the source:
// the operation's name and the options' text (parentheses balanced).
function calls() {
  const out = [];
  for (const f of files(consoleDir, [".ts", ".tsx"])) {
    const src = readFileSync(f, "utf8");
    for (const m of src.matchAll(/useSubscription\(\s*(\w+)Document/g)) {
      let depth = 0;
      let end = m.index;
      for (; end < src.length; end++) {
        if (src[end] === "(") depth++;
        if (src[end] === ")" && --depth === 0) break;
      }
      out.push({ file: f.slice(root.length + 1), name: m[1], text: src.slice(m.index, end + 1) });
    }
  }
  return out;
}

test("the console's subscriptions write no changing object into the cache", () => {
  const schema = buildSchema(readFileSync(join(root, "docs", "schema.graphql"), "utf8"));
  const defs = files(consoleDir, [".graphql"]).flatMap((f) => parse(readFileSync(f, "utf8")).definitions);
  const fragments = new Map(defs.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const operations = new Map(defs.filter((d) => d.kind === Kind.OPERATION_DEFINITION).map((d) => [d.name?.value, d]));

  // cachedTypes: the object types with an id the operation selects,
  // through its fragments.
  const cachedTypes = (op) => {
    const seen = new Set();
    const types = new Set();
    const queue = [op];
    while (queue.length) {
      const node = queue.shift();
      const info = new TypeInfo(schema);
      visit(node, visitWithTypeInfo(info, {
        Field(field) {
          if (!field.selectionSet) return;
          const t = getNamedType(info.getType());
          for (const o of isAbstractType(t) ? schema.getPossibleTypes(t) : [t]) {
            if (isObjectType(o) && o.getFields().id) types.add(o.name);
          }
        },
        FragmentSpread(s) {
          if (!seen.has(s.name.value)) {
            seen.add(s.name.value);
            queue.push(fragments.get(s.name.value));
          }
        },
      }));
    }
    return [...types];
  };

  const found = calls();
  assert.ok(found.length >= 2, `the console's subscriptions are found (${found.length})`);
  for (const c of found) {
    const op = operations.get(c.name);
    assert.ok(op && op.operation === "subscription", `${c.file}: ${c.name} is a subscription of the console's documents`);
    const changing = cachedTypes(op).filter((t) => !immutable.has(t));
    if (changing.length) {
      assert.match(c.text, /fetchPolicy:\s*"no-cache"/,
        `${c.file}: ${c.name} selects ${changing.join(", ")}, which change: read it with fetchPolicy "no-cache"`);
    }
  }
});
