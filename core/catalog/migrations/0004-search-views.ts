import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * `search_products`: one row per product, denormalised for a search index. Logstash (app/search/logstash.conf)
 * reads it incrementally by `updated_at` and indexes rows where `searchable`, deleting the others, so
 * unpublishing or blocking a set also removes it from Elasticsearch. Anything that changes what the view
 * shows for a product (publish, block, image titles) bumps products.updated_at; the index below keeps
 * the incremental query cheap.
 */
export const searchViews: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create view search_products as
      select
        p.id,
        p.title,
        p.description,
        p.tags,
        p.kind,
        p.license,
        p.price_cents,
        p.currency,
        p.image_count,
        p.family_id,
        f.slug as family_slug,
        f.title as family_title,
        c.slug as contributor_slug,
        c.display_name as contributor_name,
        coalesce(
          (select array_agg(i.title order by i.position) from images i where i.product_id = p.id),
          '{}'
        ) as image_titles,
        (p.published and p.status = 'ready' and b.product_id is null) as searchable,
        p.created_at,
        p.updated_at
      from products p
      join families f on f.id = p.family_id
      join contributors c on c.id = p.contributor_id
      left join product_blocks b on b.product_id = p.id
    `.execute(db);
    await db.schema.createIndex('products_updated_idx').on('products').columns(['updated_at', 'id']).execute();
  },

  async down(db) {
    await db.schema.dropIndex('products_updated_idx').execute();
    await sql`drop view search_products`.execute(db);
  },
};
