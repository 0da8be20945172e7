/**
 * Per-recipient limits on account mail, shared by every API host through PostgreSQL (migration 0051). The
 * per-client-address auth limit stops one client; this stops anyone (many clients) using sign-up or resend
 * to mail one address over and over in the marketplace's name. Callers answer the same whether or not the
 * mail went out, so the limit tells nothing about which addresses have accounts.
 */
import { sql } from 'kysely';
import { ACCOUNT_MAIL_LIMITS } from '../../../core/limits.ts';
import type { ApiDb } from '../tables.ts';
import { emailHash } from './sign-in-throttle.ts';

export type AccountMailKind = keyof typeof ACCOUNT_MAIL_LIMITS;

/**
 * Claims one mail of `kind` to `email` in the current window: true when it may be sent (and is counted),
 * false when the window's mails are spent. One statement, so concurrent requests on several hosts cannot
 * both take the last slot.
 */
export async function claimAccountMail(db: ApiDb, email: string, kind: AccountMailKind): Promise<boolean> {
  const { mails, windowSeconds } = ACCOUNT_MAIL_LIMITS[kind];
  const windowOver = sql<boolean>`account_mail_throttle.window_started_at <= now() - make_interval(secs => ${windowSeconds}::int)`;
  const row = await db
    .insertInto('accountMailThrottle')
    .values({ recipientHash: emailHash(email), kind, windowStartedAt: sql<Date>`now()`, sent: 1 })
    .onConflict((oc) =>
      oc
        .columns(['recipientHash', 'kind'])
        .doUpdateSet({
          windowStartedAt: sql<Date>`case when ${windowOver} then now() else account_mail_throttle.window_started_at end`,
          sent: sql<number>`case when ${windowOver} then 1 else account_mail_throttle.sent + 1 end`,
        })
        .where((eb) => eb.or([windowOver, eb('accountMailThrottle.sent', '<', mails)])),
    )
    .returning('sent')
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets windows that are over (the scheduled purge): the longest window is the oldest row worth keeping. */
export async function purgeAccountMailThrottle(db: ApiDb): Promise<number> {
  const longest = Math.max(...Object.values(ACCOUNT_MAIL_LIMITS).map((limit) => limit.windowSeconds));
  const result = await db
    .deleteFrom('accountMailThrottle')
    .where('windowStartedAt', '<', sql<Date>`now() - make_interval(secs => ${longest}::int)`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
