// The GraphiQL page (at /graphiql) in a real headless browser (Debian's chromium, driven
// by playwright-core) against a running kpiflow server: it renders, signs
// in, runs a query and shows the result, and every request it makes goes to
// the server's own origin. scripts/e2e.sh starts the server and sets
// KPIFLOW_URL; KPIFLOW_E2E_SCREENSHOT names a PNG to write of the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const base = process.env.KPIFLOW_URL;
const browserPath = process.env.KPIFLOW_CHROMIUM ?? "/usr/bin/chromium";
const login = { email: "rep@demo.kpiflow.test", password: "demo-password", name: "Jordan Ellis" };

test("GraphiQL renders, signs in, runs a query and shows its result, all from its own origin", { timeout: 90_000 }, async (t) => {
  assert.ok(base, "KPIFLOW_URL names the server (scripts/e2e.sh sets it)");
  const origin = new URL(base).origin;
  const profile = mkdtempSync(join(tmpdir(), "kpiflow-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  // One hook, in order: the browser stops writing its profile before the
  // profile is removed (hooks added apart ran the removal first).
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  // Every request the page makes is recorded; one to another origin is
  // refused (so nothing leaves the machine) and fails the test.
  const requests = [];
  const foreign = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requests.push(url);
    if (new URL(url).origin !== origin) {
      foreign.push(url);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("websocket", (ws) => {
    requests.push(ws.url());
    const u = new URL(ws.url());
    if (u.host !== new URL(origin).host) foreign.push(ws.url());
  });
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  const apiCalls = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/graphql" && r.method() === "POST") {
      apiCalls.push({ body: r.postData() ?? "", authorization: r.headers()["authorization"] });
    }
  });

  // The page renders GraphiQL.
  await page.goto(origin + "/graphiql", { waitUntil: "load" });
  await page.locator(".graphiql-container").waitFor({ timeout: 30_000 });
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
  assert.match(await page.title(), /kpiflow/);

  // Signing in with the form.
  await page.getByLabel("Email").fill(login.email);
  await page.getByLabel("Password").fill(login.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const who = page.getByTestId("signed-in");
  await who.waitFor({ timeout: 15_000 });
  assert.match(await who.innerText(), new RegExp(`Signed in as ${login.name}`));

  // A query, run with GraphiQL's button; its result is shown.
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
  await page.evaluate((q) => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(q), "{ viewer { name } }");
  await page.locator(".graphiql-execute-button").click();
  const response = page.locator(".graphiql-response");
  await response.getByText(`"name": "${login.name}"`).waitFor({ timeout: 15_000 });
  const shown = await response.innerText();
  assert.match(shown, /"viewer"/);
  assert.doesNotMatch(shown, /"errors"/);
  const run = apiCalls.find((c) => c.body.includes("viewer { name }"));
  assert.ok(run, `the query went to /graphql (calls: ${apiCalls.map((c) => c.body.slice(0, 60)).join(" | ")})`);
  assert.match(run.authorization ?? "", /^Bearer \S+$/, "the query carried the signed-in bearer token");

  // A reload stays signed in; an access token about to expire is renewed
  // with the refresh token before the next request.
  await page.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem("kpiflow.session"));
    s.accessTokenExpiresAt = new Date(Date.now() + 1000).toISOString();
    sessionStorage.setItem("kpiflow.session", JSON.stringify(s));
  });
  const renewal = page.waitForResponse((r) => (r.request().postData() ?? "").includes("refreshToken(input:"), { timeout: 30_000 });
  await page.reload({ waitUntil: "load" });
  await who.waitFor({ timeout: 15_000 });
  await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
  await page.evaluate((q) => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(q), "{ viewer { email } }");
  await page.locator(".graphiql-execute-button").click();
  await response.getByText(`"email": "${login.email}"`).waitFor({ timeout: 15_000 });
  assert.ok(apiCalls.some((c) => c.body.includes("refreshToken(input:")), "the session was renewed");
  const again = apiCalls.find((c) => c.body.includes("viewer { email }"));
  assert.match(again?.authorization ?? "", /^Bearer \S+$/);
  // (The renewed token may equal the old one byte for byte when both were
  // issued within the same second: the check is that the one renewal gave
  // is the one sent.)
  const renewed = (await (await renewal).json())?.data?.refreshToken?.accessToken;
  assert.ok(renewed, "the renewal returned an access token");
  assert.equal(again.authorization, `Bearer ${renewed}`, "the renewed access token was used");

  if (process.env.KPIFLOW_E2E_SCREENSHOT) {
    await page.screenshot({ path: process.env.KPIFLOW_E2E_SCREENSHOT });
  }

  // Signing out brings the form back.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();

  assert.deepEqual(foreign, [], "requests to other origins");
  assert.ok(requests.some((u) => u.startsWith(origin + "/assets/")), "the page loaded its assets from the server");
  assert.deepEqual(problems, [], "errors in the page (a Content-Security-Policy violation is one)");
});
