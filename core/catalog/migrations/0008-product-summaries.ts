import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Each set's storefront summary stored as ready JSON text, so a list page reads rows instead of building
 * them (measured on 10,000 sets: ~2.7 ms of database time per page of 24, half of it cover lookups, which
 * capped the list route near 400 req/s on 2 cores). The text is the API's `ProductView` with its keys in
 * order, except rendition `url`s, which hold the object key: the assets base URL is the API's configuration,
 * not the catalog's, so the API prefixes it when it reads (app/api/catalog/summary-json.ts).
 *
 * Statement-level triggers keep the summaries current on every write that changes one: the set itself, its
 * cover (image at position 0) and the cover's renditions, its family, its contributor, and blocks. Frozen
 * history: the JSON is written out here, not imported from the API.
 */
/** [trigger, table, event, function]: every write to a summary's sources but families and contributors. */
const triggers = [
  ['products_insert_summaries', 'products', 'insert', 'catalog_summaries_from_products'],
  ['products_update_summaries', 'products', 'update', 'catalog_summaries_from_products'],
  ['images_insert_summaries', 'images', 'insert', 'catalog_summaries_from_images'],
  ['images_update_summaries', 'images', 'update', 'catalog_summaries_from_image_updates'],
  ['images_delete_summaries', 'images', 'delete', 'catalog_summaries_from_images'],
  ['renditions_insert_summaries', 'renditions', 'insert', 'catalog_summaries_from_renditions'],
  ['renditions_update_summaries', 'renditions', 'update', 'catalog_summaries_from_renditions'],
  ['renditions_delete_summaries', 'renditions', 'delete', 'catalog_summaries_from_renditions'],
  ['product_blocks_insert_summaries', 'product_blocks', 'insert', 'catalog_summaries_from_blocks'],
  ['product_blocks_delete_summaries', 'product_blocks', 'delete', 'catalog_summaries_from_blocks'],
] as const;

