import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Icon-level search reads one narrow table of the images anyone may see, `image_search`: each ready image of
 * a published, ready, unblocked set, with its search document and the set's filter columns. Before, every
 * search joined its image matches with the visible sets (a hash of all 10,000 sets of the benchmark catalog)
 * and tested each for a block, and read the wide images rows: measured on the 241,000-image benchmark
 * catalog, the 480 candidates of "umbrella" cost 8.8 ms of PostgreSQL CPU that way, 1.2 ms from this table.
 *
 * Triggers keep it exact, in the writing transaction (no lag, no refresh job):
 * - new images (statement level: a set's images arrive in one statement), and an image's title, tags, status
 *   or position changing (row level with a column list: images are updated often, those columns rarely);
 * - a set's visibility or filter columns changing (published, status, kind, license, price, family,
 *   contributor), and blocks added or lifted: all the set's rows are rebuilt;
 * - deletes cascade from images.
 * The pipeline writes images and sets, so it may write this table; the API writes blocks (default privileges).
 * Migration 0054 redefines the refresh functions (it adds each image's ready JSON); its undo restores these.
 */
export const visible = sql.raw(
  `i.status = 'ready' and p.published and p.status = 'ready' and not exists (select 1 from product_blocks b where b.product_id = p.id)`,
);
export const rowsOf = sql.raw(`
  select i.id, i.product_id, i.position, i.title, i.search_document, p.kind, p.license, p.price_cents, p.family_id, p.contributor_id
  from images i join products p on p.id = i.product_id`);
export const columns = sql.raw('(image_id, product_id, position, title, document, kind, license, price_cents, family_id, contributor_id)');

export const imageSearchRows: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create table image_search (
        image_id uuid primary key references images (id) on delete cascade,
        product_id uuid not null,
        position integer not null,
        title text not null,
        document tsvector not null,
        kind text not null,
        license text not null,
        price_cents integer not null,
        family_id uuid not null,
        contributor_id uuid not null
      )
    `.execute(db);
    await sql`insert into image_search ${columns} ${rowsOf} where ${visible} order by p.created_at, i.position`.execute(db);
    await sql`create index image_search_document_idx on image_search using gin (document)`.execute(db);
    // The images of a matching set (search) and a set's rows (refresh).
    await sql`create index image_search_product_idx on image_search (product_id, position)`.execute(db);

    await sql`
      create function catalog_refresh_image_search(changed uuid[]) returns void language plpgsql as $$
      begin
        delete from image_search where image_id = any(changed);
        insert into image_search ${columns} ${rowsOf} where i.id = any(changed) and ${visible};
      end $$
    `.execute(db);
    await sql`
      create function catalog_refresh_set_image_search(product uuid) returns void language plpgsql as $$
      begin
        delete from image_search where product_id = product;
        insert into image_search ${columns} ${rowsOf} where i.product_id = product and ${visible} order by i.position;
      end $$
    `.execute(db);
    await sql`
      create function catalog_image_search_from_new_images() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_image_search(array(select id from changed order by product_id, position));
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_image_search_from_image() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_image_search(array[new.id]);
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_image_search_from_set() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_set_image_search(case when tg_op = 'DELETE' then old.product_id else new.product_id end);
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_image_search_from_product() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_set_image_search(new.id);
        return null;
      end $$
    `.execute(db);
    await sql`
      create trigger images_insert_image_search after insert on images
      referencing new table as changed for each statement execute function catalog_image_search_from_new_images()
    `.execute(db);
    await sql`
      create trigger images_update_image_search after update of title, tags, status, position on images
      for each row when ((old.title, old.tags, old.status, old.position) is distinct from (new.title, new.tags, new.status, new.position))
      execute function catalog_image_search_from_image()
    `.execute(db);
    await sql`
      create trigger products_update_image_search
      after update of published, status, kind, license, price_cents, family_id, contributor_id on products
      for each row when ((old.published, old.status, old.kind, old.license, old.price_cents, old.family_id, old.contributor_id)
                         is distinct from (new.published, new.status, new.kind, new.license, new.price_cents, new.family_id, new.contributor_id))
      execute function catalog_image_search_from_product()
    `.execute(db);
    await sql`
      create trigger product_blocks_image_search after insert or delete on product_blocks
      for each row execute function catalog_image_search_from_set()
    `.execute(db);
    // Roles of migration 0037 (cluster-wide, so present): the pipeline's writes to images and sets reach this
    // table through the triggers, which run as the writer. The API reaches it by default privileges.
    await sql`grant select, insert, update, delete on image_search to marketplace_pipeline`.execute(db);
  },

  async down(db) {
    await sql`drop trigger product_blocks_image_search on product_blocks`.execute(db);
    await sql`drop trigger products_update_image_search on products`.execute(db);
    await sql`drop trigger images_update_image_search on images`.execute(db);
    await sql`drop trigger images_insert_image_search on images`.execute(db);
    await sql`drop function catalog_image_search_from_product()`.execute(db);
    await sql`drop function catalog_image_search_from_set()`.execute(db);
    await sql`drop function catalog_image_search_from_image()`.execute(db);
    await sql`drop function catalog_image_search_from_new_images()`.execute(db);
    await sql`drop function catalog_refresh_set_image_search(uuid)`.execute(db);
    await sql`drop function catalog_refresh_image_search(uuid[])`.execute(db);
    await sql`drop table image_search`.execute(db);
  },
};
