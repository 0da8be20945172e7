import type { CookieOptions, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { AUTH_RATE_LIMIT, SESSION_TTL_SECONDS } from '../../../core/limits.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { accountSchema, displayName, email, password, slug } from '../schemas.ts';
import { createAccount, findAccountForSignIn } from './accounts.ts';
import { assertStrongPassword } from './password-strength.ts';
import { decoyPasswordHash, verifyPassword } from './passwords.ts';
import { clearSignInFailures, recordSignInFailure, signInLockedFor } from './sign-in-throttle.ts';
import { createSession, deleteSession, SESSION_COOKIE } from './sessions.ts';

export interface RateLimitSetting {
  requests: number;
  windowSeconds: number;
}

/** The viewer's address as a limiter key: IPv6 addresses by their /56, which one subscriber usually holds whole. */
export const clientKey = (req: Parameters<RequestHandler>[0]) => ipKeyGenerator(req.clientAddress);

/**
 * A limiter answering with the API's error body and standard RateLimit headers, keyed by default on the
 * viewer's address as the deployment's trusted proxies report it (http/client-address.ts).
 */
export function limiter(setting: RateLimitSetting, keyGenerator: (req: Parameters<RequestHandler>[0]) => string = clientKey) {
  return rateLimit({
    windowMs: setting.windowSeconds * 1000,
    limit: setting.requests,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator,
    handler: (_req, _res, next) => next(new ApiError(429, 'rate_limited', 'Too many requests; wait and try again.')),
  });
}

function cookieOptions(ctx: ApiContext): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: ctx.cookies.secure, path: '/' };
}

async function startSession(ctx: ApiContext, res: Response, accountId: string): Promise<void> {
  const { token } = await createSession(ctx.db, accountId);
  res.cookie(SESSION_COOKIE, token, { ...cookieOptions(ctx), maxAge: SESSION_TTL_SECONDS * 1000 });
}

const accountBody = z.object({ account: accountSchema });

export function authRoutes(routes: RouteTable, ctx: ApiContext, rateLimits: { auth: RateLimitSetting }): void {
  const authLimit = limiter(rateLimits.auth);

  routes.add({
    method: 'post',
    path: '/auth/signup',
    summary: 'Create a buyer or contributor account and sign in',
    tag: 'accounts',
    access: 'public',
    before: [authLimit],
    body: z
      .object({
        email,
        password,
        displayName,
        role: z.enum(['buyer', 'contributor']),
        slug: slug.optional(),
      })
      .strict()
      .refine((body) => body.role !== 'contributor' || body.slug !== undefined, {
        path: ['slug'],
        message: 'contributors need a slug for their public page',
      }),
    responses: {
      201: { description: 'Signed up and signed in (Set-Cookie: sid)', schema: accountBody },
      409: { description: 'E-mail or slug taken' },
      429: { description: 'Too many attempts' },
    },
    async handle({ body, res }) {
      assertStrongPassword('password', body.password, [body.email, body.displayName, body.slug ?? '']);
      const account = await createAccount(ctx.db, body);
      await startSession(ctx, res, account.id);
      return { status: 201, body: { account } };
    },
  });

  routes.add({
    method: 'post',
    path: '/auth/signin',
    summary: 'Sign in with e-mail and password',
    tag: 'accounts',
    access: 'public',
    before: [authLimit],
    body: z.object({ email: z.string().max(254), password: z.string().max(256) }).strict(),
    responses: {
      200: { description: 'Signed in (Set-Cookie: sid)', schema: accountBody },
      401: { description: 'Wrong e-mail or password' },
      429: { description: 'Too many attempts from this address, or too many failures for this e-mail (Retry-After)' },
    },
    async handle({ body, res }) {
      // The same for addresses with and without an account: the backoff says nothing about which exist.
      const lockedFor = await signInLockedFor(ctx.db, body.email);
      if (lockedFor > 0) {
        res.setHeader('Retry-After', String(lockedFor));
        throw new ApiError(429, 'rate_limited', `Too many failed sign-ins for this e-mail; try again in ${lockedFor} s.`);
      }
      const found = await findAccountForSignIn(ctx.db, body.email);
      const ok = await verifyPassword(found?.passwordHash ?? (await decoyPasswordHash()), body.password);
      if (!found || !ok) {
        await recordSignInFailure(ctx.db, body.email);
        throw new ApiError(401, 'invalid_credentials', 'The e-mail or password is wrong.');
      }
      await clearSignInFailures(ctx.db, body.email);
      await startSession(ctx, res, found.account.id);
      return { body: { account: found.account } };
    },
  });

  routes.add({
    method: 'post',
    path: '/auth/signout',
    summary: 'End the session',
    tag: 'accounts',
    access: 'public',
    responses: { 204: { description: 'Signed out' } },
    async handle({ req, res }) {
      const token = req.sessionToken;
      if (token) await deleteSession(ctx.db, token);
      res.clearCookie(SESSION_COOKIE, cookieOptions(ctx));
      return { status: 204 };
    },
  });

  routes.add({
    method: 'get',
    path: '/auth/me',
    summary: 'The signed-in account',
    tag: 'accounts',
    access: 'signed-in',
    responses: { 200: { description: 'The account', schema: accountBody } },
    async handle({ account }) {
      return { body: { account } };
    },
  });
}
