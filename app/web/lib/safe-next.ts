/**
 * Where to go after signing in: the `next` parameter only when it resolves to a page of this origin.
 * String checks (`startsWith('/')`, not `//`) let `/\evil.example` and `/<TAB>/evil.example` through: URL
 * parsing turns `\` into `/` and drops tabs and newlines, so the browser went to another host. Resolving it
 * the way the browser will, and comparing origins, leaves no such gap. The resolved path itself can start with
 * `//` (`/.//evil.example` resolves to the path `//evil.example`), which the browser then reads as another host,
 * so the path we hand back is resolved once more and must stay on this origin.
 */
export function safeNextPath(next: string | null | undefined, origin: string): string | null {
  if (!next) return null;
  try {
    const url = new URL(next, origin);
    if (url.origin !== origin) return null;
    // The resolved path, not the raw text: nothing left for the browser to interpret differently.
    const path = `${url.pathname}${url.search}${url.hash}`;
    return new URL(path, origin).origin === origin ? path : null;
  } catch {
    return null;
  }
}
