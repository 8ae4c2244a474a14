// Writes src/console/generated/connections.json: every connection field of
// the schema (docs/schema.graphql), as "Type.field", with the arguments
// that pick which list it is (all but first/after/last/before). The
// console's cache (src/console/cache.ts) gives each one Relay-style
// pagination keyed by those arguments, so that no connection of the schema
// goes without its policy and no two lists that differ in a filter or an
// order are merged into one. `npm run codegen` runs it; CI checks that the
// committed file is current.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, getNamedType, isObjectType } from "graphql";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const schema = buildSchema(readFileSync(join(web, "..", "docs", "schema.graphql"), "utf8"));
const paging = new Set(["first", "after", "last", "before"]);
const out = {};
for (const type of Object.values(schema.getTypeMap()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
  // A subscription's answers are not kept in the cache's root fields.
  if (type.name.startsWith("__") || !isObjectType(type) || type === schema.getSubscriptionType()) continue;
  for (const field of Object.values(type.getFields())) {
    if (!getNamedType(field.type).name.endsWith("Connection")) continue;
    out[`${type.name}.${field.name}`] = field.args.map((a) => a.name).filter((a) => !paging.has(a)).sort();
  }
}
writeFileSync(join(web, "src", "console", "generated", "connections.json"), JSON.stringify(out, null, 1) + "\n");
