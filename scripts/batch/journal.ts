/**
 * The run journal in PostgreSQL (tables from catalog migration 0005-batch-runs). Rows are written in the
 * same transaction as the catalog update they vouch for, so "done" in the journal always means the
 * renditions are stored and the catalog knows them.
 */
import type { ColumnType, Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../core/catalog/index.ts';

export type BatchItemStatus = 'done' | 'failed' | 'queued';

type BatchRunsTable = {
  id: string;
  options: ColumnType<unknown, string, string>;
  startedAt: ColumnType<Date, never, never>;
  updatedAt: ColumnType<Date, never, ReturnType<typeof sql>>;
  finishedAt: ColumnType<Date | null, never, ReturnType<typeof sql> | null>;
};

type BatchItemsTable = {
  runId: string;
  imageId: string;
  status: BatchItemStatus;
  attempts: number;
  reason: string | null;
  updatedAt: ColumnType<Date, never, ReturnType<typeof sql>>;
};

/** Type aliases, not interfaces: `withTables` needs index-compatible record types. */
export type BatchTables = {
  batchRuns: BatchRunsTable;
  batchItems: BatchItemsTable;
};

export type JournalDb = Kysely<Database & BatchTables>;

export function journalDb(db: Kysely<Database>): JournalDb {
  return db.withTables<BatchTables>();
}

export interface RunState {
  /** True when the run existed before (this is a resume). */
  resumed: boolean;
  done: number;
  failed: number;
  queued: number;
}

/** Creates the run, or reopens it (a resume) and clears its finish time. Returns what it holds so far. */
export async function openRun(db: JournalDb, runId: string, options: unknown): Promise<RunState> {
  const inserted = await db
    .insertInto('batchRuns')
    .values({ id: runId, options: JSON.stringify(options) })
    .onConflict((oc) => oc.column('id').doUpdateSet({ updatedAt: sql`now()`, finishedAt: null }))
    .returning(sql<boolean>`(xmax = 0)`.as('created'))
    .executeTakeFirstOrThrow();
  const counts = await db
    .selectFrom('batchItems')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('runId', '=', runId)
    .groupBy('status')
    .execute();
  const count = (status: BatchItemStatus) => Number(counts.find((row) => row.status === status)?.n ?? 0);
  return { resumed: !inserted.created, done: count('done'), failed: count('failed'), queued: count('queued') };
}

export async function finishRun(db: JournalDb, runId: string): Promise<void> {
  await db.updateTable('batchRuns').set({ updatedAt: sql`now()`, finishedAt: sql`now()` }).where('id', '=', runId).execute();
}

/** Of these image ids, the ones the run has already settled for good (done, or queued for fan-out). */
export async function settledAmong(db: JournalDb, runId: string, imageIds: readonly string[]): Promise<Set<string>> {
  if (imageIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('batchItems')
    .select('imageId')
    .where('runId', '=', runId)
    .where('imageId', 'in', imageIds)
    .where('status', 'in', ['done', 'queued'])
    .execute();
  return new Set(rows.map((row) => row.imageId));
}

export interface JournalEntry {
  imageId: string;
  status: BatchItemStatus;
  attempts: number;
  reason?: string;
}

/** Upserts journal rows (a failed image that later succeeds becomes done). Joins the caller's transaction. */
export async function recordItems(db: JournalDb | Transaction<Database & BatchTables>, runId: string, entries: readonly JournalEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('batchItems')
    .values(entries.map((entry) => ({ runId, imageId: entry.imageId, status: entry.status, attempts: entry.attempts, reason: entry.reason ?? null })))
    .onConflict((oc) =>
      oc.columns(['runId', 'imageId']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        attempts: eb.ref('excluded.attempts'),
        reason: eb.ref('excluded.reason'),
        updatedAt: sql`now()`,
      })),
    )
    .execute();
}

export interface FailureRow {
  imageId: string;
  productId: string;
  filePath: string;
  attempts: number;
  reason: string;
}

/** The run's failures with enough context to find the file, streamed in id order (keyset pages). */
export async function* runFailures(db: JournalDb, runId: string, pageSize = 500): AsyncGenerator<FailureRow> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db
      .selectFrom('batchItems')
      .innerJoin('images', 'images.id', 'batchItems.imageId')
      .select(['batchItems.imageId', 'images.productId', 'images.filePath', 'batchItems.attempts', 'batchItems.reason'])
      .where('batchItems.runId', '=', runId)
      .where('batchItems.status', '=', 'failed')
      .where('batchItems.imageId', '>', after)
      .orderBy('batchItems.imageId')
      .limit(pageSize)
      .execute();
    for (const row of rows) yield { ...row, reason: row.reason ?? '' };
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.imageId;
  }
}
