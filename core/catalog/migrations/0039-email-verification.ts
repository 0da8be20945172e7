import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * E-mail verification (issue 14): sign-up no longer says whether an address has an account, so an address
 * is proven by a link mailed to it. `accounts.email_verified_at` is null until then; accounts that existed
 * before this migration were created by people who signed up under the old rules, or by operators, and count
 * as verified from their creation. `email_verifications` holds a SHA-256 of each link's token (never the
 * token, so a leaked table verifies nothing), the address it proves, its expiry, and when it was used: a
 * second click on a used link answers as the first did, and changes nothing.
 * Frozen history: values are written out, not imported (see 0001).
 */
export const emailVerification: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema.alterTable('accounts').addColumn('email_verified_at', 'timestamptz').execute();
    await sql`update accounts set email_verified_at = created_at`.execute(db);

    await db.schema
      .createTable('email_verifications')
      .addColumn('token_hash', 'text', (col) => col.primaryKey())
      .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('email', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
      .addColumn('used_at', 'timestamptz')
      .addCheckConstraint('email_verifications_token_hash_sha256', sql`token_hash ~ '^[0-9a-f]{64}$'`)
      .execute();
    await db.schema.createIndex('email_verifications_account_idx').on('email_verifications').column('account_id').execute();
    await db.schema.createIndex('email_verifications_expires_idx').on('email_verifications').column('expires_at').execute();
  },

  async down(db) {
    await db.schema.dropTable('email_verifications').execute();
    await db.schema.alterTable('accounts').dropColumn('email_verified_at').execute();
  },
};
