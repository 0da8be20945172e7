import { sql, type Kysely } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * The pipeline unpacks contributors' zips and renders their SVGs: of all components the likeliest to run an
 * attacker's code (hostile review 3, finding 6). 0037 let it update and delete whole rows of the catalog, so its
 * login could make itself the owner and payee of any set (`products.contributor_id`, which fulfilment reads),
 * change prices, licences and publication, or delete every image. It keeps INSERT (accepting an upload makes
 * the set, its family and images) and may now UPDATE only the columns its code and the triggers its writes
 * fire change, and DELETE only renditions (and, as before, the rows its triggers keep: summaries, search words,
 * image_search).
 * Frozen history: the column lists are written out, not imported (see 0001).
 */
const PIPELINE_UPDATES: Record<string, string[]> = {
  // Accepting, rejecting, progress, failure and readiness of an upload; the object's ETag; ignored entries.
  uploads: ['status', 'product_id', 'problems', 'warnings', 'progress_at', 'updated_at', 'object_etag', 'ignored_objects'],
  // The family collage (preview-maker).
  families: ['preview_keys', 'preview_version', 'updated_at'],
  // A set's state and ZIP; image_document is kept by 0007's trigger on images.
  products: ['status', 'zip_key', 'updated_at', 'image_document'],
  // An image's rendering outcome.
  images: ['status', 'failure_reason', 'last_error', 'updated_at'],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const q = (db: Kysely<any>, text: string) => sql.raw(text).execute(db);

export const pipelineColumns: CatalogMigration = {
  destructive: false,

  async up(db) {
    for (const [table, columns] of Object.entries(PIPELINE_UPDATES)) {
      await q(db, `revoke update, delete on ${table} from marketplace_pipeline`);
      await q(db, `grant update (${columns.join(', ')}) on ${table} to marketplace_pipeline`);
    }
  },

  async down(db) {
    for (const [table, columns] of Object.entries(PIPELINE_UPDATES)) {
      await q(db, `revoke update (${columns.join(', ')}) on ${table} from marketplace_pipeline`);
      await q(db, `grant update, delete on ${table} to marketplace_pipeline`);
    }
  },
};
