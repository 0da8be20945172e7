import { sql, type Kysely, type Transaction } from 'kysely';
import { CatalogStateError, inTransaction, isUuid, now } from './db.ts';
import { PREVIEW_MAX_EDGE } from '../render/config.ts';
import type { Database, ImageStatus, ProductKind, RenditionsTable } from './schema.ts';

export interface ImageForProcessing {
  imageId: string;
  productId: string;
  familyId: string;
  contributorId: string;
  kind: ProductKind;
  /** Part of the image's public preview keys. */
  previewSecret: string;
  position: number;
  filePath: string;
  originalKey: string;
  width: number;
  height: number;
  sha256: string;
  status: ImageStatus;
}

/** What ImageProcessor needs for one image: its original's key and the product kind (which sizes to render). */
export async function getImageForProcessing(
  db: Kysely<Database>,
  imageId: string,
): Promise<ImageForProcessing | undefined> {
  if (!isUuid(imageId)) return undefined;
  return db
    .selectFrom('images')
    .innerJoin('products', 'products.id', 'images.productId')
    .select([
      'images.id as imageId',
      'images.productId',
      'products.familyId',
      'products.contributorId',
      'products.kind',
      'products.previewSecret',
      'images.position',
      'images.filePath',
      'images.originalKey',
      'images.width',
      'images.height',
      'images.sha256',
      'images.status',
    ])
    .where('images.id', '=', imageId)
    .executeTakeFirst();
}

/** One rendition of an image, as its row holds it. */
export type RenditionRecord = Omit<RenditionsTable, 'imageId'>;

/**
 * What settling an image did to its set. `setComplete` is true for exactly one settlement per
 * completion of a set: the one whose transaction left no image of a processing set pending. The
 * upload row is the set's lock (see `lockSetForSettlement`), so two images settling at once are
 * ordered, and the second one sees the first as settled.
 */
export interface ImageSettlement {
  /** The image moved out of pending (a re-render of a ready image or a late duplicate did not). */
  settled: boolean;
  setComplete: boolean;
  productId: string;
}

/**
 * Stores an image's renditions and marks it ready, in one transaction. Idempotent:
 * renditions are upserted by (image, size, format), so a retry overwrites rather than duplicates.
 */
export async function markImageReady(
  db: Kysely<Database>,
  imageId: string,
  renditions: readonly RenditionRecord[],
): Promise<void> {
  await settleImageReady(db, imageId, renditions);
}

/**
 * `markImageReady`, and whether this was the set's last pending image (decided in the same
 * transaction: the caller that gets `setComplete` queues the set's finish at once).
 */
export async function settleImageReady(
  db: Kysely<Database>,
  imageId: string,
  renditions: readonly RenditionRecord[],
): Promise<ImageSettlement> {
  if (renditions.length === 0) throw new RangeError(`image ${imageId} cannot be ready without renditions`);
  return inTransaction(db, async (trx) => {
    const settled = await settlePendingImageReady(trx, imageId, renditions);
    if (settled) {
      // A new statement, after the set's lock was granted (see settlementOf).
      const complete = await noImagePending(trx, settled.productId);
      if (complete === undefined) throw new CatalogStateError(`set ${settled.productId} is not in the catalog`);
      return { settled: true, setComplete: complete, productId: settled.productId };
    }
    // Not pending (a re-render, a late duplicate) or not in the catalog: the general path.
    // Lock the image first: it tells us whether it exists (before renditions reference it) and what it was.
    const before = await lockImage(trx, imageId);
    if (!before) throw new CatalogStateError(`image ${imageId} is not in the catalog`);
    await trx
      .updateTable('images')
      .set({ status: 'ready', failureReason: null, lastError: null, updatedAt: now() })
      .where('id', '=', imageId)
      .execute();
    await upsertRenditions(trx, renditions.map((rendition) => ({ imageId, ...rendition })));
    return settlementOf(trx, before, before.status === 'pending');
  });
}

