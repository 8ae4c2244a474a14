// The signed-in session: the tokens of the login and refreshToken mutations,
// kept in sessionStorage (this tab only) so that a reload stays signed in.
// The access token is renewed with the refresh token before it expires.
import type { SessionFragment } from "./generated/graphql";

export type Session = SessionFragment;

const storageKey = "kpiflow.console.session";

export function savedSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null) {
  if (s) sessionStorage.setItem(storageKey, JSON.stringify(s));
  else sessionStorage.removeItem(storageKey);
}

// expiresSoon tells whether the access token has less than a minute left.
export function expiresSoon(s: Session): boolean {
  return Date.parse(s.accessTokenExpiresAt) - Date.now() < 60_000;
}
