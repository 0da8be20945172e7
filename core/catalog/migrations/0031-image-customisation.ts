import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Customisation at download (app/api/downloads/customised.ts):
 * - `image_customisation`: whether an image can be recoloured and take another stroke width, read from its
 *   sanitised original the first time its page is asked for (by analyser version, so a better analyser
 *   re-reads), with the reason when not. Its own table: no catalog trigger fires when it is filled.
 * - `custom_renders`: which customised files exist in the downloads bucket (`custom/…`), so a repeated
 *   request is one indexed read, not an S3 HEAD (which needs ListBucket to tell "missing" from "denied").
 */
export const imageCustomisation: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .createTable('image_customisation')
      .addColumn('image_id', 'uuid', (col) => col.primaryKey().references('images.id').onDelete('cascade'))
      .addColumn('analyser_version', 'integer', (col) => col.notNull())
      .addColumn('colour', 'boolean', (col) => col.notNull())
      .addColumn('colour_reason', 'text')
      .addColumn('stroke', 'boolean', (col) => col.notNull())
      .addColumn('stroke_reason', 'text')
      .addColumn('analysed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('image_customisation_colour_reason', sql`colour = (colour_reason is null)`)
      .addCheckConstraint('image_customisation_stroke_reason', sql`stroke = (stroke_reason is null)`)
      .execute();
    await db.schema
      .createTable('custom_renders')
      .addColumn('object_key', 'text', (col) => col.primaryKey())
      .addColumn('image_id', 'uuid', (col) => col.notNull().references('images.id').onDelete('cascade'))
      .addColumn('format', 'text', (col) => col.notNull())
      .addColumn('size', 'integer', (col) => col.notNull())
      .addColumn('bytes', 'integer', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('custom_renders_format_valid', sql`format in ('png', 'webp')`)
      .addCheckConstraint('custom_renders_key_layout', sql`object_key ~ '^custom/'`)
      .execute();
    await db.schema.createIndex('custom_renders_image_idx').on('custom_renders').column('image_id').execute();
  },

  async down(db) {
    await db.schema.dropTable('custom_renders').execute();
    await db.schema.dropTable('image_customisation').execute();
  },
};
