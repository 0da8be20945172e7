import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * The batch reprocessing journal (`npm run batch -- reprocess`). One row per run, one row per image the run
 * has settled (rendered, failed after its retries, or queued for the ImageProcessor). An interrupted run
 * reads it page by page to skip finished images, so resuming never needs the whole catalog in memory, and
 * several machines can share it. Items go with their image: a deleted image has nothing left to resume.
 */
export const batchRuns: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .createTable('batch_runs')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('options', 'jsonb', (col) => col.notNull())
      .addColumn('started_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('finished_at', 'timestamptz')
      .addCheckConstraint('batch_runs_id_shape', sql`id ~ '^[A-Za-z0-9._-]{1,64}$'`)
      .execute();
    await db.schema
      .createTable('batch_items')
      .addColumn('run_id', 'text', (col) => col.notNull().references('batch_runs.id').onDelete('cascade'))
      .addColumn('image_id', 'uuid', (col) => col.notNull().references('images.id').onDelete('cascade'))
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('attempts', 'integer', (col) => col.notNull())
      .addColumn('reason', 'text')
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('batch_items_pkey', ['run_id', 'image_id'])
      .addCheckConstraint('batch_items_status_valid', sql`status in ('done', 'failed', 'queued')`)
      .addCheckConstraint('batch_items_failed_has_reason', sql`(status = 'failed') = (reason is not null)`)
      .addCheckConstraint('batch_items_attempts_positive', sql`attempts >= 1`)
      .execute();
    // The failure report reads a run's failed items; the primary key serves every other lookup.
    await db.schema
      .createIndex('batch_items_failed_idx')
      .on('batch_items')
      .column('run_id')
      .where(sql.ref('status'), '=', 'failed')
      .execute();
  },

  async down(db) {
    await db.schema.dropTable('batch_items').execute();
    await db.schema.dropTable('batch_runs').execute();
  },
};
