import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Downloads say whether they came from POST /api/downloads/custom (any size, colour or stroke), so the API can
 * cap each account's customised downloads per day: every new one costs a render. Earlier custom downloads
 * (with options) are marked; a size-only one cannot be told from a stored size and stays unmarked. The
 * index serves the per-account count of the last day.
 */
export const customisedDownloads: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`alter table downloads add column customised boolean not null default false`.execute(db);
    await sql`update downloads set customised = true where options is not null`.execute(db);
    await sql`create index downloads_customised_account_idx on downloads (account_id, created_at) where customised`.execute(db);
  },

  async down(db) {
    await sql`alter table downloads drop column customised`.execute(db);
  },
};
