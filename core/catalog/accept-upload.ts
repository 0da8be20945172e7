import type { Kysely, Transaction } from 'kysely';
import { imageIdFor, productIdForUpload } from '../ids.ts';
import type { Manifest } from '../manifest/schema.ts';
import { CatalogStateError, inTransaction, jsonb, now } from './db.ts';
import type { Database, UploadWarning } from './schema.ts';

export interface AcceptedImageInput {
  /** Defaults to `imageIdFor(productId, index)`, the id the original's object key was made with. */
  imageId?: string;
  /** Index in the manifest's `images` array. */
  index: number;
  file: string;
  title: string;
  tags: readonly string[];
  width: number;
  height: number;
  sha256: string;
  originalKey: string;
}

export interface AcceptUploadInput {
  uploadId: string;
  contributorId: string;
  /** Defaults to `productIdForUpload(uploadId)`. */
  productId?: string;
  manifest: Manifest;
  images: readonly AcceptedImageInput[];
  /** Per file, what sanitising removed; shown to the contributor with the accepted set. */
  warnings?: readonly UploadWarning[];
}

export interface AcceptedUpload {
  productId: string;
  familyId: string;
  /** False when the upload had already been accepted (a redelivery) and nothing was written. */
  created: boolean;
  images: Array<{ imageId: string; index: number; file: string }>;
}

/**
 * Writes a validated upload in ONE transaction: the family (created on first use of its
 * slug), the product (processing), every image (pending), and the upload marked accepted.
 * Any failure rolls all of it back. Idempotent: the upload row is locked first, and an
 * upload that already has a product returns that product instead of creating another.
 */
export async function acceptUpload(db: Kysely<Database>, input: AcceptUploadInput): Promise<AcceptedUpload> {
  if (input.images.length === 0) throw new RangeError('acceptUpload needs at least one image');

  return inTransaction(db, async (trx) => {
    const upload = await trx
      .selectFrom('uploads')
      .select(['contributorId', 'status', 'productId'])
      .where('id', '=', input.uploadId)
      .forUpdate()
      .executeTakeFirst();
    if (!upload) {
      throw new CatalogStateError(`upload ${input.uploadId} was never recorded; call recordUploadReceived first`);
    }
    if (upload.contributorId !== input.contributorId) {
      throw new CatalogStateError(`upload ${input.uploadId} belongs to another contributor`);
    }
    if (upload.productId) return existingAcceptance(trx, upload.productId);
    if (upload.status !== 'received') {
      throw new CatalogStateError(`upload ${input.uploadId} is ${upload.status}; only a received upload can be accepted`);
    }

    const { product } = input.manifest;
    const familyId = await familyFor(trx, input.contributorId, product.family.slug, product.family.title ?? product.title);
    const productId = input.productId ?? productIdForUpload(input.uploadId);

    await trx
      .insertInto('products')
      .values({
        id: productId,
        contributorId: input.contributorId,
        familyId,
        uploadId: input.uploadId,
        kind: product.kind,
        title: product.title,
        description: product.description ?? null,
        license: product.license,
        tags: product.tags ?? [],
        priceCents: product.price?.amount ?? 0,
        currency: product.price?.currency ?? null,
        imageCount: input.images.length,
      })
      .execute();

    // One statement: at MAX_IMAGES (2,000) × 10 columns it stays well under PostgreSQL's 65,535 parameters.
    const images = await trx
      .insertInto('images')
      .values(
        input.images.map((image) => ({
          id: image.imageId ?? imageIdFor(productId, image.index),
          productId,
          position: image.index,
          filePath: image.file,
          title: image.title,
          tags: [...image.tags],
          originalKey: image.originalKey,
          width: image.width,
          height: image.height,
          sha256: image.sha256,
        })),
      )
      .returning(['id', 'position', 'filePath'])
      .execute();

    await trx
      .updateTable('uploads')
      .set({ status: 'accepted', productId, problems: jsonb([]), warnings: jsonb([...(input.warnings ?? [])]), progressAt: now(), updatedAt: now() })
      .where('id', '=', input.uploadId)
      .execute();

    return {
      productId,
      familyId,
      created: true,
      images: images
        .sort((a, b) => a.position - b.position)
        .map((row) => ({ imageId: row.id, index: row.position, file: row.filePath })),
    };
  });
}

/** The family with this slug for the contributor, created with `title` if it is new. */
async function familyFor(trx: Transaction<Database>, contributorId: string, slug: string, title: string): Promise<string> {
  const created = await trx
    .insertInto('families')
    .values({ contributorId, slug, title })
    .onConflict((oc) => oc.columns(['contributorId', 'slug']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (created) return created.id;
  const existing = await trx
    .selectFrom('families')
    .select('id')
    .where('contributorId', '=', contributorId)
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow();
  return existing.id;
}

async function existingAcceptance(trx: Transaction<Database>, productId: string): Promise<AcceptedUpload> {
  const product = await trx
    .selectFrom('products')
    .select('familyId')
    .where('id', '=', productId)
    .executeTakeFirstOrThrow();
  const images = await trx
    .selectFrom('images')
    .select(['id', 'position', 'filePath'])
    .where('productId', '=', productId)
    .orderBy('position')
    .execute();
  return {
    productId,
    familyId: product.familyId,
    created: false,
    images: images.map((row) => ({ imageId: row.id, index: row.position, file: row.filePath })),
  };
}
