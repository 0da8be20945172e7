/**
 * E-mail verification links (migration 0039). A link carries a 256-bit random token; only its SHA-256 is
 * stored, with the address it proves and an expiry. Using a link marks it used and verifies the account if
 * the account still has that address. Clicking it again (a mail client's preview, a double click) answers
 * the same and changes nothing: single-use in effect, idempotent in reply.
 *
 * A link may also carry a pending sign-up (migration 0050): someone signed up with the address of an account
 * never verified. Whoever can open the link owns the mailbox, so using it claims the account for them: the
 * password hash and display name of that sign-up replace the squatter's, every session ends, and the other
 * unused links of the account stop working (hostile review finding 4). A claim link works only with the
 * password of the sign-up it answers: the squatter can sign up again and mail the owner a claim link of
 * their own, and owning the mailbox must not be enough to hand the account to whoever made that link.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { EMAIL_VERIFICATION_TTL_SECONDS } from '../../../core/limits.ts';
import type { ApiDb } from '../tables.ts';
import { verifyPassword } from './passwords.ts';
import { emailHash } from './sign-in-throttle.ts';

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A later sign-up's claim on an unverified account: what using the link gives the account. */
export interface PendingSignUp {
  /** argon2 hash of the password typed at that sign-up (never the password itself). */
  passwordHash: string;
  displayName: string;
}

/**
 * A new link's token for this account's current address. Earlier unused links stay valid until they expire,
 * except that a claim (`pending`) voids the plain links sent before it: from then on, every link in the
 * mailbox sets the password of the sign-up it answers, and none verifies the first signer's password.
 */
export async function createEmailVerification(db: ApiDb, account: { id: string; email: string }, pending?: PendingSignUp): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.transaction().execute(async (trx) => {
    if (pending) {
      await trx
        .deleteFrom('emailVerifications')
        .where('accountId', '=', account.id)
        .where('usedAt', 'is', null)
        .where('pendingPasswordHash', 'is', null)
        .execute();
    }
    await trx
      .insertInto('emailVerifications')
      .values({
        tokenHash: tokenHash(token),
        accountId: account.id,
        email: account.email,
        expiresAt: new Date(Date.now() + EMAIL_VERIFICATION_TTL_SECONDS * 1000),
        pendingPasswordHash: pending?.passwordHash ?? null,
        pendingDisplayName: pending?.displayName ?? null,
      })
      .execute();
  });
  return token;
}

export type VerificationOutcome = 'verified' | 'invalid' | 'password_required';

/**
 * `verified` when the token is known and either unexpired or already used (then nothing changes);
 * `invalid` when unknown, expired unused, or its address is no longer the account's; `password_required`
 * when it is an unused claim link and `password` is not the one chosen at its sign-up (nothing changes).
 */
export async function useEmailVerification(db: ApiDb, token: string, password?: string): Promise<VerificationOutcome> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('emailVerifications')
      .innerJoin('accounts', 'accounts.id', 'emailVerifications.accountId')
      .select([
        'emailVerifications.accountId',
        'emailVerifications.email',
        'emailVerifications.usedAt',
        'emailVerifications.pendingPasswordHash',
        'emailVerifications.pendingDisplayName',
        'accounts.contributorId',
        sql<boolean>`email_verifications.expires_at > now()`.as('live'),
        sql<boolean>`lower(accounts.email) = lower(email_verifications.email)`.as('sameAddress'),
      ])
      .where('emailVerifications.tokenHash', '=', tokenHash(token))
      .forUpdate()
      .executeTakeFirst();
    if (!row || !row.sameAddress) return 'invalid';
    if (row.usedAt !== null) return 'verified';
    if (!row.live) return 'invalid';
    if (row.pendingPasswordHash !== null && (password === undefined || !(await verifyPassword(row.pendingPasswordHash, password)))) {
      return 'password_required';
    }
    await trx.updateTable('emailVerifications').set({ usedAt: sql<Date>`now()` }).where('tokenHash', '=', tokenHash(token)).execute();
    await trx
      .updateTable('accounts')
      .set({ emailVerifiedAt: sql<Date>`coalesce(email_verified_at, now())` })
      .where('id', '=', row.accountId)
      .execute();
    if (row.pendingPasswordHash !== null) {
      // The mailbox's owner claims the account: their password and name; whoever was signed in is out.
      const displayName = row.pendingDisplayName ?? undefined;
      await trx.updateTable('accounts').set({ passwordHash: row.pendingPasswordHash, displayName }).where('id', '=', row.accountId).execute();
      if (row.contributorId !== null && displayName !== undefined) {
        await trx.updateTable('contributors').set({ displayName }).where('id', '=', row.contributorId).execute();
      }
      await trx.deleteFrom('sessions').where('accountId', '=', row.accountId).execute();
      await trx.deleteFrom('emailVerifications').where('accountId', '=', row.accountId).where('usedAt', 'is', null).execute();
      // The squatter's failed guesses must not lock the owner out of the password they just set.
      await trx.deleteFrom('signInFailures').where('emailHash', '=', emailHash(row.email)).execute();
    }
    return 'verified';
  });
}

/** Deletes links past their expiry (used ones too: a week after expiry nobody clicks them twice). */
export async function purgeEmailVerifications(db: ApiDb): Promise<number> {
  const result = await db.deleteFrom('emailVerifications').where('expiresAt', '<', sql<Date>`now() - interval '7 days'`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
