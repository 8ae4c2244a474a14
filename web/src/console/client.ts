// The console's GraphQL client: Apollo Client over one origin. Queries and
// mutations go over HTTP with the session's bearer token, renewed first when
// it is about to expire; subscriptions go over WebSocket (graphql-ws, the
// graphql-transport-ws protocol the server speaks) with the token in the
// connection parameters, reconnecting with the current token.
import { ApolloClient, ApolloLink, HttpLink } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { ErrorLink } from "@apollo/client/link/error";
import { CombinedGraphQLErrors } from "@apollo/client/errors";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import { Kind, OperationTypeNode } from "graphql";
import { consoleCache } from "./cache";
import { RefreshDocument } from "./generated/graphql";
import { expiresSoon, saveSession, savedSession, type Session } from "./session";

type Listener = (s: Session | null) => void;

// Auth holds the session and tells the shell when it changes.
export class Auth {
  session: Session | null = savedSession();
  private listeners = new Set<Listener>();
  private renewing: Promise<Session | null> | null = null;
  client!: ApolloClient;

  set(s: Session | null) {
    this.session = s;
    saveSession(s);
    this.listeners.forEach((l) => l(s));
  }

  subscribe(l: Listener) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }

  // token is the access token to send, renewed first when it expires soon
  // (once for all the requests that ask at the same time).
  async token(): Promise<string | null> {
    const s = this.session;
    if (!s) return null;
    if (!expiresSoon(s)) return s.accessToken;
    this.renewing ??= this.renew(s).finally(() => (this.renewing = null));
    return (await this.renewing)?.accessToken ?? null;
  }

  private async renew(s: Session): Promise<Session | null> {
    try {
      const { data } = await this.client.mutate({
        mutation: RefreshDocument,
        variables: { input: { refreshToken: s.refreshToken } },
        context: { anonymous: true },
        fetchPolicy: "no-cache",
      });
      const next = data?.refreshToken ?? null;
      this.set(next);
      return next;
    } catch {
      this.set(null); // the session ended (expired or signed out elsewhere)
      return null;
    }
  }
}

export function createConsoleClient(auth: Auth): ApolloClient {
  const http = new HttpLink({ uri: "/graphql" });
  const withToken = new SetContextLink(async (prev) => {
    if (prev.anonymous) return {};
    const token = await auth.token();
    return token ? { headers: { ...prev.headers, Authorization: `Bearer ${token}` } } : {};
  });
  // A signed-in request refused as UNAUTHENTICATED means the session ended
  // (signed out elsewhere, the account deactivated): back to the sign-in.
  const ended = new ErrorLink(({ error, operation }) => {
    if (operation.getContext().anonymous || !CombinedGraphQLErrors.is(error)) return;
    if (error.errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) auth.set(null);
  });
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new GraphQLWsLink(
    createClient({
      url: `${proto}//${location.host}/graphql`,
      connectionParams: async () => {
        const token = await auth.token();
        return token ? { Authorization: `Bearer ${token}` } : {};
      },
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => auth.session !== null,
    }),
  );
  const link = ApolloLink.split(
    ({ query }) => {
      const d = getMainDefinition(query);
      return d.kind === Kind.OPERATION_DEFINITION && d.operation === OperationTypeNode.SUBSCRIPTION;
    },
    ws,
    ApolloLink.from([ended, withToken, http]),
  );
  const client = new ApolloClient({ link, cache: consoleCache() });
  auth.client = client;
  return client;
}
