/**
 * Where to go after signing in: the `next` parameter only when it resolves to a page of this origin.
 * String checks (`startsWith('/')`, not `//`) let `/\evil.example` and `/<TAB>/evil.example` through: URL
 * parsing turns `\` into `/` and drops tabs and newlines, so the browser went to another host. Resolving it
 * the way the browser will, and comparing origins, leaves no such gap.
 */
export function safeNextPath(next: string | null | undefined, origin: string): string | null {
  if (!next) return null;
  try {
    const url = new URL(next, origin);
    if (url.origin !== origin) return null;
    // The resolved path, not the raw text: nothing left for the browser to interpret differently.
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return null;
  }
}
