// The admin's screens in a real headless browser against the demo server:
// an admin invites a user (a second invitation of the same email is
// refused, CONFLICT, and said so), makes them a manager, creates a team and
// a sub-team, assigns the new manager to the team, adds them as a member
// and moves them to the sub-team, sets the team's cadence and two market
// factors, seen listed; defines a custom KPI (the server's refusal of a COUNT in MONEY is
// shown beside the unit) and disables it again; changes a setting (a value
// the server refuses is shown beside its field) and puts it back; renames
// the organization and changes its time zone, sees a change of fiscal year
// refused beside its field, and puts the organization back. Then a
// manager deciding a proposal sees the rep's past targets for the KPI. On
// every screen: axe-core at 375 px and desktop width, no horizontal
// scrolling, no console error, no request to another origin.
//
// What it leaves behind stays out of the other tests' way: the new user and
// teams belong to no demo team, the custom KPI is disabled, the settings
// and the organization are as they were, and the proposal made for the decision is withdrawn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { api, base, both, launch, person, signIn, snap, token } from "./browser.mjs";

const admin = "admin@demo.kpiflow.test";
const stamp = Date.now().toString(36);
const newcomer = { name: `Riley Admin ${stamp}`, email: `riley.${stamp}@demo.kpiflow.test` };
const teamA = `Partner Sales ${stamp}`;
const teamB = `Partner EMEA ${stamp}`;
const kpiKey = `PARTNER_WINS_${stamp.toUpperCase()}`;
const kpiName = `Partner deals won ${stamp}`;

async function withBrowser(t, who, fn) {
  assert.ok(base, "KPIFLOW_URL names the server (scripts/e2e.sh sets it)");
  const origin = new URL(base).origin;
  const browser = await launch();
  t.after(() => browser.close());
  const p = await person(browser, origin, who);
  try {
    await fn(p, origin);
  } catch (err) {
    err.message += `\n${who} at ${p.page.url()}: ${(await p.page.locator("main").innerText().catch(() => "")).slice(0, 800)}\nproblems: ${p.problems.join("; ")}`;
    throw err;
  }
  assert.deepEqual(p.foreign, [], "requests to other origins");
  assert.deepEqual(p.problems, [], "errors in the pages (a Content-Security-Policy violation is one)");
}

