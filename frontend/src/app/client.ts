// The app's one GraphQL client: the public /graphql endpoint, the token (if any) as an
// Authorization header, never a cookie.
import { Client, fetchExchange } from "@urql/core";

const TOKEN_KEY = "registry-gateway.token"; // sessionStorage: gone with the tab; shared with GraphiQL's page

export function storedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function storeToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

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
