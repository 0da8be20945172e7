import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * `search_images`: one row per image with what icon-level search filters and shows, denormalised for the
 * Elasticsearch index as `search_products` (migration 0004) is for sets. Logstash (app/search/logstash.conf)
 * reads it incrementally and indexes rows where `searchable`, deleting the others: an image of a set that is
 * unpublished or blocked, or an image that is not ready, leaves the index.
 *
 * `updated_at` is the later of the image's and its set's: a set's publish, block, retitle or price change
 * (each bumps products.updated_at) re-sends its images. The pipeline's statement finds changed rows through
 * the two tables' own updated_at indexes (products' from 0004, images' here) rather than filtering the view's
 * computed column, which no index can answer (a scan of every image each minute).
 */
export const searchImageViews: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create view search_images as
      select
        i.id,
        'image'::text as doc_type,
        i.product_id,
        i.title,
        i.tags,
        i.position,
        p.title as product_title,
        p.tags as product_tags,
        p.kind,
        p.license,
        p.price_cents,
        p.currency,
        p.family_id,
        f.slug as family_slug,
        f.title as family_title,
        c.slug as contributor_slug,
        c.display_name as contributor_name,
        (p.published and p.status = 'ready' and b.product_id is null and i.status = 'ready') as searchable,
        i.created_at,
        greatest(i.updated_at, p.updated_at) as updated_at
      from images i
      join products p on p.id = i.product_id
      join families f on f.id = p.family_id
      join contributors c on c.id = p.contributor_id
      left join product_blocks b on b.product_id = p.id
    `.execute(db);
    await db.schema.createIndex('images_updated_idx').on('images').columns(['updated_at', 'id']).execute();
  },

  async down(db) {
    await db.schema.dropIndex('images_updated_idx').execute();
    await sql`drop view search_images`.execute(db);
  },
};