test("an admin manages users, teams, KPIs and settings in the browser", { timeout: 180_000 }, async (t) => {
  await withBrowser(t, "admin", async ({ page }, origin) => {
    await signIn(page, origin, admin);
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const name of ["Users", "Teams", "KPIs", "Settings"]) await nav.getByRole("link", { name, exact: true }).waitFor();

    // Users: invite one; the same email again is refused, and said so.
    await nav.getByRole("link", { name: "Users", exact: true }).click();
    const rows = page.getByTestId("admin-user");
    await both(page, "the admin's users", () => rows.first().waitFor({ timeout: 15_000 }));
    await snap(page, "admin-users");
    await page.getByRole("button", { name: "Invite a user" }).click();
    const invite = page.getByRole("form", { name: "Invite a user" });
    const fill = async () => {
      await invite.getByLabel("Name", { exact: true }).fill(newcomer.name);
      await invite.getByLabel("Email", { exact: true }).fill(newcomer.email);
      await invite.getByRole("combobox", { name: "Role" }).selectOption("REP");
      await invite.getByLabel(/^Initial password/).fill("a-long-enough-password");
    };
    await fill();
    await both(page, "inviting a user", () => invite.waitFor());
    await invite.getByRole("button", { name: "Create the user" }).click();
    await invite.getByRole("status").getByText(`${newcomer.name} (${newcomer.email}) was added as rep.`).waitFor({ timeout: 15_000 });
    await fill();
    await invite.getByRole("button", { name: "Create the user" }).click();
    await invite.getByRole("alert").getByText(/conflicts with an existing record/).waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Invite a user" }).click(); // closed

    // Found by name; made a manager.
    await page.getByLabel("Search by name or email").fill(stamp);
    const row = rows.filter({ hasText: newcomer.name });
    await row.waitFor({ timeout: 15_000 });
    await page.getByTestId("user-count").getByText("1 user found").waitFor();
    await row.getByRole("combobox", { name: `Role of ${newcomer.name}` }).selectOption("MANAGER");
    await row.getByRole("status").getByText("Role changed").waitFor({ timeout: 15_000 });

    // Teams: a team and a sub-team under it, shown in the tree.
    await nav.getByRole("link", { name: "Teams", exact: true }).click();
    const tree = page.getByRole("navigation", { name: "Team tree" });
    await tree.getByTestId("team-node").first().waitFor({ timeout: 15_000 });
    const create = async (name, parent) => {
      await page.getByRole("button", { name: "Create a team" }).click();
      const form = page.getByRole("form", { name: "Create a team" });
      await form.getByLabel("Team name").fill(name);
      if (parent) await form.getByRole("combobox", { name: "Parent team" }).selectOption({ label: parent });
      await form.getByRole("button", { name: "Create the team" }).click();
      await page.getByTestId("team-detail").getByRole("heading", { name: `Team ${name}` }).waitFor({ timeout: 15_000 });
    };
    await create(teamA);
    await create(teamB, teamA);
    const nodeA = tree.locator("li").filter({ has: page.getByRole("button", { name: new RegExp(`^${teamA}`) }) });
    await nodeA.locator("ul").getByRole("button", { name: new RegExp(`^${teamB}`) }).waitFor();

    // The team: its cadence, its new manager, a member moved to the sub-team.
    await tree.getByRole("button", { name: new RegExp(`^${teamA}`) }).click();
    const detail = page.getByTestId("team-detail");
    const done = detail.getByTestId("team-done");
    await detail.getByRole("heading", { name: `Team ${teamA}` }).waitFor();
    await detail.getByRole("combobox", { name: "Review cadence" }).selectOption("WEEKLY");
    await done.getByText("Cadence set").waitFor({ timeout: 15_000 });
    await tree.getByRole("button", { name: new RegExp(`^${teamA}.*Weekly`) }).waitFor();
    await detail.getByRole("combobox", { name: "Manager to assign" }).selectOption({ label: `${newcomer.name} (Manager)` });
    await detail.getByRole("button", { name: "Assign", exact: true }).click();
    await detail.getByTestId("team-manager").filter({ hasText: newcomer.name }).waitFor({ timeout: 15_000 });
    await detail.getByRole("combobox", { name: "Person to add" }).selectOption({ label: newcomer.name });
    await detail.getByRole("button", { name: "Add to the team" }).click();
    const member = detail.getByTestId("team-member").filter({ hasText: newcomer.name });
    await member.waitFor({ timeout: 15_000 });
    await both(page, "the admin's teams", () => member.waitFor());
    await snap(page, "admin-teams");
    await member.getByRole("combobox", { name: `Team to move ${newcomer.name} to` }).selectOption({ label: teamB });
    await member.getByRole("button", { name: `Move ${newcomer.name}` }).click();
    await done.getByText(`${newcomer.name} moved to ${teamB}`).waitFor({ timeout: 15_000 });
    await member.waitFor({ state: "detached", timeout: 15_000 });
    await tree.getByRole("button", { name: new RegExp(`^${teamB}`) }).click();
    await detail.getByRole("heading", { name: `Team ${teamB}` }).waitFor();
    await detail.getByTestId("team-member").filter({ hasText: newcomer.name }).waitFor({ timeout: 15_000 });

    // Its market factors: none yet; one out of range is refused beside the
    // field; two set are listed (the list follows each without a reload).
    const factor = detail.getByRole("form", { name: `Market factor of team ${teamB}` });
    const factorInput = factor.getByLabel("Factor", { exact: true });
    await factor.getByTestId("market-factors-none").waitFor();
    await factorInput.fill("20");
    await factor.getByRole("button", { name: "Set the market factor" }).click();
    await factor.getByRole("alert").getByText(/must be between 0.1 and 10/).waitFor({ timeout: 15_000 });
    assert.equal(await factorInput.getAttribute("aria-invalid"), "true");
    await factorInput.fill("1.1");
    await factor.getByRole("button", { name: "Set the market factor" }).click();
    await factor.getByTestId("market-factor-set").getByText(/× 1\.10/).waitFor({ timeout: 15_000 });
    const listed = factor.getByTestId("market-factor");
    await listed.filter({ hasText: "× 1.10" }).waitFor({ timeout: 15_000 });
    await factor.getByRole("combobox", { name: "Period" }).selectOption({ label: "Next month" });
    await factorInput.fill("0.95");
    await factor.getByLabel("Comment", { exact: true }).fill("holiday season");
    await factor.getByRole("button", { name: "Set the market factor" }).click();
    await factor.getByTestId("market-factor-set").getByText(/× 0\.95/).waitFor({ timeout: 15_000 });
    await listed.filter({ hasText: "× 0.95" }).filter({ hasText: "holiday season" }).waitFor({ timeout: 15_000 });
    assert.equal(await listed.count(), 2, "both factors are listed");
    for (const row of await listed.all()) assert.match(await row.locator("td").first().innerText(), /^FY\d{4} (Q[1-4]|M\d\d)$/, "each with its period");
    await both(page, "the team's market factors", () => listed.first().waitFor());
    // Read again with the screen (one request): still both.
    await page.reload({ waitUntil: "load" });
    await tree.getByRole("button", { name: new RegExp(`^${teamB}`) }).click();
    await detail.getByRole("heading", { name: `Team ${teamB}` }).waitFor({ timeout: 15_000 });
    await listed.nth(1).waitFor({ timeout: 15_000 });
    assert.equal(await listed.count(), 2, "both factors are listed after a reload");

    // KPIs: a custom KPI; a COUNT in MONEY is refused beside the unit.
    await nav.getByRole("link", { name: "KPIs", exact: true }).click();
    await page.getByTestId("admin-kpi").first().waitFor({ timeout: 15_000 });
    const count = page.getByText(/\d+ of \d+ enabled/);
    const [on, all] = (await count.innerText()).match(/\d+/g).map(Number);
    await page.getByRole("button", { name: "Define a custom KPI" }).click();
    const form = page.getByTestId("kpi-form");
    await form.getByLabel("Key", { exact: true }).fill(kpiKey);
    await form.getByLabel("Name", { exact: true }).fill(kpiName);
    await form.getByRole("combobox", { name: "Unit" }).selectOption("MONEY");
    await form.getByRole("combobox", { name: "Aggregate: source" }).selectOption("DEALS");
    await form.getByRole("checkbox", { name: "Won", exact: true }).check();
    await form.getByRole("button", { name: "Define the KPI" }).click();
    await form.locator("#kpi-unit-problem").getByText(/measured in COUNT, not MONEY/).waitFor({ timeout: 15_000 });
    assert.equal(await form.getByRole("combobox", { name: "Unit" }).getAttribute("aria-invalid"), "true");
    await both(page, "defining a KPI, refused", () => form.locator("#kpi-unit-problem").waitFor());
    await snap(page, "admin-kpi-form");
    await form.getByRole("combobox", { name: "Unit" }).selectOption("COUNT");
    await form.getByRole("button", { name: "Define the KPI" }).click();
    await page.getByTestId("kpi-defined").getByText(`${kpiName} is defined`).waitFor({ timeout: 15_000 });
    const defined = page.getByTestId("admin-kpi").filter({ hasText: kpiKey });
    await defined.getByText("custom").waitFor();
    await page.getByText(`${on + 1} of ${all + 1} enabled`).waitFor({ timeout: 15_000 });
    await defined.getByRole("checkbox", { name: `${kpiName} enabled` }).uncheck();
    await page.getByText(`${on} of ${all + 1} enabled`).waitFor({ timeout: 15_000 });

    // Settings: a change saved and put back; a value refused beside its field.
    await nav.getByRole("link", { name: "Settings", exact: true }).click();
    const grace = page.getByRole("textbox", { name: "Close grace (hours)" });
    await grace.waitFor({ timeout: 15_000 });
    await both(page, "the admin's settings", () => grace.waitFor());
    await snap(page, "admin-settings");
    const before = await grace.inputValue();
    const changed = String(Number(before) + 24);
    await grace.fill(changed);
    await page.getByRole("button", { name: "Save 1 change" }).click();
    await page.getByTestId("settings-saved").waitFor({ timeout: 15_000 });
    await page.reload({ waitUntil: "load" });
    await grace.waitFor({ timeout: 15_000 });
    assert.equal(await grace.inputValue(), changed, "the setting is stored");
    const stretch = page.getByRole("textbox", { name: "Stretch up to" });
    const stretchBefore = await stretch.inputValue();
    await stretch.fill("0.5");
    await page.getByRole("button", { name: "Save 1 change" }).click();
    await page.locator("#setting-realism-stretch-problem").getByText(/must be above realistic/).waitFor({ timeout: 15_000 });
    assert.equal(await stretch.getAttribute("aria-invalid"), "true");
    await both(page, "the admin's settings, refused", () => page.locator("#setting-realism-stretch-problem").waitFor());
    await stretch.fill(stretchBefore);
    await grace.fill(before);
    await page.getByRole("button", { name: "Save 1 change" }).click();
    await page.getByTestId("settings-saved").waitFor({ timeout: 15_000 });
    assert.equal(await grace.inputValue(), before);

    // The organization: renamed and its time zone changed, then put back; a
    // new fiscal year start is refused beside its field (the demo data has
    // targets, stored by fiscal period).
    const orgForm = page.getByRole("form", { name: "The organization" });
    const orgName = orgForm.getByRole("textbox", { name: "Name", exact: true });
    const zone = orgForm.getByRole("textbox", { name: "Time zone", exact: true });
    const fiscal = orgForm.getByRole("combobox", { name: "Fiscal year starts in" });
    const nameBefore = await orgName.inputValue();
    const zoneBefore = await zone.inputValue();
    const fiscalBefore = await fiscal.inputValue();
    const renamed = `${nameBefore} ${stamp}`;
    const zoneAfter = zoneBefore === "Asia/Tokyo" ? "Europe/Paris" : "Asia/Tokyo";
    await orgName.fill(renamed);
    await zone.fill(zoneAfter);
    await orgForm.getByRole("button", { name: "Save 2 changes" }).click();
    await orgForm.getByTestId("organization-saved").waitFor({ timeout: 15_000 });
    await orgForm.getByRole("heading", { name: renamed }).waitFor();
    await page.reload({ waitUntil: "load" });
    await orgName.waitFor({ timeout: 15_000 });
    assert.equal(await orgName.inputValue(), renamed, "the name is stored");
    assert.equal(await zone.inputValue(), zoneAfter, "the time zone is stored");
    await fiscal.selectOption(fiscalBefore === "7" ? "8" : "7");
    await orgForm.getByRole("button", { name: "Save 1 change" }).click();
    await orgForm.locator("#org-fiscal-problem").getByText(/cannot change once anything is stored by fiscal period/).waitFor({ timeout: 15_000 });
    assert.equal(await fiscal.getAttribute("aria-invalid"), "true");
    await both(page, "the organization, a fiscal year refused", () => orgForm.locator("#org-fiscal-problem").waitFor());
    await fiscal.selectOption(fiscalBefore);
    await orgName.fill(nameBefore);
    await zone.fill(zoneBefore);
    await orgForm.getByRole("button", { name: "Save 2 changes" }).click();
    await orgForm.getByTestId("organization-saved").waitFor({ timeout: 15_000 });
    await orgForm.getByRole("heading", { name: nameBefore, exact: true }).waitFor({ timeout: 15_000 });

    // Last, the newcomer is deactivated (and cannot sign in).
    await nav.getByRole("link", { name: "Users", exact: true }).click();
    await page.getByLabel("Search by name or email").fill(stamp);
    // The search is debounced: wait for its answer, or the row clicked could
    // be replaced by the search's own while the click lands.
    await page.getByTestId("user-count").getByText("1 user found").waitFor({ timeout: 15_000 });
    await row.getByRole("checkbox", { name: `${newcomer.name} active` }).uncheck();
    await row.getByRole("status").getByText(/Deactivated/).waitFor({ timeout: 15_000 });
    const refused = await (
      await fetch(base + "/graphql", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: "mutation($i: LoginInput!) { login(input: $i) { accessToken } }", variables: { i: { email: newcomer.email, password: "a-long-enough-password" } } }),
      })
    ).json();
    assert.equal(refused.errors?.[0]?.extensions?.code, "UNAUTHENTICATED", "a deactivated user cannot sign in");
  });
});

