import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * What the storefront's lists and search read: sets (search documents, visibility), their stored summaries
 * (kept current from images, renditions, families and contributors by migration 0008's triggers) and blocks.
 */
const tables = ['products', 'product_summaries', 'product_blocks'] as const;

/**
 * A notification on every committed change to what public catalog reads show, so an API process can cache
 * those reads and still show a published, edited or blocked set on the next request. Statement-level, and
 * PostgreSQL folds identical notifications of one transaction into one: an upload of 40 images notifies a
 * few times, not once per row. Delivered only at commit; a rolled-back change notifies nobody. The channel
 * is CATALOG_CHANGES_CHANNEL (core/catalog/changes.ts).
 */
export const catalogChanges: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create function catalog_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('catalog_changes', '');
        return null;
      end $$
    `.execute(db);
    for (const table of tables) {
      await sql`
        create trigger ${sql.id(`${table}_notify_changes`)} after insert or update or delete or truncate on ${sql.id(table)}
        for each statement execute function catalog_changed()
      `.execute(db);
    }
  },

  async down(db) {
    for (const table of tables) await sql`drop trigger ${sql.id(`${table}_notify_changes`)} on ${sql.id(table)}`.execute(db);
    await sql`drop function catalog_changed()`.execute(db);
  },
};
