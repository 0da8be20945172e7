import { sql } from 'kysely';
import * as before from './0049-image-search-rows.ts';
import type { CatalogMigration } from './types.ts';

/**
 * Each `image_search` row (migration 0049) gets its image's search result as ready JSON text, `item` in
 * `image_search_items`, as migration 0008 keeps set summaries: an icon search page reads 48 items instead of
 * building 48 objects with their set, family, contributor and 4 renditions each, which cost about as much
 * PostgreSQL CPU as ranking them (2.3 ms of 5.9 ms per search on the 241,000-image benchmark catalog). The
 * text is the API's `ImageHit` (app/api/schemas.ts) with its keys in order but without `score`, which depends
 * on the search, and so without its closing brace: the search appends `,"score":<n>}` (dropping a stored
 * brace with `left(item, -1)` counted every item's characters: 0.6 ms per page). Rendition `url`s hold the
 * object key: the assets base URL is the API's configuration, so the API prefixes it when it reads
 * (app/api/search/image-results.ts). Frozen history: written out here.
 *
 * The rows are rebuilt, in the writing transaction, whenever what the JSON shows changes, besides what 0049
 * already follows: an image's size; a set's title and currency; renditions written or deleted (statement
 * level: the pipeline writes an image's renditions at once, batch reprocessing many images'; the item only); a family's
 * slug or title, a contributor's slug or display name (every row of their sets: rare writes).
 */
/** Exported for the test that compares the rows with this definition computed afresh. */
export const itemSql = `
  '{"id":"' || i.id || '","title":' || to_json(i.title) || ',"tags":' || to_json(i.tags)
  || ',"position":' || i.position || ',"width":' || to_json(i.width) || ',"height":' || to_json(i.height)
  || ',"set":{"id":"' || p.id || '","title":' || to_json(p.title) || ',"kind":"' || p.kind || '","license":"' || p.license
  || '","price":' || case when p.price_cents > 0 and p.currency is not null
                          then '{"amount":' || p.price_cents || ',"currency":' || to_json(btrim(p.currency)) || '}'
                          else 'null' end
  || '},"family":{"id":"' || f.id || '","slug":' || to_json(f.slug) || ',"title":' || to_json(f.title)
  || '},"contributor":{"slug":' || to_json(c.slug) || ',"displayName":' || to_json(c.display_name)
  || '},"renditions":[' || coalesce(
    (select string_agg('{"size":' || r.size || ',"format":"' || r.format || '","width":' || r.width || ',"height":' || r.height
                       || ',"url":' || to_json(r.object_key) || '}', ',' order by r.size desc, r.format)
     from renditions r where r.image_id = i.id),
    '')
  || ']'`;
const item = sql.raw(itemSql);
const rowsOf = sql.raw(`
  select i.id, i.product_id, i.position, i.title, i.search_document, p.kind, p.license, p.price_cents, p.family_id, p.contributor_id,
    ${itemSql} as item
  from images i join products p on p.id = i.product_id
  join families f on f.id = p.family_id
  join contributors c on c.id = p.contributor_id`);
const searchColumns = sql.raw('id, product_id, position, title, search_document, kind, license, price_cents, family_id, contributor_id');

/**
 * The refresh functions of 0049, now writing each row's item too. Deleting an `image_search` row deletes its
 * item (foreign key); both tables are written from one read of the sources.
 */
async function refreshFunctions(db: Parameters<CatalogMigration['up']>[0]) {
  const refill = (where: string, order: string) => sql`
      with added as materialized (${rowsOf} where ${sql.raw(where)} and ${before.visible} ${sql.raw(order)}),
      searched as (insert into image_search ${before.columns} select ${searchColumns} from added)
      insert into image_search_items (image_id, item) select id, item from added;`;
  await sql`
    create or replace function catalog_refresh_image_search(changed uuid[]) returns void language plpgsql as $$
    begin
      delete from image_search where image_id = any(changed);
      ${refill('i.id = any(changed)', '')}
    end $$
  `.execute(db);
  await sql`
    create or replace function catalog_refresh_set_image_search(product uuid) returns void language plpgsql as $$
    begin
      delete from image_search where product_id = product;
      ${refill('i.product_id = product', 'order by i.position')}
    end $$
  `.execute(db);
}

/** 0049's refresh functions, restored by the undo. */
async function refreshFunctionsBefore(db: Parameters<CatalogMigration['up']>[0]) {
  await sql`
    create or replace function catalog_refresh_image_search(changed uuid[]) returns void language plpgsql as $$
    begin
      delete from image_search where image_id = any(changed);
      insert into image_search ${before.columns} ${before.rowsOf} where i.id = any(changed) and ${before.visible};
    end $$
  `.execute(db);
  await sql`
    create or replace function catalog_refresh_set_image_search(product uuid) returns void language plpgsql as $$
    begin
      delete from image_search where product_id = product;
      insert into image_search ${before.columns} ${before.rowsOf} where i.product_id = product and ${before.visible} order by i.position;
    end $$
  `.execute(db);
}

