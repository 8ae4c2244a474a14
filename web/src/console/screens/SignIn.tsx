import { useState, type FormEvent } from "react";
import { useMutation } from "@apollo/client/react";
import type { Auth } from "../client";
import { LoginDocument } from "../generated/graphql";
import { Problem } from "../ui";

export function SignIn({ auth }: { auth: Auth }) {
  const [login, { loading, error }] = useMutation(LoginDocument, { context: { anonymous: true } });
  const [organization, setOrganization] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const input: { email: string; password: string; organizationID?: string } = {
      email: String(f.get("email") ?? ""),
      password: String(f.get("password") ?? ""),
    };
    const org = String(f.get("organization") ?? "");
    if (org) input.organizationID = org;
    try {
      const { data } = await login({ variables: { input } });
      if (data) auth.set(data.login);
    } catch {
      // shown from error
    }
  };
  return (
    <main className="signin-page">
      <form className="signin card" onSubmit={submit}>
        <h1>
          <span className="brand-mark" aria-hidden="true" /> kpiflow
        </h1>
        <p className="muted">Targets, scorecards and reviews for your sales team.</p>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {organization ? (
          <label>
            Organization ID
            <input name="organization" />
          </label>
        ) : (
          <button type="button" className="link" onClick={() => setOrganization(true)}>
            My email signs in to several organizations
          </button>
        )}
        <button type="submit" className="primary" disabled={loading}>
          Sign in
        </button>
        <Problem error={error} />
      </form>
    </main>
  );
}
