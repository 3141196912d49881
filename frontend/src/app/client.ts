// The app's one GraphQL client: the public /graphql endpoint, the token (if any) as an
// Authorization header, never a cookie (the token is kept by ../token.ts).
import { Client, fetchExchange } from "@urql/core";

export function makeClient(token: string): Client {
  return new Client({
    url: "/graphql",
    exchanges: [fetchExchange],
    preferGetMethod: false,
    fetchOptions: (): RequestInit => ({
      headers: token ? { Authorization: `Bearer ${token}` } : ({} as Record<string, string>),
      credentials: "omit",
    }),
  });
}
