// Paths the app answers (the gateway serves the app's page for each): / (models),
// /models/NAME, /models/NAME/versions/N and /reviews. Links are plain <a href>, caught
// here so that moving between pages is a render, not a page load.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "models" }
  | { page: "model"; name: string }
  | { page: "version"; name: string; version: number }
  | { page: "reviews" }
  | { page: "missing" };

export function routeOf(path: string): Route {
  if (path === "/" || path === "") return { page: "models" };
  const model = /^\/models\/([^/]+)\/?$/.exec(path);
  if (model) return { page: "model", name: decodeURIComponent(model[1]) };
  const version = /^\/models\/([^/]+)\/versions\/(\d+)\/?$/.exec(path);
  if (version) return { page: "version", name: decodeURIComponent(version[1]), version: Number(version[2]) };
  if (path === "/reviews") return { page: "reviews" };
  return { page: "missing" };
}

export function modelPath(name: string): string {
  return `/models/${encodeURIComponent(name)}`;
}

export function versionPath(name: string, version: number): string {
  return `${modelPath(name)}/versions/${version}`;
}

export function navigate(to: string): void {
  history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function useLocation(): { path: string; search: URLSearchParams } {
  const read = () => ({ path: location.pathname, search: new URLSearchParams(location.search) });
  const [where, setWhere] = useState(read);
  useEffect(() => {
    const moved = () => setWhere(read());
    addEventListener("popstate", moved);
    return () => removeEventListener("popstate", moved);
  }, []);
  return where;
}

/** Same-origin link clicks become navigations; others (new tab, other sites) are left alone. */
export function catchLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    const link = (event.target as HTMLElement).closest("a");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || link.target) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}