export const productSummaries: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create table product_summaries (
        product_id uuid primary key references products(id) on delete cascade,
        summary text not null
      )
    `.execute(db);
    // Times as JSON.stringify writes a Date: UTC, milliseconds (both truncate the microseconds).
    await sql`
      create function catalog_product_summary(product uuid) returns text
      language sql stable parallel safe
      return (
        select json_build_object(
          'id', p.id, 'title', p.title, 'kind', p.kind, 'license', p.license, 'tags', p.tags,
          'price', case when p.price_cents > 0 and p.currency is not null
                        then json_build_object('amount', p.price_cents, 'currency', btrim(p.currency)) end,
          'imageCount', p.image_count, 'status', p.status, 'published', p.published,
          'blocked', exists (select 1 from product_blocks b where b.product_id = p.id),
          'family', json_build_object('id', f.id, 'slug', f.slug, 'title', f.title),
          'contributor', json_build_object('slug', c.slug, 'displayName', c.display_name),
          'cover', (
            select json_build_object(
              'id', i.id, 'productId', i.product_id, 'position', i.position, 'title', i.title, 'tags', i.tags,
              'width', i.width, 'height', i.height, 'status', i.status,
              'renditions', coalesce(
                (select json_agg(json_build_object('size', r.size, 'format', r.format, 'width', r.width,
                                                   'height', r.height, 'url', r.object_key)
                                 order by r.size desc, r.format)
                 from renditions r where r.image_id = i.id),
                '[]'::json))
            from images i where i.product_id = p.id and i.position = 0),
          'createdAt', to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'updatedAt', to_char(p.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text
        from products p
        join families f on f.id = p.family_id
        join contributors c on c.id = p.contributor_id
        where p.id = product)
    `.execute(db);
    // A set deleted in the same statement has no row left to summarise; the foreign key's cascade
    // removes its summary.
    await sql`
      create function catalog_refresh_summaries(ids uuid[]) returns void language sql as $$
        insert into product_summaries (product_id, summary)
        select p.id, catalog_product_summary(p.id) from products p where p.id = any(ids)
        on conflict (product_id) do update set summary = excluded.summary
      $$
    `.execute(db);

    // One trigger function per source table; `changed` is the transition table (new rows, or old ones for
    // deletes). Statement-level: the pipeline and the seeders write a set's images and renditions in bulk.
    const refreshers: Record<string, string> = {
      // Any product write: summaries show most of its columns, and comparing them all costs as much.
      catalog_summaries_from_products: 'select array_agg(id) from changed',
      // Only the cover (position 0) is in a summary; images are updated often (status) and most are not covers.
      catalog_summaries_from_images: 'select array_agg(distinct product_id) from changed where position = 0',
      catalog_summaries_from_renditions: `select array_agg(distinct i.product_id) from images i
        where i.position = 0 and i.id in (select image_id from changed)`,
      // An update can also move the cover away from position 0: both sides of it count.
      catalog_summaries_from_image_updates: `select array_agg(distinct product_id) from
        (select product_id, position from changed union all select product_id, position from changed_before) i
        where position = 0`,
      catalog_summaries_from_blocks: 'select array_agg(distinct product_id) from changed',
    };
    for (const [name, ids] of Object.entries(refreshers)) {
      await sql`
        create function ${sql.id(name)}() returns trigger language plpgsql as $$
        begin
          perform catalog_refresh_summaries((${sql.raw(ids)}));
          return null;
        end $$
      `.execute(db);
    }
    // Families and contributors change for other reasons too (previews, emails): only names and slugs count.
    await sql`
      create function catalog_summaries_from_families() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_summaries((
          select array_agg(p.id) from products p
          where p.family_id in (select n.id from new_rows n join old_rows o using (id)
                                where (n.slug, n.title) is distinct from (o.slug, o.title))));
        return null;
      end $$
    `.execute(db);
    await sql`
      create function catalog_summaries_from_contributors() returns trigger language plpgsql as $$
      begin
        perform catalog_refresh_summaries((
          select array_agg(p.id) from products p
          where p.contributor_id in (select n.id from new_rows n join old_rows o using (id)
                                     where (n.slug, n.display_name) is distinct from (o.slug, o.display_name))));
        return null;
      end $$
    `.execute(db);

    // Updates read the new rows (a rendition or block keeps its set), except images (see above).
    for (const [name, table, event, fn] of triggers) {
      const tables = event === 'delete' ? 'old table as changed' : name === 'images_update_summaries' ? 'new table as changed old table as changed_before' : 'new table as changed';
      await sql`
        create trigger ${sql.id(name)} after ${sql.raw(event)} on ${sql.id(table)}
        referencing ${sql.raw(tables)} for each statement execute function ${sql.id(fn)}()
      `.execute(db);
    }
    for (const table of ['families', 'contributors']) {
      await sql`
        create trigger ${sql.id(`${table}_update_summaries`)} after update on ${sql.id(table)}
        referencing new table as new_rows old table as old_rows
        for each statement execute function ${sql.id(`catalog_summaries_from_${table}`)}()
      `.execute(db);
    }

    await sql`insert into product_summaries (product_id, summary) select id, catalog_product_summary(id) from products`.execute(db);
  },

  async down(db) {
    for (const table of ['families', 'contributors']) {
      await sql`drop trigger ${sql.id(`${table}_update_summaries`)} on ${sql.id(table)}`.execute(db);
      await sql`drop function ${sql.id(`catalog_summaries_from_${table}`)}()`.execute(db);
    }
    for (const [name, table] of triggers) await sql`drop trigger ${sql.id(name)} on ${sql.id(table)}`.execute(db);
    for (const source of ['products', 'images', 'image_updates', 'renditions', 'blocks']) {
      await sql`drop function ${sql.id(`catalog_summaries_from_${source}`)}()`.execute(db);
    }
    await sql`drop function catalog_refresh_summaries(uuid[])`.execute(db);
    await sql`drop table product_summaries`.execute(db);
    await sql`drop function catalog_product_summary(uuid)`.execute(db);
  },
};