test("neither a rep nor a manager is offered the admin's screens", { timeout: 60_000 }, async (t) => {
  await withBrowser(t, "manager", async ({ page }, origin) => {
    for (const email of ["rep@demo.kpiflow.test", "manager@demo.kpiflow.test"]) {
      await signIn(page, origin, email);
      const nav = page.getByRole("navigation", { name: "Main" });
      await nav.getByRole("link", { name: "Inbox" }).waitFor();
      for (const name of ["Users", "Teams", "KPIs", "Settings"]) assert.equal(await nav.getByRole("link", { name, exact: true }).count(), 0, `${email} sees ${name}`);
      // Opened directly, the route is no screen of theirs.
      await page.goto(origin + "/admin/users", { waitUntil: "load" });
      await page.getByRole("heading", { name: "Not found" }).waitFor({ timeout: 15_000 });
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("button", { name: "Sign in" }).waitFor();
    }
  });
});

test("a manager deciding a proposal sees the rep's past targets for the KPI", { timeout: 90_000 }, async (t) => {
  // The rep proposes revenue for the quarter after next (through the API):
  // the demo's rep had last quarter's revenue target, reviewed and closed
  // with its result.
  const rep = await token("rep@demo.kpiflow.test");
  const { viewer } = await api("{ viewer { id } }", {}, rep);
  const { kpis } = await api('{ kpis(first: 1, where: {key: "REVENUE_WON"}) { edges { node { id } } } }', {}, rep);
  const proposed = await api(
    "mutation($i: CreateTargetDraftInput!) { proposeTarget(input: $i) { target { id version } } }",
    { i: { kpiID: kpis.edges[0].node.id, userID: viewer.id, period: { kind: "QUARTER", offset: 2 }, value: "160000", rationale: "a past-targets check" } },
    rep,
  );
  const target = proposed.proposeTarget.target;
  t.after(async () => {
    const { node } = await api("query($id: ID!) { node(id: $id) { ... on Target { version status } } }", { id: target.id }, rep);
    if (node.status === "PROPOSED")
      await api("mutation($i: TargetDecisionInput!) { withdrawTarget(input: $i) { target { id } } }", { i: { targetId: target.id, expectedVersion: node.version } }, rep);
  });

  await withBrowser(t, "manager", async ({ page }, origin) => {
    await signIn(page, origin, "manager@demo.kpiflow.test");
    await page.goto(`${origin}/targets/${encodeURIComponent(target.id)}`, { waitUntil: "load" });
    await page.getByRole("heading", { name: "Decide" }).waitFor({ timeout: 15_000 });
    const past = page.getByTestId("past-targets");
    await past.getByRole("heading", { name: /^Past targets of Jordan Ellis for Revenue won/ }).waitFor({ timeout: 15_000 });
    const closed = past.getByTestId("past-target").filter({ hasText: "Closed" });
    await closed.first().waitFor({ timeout: 15_000 });
    const cells = await closed.first().locator("td").allInnerTexts();
    assert.match(cells[0], /^FY\d{4} Q[1-4]$/, "the period");
    assert.match(cells[1], /^\$[\d,]+\.\d\d$/, "the value of last quarter's target (as its reviews left it)");
    assert.notEqual(cells[2], "—", "its actual, frozen at the close");
    assert.match(cells[3], /^\d+ %$/, "its attainment");
    await both(page, "decide with the rep's past targets", () => closed.first().waitFor());
    await snap(page, "decide-past-targets");
  });
});
