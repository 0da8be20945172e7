import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Search is core to the marketplace: a weighted full-text document on products
 * (title > tags > description) with a GIN index, and trigram indexes on product
 * and image titles for typo-tolerant and prefix matching (`similarity`, `ILIKE`).
 * 'english' stems ("clouds" finds "cloud"); the API issue builds the queries.
 */
export const productSearch: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`create extension if not exists pg_trgm`.execute(db);
    // array_to_string is only STABLE, which a generated column refuses; joining text
    // with a space is in fact immutable, so this wrapper says so.
    await sql`
      create function catalog_tags_text(tags text[]) returns text
      language sql immutable parallel safe
      return array_to_string(tags, ' ')
    `.execute(db);
    await sql`
      alter table products add column search_document tsvector
      generated always as (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, catalog_tags_text(tags)), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
      ) stored
    `.execute(db);
    await db.schema.createIndex('products_search_idx').on('products').using('gin').column('search_document').execute();
    await db.schema
      .createIndex('products_title_trgm_idx')
      .on('products')
      .using('gin')
      .expression(sql`title gin_trgm_ops`)
      .execute();
    await db.schema
      .createIndex('images_title_trgm_idx')
      .on('images')
      .using('gin')
      .expression(sql`title gin_trgm_ops`)
      .execute();
  },

  async down(db) {
    await db.schema.dropIndex('images_title_trgm_idx').execute();
    await db.schema.dropIndex('products_title_trgm_idx').execute();
    await db.schema.dropIndex('products_search_idx').execute();
    await db.schema.alterTable('products').dropColumn('search_document').execute();
    await sql`drop function catalog_tags_text(text[])`.execute(db);
    // pg_trgm stays: other objects may depend on it, and keeping it loses nothing.
  },
};
