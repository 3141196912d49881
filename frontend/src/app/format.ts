// Values from the registry are shown as text only (JSX escapes them); a URI becomes a link
// only when it is http(s), so a `javascript:` source is never one.
export function safeHref(uri: string): string | null {
  try {
    const url = new URL(uri);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
