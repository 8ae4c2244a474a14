// The signed-in session of the GraphiQL page: the API's login, refreshToken
// and logout mutations, kept in sessionStorage (this tab only) so that a
// reload stays signed in.

export type Viewer = { name: string; email: string; role: string };

export type Session = {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  viewer: Viewer;
};

const storageKey = "kpiflow.session";

const payload = `accessToken accessTokenExpiresAt refreshToken viewer { name email role }`;

export class APIError extends Error {
  code?: string;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

async function call<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = await res.json();
  } catch {
    throw new APIError(`the server answered ${res.status}`);
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new APIError(e.message, e.extensions?.code);
  }
  if (!body.data) throw new APIError(`the server answered ${res.status} without data`);
  return body.data;
}

export async function login(email: string, password: string, organizationID?: string): Promise<Session> {
  const input: Record<string, string> = { email, password };
  if (organizationID) input.organizationID = organizationID;
  const data = await call<{ login: Session }>(
    `mutation Login($input: LoginInput!) { login(input: $input) { ${payload} } }`,
    { input },
  );
  save(data.login);
  return data.login;
}

export async function refresh(s: Session): Promise<Session> {
  const data = await call<{ refreshToken: Session }>(
    `mutation Refresh($input: RefreshTokenInput!) { refreshToken(input: $input) { ${payload} } }`,
    { input: { refreshToken: s.refreshToken } },
  );
  save(data.refreshToken);
  return data.refreshToken;
}

export async function logout(s: Session): Promise<void> {
  forget();
  try {
    await call(`mutation Logout($input: LogoutInput!) { logout(input: $input) { ok } }`, {
      input: { refreshToken: s.refreshToken },
    });
  } catch {
    // Signed out here either way; the server forgets the session when it expires.
  }
}

export function saved(): Session | null {
  try {
    const raw = sessionStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function save(s: Session) {
  sessionStorage.setItem(storageKey, JSON.stringify(s));
}

export function forget() {
  sessionStorage.removeItem(storageKey);
}

// expiresSoon tells whether the access token has less than a minute left.
export function expiresSoon(s: Session): boolean {
  return Date.parse(s.accessTokenExpiresAt) - Date.now() < 60_000;
}
