/**
 * Cross-origin request protection for mutations, with the rules of Go 1.25's http.CrossOriginProtection:
 * browsers say where a request comes from (Sec-Fetch-Site since 2023, Origin on every POST for longer), so a
 * form or fetch from another origin — even a sibling port on the same site, which SameSite=Lax cookies do
 * not stop — is refused before it reaches a handler. Requests carrying neither header are not from a browser
 * (servers, scripts, Node tests) and cannot ride a visitor's cookies, so they pass.
 */
import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors.ts';

/** Methods that change nothing and are never checked. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CrossOriginOptions {
  /**
   * Origins that may send mutations besides the request's own host (`https://marketplace.example`): the
   * marketplace's public origin, configured because proxies (CloudFront) may rewrite the Host header.
   */
  trustedOrigins: readonly string[];
}

/** Why a request is refused, or undefined when it may go on. Exported for its unit of meaning, not for reuse. */
export function crossOriginRefusal(req: Pick<Request, 'method' | 'headers'>, trusted: ReadonlySet<string>): string | undefined {
  if (SAFE_METHODS.has(req.method)) return undefined;
  const origin = single(req.headers.origin);
  const site = single(req.headers['sec-fetch-site']);
  if (site !== undefined) {
    // A browser that sends Sec-Fetch-Site has told us everything: trust it over Origin.
    if (site === 'same-origin' || site === 'none') return undefined;
    if (origin !== undefined && trusted.has(origin)) return undefined;
    return `Sec-Fetch-Site is ${site}`;
  }
  if (origin === undefined) return undefined;
  if (trusted.has(origin)) return undefined;
  // Go compares the Origin's host with the Host the request was sent to.
  const host = single(req.headers.host);
  if (host !== undefined && hostOf(origin) === host.toLowerCase()) return undefined;
  return `Origin ${origin} is not this marketplace`;
}

/** Refuses cross-origin mutations with a 403 (the body names the reason). */
export function crossOriginProtection(options: CrossOriginOptions): RequestHandler {
  const trusted = new Set(options.trustedOrigins.map(normalOrigin));
  return (req, _res, next) => {
    const refusal = crossOriginRefusal(req, trusted);
    if (refusal) throw new ApiError(403, 'forbidden', `Cross-origin request refused (${refusal}).`);
    next();
  };
}

/** `https://Example.test:443/x` → `https://example.test`, as browsers serialise an Origin header. */
export function normalOrigin(origin: string): string {
  return new URL(origin).origin;
}

function hostOf(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.host.toLowerCase();
  } catch {
    return undefined;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
