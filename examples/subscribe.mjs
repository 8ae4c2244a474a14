// Live updates from kpiflow in Node: sign in, subscribe to inboxChanged and
// targetEvents over WebSocket (graphql-transport-ws, with the graphql-ws
// client and the ws package as its WebSocket), make a change, and print the
// event it brings. Exits 0 once the event has arrived, 1 on an error or when
// nothing arrived within 20 seconds.
//
//   cd examples && npm ci && node subscribe.mjs [BASE_URL]
//   (or KPIFLOW_URL; default http://127.0.0.1:8080; the demo data's rep signs in)
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const base = (process.argv[2] ?? process.env.KPIFLOW_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
const email = process.env.KPIFLOW_EMAIL ?? "rep@demo.kpiflow.test";
const password = process.env.KPIFLOW_DEMO_PASSWORD ?? "demo-password";
const timeoutMs = 20_000;

let token = null;

process.on("uncaughtException", (err) => fail(err));

// gql runs an operation over HTTP and returns its data; an error throws.
async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const timer = setTimeout(() => {
  console.error(`subscribe: no event within ${timeoutMs / 1000} s`);
  process.exit(1);
}, timeoutMs);

const { login } = await gql(
  "mutation($in: LoginInput!) { login(input: $in) { accessToken viewer { id name } } }",
  { in: { email, password } },
);
token = login.accessToken;
console.log(`signed in as ${login.viewer.name}`);

// Something to change: a draft target of the rep's, for a coming quarter
// and a count KPI without a target yet.
const { kpis } = await gql("{ kpis(where: {unit: COUNT, enabled: true}) { edges { node { id key } } } }");
let at = (await gql("{ period(kind: QUARTER) { endsAt } }")).period.endsAt;
let draft = null;
for (let i = 0; i < 8 && !draft; i++) {
  const { period } = await gql("query($at: Time) { period(kind: QUARTER, at: $at) { year index label endsAt } }", { at });
  const { targets } = await gql("query($w: TargetWhereInput) { targets(where: $w, first: 100) { edges { node { kpi { id } } } } }", {
    w: { userID: login.viewer.id, periodKind: "QUARTER", periodYear: period.year, periodIndex: period.index },
  });
  const taken = new Set(targets.edges.map((e) => e.node.kpi.id));
  const kpi = kpis.edges.map((e) => e.node).find((k) => !taken.has(k.id));
  if (kpi) {
    const { createTargetDraft } = await gql(
      "mutation($in: CreateTargetDraftInput!) { createTargetDraft(input: $in) { target { id version } } }",
      { in: { kpiID: kpi.id, userID: login.viewer.id, period: { label: period.label }, value: "3", rationale: "examples/subscribe.mjs" } },
    );
    draft = createTargetDraft.target;
    console.log(`draft ${draft.id}: ${kpi.key} for ${period.label}`);
  }
  at = period.endsAt;
}
if (!draft) throw new Error("every count KPI already has a target of the rep's in the next eight quarters");

const client = createClient({
  url: base.replace(/^http/, "ws") + "/graphql",
  webSocketImpl: WebSocket, // Node has no WebSocket of its own before version 22
  connectionParams: () => ({ Authorization: `Bearer ${token}` }),
});

function fail(err) {
  console.error("subscribe:", err instanceof Error ? err.message : JSON.stringify(err));
  process.exit(1);
}

let change = null;
client.subscribe(
  { query: "subscription { inboxChanged(first: 5) { totalCount edges { node { id reason target { id status } } } } }" },
  {
    next: ({ data, errors }) => {
      if (errors) return fail(errors);
      console.log(`inbox: ${data.inboxChanged.totalCount} item(s)`);
      // The inbox came: the connection is up. Change the draft until its
      // event arrives (a subscription just sent may not be in place yet).
      if (!change) {
        change = setInterval(update, 1500);
        update();
      }
    },
    error: fail,
    complete: () => {},
  },
);
client.subscribe(
  { query: `subscription($id: ID) { targetEvents(targetId: $id) { action fromStatus toStatus version actor { name } target { id status } } }`, variables: { id: draft.id } },
  {
    next: ({ data, errors }) => {
      if (errors) return fail(errors);
      console.log("event:", JSON.stringify(data.targetEvents));
      clearTimeout(timer);
      clearInterval(change);
      client.dispose();
      process.exit(0);
    },
    error: fail,
    complete: () => {},
  },
);

let value = 3;
let updating = false;
// update changes the draft's value, one change at a time.
async function update() {
  if (updating) return;
  updating = true;
  try {
    value++;
    const { updateTargetDraft } = await gql(
      "mutation($in: UpdateTargetDraftInput!) { updateTargetDraft(input: $in) { target { version } } }",
      { in: { targetId: draft.id, expectedVersion: draft.version, value: String(value) } },
    );
    draft.version = updateTargetDraft.target.version;
    console.log(`updated the draft to ${value} (version ${draft.version})`);
  } catch (err) {
    fail(err);
  } finally {
    updating = false;
  }
}
