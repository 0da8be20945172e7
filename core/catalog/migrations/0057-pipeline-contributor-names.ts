import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * The pipeline reads contributors only through the triggers its writes fire (0008's set summaries: slug and
 * display name, joined on id); 0037 let it read the whole table, every seller's e-mail address included, from
 * the component likeliest to run an attacker's code (hostile review 3, finding 7). Its SELECT narrows to those
 * columns; PostgreSQL checks foreign keys as the table's owner, so inserting sets needs nothing more.
 */
export const pipelineContributorNames: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`revoke select on contributors from marketplace_pipeline`.execute(db);
    await sql`grant select (id, slug, display_name) on contributors to marketplace_pipeline`.execute(db);
  },

  async down(db) {
    await sql`revoke select (id, slug, display_name) on contributors from marketplace_pipeline`.execute(db);
    await sql`grant select on contributors to marketplace_pipeline`.execute(db);
  },
};
