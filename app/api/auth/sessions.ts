import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SESSION_TTL_SECONDS } from '../../../core/limits.ts';
import type { ApiDb } from '../tables.ts';
import { findAccount, type SessionAccount } from './accounts.ts';

export const SESSION_COOKIE = 'sid';

/** Only the hash is stored: whoever reads the sessions table still cannot present a token. */
function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createSession(db: ApiDb, accountId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000);
  await db.insertInto('sessions').values({ id: tokenId(token), accountId, expiresAt }).execute();
  return { token, expiresAt };
}

/** The signed-in account for a cookie token, or undefined when unknown or expired. */
export async function accountForToken(db: ApiDb, token: string): Promise<SessionAccount | undefined> {
  const session = await db
    .selectFrom('sessions')
    .select('accountId')
    .where('id', '=', tokenId(token))
    .where('expiresAt', '>', new Date())
    .executeTakeFirst();
  return session && findAccount(db, session.accountId);
}

export async function deleteSession(db: ApiDb, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', tokenId(token)).execute();
}

/** Ends every session of the account ("sign out everywhere"), or every one but `keepToken`'s (password change). */
export async function deleteAccountSessions(db: ApiDb, accountId: string, keepToken?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('accountId', '=', accountId);
  if (keepToken) query = query.where('id', '!=', tokenId(keepToken));
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes expired sessions (they no longer sign anyone in; the scheduled purge keeps the table small). */
export async function purgeExpiredSessions(db: ApiDb): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expiresAt', '<=', sql<Date>`now()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
