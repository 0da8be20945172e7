import type { CookieOptions, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { AUTH_RATE_LIMIT, SESSION_TTL_SECONDS } from '../../../core/limits.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { accountSchema, displayName, email, password, slug } from '../schemas.ts';
import { claimAccountMail, existingAccountMail, passwordChangedMail, verificationMail } from '../mail/account-mails.ts';
import { AccountConflict, createAccount, findAccountForSignIn, slugTaken, type SessionAccount } from './accounts.ts';
import { createEmailVerification, useEmailVerification, type PendingSignUp } from './email-verification.ts';
import { claimAccountMail as claimMailSlot } from './mail-throttle.ts';
import { assertStrongPassword } from './password-strength.ts';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords.ts';
import { clearSignInFailures, recordSignInFailure, signInLockedFor } from './sign-in-throttle.ts';
import { createSession, deleteAccountSessions, deleteSession, SESSION_COOKIE } from './sessions.ts';
import { expireUnverifiedAccount } from './unverified-accounts.ts';

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

/** Sign-up's one reply, whether the address was new or taken: it must not tell which. */
const SIGNED_UP = {
  status: 'verification_sent',
  message: 'Check your inbox: we sent a link to confirm the address. If you already have an account, sign in instead.',
} as const;
const signedUpBody = z.object({ status: z.literal(SIGNED_UP.status), message: z.string() });

/**
 * Mails a verification link, unless this address had its verification mails for the hour (mail-throttle.ts);
 * with `pending`, a link that lets the mailbox's owner claim the unverified account.
 */
async function sendVerification(ctx: ApiContext, account: SessionAccount, pending?: PendingSignUp): Promise<void> {
  if (!(await claimMailSlot(ctx.db, account.email, 'verification'))) return;
  const token = await createEmailVerification(ctx.db, account, pending);
  const link = ctx.mail.link(`/verify-email?token=${token}`);
  await ctx.mail.send(pending ? claimAccountMail(account.email, pending.displayName, link) : verificationMail(account.email, account.displayName, link));
}

export function authRoutes(routes: RouteTable, ctx: ApiContext, rateLimits: { auth: RateLimitSetting }): void {
  const authLimit = limiter(rateLimits.auth);

  routes.add({
    method: 'post',
    path: '/auth/signup',
    summary: 'Create a buyer or contributor account and mail a link that verifies its address',
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
      202: {
        description:
          'The same for a new and a taken address, mailed or not: a new one gets its account and a verification mail; a verified one a ' +
          'notice to its owner (once a day); an unverified one a link that lets the mailbox claim the account with this password. ' +
          'Verification mails: a few an hour per address. No session.',
        schema: signedUpBody,
      },
      409: { description: 'Contributor slug taken (slugs are public; checked before the address is looked at)' },
      429: { description: 'Too many attempts' },
    },
    async handle({ body }) {
      assertStrongPassword('password', body.password, [body.email, body.displayName, body.slug ?? '']);
      // Before the address: a slug conflict answered only for new addresses would tell which addresses are taken.
      if (body.slug && (await slugTaken(ctx.db, body.slug))) throw new AccountConflict('slug');
      let existing = await findAccountForSignIn(ctx.db, body.email);
      // An account never verified within the link lifetime gives way to this sign-up (unverified-accounts.ts),
      // where verifying is possible at all: without mail every account is unverified.
      if (existing && !existing.account.emailVerified && ctx.mail.sends && (await expireUnverifiedAccount(ctx.db, existing.account.id))) {
        existing = undefined;
      }
      if (existing) {
        // The argon2 work a new account costs, so the reply takes as long as a real sign-up's.
        const passwordHash = await hashPassword(body.password);
        if (!existing.account.emailVerified) {
          // Nobody proved the address yet: the mailbox's owner may claim the account with this sign-up's password.
          await sendVerification(ctx, existing.account, { passwordHash, displayName: body.displayName });
        } else if (await claimMailSlot(ctx.db, existing.account.email, 'signUpNotice')) {
          await ctx.mail.send(existingAccountMail(existing.account.email, ctx.mail.link('/signin')));
        }
        return { status: 202, body: SIGNED_UP };
      }
      try {
        const account = await createAccount(ctx.db, { ...body, emailVerified: false });
        await sendVerification(ctx, account);
      } catch (error) {
        // Another request created this address in between: as taken, so answered the same.
        if (!(error instanceof AccountConflict && error.field === 'email')) throw error;
      }
      return { status: 202, body: SIGNED_UP };
    },
  });

  routes.add({
    method: 'post',
    path: '/auth/verify-email',
    summary: "Verify the account's address with the token of a mailed link (idempotent)",
    tag: 'accounts',
    access: 'public',
    before: [authLimit],
    // A claim link (an address squatted by an unverified sign-up) needs the password of the sign-up it answers.
    body: z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a link token'), password: z.string().max(1024).optional() }).strict(),
    responses: {
      200: {
        description: 'Verified (also when the link was already used); a claim link also sets the password of the sign-up it answers and ends every session',
        schema: z.object({ status: z.literal('verified') }),
      },
      400: { description: 'Unknown or expired link (invalid_token)' },
      401: { description: 'A claim link without the password chosen at its sign-up (invalid_credentials): nothing changed' },
    },
    async handle({ body }) {
      const outcome = await useEmailVerification(ctx.db, body.token, body.password);
      if (outcome === 'invalid') {
        throw new ApiError(400, 'invalid_token', 'This link is not valid or has expired. Sign in and ask for a new one on your account page.');
      }
      if (outcome === 'password_required') {
        throw new ApiError(
          401,
          'invalid_credentials',
          'This link finishes a sign-up: enter the password you chose when you signed up. If you did not just sign up, ignore the link.',
        );
      }
      return { body: { status: 'verified' as const } };
    },
  });

  routes.add({
    method: 'post',
    path: '/auth/verify-email/resend',
    summary: 'Mail a new verification link to the signed-in account (nothing when already verified, or past a few an hour)',
    tag: 'accounts',
    access: 'signed-in',
    before: [authLimit],
    responses: { 202: { description: 'Sent, unless the address is verified', schema: z.object({ status: z.enum(['verification_sent', 'already_verified']) }) } },
    async handle({ account }) {
      if (account.emailVerified) return { status: 202, body: { status: 'already_verified' as const } };
      await sendVerification(ctx, account);
      return { status: 202, body: { status: 'verification_sent' as const } };
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
    method: 'post',
    path: '/auth/signout-everywhere',
    summary: "End every session of the account, this one included",
    tag: 'accounts',
    access: 'signed-in',
    responses: { 204: { description: 'Every session ended, cookie cleared' } },
    async handle({ account, res }) {
      await deleteAccountSessions(ctx.db, account.id);
      res.clearCookie(SESSION_COOKIE, cookieOptions(ctx));
      return { status: 204 };
    },
  });

  routes.add({
    method: 'post',
    path: '/auth/password',
    summary: 'Change the password (the current one required); every other session is signed out',
    tag: 'accounts',
    access: 'signed-in',
    before: [authLimit],
    body: z.object({ currentPassword: z.string().max(256), newPassword: password }).strict(),
    responses: {
      204: { description: 'Changed; this session stays, the others end' },
      400: { description: 'The new password is too weak (body.newPassword)' },
      401: { description: 'The current password is wrong (invalid_credentials)' },
      429: { description: "Too many wrong passwords for this account's e-mail (the sign-in backoff; Retry-After)" },
    },
    async handle({ account, body, req, res }) {
      // A stolen session must not become a way to guess the password: the same backoff as sign-in.
      const lockedFor = await signInLockedFor(ctx.db, account.email);
      if (lockedFor > 0) {
        res.setHeader('Retry-After', String(lockedFor));
        throw new ApiError(429, 'rate_limited', `Too many wrong passwords; try again in ${lockedFor} s.`);
      }
      const found = await findAccountForSignIn(ctx.db, account.email);
      if (!found || !(await verifyPassword(found.passwordHash, body.currentPassword))) {
        await recordSignInFailure(ctx.db, account.email);
        throw new ApiError(401, 'invalid_credentials', 'The current password is wrong.');
      }
      assertStrongPassword('newPassword', body.newPassword, [account.email, account.displayName, account.contributor?.slug ?? '']);
      const passwordHash = await hashPassword(body.newPassword);
      await ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('accounts').set({ passwordHash }).where('id', '=', account.id).execute();
        await deleteAccountSessions(trx, account.id, req.sessionToken);
      });
      await clearSignInFailures(ctx.db, account.email);
      await ctx.mail.send(passwordChangedMail(account.email, ctx.mail.link('/signin')));
      return { status: 204 };
    },
  });

  routes.add({
    method: 'get',
    path: '/auth/me',
    summary: 'The signed-in account, or null for a visitor (200 either way: anonymous pages ask too)',
    tag: 'accounts',
    access: 'public',
    responses: { 200: { description: 'The account, or null', schema: z.object({ account: accountSchema.nullable() }) } },
    async handle({ req }) {
      return { body: { account: req.account ?? null } };
    },
  });
}
