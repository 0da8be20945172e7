import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Downloads log customised renders: `options` keeps what was customised (`{ colour?, strokeWidth? }`), null
 * for files as stored. WebP downloads (a size, like PNG) are already allowed by 0015-selling, whose
 * constraints this relies on; `down` leaves them as 0015 made them.
 */
export const downloadOptions: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`alter table downloads add column options jsonb`.execute(db);
  },

  async down(db) {
    await sql`alter table downloads drop column options`.execute(db);
  },
};
