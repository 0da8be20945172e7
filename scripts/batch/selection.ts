/**
 * Which listed originals a run renders: those the catalog knows (the product kind decides the sizes), that
 * pass the `--only` filters, and that the run has not settled yet. Two small queries per listing page.
 */
import type { ProductKind } from '../../core/catalog/index.ts';
import { settledAmong, type JournalDb } from './journal.ts';
import type { OnlyFilter } from './options.ts';
import type { OriginalRef } from './sources.ts';

export interface SelectedImage extends OriginalRef {
  uploadId: string;
  kind: ProductKind;
  /** Part of the image's public preview keys (core/storage/keys.ts). */
  previewSecret: string;
}

export interface PageSelection {
  selected: SelectedImage[];
  /** Listed but unknown to the catalog (or listed under another product): left alone. */
  notInCatalog: number;
  /** Excluded by `--only`. */
  filteredOut: number;
  /** Already settled by this run (a resume). */
  alreadySettled: number;
}

function imagesWithProducts(db: JournalDb, only: readonly OnlyFilter[]) {
  let query = db
    .selectFrom('images')
    .innerJoin('products', 'products.id', 'images.productId')
    .innerJoin('families', 'families.id', 'products.familyId');
  // Filters of one kind are alternatives (two families: either); different kinds must all hold.
  const families = only.flatMap((filter) => (filter.by === 'family' ? [filter.slug] : []));
  const sets = only.flatMap((filter) => (filter.by === 'set' ? [filter.productId] : []));
  const since = only.flatMap((filter) => (filter.by === 'since' ? [filter.date] : []));
  if (families.length > 0) query = query.where('families.slug', 'in', families);
  if (sets.length > 0) query = query.where('products.id', 'in', sets);
  // Several dates: the earliest one (images created since any of them).
  if (since.length > 0) query = query.where('images.createdAt', '>=', new Date(Math.min(...since.map((date) => date.getTime()))));
  return query;
}

export async function selectPage(
  db: JournalDb,
  runId: string,
  page: readonly OriginalRef[],
  only: readonly OnlyFilter[],
): Promise<PageSelection> {
  const known = await imagesWithProducts(db, [])
    .select(['images.id as imageId', 'images.productId', 'products.uploadId', 'products.kind', 'products.previewSecret'])
    .where('images.id', 'in', page.map((ref) => ref.imageId))
    .execute();
  const byId = new Map(known.map((row) => [row.imageId, row]));
  const inCatalog = page.filter((ref) => byId.get(ref.imageId)?.productId === ref.productId);

  let wanted = inCatalog;
  if (only.length > 0 && inCatalog.length > 0) {
    const passing = await imagesWithProducts(db, only)
      .select('images.id as imageId')
      .where('images.id', 'in', inCatalog.map((ref) => ref.imageId))
      .execute();
    const ids = new Set(passing.map((row) => row.imageId));
    wanted = inCatalog.filter((ref) => ids.has(ref.imageId));
  }
  const settled = await settledAmong(db, runId, wanted.map((ref) => ref.imageId));
  const selected = wanted
    .filter((ref) => !settled.has(ref.imageId))
    .map((ref) => {
      const row = byId.get(ref.imageId)!;
      return { ...ref, uploadId: row.uploadId, kind: row.kind, previewSecret: row.previewSecret };
    });
  return {
    selected,
    notInCatalog: page.length - inCatalog.length,
    filteredOut: inCatalog.length - wanted.length,
    alreadySettled: settled.size,
  };
}

/** Catalog images that match the filters and that the run has not settled: the progress bar's total. */
export async function countRemaining(db: JournalDb, runId: string, only: readonly OnlyFilter[]): Promise<number> {
  const row = await imagesWithProducts(db, only)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('batchItems')
            .select('batchItems.imageId')
            .whereRef('batchItems.imageId', '=', 'images.id')
            .where('batchItems.runId', '=', runId)
            .where('batchItems.status', 'in', ['done', 'queued']),
        ),
      ),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
