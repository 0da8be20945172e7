import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Typo correction (migration 0009's search_words) learns words only from visible sets: published, ready and
 * not blocked. Before, every set's words went in on insert, so a hidden set's words steered corrections (a
 * typed word that prefixes a hidden set's word counted as known and was not corrected; a correction could
 * pick a word only a hidden set has).
 *
 * - A set's words (title, tags, description, image titles) go in when it becomes visible, and when a visible
 *   set or image is renamed.
 * - When a set is hidden (unpublished, blocked, failed), its words that no other visible set has leave. That
 *   reads the words of every visible set once (no index answers "which visible set has this word"): hides
 *   are rare admin or contributor actions, not storefront traffic.
 */
const productText = (alias: string) =>
  sql.raw(`${alias}.title || ' ' || array_to_string(${alias}.tags, ' ') || ' ' || coalesce(${alias}.description, '')`);
const visible = (alias: string) =>
  sql.raw(`${alias}.published and ${alias}.status = 'ready' and not exists (select 1 from product_blocks b where b.product_id = ${alias}.id)`);

export const visibleSearchWords: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create function catalog_set_words(product uuid) returns setof text language sql stable as $$
        select catalog_words(${productText('p')}) from products p where p.id = product
        union select catalog_words(i.title) from images i where i.product_id = product
      $$
    `.execute(db);
    await sql`
      create function catalog_refresh_set_words(product uuid) returns void language plpgsql as $$
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
    // 0009's functions, now only for visible sets.
    await sql`
      create or replace function catalog_words_from_products() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(${productText('p')}) from changed p where ${visible('p')}
        on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_images() returns trigger language plpgsql as $$
      begin
        insert into search_words (word)
        select distinct catalog_words(i.title) from changed i join products p on p.id = i.product_id where ${visible('p')}
        on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_renamed_product() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_set_words(new.id);
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_renamed_image() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from products p where p.id = new.product_id and ${visible('p')}) then
          insert into search_words (word) select distinct catalog_words(new.title) on conflict do nothing;
        end if;
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_words_from_visibility() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_set_words(new.id);
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_words_from_blocks() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_set_words(case when tg_op = 'DELETE' then old.product_id else new.product_id end);
        return null;
      end $$
    `.execute(db);
    await sql`
      create trigger products_visibility_words after update of published, status on products
      for each row when ((old.published, old.status) is distinct from (new.published, new.status))
      execute function catalog_words_from_visibility()
    `.execute(db);
    await sql`
      create trigger product_blocks_words after insert or delete on product_blocks
      for each row execute function catalog_words_from_blocks()
    `.execute(db);
    // Start from the visible sets' words only.
    await sql`delete from search_words`.execute(db);
    await sql`
      insert into search_words (word)
      select catalog_words(${productText('p')}) from products p where ${visible('p')}
      union select catalog_words(i.title) from images i join products p on p.id = i.product_id where ${visible('p')}
      on conflict do nothing
    `.execute(db);
  },

  async down(db) {
    await sql`drop trigger product_blocks_words on product_blocks`.execute(db);
    await sql`drop trigger products_visibility_words on products`.execute(db);
    await sql`drop function catalog_words_from_blocks()`.execute(db);
    await sql`drop function catalog_words_from_visibility()`.execute(db);
    // 0009's bodies.
    const plain = sql.raw(`title || ' ' || array_to_string(tags, ' ') || ' ' || coalesce(description, '')`);
    await sql`
      create or replace function catalog_words_from_products() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(${plain}) from changed on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_images() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(title) from changed on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_renamed_product() returns trigger language plpgsql as $$
      begin
        insert into search_words (word)
        select distinct catalog_words(new.title || ' ' || array_to_string(new.tags, ' ') || ' ' || coalesce(new.description, ''))
        on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create or replace function catalog_words_from_renamed_image() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(new.title) on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`drop function catalog_refresh_set_words(uuid)`.execute(db);
    await sql`drop function catalog_set_words(uuid)`.execute(db);
    await sql`
      insert into search_words (word)
      select catalog_words(${plain}) from products union select catalog_words(title) from images
      on conflict do nothing
    `.execute(db);
  },
};