/**
 * Marks a pending image failed with a reason the contributor can read, and says whether that
 * settled the set's last pending image. A ready image stays ready (a late duplicate job must not
 * undo finished work); an image already failed keeps its first reason.
 */
export async function settleImageFailed(db: Kysely<Database>, imageId: string, reason: string): Promise<ImageSettlement | undefined> {
  return inTransaction(db, async (trx) => {
    const before = await lockImage(trx, imageId);
    if (!before) return undefined;
    if (before.status !== 'pending') return { settled: false, setComplete: false, productId: before.productId };
    await trx
      .updateTable('images')
      .set({ status: 'failed', failureReason: reason, updatedAt: now() })
      .where('id', '=', imageId)
      .execute();
    return settlementOf(trx, before, true);
  });
}

/**
 * The common case in one statement: a pending image becomes ready, its set's progress clock moves (taking the
 * set's lock, its upload row) and its rendition rows are written. Undefined when the image is not pending (or
 * not there), with nothing changed. The update's own condition decides, re-checked by PostgreSQL on the newest
 * row version if another transaction changed it meanwhile, so two settlements of one image cannot both count.
 * Rows above the kind's preview size are dropped as `upsertRenditions` drops them. Was five statements (lock,
 * update, upsert, delete, progress), each a round trip.
 */
async function settlePendingImageReady(
  trx: Transaction<Database>,
  imageId: string,
  renditions: readonly RenditionRecord[],
): Promise<{ productId: string } | undefined> {
  if (!isUuid(imageId)) return undefined;
  const rows = JSON.stringify(
    renditions.map((r) => ({ size: r.size, format: r.format, object_key: r.objectKey, width: r.width, height: r.height, bytes: r.bytes })),
  );
  const { rows: [settled] } = await sql<{ productId: string }>`
    with settled as (
      update images set status = 'ready', failure_reason = null, last_error = null, updated_at = now()
      where id = ${imageId} and status = 'pending'
      returning product_id
    ), progress as (
      update uploads set progress_at = now() where product_id in (select product_id from settled)
    ), stored as (
      insert into renditions (image_id, size, format, object_key, width, height, bytes)
      select ${imageId}::uuid, r.size, r.format, r.object_key, r.width, r.height, r.bytes
      from settled, jsonb_to_recordset(${rows}::jsonb) as r(size integer, format text, object_key text, width integer, height integer, bytes integer)
      on conflict (image_id, size, format) do update set
        object_key = excluded.object_key, width = excluded.width, height = excluded.height, bytes = excluded.bytes
    ), dropped as (
      delete from renditions r using settled s, products p
      where r.image_id = ${imageId} and p.id = s.product_id
        and r.size > case p.kind when 'icon-set' then ${sql.lit(PREVIEW_MAX_EDGE['icon-set'])} else ${sql.lit(PREVIEW_MAX_EDGE['illustration-set'])} end
    )
    select product_id from settled
  `.execute(trx);
  return settled;
}

async function lockImage(trx: Transaction<Database>, imageId: string) {
  if (!isUuid(imageId)) return undefined;
  return trx.selectFrom('images').select(['productId', 'status']).where('id', '=', imageId).forUpdate().executeTakeFirst();
}

/**
 * Takes the set's lock (its upload row), moves its progress clock when an image settled, and counts what
 * is still pending. Under READ COMMITTED the count is a new statement, run after the lock was granted:
 * it sees every settlement committed before ours, so only the last one counts zero.
 */
async function settlementOf(
  trx: Transaction<Database>,
  image: { productId: string },
  settled: boolean,
): Promise<ImageSettlement> {
  const { productId } = image;
  if (!settled) return { settled, setComplete: false, productId };
  await trx.updateTable('uploads').set({ progressAt: now() }).where('productId', '=', productId).execute();
  const complete = await noImagePending(trx, productId);
  if (complete === undefined) throw new CatalogStateError(`set ${productId} is not in the catalog`);
  return { settled, setComplete: complete, productId };
}

/** Whether a set still processing has no image pending (a finish may be due). */
export async function setAwaitsFinish(db: Kysely<Database>, productId: string): Promise<boolean> {
  return (await noImagePending(db, productId)) ?? false;
}

