import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * An image's keywords for "related icons" on the image page: its tags and the words of its title (lower-case,
 * split on anything that is not a letter or digit, words of three or more characters so "a", "of" and "x"
 * relate nothing), distinct. An immutable function so a GIN expression index can answer `&&` (shares a
 * keyword) without a stored column the pipeline would have to fill.
 */
export const imageKeywords: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create function catalog_image_keywords(title text, tags text[]) returns text[]
      language sql immutable parallel safe
      return array(
        select distinct word
        from unnest(tags || regexp_split_to_array(lower(title), '[^[:alnum:]]+')) as word
        where length(word) >= 3
        order by word)
    `.execute(db);
    await sql`create index images_keywords_idx on images using gin (catalog_image_keywords(title, tags))`.execute(db);
  },

  async down(db) {
    await sql`drop index images_keywords_idx`.execute(db);
    await sql`drop function catalog_image_keywords(text, text[])`.execute(db);
  },
};
