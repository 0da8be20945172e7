import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * What completion-driven, write-once ingestion keeps on the upload row (the pipeline's own row: no catalog
 * change notification or summary trigger fires on it, so per-image bookkeeping costs the API nothing):
 * - `object_etag`: the ETag of the ZIP first seen at the upload's key; a later object there is ignored.
 * - `ignored_objects`: those later objects (ETag, size, when), reported to the contributor.
 * - `warnings`: per file, what the sanitiser removed from an accepted set.
 * - `progress_at`: when an image of the set last settled (ready or failed); the watchdog's stall clock.
 *   The row is also the set's lock: the transaction that settles an image takes it, so the one that
 *   settles the last pending image knows it is the last.
 * And on images, `last_error`: the most recent transient error (storage, database) while it was pending,
 * named when the set stalls or the job is dead-lettered.
 */
export const ingestionProgress: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      alter table uploads
        add column object_etag text,
        add column ignored_objects jsonb not null default '[]'::jsonb,
        add column warnings jsonb not null default '[]'::jsonb,
        add column progress_at timestamptz not null default now()
    `.execute(db);
    await sql`alter table images add column last_error text`.execute(db);
  },

  async down(db) {
    await sql`alter table images drop column last_error`.execute(db);
    await sql`
      alter table uploads
        drop column object_etag,
        drop column ignored_objects,
        drop column warnings,
        drop column progress_at
    `.execute(db);
  },
};
