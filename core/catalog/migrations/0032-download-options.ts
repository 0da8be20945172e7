import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Downloads also log WebP files and customised renders: `webp` joins the formats (a size, like PNG), and
 * `options` keeps what was customised (`{ colour?, strokeWidth? }`), null for files as stored.
 */
export const downloadOptions: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`alter table downloads drop constraint downloads_format_valid`.execute(db);
    await sql`alter table downloads add constraint downloads_format_valid check (format in ('zip', 'svg', 'png', 'webp'))`.execute(db);
    await sql`alter table downloads drop constraint downloads_size_only_png`.execute(db);
    await sql`alter table downloads add constraint downloads_size_only_raster check ((format in ('png', 'webp')) = (size is not null))`.execute(db);
    await sql`alter table downloads add column options jsonb`.execute(db);
  },

  async down(db) {
    await sql`delete from downloads where format = 'webp'`.execute(db);
    await sql`alter table downloads drop column options`.execute(db);
    await sql`alter table downloads drop constraint downloads_size_only_raster`.execute(db);
    await sql`alter table downloads add constraint downloads_size_only_png check ((format = 'png') = (size is not null))`.execute(db);
    await sql`alter table downloads drop constraint downloads_format_valid`.execute(db);
    await sql`alter table downloads add constraint downloads_format_valid check (format in ('zip', 'svg', 'png'))`.execute(db);
  },
};
