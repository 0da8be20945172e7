/**
 * Server-side reads from the API. Server components call the API on API_INTERNAL_URL: its internal
 * address where there is one (http://api:3001 in Docker, on a dev host), the storefront's CloudFront
 * origin in prod (with the origin secret, see core/edge/origin-verify.ts), and forward the browser's
 * Cookie header unchanged when the page depends on who is asking.
 */
import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { connection } from 'next/server';
import { z } from 'zod';
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER } from '../../../core/edge/origin-verify.ts';
import { accountSchema, apiErrorSchema } from './api-types.ts';

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

function apiBaseUrl(): string {
  const base = process.env.API_INTERNAL_URL;
  if (!base) throw new Error('API_INTERNAL_URL is not set: the web server needs the API address (e.g. http://127.0.0.1:4000)');
  return base.replace(/\/+$/, '');
}

export interface ApiGetOptions {
  /** Forward the visitor's session: for pages that show their own drafts or unpublished sets. */
  asVisitor?: boolean;
  /** A 404 from the API renders the page's not-found UI instead of throwing. */
  notFoundOn404?: boolean;
}

export async function apiGet<S extends z.ZodType>(
  path: string,
  schema: S,
  options: ApiGetOptions = {},
): Promise<z.infer<S>> {
  // Catalog pages are rendered per request (never prerendered at build time, when no API is running).
  await connection();
  const requestHeaders: Record<string, string> = { accept: 'application/json' };
  // Behind CloudFront (prod) the API is reached through it too: the origin secret marks the
  // storefront's own calls, which the edge's per-address rate limit leaves to the API.
  const originSecret = process.env[ORIGIN_VERIFY_ENV];
  if (originSecret) requestHeaders[ORIGIN_VERIFY_HEADER] = originSecret;
  if (options.asVisitor) {
    const cookie = (await headers()).get('cookie');
    if (cookie) requestHeaders.cookie = cookie;
  }
  const response = await fetch(`${apiBaseUrl()}${path}`, { headers: requestHeaders, cache: 'no-store' });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 404 && options.notFoundOn404 !== false) notFound();
    const parsed = apiErrorSchema.safeParse(body);
    throw new ApiRequestError(
      response.status,
      parsed.success ? parsed.data.error.code : 'unknown',
      parsed.success ? parsed.data.error.message : `GET ${path} answered ${response.status}`,
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`GET ${path}: the response does not match the API contract: ${parsed.error.message}`);
  return parsed.data;
}

/** The signed-in account, or null. */
export async function currentAccount() {
  const { account } = await apiGet('/api/auth/me', z.object({ account: accountSchema.nullable() }), { asVisitor: true, notFoundOn404: false });
  return account;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
