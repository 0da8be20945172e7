/**
 * Batches finished images into few catalog transactions: rendition rows upserted (as `markImageReady`
 * does for one image), images marked ready, and journal rows marked done, all or nothing. Writes run one
 * after another. `add` waits while more than two batches are unwritten, so a slow database slows the
 * renderers down (back-pressure) instead of letting finished work pile up in memory. A failed write is
 * fatal for the run: the journal no longer vouches for those images, and a resume redoes them.
 */
import { sql, type Kysely } from 'kysely';
import { upsertRenditions, type Database, type RenditionRecord } from '../../core/catalog/index.ts';
import { recordItems, type JournalDb } from './journal.ts';

export interface RenderedImage {
  imageId: string;
  renditions: RenditionRecord[];
  attempts: number;
}

export interface CommitterOptions {
  runId: string;
  batchSize: number;
  /** A partial batch is written after this long, so the journal keeps up with slow images. */
  maxDelayMs: number;
  /** False when renditions went to a local folder: the catalog must not point at keys S3 does not hold. */
  updateCatalog: boolean;
}

export class CatalogCommitter {
  readonly #db: JournalDb;
  readonly #options: CommitterOptions;
  #batch: RenderedImage[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #unwritten = 0;
  #error: unknown;
  committed = 0;

  constructor(db: JournalDb, options: CommitterOptions) {
    this.#db = db;
    this.#options = options;
  }

  async add(image: RenderedImage): Promise<void> {
    this.#throwIfFailed();
    this.#batch.push(image);
    this.#unwritten += 1;
    if (this.#batch.length >= this.#options.batchSize) this.#seal();
    else this.#timer ??= setTimeout(() => this.#seal(), this.#options.maxDelayMs);
    while (this.#unwritten > this.#options.batchSize * 2 && this.#error === undefined) await this.#chain;
    this.#throwIfFailed();
  }

  /** Writes whatever is buffered and waits for every write to finish. */
  async flush(): Promise<void> {
    this.#seal();
    await this.#chain;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error;
  }

  /** Closes the open batch and queues its write behind the previous one. */
  #seal(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) return;
    this.#chain = this.#chain.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await this.#write(batch);
        this.committed += batch.length;
      } catch (error) {
        this.#error = error;
      } finally {
        this.#unwritten -= batch.length;
      }
    });
  }

  async #write(batch: RenderedImage[]): Promise<void> {
    const { runId, updateCatalog } = this.#options;
    await this.#db.transaction().execute(async (trx) => {
      if (updateCatalog) {
        await trx
          .updateTable('images')
          .set({ status: 'ready', failureReason: null, updatedAt: sql<Date>`now()` })
          .where('id', 'in', batch.map((image) => image.imageId))
          .execute();
        await upsertRenditions(
          // The journal's database has the catalog's tables and more; Kysely's types are invariant in them.
          trx as unknown as Kysely<Database>,
          batch.flatMap((image) => image.renditions.map((rendition) => ({ imageId: image.imageId, ...rendition }))),
        );
      }
      await recordItems(trx, runId, batch.map((image) => ({ imageId: image.imageId, status: 'done' as const, attempts: image.attempts })));
    });
  }
}
