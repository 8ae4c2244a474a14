// Writes dist/operations.json: every operation of the console, with the
// fragments it uses, by name. The server embeds it, and a locked-down server
// (KPIFLOW_OPERATIONS_FILE) runs these beside the operations its own file
// registers, so that the console it serves works there too. The server
// compares documents in a canonical form (no __typename, the fragments a
// document uses in name order), so the text Apollo sends, with its
// __typename fields, matches the text written here.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kind, parse, print, visit } from "graphql";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(web, "src", "console");

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "generated" ? [] : files(p);
    return e.name.endsWith(".graphql") ? [p] : [];
  });
}

const defs = files(src).flatMap((f) => parse(readFileSync(f, "utf8")).definitions);
const fragments = new Map(defs.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
const operations = {};
for (const op of defs.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
  const used = new Set();
  const queue = [op];
  while (queue.length) {
    visit(queue.shift(), {
      FragmentSpread(s) {
        if (used.has(s.name.value)) return;
        if (!fragments.has(s.name.value)) throw new Error(`${op.name.value}: no fragment ${s.name.value}`);
        used.add(s.name.value);
        queue.push(fragments.get(s.name.value));
      },
    });
  }
  const name = op.name?.value;
  if (!name) throw new Error("every operation of the console has a name");
  if (operations[name]) throw new Error(`two operations named ${name}`);
  operations[name] = print({ kind: Kind.DOCUMENT, definitions: [op, ...[...used].sort().map((n) => fragments.get(n))] });
}
const sorted = Object.fromEntries(Object.entries(operations).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(join(web, "dist", "operations.json"), JSON.stringify({ operations: sorted }, null, 1) + "\n");
console.log(`operations.json: ${Object.keys(sorted).length} operations of the console`);
