/**
 * E-mail verification links (migration 0039). A link carries a 256-bit random token; only its SHA-256 is
 * stored, with the address it proves and an expiry. Using a link marks it used and verifies the account if
 * the account still has that address. Clicking it again (a mail client's preview, a double click) answers
 * the same and changes nothing: single-use in effect, idempotent in reply.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { EMAIL_VERIFICATION_TTL_SECONDS } from '../../../core/limits.ts';
import type { ApiDb } from '../tables.ts';

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new link's token for this account's current address. Earlier unused links stay valid until they expire. */
export async function createEmailVerification(db: ApiDb, account: { id: string; email: string }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('emailVerifications')
    .values({
      tokenHash: tokenHash(token),
      accountId: account.id,
      email: account.email,
      expiresAt: new Date(Date.now() + EMAIL_VERIFICATION_TTL_SECONDS * 1000),
    })
    .execute();
  return token;
}

export type VerificationOutcome = 'verified' | 'invalid';

/**
 * `verified` when the token is known and either unexpired or already used (then nothing changes);
 * `invalid` when unknown, expired unused, or its address is no longer the account's.
 */
export async function useEmailVerification(db: ApiDb, token: string): Promise<VerificationOutcome> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('emailVerifications')
      .innerJoin('accounts', 'accounts.id', 'emailVerifications.accountId')
      .select([
        'emailVerifications.accountId',
        'emailVerifications.email',
        'emailVerifications.usedAt',
        sql<boolean>`email_verifications.expires_at > now()`.as('live'),
        sql<boolean>`lower(accounts.email) = lower(email_verifications.email)`.as('sameAddress'),
      ])
      .where('emailVerifications.tokenHash', '=', tokenHash(token))
      .forUpdate()
      .executeTakeFirst();
    if (!row || !row.sameAddress) return 'invalid';
    if (row.usedAt !== null) return 'verified';
    if (!row.live) return 'invalid';
    await trx.updateTable('emailVerifications').set({ usedAt: sql<Date>`now()` }).where('tokenHash', '=', tokenHash(token)).execute();
    await trx
      .updateTable('accounts')
      .set({ emailVerifiedAt: sql<Date>`coalesce(email_verified_at, now())` })
      .where('id', '=', row.accountId)
      .execute();
    return 'verified';
  });
}

/** Deletes links past their expiry (used ones too: a week after expiry nobody clicks them twice). */
export async function purgeEmailVerifications(db: ApiDb): Promise<number> {
  const result = await db.deleteFrom('emailVerifications').where('expiresAt', '<', sql<Date>`now() - interval '7 days'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
