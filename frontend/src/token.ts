// The access token both pages use, kept in sessionStorage (gone with the tab, never a
// cookie): signing in on one page signs in the other in the same tab.
const TOKEN_KEY = "registry-gateway.token";

export function storedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function storeToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}