/** Whether the set is still processing with no image pending; undefined when the set is not in the catalog. */
async function noImagePending(db: Kysely<Database>, productId: string): Promise<boolean | undefined> {
  const row = await db
    .selectFrom('products')
    .select((eb) => [
      'products.status',
      eb
        .selectFrom('images')
        .select((inner) => inner.cast<number>(inner.fn.countAll(), 'integer').as('n'))
        .where('images.productId', '=', productId)
        .where('images.status', '=', 'pending')
        .as('pending'),
    ])
    .where('products.id', '=', productId)
    .executeTakeFirst();
  return row && row.status === 'processing' && Number(row.pending) === 0;
}

/** Notes a transient error on a pending image, so a stall or a dead letter can name it. */
export async function recordImageError(db: Kysely<Database>, imageId: string, error: string): Promise<void> {
  if (!isUuid(imageId)) return;
  await db
    .updateTable('images')
    .set({ lastError: error.slice(0, 1000) })
    .where('id', '=', imageId)
    .where('status', '=', 'pending')
    .execute();
}

/**
 * Writes rendition rows, replacing those of the same (image, size, format): a re-render overwrites,
 * never duplicates. Shared by ImageProcessor and batch reprocessing, which writes many images at once.
 * Rows above the kind's preview size (written before full-size renditions became private) are dropped for
 * the images written: a row is a public URL, and those sizes now live only in the downloads bucket.
 */
export async function upsertRenditions(
  db: Kysely<Database>,
  rows: ReadonlyArray<RenditionRecord & { imageId: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('renditions')
    .values([...rows])
    .onConflict((oc) =>
      oc.columns(['imageId', 'size', 'format']).doUpdateSet((eb) => ({
        objectKey: eb.ref('excluded.objectKey'),
        width: eb.ref('excluded.width'),
        height: eb.ref('excluded.height'),
        bytes: eb.ref('excluded.bytes'),
      })),
    )
    .execute();
  const imageIds = [...new Set(rows.map((row) => row.imageId))];
  const maxEdge = sql<number>`case (select p.kind from images i join products p on p.id = i.product_id where i.id = renditions.image_id)
    when 'icon-set' then ${sql.lit(PREVIEW_MAX_EDGE['icon-set'])} else ${sql.lit(PREVIEW_MAX_EDGE['illustration-set'])} end`;
  await db.deleteFrom('renditions').where('imageId', 'in', imageIds).where('size', '>', maxEdge).execute();
}

/**
 * Marks an image failed with a reason the contributor can read. A ready image stays
 * ready (a late duplicate job must not undo finished work). Returns whether it changed.
 */
export async function markImageFailed(db: Kysely<Database>, imageId: string, reason: string): Promise<boolean> {
  return (await settleImageFailed(db, imageId, reason))?.settled ?? false;
}

/** Fails every image of the product still pending (they were never rendered). Returns how many. */
export async function failPendingImages(db: Kysely<Database>, productId: string, reason: string): Promise<number> {
  const result = await db
    .updateTable('images')
    .set({ status: 'failed', failureReason: reason, updatedAt: now() })
    .where('productId', '=', productId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Ids of the product's images still waiting to be rendered, in manifest order. */
export async function pendingImageIds(db: Kysely<Database>, productId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('images')
    .select('id')
    .where('productId', '=', productId)
    .where('status', '=', 'pending')
    .orderBy('position')
    .execute();
  return rows.map((row) => row.id);
}

export interface ProductImage {
  imageId: string;
  position: number;
  filePath: string;
  title: string;
  tags: string[];
  originalKey: string;
  status: ImageStatus;
}

/** Every image of a product, in manifest order. */
export async function listProductImages(db: Kysely<Database>, productId: string): Promise<ProductImage[]> {
  return db
    .selectFrom('images')
    .select(['id as imageId', 'position', 'filePath', 'title', 'tags', 'originalKey', 'status'])
    .where('productId', '=', productId)
    .orderBy('position')
    .execute();
}
