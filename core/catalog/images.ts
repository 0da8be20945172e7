import { sql, type Kysely } from 'kysely';
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
 * Stores an image's renditions and marks it ready, in one transaction. Idempotent:
 * renditions are upserted by (image, size, format), so a retry overwrites rather than duplicates.
 */
export async function markImageReady(
  db: Kysely<Database>,
  imageId: string,
  renditions: readonly RenditionRecord[],
): Promise<void> {
  if (renditions.length === 0) throw new RangeError(`image ${imageId} cannot be ready without renditions`);
  await inTransaction(db, async (trx) => {
    // Update first: it locks the image row and tells us whether it exists before renditions reference it.
    const updated = await trx
      .updateTable('images')
      .set({ status: 'ready', failureReason: null, updatedAt: now() })
      .where('id', '=', imageId)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw new CatalogStateError(`image ${imageId} is not in the catalog`);

    await upsertRenditions(trx, renditions.map((rendition) => ({ imageId, ...rendition })));
  });
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
  const result = await db
    .updateTable('images')
    .set({ status: 'failed', failureReason: reason, updatedAt: now() })
    .where('id', '=', imageId)
    .where('status', '<>', 'ready')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
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
