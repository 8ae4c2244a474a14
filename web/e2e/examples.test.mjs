// The examples of examples/ run as written against a running kpiflow server
// with the demo data (scripts/e2e.sh starts it and sets KPIFLOW_URL), so
// that they cannot rot. One after the other: each changes the demo data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const examples = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");
const base = process.env.KPIFLOW_URL;

// run runs a command in examples/ and resolves to its exit code and output.
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

function report(t, out) {
  for (const line of out.trimEnd().split("\n")) t.diagnostic(line);
}

test("examples/walkthrough.sh: propose, approve, review with curl and jq", { timeout: 60_000 }, async (t) => {
  assert.ok(base, "KPIFLOW_URL names the server (scripts/e2e.sh sets it)");
  const { code, out } = await run("bash", ["walkthrough.sh", base]);
  report(t, out);
  assert.equal(code, 0, out);
  assert.match(out, /The rep proposes the target\n\{.*"status":"PROPOSED"/);
  assert.match(out, /The manager approves it\n\{.*"status":"APPROVED"/);
  // The demo's East team has its latest review open.
  assert.match(out, /"status":"COMPLETED"/, "the team's open review was decided and completed");
});

test("examples/subscribe.mjs: a subscription's event arrives in Node", { timeout: 60_000 }, async (t) => {
  assert.ok(base, "KPIFLOW_URL names the server (scripts/e2e.sh sets it)");
  const { code, out } = await run(process.execPath, ["subscribe.mjs", base]);
  report(t, out);
  assert.equal(code, 0, out);
  assert.match(out, /^inbox: \d+ item/m);
  assert.match(out, /^event: \{"action":"UPDATE_DRAFT"/m);
});
