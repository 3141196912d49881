// The app's one GraphQL client: the public /graphql endpoint, the token (if any) as an
// Authorization header, never a cookie (the token is kept by ../token.ts). Subscriptions
// go over graphql-transport-ws on the same path, the token in connection_init (a browser
// cannot set a WebSocket's headers); the socket opens only while a page is subscribed.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createSocket } from "graphql-ws";

export function makeClient(token: string): Client {
  const authorization: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const socket = createSocket({
    url: new URL("/graphql", location.href).href.replace(/^http/, "ws"),
    connectionParams: authorization,
    lazy: true,
    // Keep trying while the server is away, at most 30 s apart; a refused token (4403) is final.
    retryAttempts: Infinity,
    retryWait: (retries) =>
      new Promise((resume) => setTimeout(resume, Math.min(30_000, 1000 * 2 ** retries) + Math.random() * 1000)),
    shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4403),
  });
  return new Client({
    url: "/graphql",
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? "" }, sink) }),
        }),
      }),
    ],
    preferGetMethod: false,
    fetchOptions: (): RequestInit => ({ headers: authorization, credentials: "omit" }),
  });
}
