import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Every word of the catalog (set titles, tags, descriptions, image titles) once, with a trigram index, so
 * search corrects a mistyped word against a few thousand words instead of comparing it with every title
 * (measured on 10,000 sets: "wether" took 29–60 ms as a trigram scan of titles). This is pg_trgm's documented
 * spelling-suggestion approach (a word list from the documents, `%` on a GIN trigram index). Words are the
 * `simple` configuration's (lowercase, not stemmed): a correction is then searched like a typed word.
 *
 * Triggers add the words of new and renamed sets and images. Words that leave the catalog stay: a
 * correction to one finds no set, which costs one empty word search, and no set is ever shown by it.
 */
export const searchWords: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`create table search_words (word text primary key)`.execute(db);
    await sql`create index search_words_trgm_idx on search_words using gin (word gin_trgm_ops)`.execute(db);
    await sql`
      create function catalog_words(document text) returns setof text
      language sql immutable parallel safe
      return unnest(tsvector_to_array(to_tsvector('simple'::regconfig, coalesce(document, ''))))
    `.execute(db);
    const productText = sql.raw(`title || ' ' || array_to_string(tags, ' ') || ' ' || coalesce(description, '')`);
    await sql`
      insert into search_words (word)
      select catalog_words(${productText}) from products
      union select catalog_words(title) from images
      on conflict do nothing
    `.execute(db);

    // Statement-level for inserts (a set's images arrive in one statement); row-level with a column list
    // for renames, which are rare beside the other updates of these tables (status, search documents).
    await sql`
      create function catalog_words_from_products() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(${productText}) from changed on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_words_from_images() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(title) from changed on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_words_from_renamed_product() returns trigger language plpgsql as $$
      begin
        insert into search_words (word)
        select distinct catalog_words(new.title || ' ' || array_to_string(new.tags, ' ') || ' ' || coalesce(new.description, ''))
        on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_words_from_renamed_image() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(new.title) on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create trigger products_insert_words after insert on products
      referencing new table as changed for each statement execute function catalog_words_from_products()
    `.execute(db);
    await sql`
      create trigger images_insert_words after insert on images
      referencing new table as changed for each statement execute function catalog_words_from_images()
    `.execute(db);
    await sql`
      create trigger products_rename_words after update of title, tags, description on products
      for each row when ((old.title, old.tags, old.description) is distinct from (new.title, new.tags, new.description))
      execute function catalog_words_from_renamed_product()
    `.execute(db);
    await sql`
      create trigger images_rename_words after update of title on images
      for each row when (old.title is distinct from new.title) execute function catalog_words_from_renamed_image()
    `.execute(db);
  },

  async down(db) {
    await sql`drop trigger images_rename_words on images`.execute(db);
    await sql`drop trigger products_rename_words on products`.execute(db);
    await sql`drop trigger images_insert_words on images`.execute(db);
    await sql`drop trigger products_insert_words on products`.execute(db);
    await sql`drop function catalog_words_from_renamed_image()`.execute(db);
    await sql`drop function catalog_words_from_renamed_product()`.execute(db);
    await sql`drop function catalog_words_from_images()`.execute(db);
    await sql`drop function catalog_words_from_products()`.execute(db);
    await sql`drop function catalog_words(text)`.execute(db);
    await sql`drop table search_words`.execute(db);
  },
};
