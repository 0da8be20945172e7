/**
 * Writes ready, published sets straight into the catalog in bulk (tests and the benchmark): the same rows
 * the pipeline writes, without rendering. Object keys follow core/storage's layout; no objects are stored.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { jsonb } from '../../../core/catalog/db.ts';
import type { Database, License, ProductKind } from '../../../core/catalog/index.ts';
import { imageIdFor, productIdForUpload } from '../../../core/ids.ts';
import { originalKey, renditionKey, setZipKey, uploadKey } from '../../../core/storage/index.ts';

export interface SeedProduct {
  title: string;
  tags?: string[];
  description?: string;
  imageTitles?: string[];
  /** Tags of each image, by position (default none). */
  imageTags?: string[][];
  /** Default 900 (USD); 0 for a free set. */
  priceCents?: number;
  kind?: ProductKind;
  license?: License;
  published?: boolean;
  familySlug?: string;
}

export interface SeededProduct {
  productId: string;
  imageIds: string[];
  contributorId: string;
  /** The random part of the set's public preview keys (renditionKey). */
  previewSecret: string;
}

const ROWS_PER_INSERT = 1_000;

async function insertChunked<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
}

/** Seeds the sets for one contributor (created here unless given); returns their ids in input order. */
export async function seedCatalog(
  db: Kysely<Database>,
  products: readonly SeedProduct[],
  contributor?: { id: string },
): Promise<SeededProduct[]> {
  const contributorId =
    contributor?.id ??
    (
      await db
        .insertInto('contributors')
        .values({ slug: `seed-${randomUUID().slice(0, 8)}`, displayName: 'Seed Studio', email: `${randomUUID()}@example.test` })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  const familySlugs = [...new Set(products.map((p) => p.familySlug ?? 'general'))];
  const families = await db
    .insertInto('families')
    .values(familySlugs.map((slug) => ({ contributorId, slug, title: slug[0]!.toUpperCase() + slug.slice(1) })))
    .onConflict((oc) => oc.columns(['contributorId', 'slug']).doUpdateSet({ title: (eb) => eb.ref('excluded.title') }))
    .returning(['id', 'slug'])
    .execute();
  const familyId = new Map(families.map((f) => [f.slug, f.id]));

  const planned = products.map((product) => {
    const uploadId = randomUUID();
    const productId = productIdForUpload(uploadId);
    const titles = product.imageTitles ?? [product.title];
    const previewSecret = randomBytes(16).toString('hex');
    return {
      product,
      uploadId,
      productId,
      previewSecret,
      images: titles.map((title, index) => ({ id: imageIdFor(productId, index), title, tags: product.imageTags?.[index] ?? [], index })),
    };
  });

  await insertChunked(planned, (chunk) =>
    db
      .insertInto('uploads')
      .values(chunk.map((p) => ({ id: p.uploadId, contributorId, objectKey: uploadKey(contributorId, p.uploadId), status: 'ready', problems: jsonb([]) })))
      .execute(),
  );
  await insertChunked(planned, (chunk) =>
    db
      .insertInto('products')
      .values(
        chunk.map(({ product, uploadId, productId, previewSecret, images }) => ({
          id: productId,
          previewSecret,
          contributorId,
          familyId: familyId.get(product.familySlug ?? 'general')!,
          uploadId,
          kind: product.kind ?? 'icon-set',
          title: product.title,
          description: product.description ?? null,
          license: product.license ?? 'standard',
          tags: product.tags ?? [],
          priceCents: product.priceCents ?? 900,
          currency: product.priceCents === 0 ? null : 'USD',
          status: 'ready',
          published: product.published ?? true,
          zipKey: setZipKey(productId),
          imageCount: images.length,
        })),
      )
      .execute(),
  );
  // The pipeline links each upload to its product once accepted; one statement does it for all.
  await sql`
    update uploads u set product_id = p.id from products p
    where p.upload_id = u.id and u.product_id is null and u.contributor_id = ${contributorId}
  `.execute(db);
  const secretOf = new Map(planned.map((p) => [p.productId, p.previewSecret]));
  const images = planned.flatMap(({ productId, images }) =>
    images.map((image) => ({
      id: image.id,
      productId,
      position: image.index,
      filePath: `image-${image.index}.svg`,
      title: image.title,
      tags: image.tags,
      originalKey: originalKey(productId, image.id),
      width: 24,
      height: 24,
      sha256: '0'.repeat(64),
      status: 'ready' as const,
    })),
  );
  await insertChunked(images, (chunk) => db.insertInto('images').values(chunk).execute());
  const renditions = images.flatMap((image) =>
    [256, 64].flatMap((size) =>
      (['png', 'webp'] as const).map((format) => ({
        imageId: image.id,
        size,
        format,
        objectKey: renditionKey(image.productId, secretOf.get(image.productId)!, image.id, size, format),
        width: size,
        height: size,
        bytes: 1_000,
      })),
    ),
  );
  await insertChunked(renditions, (chunk) => db.insertInto('renditions').values(chunk).execute());
  return planned.map((p) => ({ productId: p.productId, imageIds: p.images.map((i) => i.id), contributorId, previewSecret: p.previewSecret }));
}
