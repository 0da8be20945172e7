import { sql, type Kysely, type Selectable } from 'kysely';
import { CatalogStateError, isUuid, jsonb, now } from './db.ts';
import type { Database, FamiliesTable, FamilyPreviewKeys, ProductKind } from './schema.ts';

export type Family = Selectable<FamiliesTable>;

export async function findFamily(db: Kysely<Database>, familyId: string): Promise<Family | undefined> {
  if (!isUuid(familyId)) return undefined;
  return db.selectFrom('families').selectAll().where('id', '=', familyId).executeTakeFirst();
}

export interface SampledImage {
  imageId: string;
  productId: string;
  position: number;
  filePath: string;
  title: string;
  originalKey: string;
  kind: ProductKind;
}

/**
 * Up to `n` ready images drawn uniformly at random from the family's visible sets: published, ready and
 * not blocked (what the storefront shows; a family preview is public, so nothing else may be in it).
 *
 * `ORDER BY random()` sorts every candidate row; a family holds at most a few thousand
 * images, so that is cheap here. Should families grow to hundreds of thousands of images,
 * switch to TABLESAMPLE or a precomputed random key. With `seed`, the order is
 * md5(seed || image id): as uniform, but repeatable (tests, reproducible previews), and
 * independent of which pooled connection runs the query (setseed() is per session).
 */
export async function sampleFamilyImages(
  db: Kysely<Database>,
  familyId: string,
  n: number,
  seed?: string,
): Promise<SampledImage[]> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`sample size must be a whole number ≥ 0 (got ${n})`);
  if (n === 0) return [];
  const order = seed === undefined ? sql`random()` : sql`md5(${seed} || ${sql.ref('images.id')}::text)`;
  return db
    .selectFrom('images')
    .innerJoin('products', 'products.id', 'images.productId')
    .select([
      'images.id as imageId',
      'images.productId',
      'images.position',
      'images.filePath',
      'images.title',
      'images.originalKey',
      'products.kind',
    ])
    .where('products.familyId', '=', familyId)
    .where('products.published', '=', true)
    .where('products.status', '=', 'ready')
    // product_blocks belongs to the API's tables (migration 0003), not to the catalog's Database type.
    .where(sql<boolean>`not exists (select 1 from product_blocks b where b.product_id = products.id)`)
    .where('images.status', '=', 'ready')
    .orderBy(order)
    .limit(n)
    .execute();
}

/**
 * Records a new family preview (null: the family has no visible set, so no preview) and bumps
 * `previewVersion`. Returns the new version. The caller stores the preview objects first, so the catalog
 * never points at missing keys.
 */
export async function setFamilyPreview(
  db: Kysely<Database>,
  familyId: string,
  keys: FamilyPreviewKeys | null,
): Promise<number> {
  const updated = await db
    .updateTable('families')
    .set((eb) => ({
      previewKeys: keys === null ? null : jsonb(keys),
      previewVersion: eb('previewVersion', '+', 1),
      updatedAt: now(),
    }))
    .where('id', '=', familyId)
    .returning('previewVersion')
    .executeTakeFirst();
  if (!updated) throw new CatalogStateError(`family ${familyId} is not in the catalog`);
  return updated.previewVersion;
}
