/**
 * Per-account backoff on failed sign-ins, shared by every API host through PostgreSQL (migration 0023).
 * The per-address rate limit stops one client; this stops many clients (a botnet, rotating addresses)
 * guessing one account's password. The first few failures are free (typos); after that every failure
 * locks the address out for twice as long as the one before, up to a cap, and a success clears the count.
 * While locked, the password is not even checked, so guesses made then tell nothing.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { ApiDb } from '../tables.ts';

export const SIGN_IN_BACKOFF = {
  /** Failures in a row that cost nothing (typos); the next one starts the delays. */
  freeFailures: 5,
  /** Delay after the first counted failure; doubles with each further one. */
  firstDelaySeconds: 30,
  maxDelaySeconds: 15 * 60,
  /** A run of failures this long ago is forgotten. */
  forgetAfterSeconds: 60 * 60,
} as const;

export function emailHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/** Seconds until this e-mail may try again, or 0. */
export async function signInLockedFor(db: ApiDb, email: string): Promise<number> {
  const row = await db
    .selectFrom('signInFailures')
    .select(sql<number>`ceil(extract(epoch from locked_until - now()))::int`.as('seconds'))
    .where('emailHash', '=', emailHash(email))
    .where('lockedUntil', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row?.seconds ?? 0;
}

/** Counts a failure (one statement, so concurrent failures on several hosts all count) and sets the lock. */
export async function recordSignInFailure(db: ApiDb, email: string): Promise<void> {
  const { freeFailures, firstDelaySeconds, maxDelaySeconds, forgetAfterSeconds } = SIGN_IN_BACKOFF;
  const failures = sql<number>`case when sign_in_failures.last_failure_at < now() - make_interval(secs => ${forgetAfterSeconds}::int)
    then 1 else sign_in_failures.failures + 1 end`;
  // The (freeFailures + 1)th failure locks for firstDelaySeconds, each further one for twice as long.
  const lockFor = (count: typeof failures) =>
    sql<Date | null>`case when ${count} > ${freeFailures}::int
      then now() + make_interval(secs => least(${maxDelaySeconds}::int, ${firstDelaySeconds}::int * power(2, least(${count} - ${freeFailures}::int - 1, 20))))
      end`;
  await db
    .insertInto('signInFailures')
    .values({ emailHash: emailHash(email), failures: 1, lastFailureAt: sql<Date>`now()`, lockedUntil: lockFor(sql<number>`1`) })
    .onConflict((oc) => oc.column('emailHash').doUpdateSet({ failures, lastFailureAt: sql<Date>`now()`, lockedUntil: lockFor(failures) }))
    .execute();
}

export async function clearSignInFailures(db: ApiDb, email: string): Promise<void> {
  await db.deleteFrom('signInFailures').where('emailHash', '=', emailHash(email)).execute();
}

/** Forgets runs of failures nobody continued (the scheduled purge). */
export async function purgeSignInFailures(db: ApiDb): Promise<number> {
  const result = await db
    .deleteFrom('signInFailures')
    .where('lastFailureAt', '<', sql<Date>`now() - make_interval(secs => ${SIGN_IN_BACKOFF.forgetAfterSeconds})`)
    .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<', sql<Date>`now()`)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
