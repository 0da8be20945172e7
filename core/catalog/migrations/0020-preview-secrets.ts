import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * A random secret per set, part of every public preview key (core/storage/keys.ts renditionKey). Product and
 * image ids are derived from the upload id (uuidv5), so keys made of ids alone could be guessed, and the
 * previews of a set nobody published answered 200 on the CDN. 32 hex digits of gen_random_uuid() (122
 * random bits); a volatile default, so every existing row gets its own. Hiding a set replaces it
 * (app/api/catalog/preview-exposure.ts).
 *
 * Existing renditions keep their old keys until `npm run batch -- reprocess` renders them again under the
 * new layout (README, "Previews are public, the rest is private").
 */
export const previewSecrets: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      alter table products
        add column preview_secret text not null default replace(gen_random_uuid()::text, '-', '')
          constraint products_preview_secret_hex check (preview_secret ~ '^[0-9a-f]{32}$')
    `.execute(db);
  },

  async down(db) {
    await sql`alter table products drop column preview_secret`.execute(db);
  },
};
