/**
 * Unverified accounts expire (hostile review finding 4): a sign-up whose address was never proven within the
 * link lifetime frees the address again, so an account made with somebody else's address does not hold it.
 * The scheduled purge deletes them; sign-up deletes one it meets, then creates the new account in its place.
 * An account something refers to (an order, a download, a draft) is kept, whatever its age: a foreign key
 * refuses the delete, and its address can still be claimed through the mailbox (email-verification.ts).
 */
import { sql } from 'kysely';
import { EMAIL_VERIFICATION_TTL_SECONDS } from '../../../core/limits.ts';
import type { ApiDb } from '../tables.ts';

const FOREIGN_KEY_VIOLATION = '23503';

function staleUnverified(db: ApiDb) {
  return db
    .selectFrom('accounts')
    .select(['id', 'contributorId'])
    .where('emailVerifiedAt', 'is', null)
    .where('createdAt', '<', sql<Date>`now() - make_interval(secs => ${EMAIL_VERIFICATION_TTL_SECONDS}::int)`);
}

/** Deletes one stale unverified account (and its empty contributor record); false when kept or not stale. */
async function deleteStale(db: ApiDb, accountId: string): Promise<boolean> {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await staleUnverified(trx).where('id', '=', accountId).forUpdate().executeTakeFirst();
      if (!row) return false;
      // Sessions and verification links go with it (on delete cascade).
      await trx.deleteFrom('accounts').where('id', '=', row.id).execute();
      if (row.contributorId) await trx.deleteFrom('contributors').where('id', '=', row.contributorId).execute();
      return true;
    });
  } catch (error) {
    if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) return false;
    throw error;
  }
}

/** Sign-up's check: true when the account was unverified past the link lifetime and is now gone. */
export async function expireUnverifiedAccount(db: ApiDb, accountId: string): Promise<boolean> {
  return deleteStale(db, accountId);
}

/** The scheduled purge: deletes stale unverified accounts, a batch at a time; answers how many went. */
export async function purgeUnverifiedAccounts(db: ApiDb, batch = 500): Promise<number> {
  const candidates = await staleUnverified(db).orderBy('createdAt').limit(batch).execute();
  let deleted = 0;
  for (const candidate of candidates) if (await deleteStale(db, candidate.id)) deleted++;
  return deleted;
}
