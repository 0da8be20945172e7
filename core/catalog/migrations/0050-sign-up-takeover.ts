import type { CatalogMigration } from './types.ts';

/**
 * Account pre-hijacking (hostile review finding 4): an unverified sign-up no longer holds an address for good.
 * When someone signs up with an address whose account was never verified, the link mailed to that address
 * carries the new sign-up: the argon2 hash of the password given then (never the password, and never in the
 * mail) and its display name. Using the link proves the mailbox, so it makes the account the mailbox owner's:
 * that password, that name, every earlier session ended. Null on ordinary verification links.
 * Frozen history: values are written out, not imported (see 0001).
 */
export const signUpTakeover: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .alterTable('email_verifications')
      .addColumn('pending_password_hash', 'text')
      .addColumn('pending_display_name', 'text')
      .execute();
  },

  async down(db) {
    await db.schema.alterTable('email_verifications').dropColumn('pending_password_hash').dropColumn('pending_display_name').execute();
  },
};
