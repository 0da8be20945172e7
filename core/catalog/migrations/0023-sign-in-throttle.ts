import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Consecutive failed sign-ins per e-mail address, in the database so every API host sees the same count
 * (a limit per process would multiply by the number of hosts). Keyed by a SHA-256 of the lower-cased
 * address, whether or not an account has it: backing off only for existing accounts would tell an attacker
 * which addresses have one. Rows go when a sign-in succeeds or, idle, when sessions are purged.
 */
export const signInThrottle: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .createTable('sign_in_failures')
      .addColumn('email_hash', 'text', (col) => col.primaryKey())
      .addColumn('failures', 'integer', (col) => col.notNull())
      .addColumn('last_failure_at', 'timestamptz', (col) => col.notNull())
      .addColumn('locked_until', 'timestamptz')
      .addCheckConstraint('sign_in_failures_email_hash_sha256', sql`email_hash ~ '^[0-9a-f]{64}$'`)
      .addCheckConstraint('sign_in_failures_failures_positive', sql`failures > 0`)
      .execute();
    await db.schema.createIndex('sign_in_failures_last_failure_idx').on('sign_in_failures').column('last_failure_at').execute();
  },

  async down(db) {
    await db.schema.dropTable('sign_in_failures').execute();
  },
};
