import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Image tags reach typo correction (search_words) only from visible sets, as 0021 made it for every other
 * word. 0027 added each image's tags on insert and retag whatever its set's state, and 0021's
 * `catalog_set_words` (what hiding a set takes out) knew nothing of image tags: an unpublished, blocked or
 * failed set's tags steered corrections and came back to any visitor in `correctedText`.
 *
 * - Image tags go in with the other words of a set when it becomes visible, and on retagging an image of a
 *   visible set.
 * - Hiding a set takes its image tags out too, unless another visible set has the word.
 * - The list is rebuilt from the visible sets' words.
 * Frozen history: the functions are written out in full, not imported.
 */
const productText = (alias: string) =>
  sql.raw(`${alias}.title || ' ' || array_to_string(${alias}.tags, ' ') || ' ' || coalesce(${alias}.description, '')`);
const visible = (alias: string) =>
  sql.raw(`${alias}.published and ${alias}.status = 'ready' and not exists (select 1 from product_blocks b where b.product_id = ${alias}.id)`);
const imageText = (alias: string) => sql.raw(`${alias}.title || ' ' || catalog_tags_text(${alias}.tags)`);

export const visibleTagWords: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create or replace function catalog_set_words(product uuid) returns setof text language sql stable as $$
        select catalog_words(${productText('p')}) from products p where p.id = product
        union select catalog_words(${imageText('i')}) from images i where i.product_id = product
      $$
    `.execute(db);
    await sql`
      create or replace function catalog_refresh_set_words(product uuid) returns void language plpgsql as $$
      begin
        if exists (select 1 from products p where p.id = product and ${visible('p')}) then
          insert into search_words (word) select catalog_set_words(product) on conflict do nothing;
        else
          delete from search_words sw
          where sw.word in (select catalog_set_words(product))
            and sw.word not in (
              select catalog_words(${productText('p')}) from products p where p.id <> product and ${visible('p')}
              union all
              select catalog_words(${imageText('i')}) from images i join products p on p.id = i.product_id
              where p.id <> product and ${visible('p')});
        end if;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_image_tags() returns trigger language plpgsql as $$
      begin
        insert into search_words (word)
        select distinct catalog_words(catalog_tags_text(i.tags)) from changed i join products p on p.id = i.product_id where ${visible('p')}
        on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_retagged_image() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from products p where p.id = new.product_id and ${visible('p')}) then
          insert into search_words (word) select distinct catalog_words(catalog_tags_text(new.tags)) on conflict do nothing;
        end if;
        return null;
      end $$
    `.execute(db);
    await sql`delete from search_words`.execute(db);
    await sql`
      insert into search_words (word)
      select catalog_words(${productText('p')}) from products p where ${visible('p')}
      union select catalog_words(${imageText('i')}) from images i join products p on p.id = i.product_id where ${visible('p')}
      on conflict do nothing
    `.execute(db);
  },

  async down(db) {
    // 0021's and 0027's definitions.
    await sql`
      create or replace function catalog_set_words(product uuid) returns setof text language sql stable as $$
        select catalog_words(${productText('p')}) from products p where p.id = product
        union select catalog_words(i.title) from images i where i.product_id = product
      $$
    `.execute(db);
    await sql`
      create or replace function catalog_refresh_set_words(product uuid) returns void language plpgsql as $$
      begin
        if exists (select 1 from products p where p.id = product and ${visible('p')}) then
          insert into search_words (word) select catalog_set_words(product) on conflict do nothing;
        else
          delete from search_words sw
          where sw.word in (select catalog_set_words(product))
            and sw.word not in (
              select catalog_words(${productText('p')}) from products p where p.id <> product and ${visible('p')}
              union all
              select catalog_words(i.title) from images i join products p on p.id = i.product_id
              where p.id <> product and ${visible('p')});
        end if;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_image_tags() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(catalog_tags_text(tags)) from changed
        on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_retagged_image() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(catalog_tags_text(new.tags)) on conflict do nothing;
        return null;
      end $$
    `.execute(db);
  },
};
