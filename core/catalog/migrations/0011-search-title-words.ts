import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Each set's title words as typed (the `simple` configuration: lowercase, not stemmed), stored, so search
 * ranks how much of a query its title holds from a ready tsvector. The ranking compared the query with the
 * title by trigrams (`word_similarity`) before: 2.1 ms of the ~3 ms spent ranking 300 candidates (measured on
 * 10,000 sets), since trigrams and text search vectors of a title are rebuilt on every call; `ts_rank` on a
 * stored vector costs ~0.2 ms for the same 300. A generated column: PostgreSQL keeps it with the title.
 */
export const searchTitleWords: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      alter table products add column title_words tsvector
      generated always as (to_tsvector('simple'::regconfig, title)) stored
    `.execute(db);
  },

  async down(db) {
    await sql`alter table products drop column title_words`.execute(db);
  },
};
