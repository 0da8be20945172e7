/**
 * The secret origin header: CloudFront adds it to every request it sends to the storefront's and
 * the API's origins (its value is a per-stack random secret), and the origins refuse requests
 * without it, so neither the ALB nor the Lightsail container service can be reached except
 * through CloudFront and its web ACL. The storefront's own server sends it on its calls to the
 * API (which go through CloudFront too), which is how the edge's per-address rate limit tells
 * them from a visitor's (infra/components/waf.ts).
 */
import { timingSafeEqual } from 'node:crypto';

/** Lower case: CloudFront, the ALB, WAF and Node all compare header names case-insensitively. */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** The variable a web server reads the secret from; unset (local runs, tests), nothing is checked. */
export const ORIGIN_VERIFY_ENV = 'ORIGIN_VERIFY_SECRET';

/** Paths the origin's own health checks reach without CloudFront (Lightsail checks the container directly). */
export const ORIGIN_UNCHECKED_PATHS = ['/healthz'] as const;

/** Whether a request may be served: no secret configured, an unchecked path, or the header equals the secret. */
export function originRequestAllowed(secret: string | undefined, path: string, headerValue: string | null | undefined): boolean {
  if (!secret) return true;
  if ((ORIGIN_UNCHECKED_PATHS as readonly string[]).includes(path)) return true;
  if (typeof headerValue !== 'string') return false;
  const given = Buffer.from(headerValue);
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
