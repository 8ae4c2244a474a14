import { StrictMode, useCallback, useMemo, useRef, useState, type FormEvent } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { createClient } from "graphql-ws";
import "graphiql/graphiql.css";
import "./page.css";
import { expiresSoon, login, logout, refresh, saved, type Session } from "./session";

const defaultQuery = `# Welcome to kpiflow. Sign in above (the demo logins share the password
# demo-password: rep@demo.kpiflow.test, manager@demo.kpiflow.test,
# admin@demo.kpiflow.test), then run this query with the ▶ button or Ctrl-Enter.
# Signed in, every request carries the header Authorization: Bearer <token>.

{
  viewer {
    name
    role
    team { name }
  }
}
`;

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      onSignedIn(
        await login(String(f.get("email") ?? ""), String(f.get("password") ?? ""), String(f.get("organization") ?? "") || undefined),
      );
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="kf-signin" onSubmit={submit} aria-label="Sign in">
      <input name="email" type="email" placeholder="email" autoComplete="username" required aria-label="Email" />
      <input name="password" type="password" placeholder="password" autoComplete="current-password" required aria-label="Password" />
      <input name="organization" placeholder="organization ID (optional)" aria-label="Organization ID" />
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      {error && (
        <span className="kf-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function Page() {
  const [session, setSession] = useState<Session | null>(saved);
  // The fetcher reads the session through a ref: it renews the access token
  // before it expires without GraphiQL being built anew.
  const current = useRef(session);
  current.current = session;

  const token = useCallback(async (): Promise<string | null> => {
    let s = current.current;
    if (!s) return null;
    if (expiresSoon(s)) {
      try {
        s = await refresh(s);
        current.current = s;
        setSession(s);
      } catch {
        current.current = null;
        setSession(null);
        return null;
      }
    }
    return s.accessToken;
  }, []);

  const signedIn = session !== null;
  const fetcher = useMemo(() => {
    const ws = location.protocol === "https:" ? "wss:" : "ws:";
    const wsClient = signedIn
      ? createClient({
          url: `${ws}//${location.host}/graphql`,
          lazy: true,
          connectionParams: async () => {
            const t = await token();
            return t ? { Authorization: `Bearer ${t}` } : {};
          },
        })
      : undefined;
    return createGraphiQLFetcher({
      url: "/graphql",
      wsClient,
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        const t = await token();
        // A header typed in GraphiQL's headers pane wins.
        if (t && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${t}`);
        return fetch(input, { ...init, headers });
      },
    });
  }, [signedIn, token]);

  const signOut = async () => {
    const s = current.current;
    current.current = null;
    setSession(null);
    if (s) await logout(s);
  };

  return (
    <div className="kf-page">
      <header className="kf-bar">
        <strong className="kf-title">kpiflow</strong>
        {session ? (
          <div className="kf-who">
            <span data-testid="signed-in">
              Signed in as <b>{session.viewer.name}</b> ({session.viewer.email}, {session.viewer.role})
            </span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : (
          <SignIn onSignedIn={setSession} />
        )}
      </header>
      <main className="kf-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} key={signedIn ? "in" : "out"}>
          <GraphiQL.Logo>kpiflow</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Page />
  </StrictMode>,
);
