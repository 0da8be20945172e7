/**
 * The scheduled purge of what expires in the auth tables: sessions past their expiry, verification links a
 * week past theirs, runs of sign-in failures nobody continued, account-mail windows that are over, and
 * accounts never verified within the link lifetime. Every API host runs it on a timer (the
 * deletes are idempotent, so hosts running it at once only repeat each other's work); no extra scheduler,
 * function or IAM is needed in AWS.
 */
import type { Logger } from 'pino';
import type { ApiDb } from '../tables.ts';
import { purgeEmailVerifications } from './email-verification.ts';
import { purgeAccountMailThrottle } from './mail-throttle.ts';
import { purgeExpiredSessions } from './sessions.ts';
import { purgeSignInFailures } from './sign-in-throttle.ts';
import { purgeUnverifiedAccounts } from './unverified-accounts.ts';

export interface PurgeCounts {
  sessions: number;
  emailVerifications: number;
  signInFailures: number;
  accountMailThrottle: number;
  unverifiedAccounts: number;
}

export interface PurgeOptions {
  /**
   * Delete accounts never verified within the link lifetime. Only where mail is sent: without it no account
   * can be verified, and every sign-up would be deleted.
   */
  expireUnverifiedAccounts: boolean;
}

export async function purgeExpiredAuthRows(db: ApiDb, options: PurgeOptions): Promise<PurgeCounts> {
  return {
    sessions: await purgeExpiredSessions(db),
    emailVerifications: await purgeEmailVerifications(db),
    signInFailures: await purgeSignInFailures(db),
    accountMailThrottle: await purgeAccountMailThrottle(db),
    unverifiedAccounts: options.expireUnverifiedAccounts ? await purgeUnverifiedAccounts(db) : 0,
  };
}

export interface Housekeeping {
  /** Stops the timers and waits for a purge in progress (the pool is usually closed next). */
  stop(): Promise<void>;
}

/** Purges now (soon after start) and then every `intervalSeconds`; a failed run is logged and retried next time. */
export function startAuthHousekeeping(db: ApiDb, logger: Logger, intervalSeconds: number, options: PurgeOptions): Housekeeping {
  let running: Promise<void> | undefined;
  const purge = async () => {
    try {
      const counts = await purgeExpiredAuthRows(db, options);
      logger.info({ purged: counts }, 'purged expired auth rows');
    } catch (error) {
      logger.warn({ err: error }, 'purging expired auth rows failed; retrying at the next interval');
    } finally {
      running = undefined;
    }
  };
  const run = () => {
    running ??= purge();
  };
  const first = setTimeout(run, Math.min(5_000, intervalSeconds * 1000));
  const timer = setInterval(run, intervalSeconds * 1000);
  first.unref();
  timer.unref();
  return {
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
