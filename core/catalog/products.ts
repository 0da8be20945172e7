import type { Kysely, Selectable } from 'kysely';
import { inTransaction, isUuid, jsonb, now } from './db.ts';
import type { Database, ProductsTable } from './schema.ts';

export type Product = Omit<Selectable<ProductsTable>, 'searchDocument'>;

const PRODUCT_COLUMNS = [
  'id',
  'contributorId',
  'familyId',
  'uploadId',
  'kind',
  'title',
  'description',
  'license',
  'tags',
  'priceCents',
  'currency',
  'status',
  'published',
  'zipKey',
  'imageCount',
  'previewSecret',
  'createdAt',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof Product>;

export async function getProduct(db: Kysely<Database>, productId: string): Promise<Product | undefined> {
  if (!isUuid(productId)) return undefined;
  return db.selectFrom('products').select(PRODUCT_COLUMNS).where('id', '=', productId).executeTakeFirst();
}

export interface ImageFailure {
  file: string;
  reason: string;
}

export interface ProductProgress {
  total: number;
  ready: number;
  failed: number;
  pending: number;
  /** Failed images in manifest order. */
  failures: ImageFailure[];
}

export async function productProgress(db: Kysely<Database>, productId: string): Promise<ProductProgress> {
  const counts = await db
    .selectFrom('images')
    .where('productId', '=', productId)
    .select((eb) => [
      eb.cast<number>(eb.fn.countAll(), 'integer').as('total'),
      eb.cast<number>(eb.fn.countAll().filterWhere('status', '=', 'ready'), 'integer').as('ready'),
      eb.cast<number>(eb.fn.countAll().filterWhere('status', '=', 'failed'), 'integer').as('failed'),
      eb.cast<number>(eb.fn.countAll().filterWhere('status', '=', 'pending'), 'integer').as('pending'),
    ])
    .executeTakeFirstOrThrow();
  const failures = await db
    .selectFrom('images')
    .select(['filePath as file', 'failureReason as reason'])
    .where('productId', '=', productId)
    .where('status', '=', 'failed')
    .orderBy('position')
    // images_failed_has_reason guarantees a reason on every failed image.
    .$narrowType<{ reason: string }>()
    .execute();
  return { ...counts, failures };
}

/**
 * The set is complete: its download archive is stored. Marks the product and its upload
 * ready in one transaction. A failed product stays failed. Returns whether it applied.
 */
export async function setProductReady(db: Kysely<Database>, productId: string, zipKey: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const product = await trx
      .updateTable('products')
      .set({ status: 'ready', zipKey, updatedAt: now() })
      .where('id', '=', productId)
      .where('status', 'in', ['processing', 'ready'])
      .returning('uploadId')
      .executeTakeFirst();
    if (!product) return false;
    await trx
      .updateTable('uploads')
      .set({ status: 'ready', updatedAt: now() })
      .where('id', '=', product.uploadId)
      .execute();
    return true;
  });
}

/**
 * The set cannot be completed: marks the product failed and its upload failed with one
 * problem per failed image, so the contributor sees which files to fix. A ready product
 * stays ready. Returns whether it applied.
 */
export async function setProductFailed(
  db: Kysely<Database>,
  productId: string,
  failures: readonly ImageFailure[],
): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const product = await trx
      .updateTable('products')
      .set({ status: 'failed', updatedAt: now() })
      .where('id', '=', productId)
      .where('status', 'in', ['processing', 'failed'])
      .returning('uploadId')
      .executeTakeFirst();
    if (!product) return false;
    await trx
      .updateTable('uploads')
      .set({
        status: 'failed',
        problems: jsonb(failures.map((failure) => ({ file: failure.file, message: failure.reason }))),
        updatedAt: now(),
      })
      .where('id', '=', product.uploadId)
      .execute();
    return true;
  });
}
