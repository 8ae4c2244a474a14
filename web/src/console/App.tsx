// The console's shell: sign-in when signed out; else the navigation (with
// the live inbox badge) and the screen of the route.
import { Suspense, lazy, useEffect, useState } from "react";
import { useApolloClient, useFragment, useSubscription } from "@apollo/client/react";
import type { Auth } from "./client";
import { InboxChangedDocument, LogoutDocument, TargetSummaryFragmentDoc, type InboxChangedSubscription } from "./generated/graphql";
import { Link, match, useRouter } from "./router";
import { ViewerContext, isAdmin, isManager, mayPropose, type Viewer } from "./viewer";
import { SignIn } from "./screens/SignIn";
import { Scorecard } from "./screens/Scorecard";
import { Propose } from "./screens/Propose";
import { MyTargets } from "./screens/MyTargets";
import { TargetScreen } from "./screens/Target";
import { Inbox } from "./screens/Inbox";
import { Reviews } from "./screens/Reviews";
import { Team } from "./screens/Team";
import { words } from "./format";
import { Loading } from "./ui";

// The admin's screens are loaded when first opened: reps and managers, most
// of the console's people, never download them.
const AdminUsers = lazy(() => import("./screens/AdminUsers").then((m) => ({ default: m.AdminUsers })));
const AdminTeams = lazy(() => import("./screens/AdminTeams").then((m) => ({ default: m.AdminTeams })));
const AdminKPIs = lazy(() => import("./screens/AdminKPIs").then((m) => ({ default: m.AdminKPIs })));
const AdminSettings = lazy(() => import("./screens/AdminSettings").then((m) => ({ default: m.AdminSettings })));

export type InboxData = InboxChangedSubscription["inboxChanged"] | undefined;

export function App({ auth }: { auth: Auth }) {
  const [session, setSession] = useState(auth.session);
  useEffect(() => auth.subscribe(setSession), [auth]);
  if (!session) return <SignIn auth={auth} />;
  return (
    <ViewerContext.Provider value={session.viewer}>
      <Shell auth={auth} viewer={session.viewer} />
    </ViewerContext.Provider>
  );
}

function Shell({ auth, viewer }: { auth: Auth; viewer: Viewer }) {
  const client = useApolloClient();
  const { loc, navigate } = useRouter();
  // Not written into the cache: a snapshot read before a decision can
  // arrive after the decision's own answer, and would put the target's
  // older status back (the next snapshot no longer lists the target, so
  // nothing would correct it). The shell and the inbox screen read the
  // snapshot as it came; each screen's own query stays the truth.
  const inbox = useSubscription(InboxChangedDocument, { fetchPolicy: "no-cache" });
  const items = inbox.data?.inboxChanged;
  const [menu, setMenu] = useState(false);
  useEffect(() => setMenu(false), [loc.path]);

  const signOut = async () => {
    const s = auth.session;
    auth.set(null);
    navigate("/");
    if (s) {
      await client
        .mutate({ mutation: LogoutDocument, variables: { input: { refreshToken: s.refreshToken } }, context: { anonymous: true } })
        .catch(() => {}); // signed out here either way
    }
    await client.clearStore();
  };

  const nav = [
    { to: "/", label: "Scorecard", show: true },
    { to: "/propose", label: "Propose", show: mayPropose(viewer) },
    { to: "/targets", label: "My targets", show: mayPropose(viewer) },
    { to: "/reviews", label: "Reviews", show: isManager(viewer) },
    { to: "/team", label: "Team", show: isManager(viewer) },
    { to: "/admin/users", label: "Users", show: isAdmin(viewer) },
    { to: "/admin/teams", label: "Teams", show: isAdmin(viewer) },
    { to: "/admin/kpis", label: "KPIs", show: isAdmin(viewer) },
    { to: "/admin/settings", label: "Settings", show: isAdmin(viewer) },
    { to: "/inbox", label: "Inbox", show: true },
  ].filter((n) => n.show);
  // A target's page is under "My targets" when the target is the viewer's
  // own (as its screen has read it into the cache), not when a manager
  // decides someone else's.
  const shown = match("/targets/:id", loc.path);
  const owner = useFragment({
    fragment: TargetSummaryFragmentDoc,
    fragmentName: "TargetSummary",
    from: shown ? { __typename: "Target", id: shown.id } : null,
  }).data?.user?.id;
  const active = (to: string) =>
    to === "/" ? loc.path === "/" : to === "/targets" ? loc.path === "/targets" || (!!shown && owner === viewer.id) : loc.path.startsWith(to);

  let screen: React.ReactNode;
  let m: Record<string, string> | null;
  if (match("/", loc.path)) screen = <Scorecard />;
  else if (match("/propose", loc.path)) screen = <Propose />;
  else if (match("/targets", loc.path)) screen = <MyTargets />;
  else if ((m = match("/targets/:id", loc.path))) screen = <TargetScreen id={m.id} />;
  else if (match("/reviews", loc.path) && isManager(viewer)) screen = <Reviews />;
  else if (match("/team", loc.path) && isManager(viewer)) screen = <Team />;
  else if (match("/admin/users", loc.path) && isAdmin(viewer)) screen = <AdminUsers />;
  else if (match("/admin/teams", loc.path) && isAdmin(viewer)) screen = <AdminTeams />;
  else if (match("/admin/kpis", loc.path) && isAdmin(viewer)) screen = <AdminKPIs />;
  else if (match("/admin/settings", loc.path) && isAdmin(viewer)) screen = <AdminSettings />;
  else if (match("/inbox", loc.path)) screen = <Inbox data={items} loading={inbox.loading} error={inbox.error} />;
  else screen = <NotFound />;

  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand" aria-label="kpiflow home">
          <span className="brand-mark" aria-hidden="true" />
          kpiflow
        </Link>
        <button className="menu-toggle" aria-expanded={menu} aria-controls="main-nav" onClick={() => setMenu(!menu)}>
          Menu
        </button>
        <nav id="main-nav" className={menu ? "nav open" : "nav"} aria-label="Main">
          {nav.map((n) => (
            <Link
              key={n.to}
              to={n.to}
              className={active(n.to) ? "active" : undefined}
              aria-current={active(n.to) ? "page" : undefined}
              data-inbox-count={n.to === "/inbox" && items ? items.totalCount : undefined}
            >
              {n.label}
              {n.to === "/inbox" && items && items.totalCount > 0 && (
                <span className="badge" data-testid="inbox-badge" aria-label={`${items.totalCount} waiting`}>
                  {items.totalCount}
                </span>
              )}
            </Link>
          ))}
        </nav>
        <div className="who">
          <span data-testid="signed-in">
            {viewer.name} <span className="role">{words(viewer.role)}</span>
          </span>
          <button className="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main className="main">
        <Suspense fallback={<Loading what="the screen" />}>{screen}</Suspense>
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no such page. <Link to="/">Back to the scorecard</Link>
      </p>
    </section>
  );
}

