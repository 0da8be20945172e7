import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * What the marketplace API adds around the catalog: accounts (buyers, contributors, admins) with
 * argon2id password hashes, server-side sessions (only a hash of the cookie token is stored, so a
 * leaked table cannot be replayed), upload drafts (an upload id reserved before its ZIP arrives),
 * the per-account download log, and admin blocks on products.
 * Frozen history: values are written out, not imported (see 0001).
 */
export const accounts: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('email', 'text', (col) => col.notNull())
      .addColumn('password_hash', 'text', (col) => col.notNull())
      .addColumn('display_name', 'text', (col) => col.notNull())
      .addColumn('role', 'text', (col) => col.notNull())
      .addColumn('contributor_id', 'uuid', (col) => col.unique().references('contributors.id'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('accounts_role_valid', sql`role in ('buyer', 'contributor', 'admin')`)
      // A contributor account always has its public contributor record; nobody else has one.
      .addCheckConstraint('accounts_contributor_iff_role', sql`(role = 'contributor') = (contributor_id is not null)`)
      .addCheckConstraint('accounts_email_format', sql`email ~ '^[^@[:space:]]+@[^@[:space:]]+$'`)
      .addCheckConstraint('accounts_password_hash_argon2', sql`password_hash like '$argon2%'`)
      .execute();
    await db.schema.createIndex('accounts_email_lower_key').on('accounts').unique().expression(sql`lower(email)`).execute();

    await db.schema
      .createTable('sessions')
      // Hex SHA-256 of the cookie token.
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
      .addCheckConstraint('sessions_id_sha256', sql`id ~ '^[0-9a-f]{64}$'`)
      .execute();
    await db.schema.createIndex('sessions_account_idx').on('sessions').column('account_id').execute();
    await db.schema.createIndex('sessions_expires_idx').on('sessions').column('expires_at').execute();

    await db.schema
      .createTable('upload_drafts')
      // The upload id: the ZIP's key is uploads/<contributor_id>/<id>.zip.
      .addColumn('id', 'uuid', (col) => col.primaryKey())
      .addColumn('contributor_id', 'uuid', (col) => col.notNull().references('contributors.id'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('upload_expires_at', 'timestamptz', (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('upload_drafts_contributor_created_idx')
      .on('upload_drafts')
      .columns(['contributor_id', 'created_at desc', 'id desc'])
      .execute();

    await db.schema
      .createTable('downloads')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id').onDelete('cascade'))
      .addColumn('product_id', 'uuid', (col) => col.notNull().references('products.id'))
      .addColumn('image_id', 'uuid', (col) => col.references('images.id'))
      .addColumn('format', 'text', (col) => col.notNull())
      .addColumn('size', 'integer')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('downloads_format_valid', sql`format in ('zip', 'svg', 'png')`)
      .addCheckConstraint('downloads_image_unless_zip', sql`(format = 'zip') = (image_id is null)`)
      .addCheckConstraint('downloads_size_only_png', sql`(format = 'png') = (size is not null)`)
      .execute();
    await db.schema
      .createIndex('downloads_account_created_idx')
      .on('downloads')
      .columns(['account_id', 'created_at desc', 'id desc'])
      .execute();
    await db.schema.createIndex('downloads_product_idx').on('downloads').column('product_id').execute();

    await db.schema
      .createTable('product_blocks')
      .addColumn('product_id', 'uuid', (col) => col.primaryKey().references('products.id').onDelete('cascade'))
      .addColumn('reason', 'text', (col) => col.notNull())
      .addColumn('blocked_by', 'uuid', (col) => col.notNull().references('accounts.id'))
      .addColumn('blocked_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .execute();
  },

  async down(db) {
    await db.schema.dropTable('product_blocks').execute();
    await db.schema.dropTable('downloads').execute();
    await db.schema.dropTable('upload_drafts').execute();
    await db.schema.dropTable('sessions').execute();
    await db.schema.dropTable('accounts').execute();
  },
};
