import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Mail bombing (hostile review finding 6): account mails (the "someone tried to sign up with your address"
 * notice, verification links) are counted per recipient address and kind in fixed windows, so nobody can
 * make the marketplace mail an address over and over from its SES identity. One row per address and kind,
 * keyed by the SHA-256 of the lower-cased address as sign_in_failures is (0023); a sending request claims a
 * slot with one atomic upsert (app/api/auth/mail-throttle.ts).
 * Frozen history: values are written out, not imported (see 0001).
 */
export const accountMailThrottle: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .createTable('account_mail_throttle')
      .addColumn('recipient_hash', 'text', (col) => col.notNull())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('window_started_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('sent', 'integer', (col) => col.notNull())
      .addPrimaryKeyConstraint('account_mail_throttle_pkey', ['recipient_hash', 'kind'])
      .addCheckConstraint('account_mail_throttle_recipient_sha256', sql`recipient_hash ~ '^[0-9a-f]{64}$'`)
      .addCheckConstraint('account_mail_throttle_sent_positive', sql`sent > 0`)
      .execute();
    await db.schema.createIndex('account_mail_throttle_window_idx').on('account_mail_throttle').column('window_started_at').execute();
  },

  async down(db) {
    await db.schema.dropTable('account_mail_throttle').execute();
  },
};