/** [trigger, event, transition table]: renditions, statement level. */
const renditionTriggers = [
  ['renditions_insert_image_search', 'insert', 'new table'],
  ['renditions_update_image_search', 'update', 'new table'],
  ['renditions_delete_image_search', 'delete', 'old table'],
] as const;

/** The row-level triggers of 0049 whose column lists grow: [trigger, table, 0049's columns, columns added, function]. */
const widened = [
  ['images_update_image_search', 'images', 'title, tags, status, position', 'width, height', 'catalog_image_search_from_image'],
  [
    'products_update_image_search',
    'products',
    'published, status, kind, license, price_cents, family_id, contributor_id',
    'title, currency',
    'catalog_image_search_from_product',
  ],
] as const;

async function rowTrigger(db: Parameters<CatalogMigration['up']>[0], name: string, table: string, columnList: string, fn: string) {
  const old = columnList.replace(/(\w+)/g, 'old.$1');
  const now = columnList.replace(/(\w+)/g, 'new.$1');
  await sql`drop trigger ${sql.id(name)} on ${sql.id(table)}`.execute(db);
  await sql`
    create trigger ${sql.id(name)} after update of ${sql.raw(columnList)} on ${sql.id(table)}
    for each row when ((${sql.raw(old)}) is distinct from (${sql.raw(now)}))
    execute function ${sql.id(fn)}()
  `.execute(db);
}

export const imageSearchItems: CatalogMigration = {
  destructive: false,

  async up(db) {
    // A table of its own, not a column of image_search: ranking reads image_search's rows by the hundred,
    // and 1.2 KB of JSON in each made that table 7 times larger (406 MB instead of 58 MB on the benchmark
    // catalog: more than shared_buffers), which doubled a search's PostgreSQL CPU. A page reads 48 items by key.
    await sql`
      create table image_search_items (
        image_id uuid primary key references image_search (image_id) on delete cascade,
        item text not null
      )
    `.execute(db);
    await sql`
      insert into image_search_items (image_id, item)
      select s.image_id, ${item}
      from image_search s join images i on i.id = s.image_id join products p on p.id = i.product_id
      join families f on f.id = p.family_id
      join contributors c on c.id = p.contributor_id
    `.execute(db);
    await refreshFunctions(db);
    // As for image_search (0049): the pipeline's writes reach this table through the triggers.
    await sql`grant select, insert, update, delete on image_search_items to marketplace_pipeline`.execute(db);

    for (const [name, table, columnList, added, fn] of widened) await rowTrigger(db, name, table, `${columnList}, ${added}`, fn);
    // Renditions change no row's visibility or search columns, only its item: updated in place, not rebuilt
    // (a rebuild cost 2.1 ms of PostgreSQL CPU per image, this about a quarter of it). When an image becomes ready
    // its status trigger builds the row; the same statement's renditions are in it (after triggers see them).
    await sql`
      create function catalog_image_search_from_renditions() returns trigger language plpgsql as $$
      begin
        update image_search_items s set item = ${item}
        from images i join products p on p.id = i.product_id
        join families f on f.id = p.family_id
        join contributors c on c.id = p.contributor_id
        where i.id = s.image_id and s.image_id in (select image_id from changed);
        return null;
      end $$
    `.execute(db);
    for (const [name, event, table] of renditionTriggers) {
      await sql`
        create trigger ${sql.id(name)} after ${sql.raw(event)} on renditions
        referencing ${sql.raw(table)} as changed for each statement execute function catalog_image_search_from_renditions()
      `.execute(db);
    }
    // Families and contributors change for other reasons too (previews, emails): only names and slugs count.
    const names = { families: ['family_id', 'slug, title'], contributors: ['contributor_id', 'slug, display_name'] } as const;
    for (const [table, [key, shown]] of Object.entries(names)) {
      const changed = sql.raw(`(${shown.replace(/(\w+)/g, 'n.$1')}) is distinct from (${shown.replace(/(\w+)/g, 'o.$1')})`);
      await sql`
        create function ${sql.id(`catalog_image_search_from_${table}`)}() returns trigger language plpgsql as $$
        begin
          perform catalog_refresh_set_image_search(p.id) from products p
          where p.${sql.raw(key)} in (select n.id from new_rows n join old_rows o using (id) where ${changed});
          return null;
        end $$
      `.execute(db);
      await sql`
        create trigger ${sql.id(`${table}_update_image_search`)} after update on ${sql.id(table)}
        referencing new table as new_rows old table as old_rows
        for each statement execute function ${sql.id(`catalog_image_search_from_${table}`)}()
      `.execute(db);
    }
  },

  async down(db) {
    for (const table of ['families', 'contributors']) {
      await sql`drop trigger ${sql.id(`${table}_update_image_search`)} on ${sql.id(table)}`.execute(db);
      await sql`drop function ${sql.id(`catalog_image_search_from_${table}`)}()`.execute(db);
    }
    for (const [name] of renditionTriggers) await sql`drop trigger ${sql.id(name)} on renditions`.execute(db);
    await sql`drop function catalog_image_search_from_renditions()`.execute(db);
    for (const [name, table, columnList, , fn] of widened) await rowTrigger(db, name, table, columnList, fn);
    await refreshFunctionsBefore(db);
    await sql`drop table image_search_items`.execute(db);
  },
};
