// What the console's browser tests share: a person (a browser context of
// their own, every request recorded and one to another origin refused, the
// page's errors collected), signing in with the form, the axe-core check,
// the no-horizontal-scrolling check, the check at both widths, and the
// screenshots (with KPIFLOW_E2E_SCREENSHOTS=DIR). Not a test file: the test
// runner picks *.test.mjs only.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const base = process.env.KPIFLOW_URL;
export const password = "demo-password";
export const desktop = { width: 1280, height: 860 };
export const phone = { width: 375, height: 760 };
const browserPath = process.env.KPIFLOW_CHROMIUM ?? "/usr/bin/chromium";
const shots = process.env.KPIFLOW_E2E_SCREENSHOTS;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export function launch() {
  return chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export async function person(browser, origin, who) {
  const context = await browser.newContext({ viewport: desktop });
  const page = await context.newPage();
  const problems = [];
  const foreign = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
      foreign.push(url);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  page.on("websocket", (ws) => {
    if (new URL(ws.url()).host !== new URL(origin).host) foreign.push(ws.url());
  });
  // The operations this person's page sent over HTTP, in order (the
  // subscription goes over its WebSocket), to count a screen's requests.
  const operations = [];
  page.on("request", (req) => {
    if (req.url().endsWith("/graphql") && req.method() === "POST") operations.push(req.postDataJSON()?.operationName ?? "?");
  });
  // The API's refusals this person met, to tell why a step failed.
  const refusals = [];
  page.on("response", async (res) => {
    if (!res.url().endsWith("/graphql") || res.request().method() !== "POST") return;
    const op = res.request().postDataJSON()?.operationName ?? "?";
    const body = await res.json().catch(() => null);
    const codes = (body?.errors ?? []).map((e) => `${e.extensions?.code ?? "?"}: ${e.message}`);
    if (res.status() !== 200 || codes.length) refusals.push(`${who} ${op} ${res.status()} ${codes.join("; ")}`.slice(0, 300));
  });
  page.on("pageerror", (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`${who}: console error: ${m.text()}`);
  });
  return { context, page, problems, foreign, refusals, operations };
}

// signIn signs in with the form; it returns when the click was made.
export async function signIn(page, origin, email) {
  await page.goto(origin + "/", { waitUntil: "load" });
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  const at = Date.now();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("signed-in").waitFor({ timeout: 15_000 });
  return at;
}

// accessible: no serious or critical axe-core violation (WCAG 2 A and AA).
export async function accessible(page, screen) {
  const violations = await page.evaluate(async (source) => {
    if (!window.axe) (0, eval)(source);
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
  }, axeSource);
  assert.deepEqual(violations, [], `axe-core on ${screen}`);
}

// fits: no horizontal scrolling at the page's width.
export async function fits(page, screen) {
  await page.waitForFunction(() => document.documentElement.scrollWidth <= innerWidth, null, { timeout: 3_000 }).catch(() => {});
  const { scroll, width, wide } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: innerWidth,
    wide: [...document.querySelectorAll("main *")]
      .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
      .slice(0, 3)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
  }));
  assert.ok(scroll <= width, `${screen} is ${scroll} px wide in a ${width} px window (${wide.join(", ")})`);
}

export async function snap(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

// both checks a screen at desktop width and at 375 px, then returns to
// desktop; with phoneShot, a screenshot at 375 px under that name.
export async function both(page, screen, ready, phoneShot) {
  await ready();
  await accessible(page, screen);
  await fits(page, screen);
  await page.setViewportSize(phone);
  await ready();
  await fits(page, `${screen} at 375 px`);
  await accessible(page, `${screen} at 375 px`);
  if (phoneShot) await snap(page, phoneShot);
  await page.setViewportSize(desktop);
}

// api runs a GraphQL operation as the holder of token (none: anonymous).
export async function api(query, variables, token) {
  const res = await fetch(base + "/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, `${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function token(email) {
  const d = await api("mutation($i: LoginInput!) { login(input: $i) { accessToken } }", { i: { email, password } });
  return d.login.accessToken;
}
