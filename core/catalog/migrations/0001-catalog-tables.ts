import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Contributors, uploads, families, products, images and renditions.
 * Frozen history: values here (status names, slug pattern) are written out rather
 * than imported, so a later change to the code cannot change what this migration did.
 * Regexes use POSIX classes: a backslash inside the sql`` template would be eaten by JavaScript.
 */
export const catalogTables: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .createTable('contributors')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('slug', 'text', (col) => col.notNull().unique())
      .addColumn('display_name', 'text', (col) => col.notNull())
      .addColumn('email', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('contributors_slug_format', sql`slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`)
      .addCheckConstraint('contributors_email_format', sql`email ~ '^[^@[:space:]]+@[^@[:space:]]+$'`)
      .execute();
    // One account per address whatever its case, without the citext extension.
    await db.schema
      .createIndex('contributors_email_lower_key')
      .on('contributors')
      .unique()
      .expression(sql`lower(email)`)
      .execute();

    await db.schema
      .createTable('uploads')
      .addColumn('id', 'uuid', (col) => col.primaryKey())
      .addColumn('contributor_id', 'uuid', (col) => col.notNull().references('contributors.id'))
      .addColumn('object_key', 'text', (col) => col.notNull().unique())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('received'))
      .addColumn('problems', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
      // The foreign key to products is added below, once products exists.
      .addColumn('product_id', 'uuid')
      .addColumn('received_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint(
        'uploads_status_valid',
        sql`status in ('received', 'rejected', 'accepted', 'ready', 'failed')`,
      )
      .addCheckConstraint('uploads_problems_array', sql`jsonb_typeof(problems) = 'array'`)
      .execute();
    await db.schema
      .createIndex('uploads_contributor_received_idx')
      .on('uploads')
      .columns(['contributor_id', 'received_at desc'])
      .execute();

    await db.schema
      .createTable('families')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('contributor_id', 'uuid', (col) => col.notNull().references('contributors.id'))
      .addColumn('slug', 'text', (col) => col.notNull())
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('preview_version', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('preview_keys', 'jsonb')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('families_contributor_slug_key', ['contributor_id', 'slug'])
      .addCheckConstraint('families_slug_format', sql`slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'`)
      .addCheckConstraint('families_preview_version_nonnegative', sql`preview_version >= 0`)
      .execute();

    await db.schema
      .createTable('products')
      .addColumn('id', 'uuid', (col) => col.primaryKey())
      .addColumn('contributor_id', 'uuid', (col) => col.notNull().references('contributors.id'))
      .addColumn('family_id', 'uuid', (col) => col.notNull().references('families.id'))
      .addColumn('upload_id', 'uuid', (col) => col.notNull().unique().references('uploads.id'))
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('description', 'text')
      .addColumn('license', 'text', (col) => col.notNull())
      .addColumn('tags', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
      .addColumn('price_cents', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('currency', 'char(3)')
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('processing'))
      .addColumn('published', 'boolean', (col) => col.notNull().defaultTo(false))
      .addColumn('zip_key', 'text')
      .addColumn('image_count', 'integer', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('products_kind_valid', sql`kind in ('icon-set', 'illustration-set')`)
      .addCheckConstraint('products_license_valid', sql`license in ('free', 'standard', 'extended')`)
      .addCheckConstraint('products_status_valid', sql`status in ('processing', 'ready', 'failed')`)
      .addCheckConstraint('products_price_nonnegative', sql`price_cents >= 0`)
      .addCheckConstraint('products_currency_format', sql`currency is null or currency ~ '^[A-Z]{3}$'`)
      .addCheckConstraint('products_priced_has_currency', sql`price_cents = 0 or currency is not null`)
      .addCheckConstraint('products_image_count_positive', sql`image_count > 0`)
      // A set is only ready with its download archive.
      .addCheckConstraint('products_ready_has_zip', sql`status <> 'ready' or zip_key is not null`)
      .execute();
    await db.schema.createIndex('products_family_idx').on('products').column('family_id').execute();
    await db.schema
      .createIndex('products_contributor_created_idx')
      .on('products')
      .columns(['contributor_id', 'created_at desc'])
      .execute();
    // The storefront lists only published, ready sets, newest first.
    await db.schema
      .createIndex('products_storefront_idx')
      .on('products')
      .columns(['kind', 'created_at desc'])
      .where(sql<boolean>`published and status = 'ready'`)
      .execute();

    await db.schema
      .alterTable('uploads')
      .addForeignKeyConstraint('uploads_product_id_fkey', ['product_id'], 'products', ['id'], (fk) =>
        fk.onDelete('set null'),
      )
      .execute();

    await db.schema
      .createTable('images')
      .addColumn('id', 'uuid', (col) => col.primaryKey())
      .addColumn('product_id', 'uuid', (col) => col.notNull().references('products.id').onDelete('cascade'))
      .addColumn('position', 'integer', (col) => col.notNull())
      .addColumn('file_path', 'text', (col) => col.notNull())
      .addColumn('title', 'text', (col) => col.notNull())
      .addColumn('tags', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
      .addColumn('original_key', 'text', (col) => col.notNull())
      .addColumn('width', 'double precision', (col) => col.notNull())
      .addColumn('height', 'double precision', (col) => col.notNull())
      .addColumn('sha256', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
      .addColumn('failure_reason', 'text')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('images_product_position_key', ['product_id', 'position'])
      .addUniqueConstraint('images_product_file_path_key', ['product_id', 'file_path'])
      .addCheckConstraint('images_position_nonnegative', sql`position >= 0`)
      .addCheckConstraint('images_size_positive', sql`width > 0 and height > 0`)
      .addCheckConstraint('images_sha256_hex', sql`sha256 ~ '^[0-9a-f]{64}$'`)
      .addCheckConstraint('images_status_valid', sql`status in ('pending', 'ready', 'failed')`)
      .addCheckConstraint('images_failed_has_reason', sql`(status = 'failed') = (failure_reason is not null)`)
      .execute();
    // Progress counts, pending work and preview sampling all filter a product's images by status.
    await db.schema.createIndex('images_product_status_idx').on('images').columns(['product_id', 'status']).execute();

    await db.schema
      .createTable('renditions')
      .addColumn('image_id', 'uuid', (col) => col.notNull().references('images.id').onDelete('cascade'))
      .addColumn('size', 'integer', (col) => col.notNull())
      .addColumn('format', 'text', (col) => col.notNull())
      .addColumn('object_key', 'text', (col) => col.notNull())
      .addColumn('width', 'integer', (col) => col.notNull())
      .addColumn('height', 'integer', (col) => col.notNull())
      .addColumn('bytes', 'integer', (col) => col.notNull())
      .addPrimaryKeyConstraint('renditions_pkey', ['image_id', 'size', 'format'])
      .addCheckConstraint('renditions_format_valid', sql`format in ('png', 'webp')`)
      .addCheckConstraint('renditions_dimensions_positive', sql`size > 0 and width > 0 and height > 0 and bytes > 0`)
      .execute();
  },

  async down(db) {
    await db.schema.dropTable('renditions').execute();
    await db.schema.dropTable('images').execute();
    await db.schema.alterTable('uploads').dropConstraint('uploads_product_id_fkey').execute();
    await db.schema.dropTable('products').execute();
    await db.schema.dropTable('families').execute();
    await db.schema.dropTable('uploads').execute();
    await db.schema.dropTable('contributors').execute();
  },
};
