/**
 * Read side of the catalog for the API: product summaries with their cover image, product images with
 * rendition URLs, keyset-paged lists. Two or three indexed queries per page, never one per row.
 */
import { sql, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { License, ProductKind, ProductStatus } from '../../../core/catalog/index.ts';
import type { ImageStatus, RenditionFormat } from '../../../core/catalog/index.ts';
import type { ApiDatabase, ApiDb } from '../db.ts';
import type { AssetUrls } from './urls.ts';

export interface RenditionView {
  size: number;
  format: RenditionFormat;
  width: number;
  height: number;
  url: string;
}

export interface ImageView {
  id: string;
  productId: string;
  position: number;
  title: string;
  tags: string[];
  width: number;
  height: number;
  status: ImageStatus;
  renditions: RenditionView[];
}

export interface ProductView {
  id: string;
  title: string;
  kind: ProductKind;
  license: License;
  tags: string[];
  price: { amount: number; currency: string } | null;
  imageCount: number;
  status: ProductStatus;
  published: boolean;
  blocked: boolean;
  family: { id: string; slug: string; title: string };
  contributor: { slug: string; displayName: string };
  cover: ImageView | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProductRow {
  id: string;
  contributorId: string;
  title: string;
  description: string | null;
  kind: ProductKind;
  license: License;
  tags: string[];
  priceCents: number;
  currency: string | null;
  imageCount: number;
  status: ProductStatus;
  published: boolean;
  blocked: boolean;
  familyId: string;
  familySlug: string;
  familyTitle: string;
  contributorSlug: string;
  contributorName: string;
  createdAt: Date;
  updatedAt: Date;
  /** created_at as PostgreSQL text: exact to the microsecond, unlike a JS Date, so keyset cursors are exact. */
  createdKey: string;
}

type ProductEb = ExpressionBuilder<ApiDatabase & { p: ApiDatabase['products'] }, 'p'>;

/** Published, ready and not blocked: what anyone may see. */
export function isVisible(eb: ProductEb) {
  return eb.and([
    eb('p.published', '=', true),
    eb('p.status', '=', 'ready'),
    eb.not(eb.exists(eb.selectFrom('productBlocks as b').select('b.productId').whereRef('b.productId', '=', 'p.id'))),
  ]);
}

/** Every product with what a summary shows; callers add filters, order and limit. */
export function productRows(db: ApiDb) {
  return db
    .selectFrom('products as p')
    .innerJoin('families as f', 'f.id', 'p.familyId')
    .innerJoin('contributors as c', 'c.id', 'p.contributorId')
    .select((eb) => [
      'p.id',
      'p.contributorId',
      'p.title',
      'p.description',
      'p.kind',
      'p.license',
      'p.tags',
      'p.priceCents',
      'p.currency',
      'p.imageCount',
      'p.status',
      'p.published',
      'p.familyId',
      'f.slug as familySlug',
      'f.title as familyTitle',
      'c.slug as contributorSlug',
      'c.displayName as contributorName',
      'p.createdAt',
      'p.updatedAt',
      eb.exists(eb.selectFrom('productBlocks as b').select('b.productId').whereRef('b.productId', '=', 'p.id')).$castTo<boolean>().as('blocked'),
      sql<string>`p.created_at::text`.as('createdKey'),
    ]);
}

export async function findProductRow(db: ApiDb, productId: string): Promise<ProductRow | undefined> {
  return productRows(db).where('p.id', '=', productId).executeTakeFirst();
}

interface ImageRow {
  id: string;
  productId: string;
  position: number;
  title: string;
  tags: string[];
  width: number;
  height: number;
  status: ImageStatus;
}

function imageRows(db: ApiDb) {
  return db
    .selectFrom('images')
    .select(['id', 'productId', 'position', 'title', 'tags', 'width', 'height', 'status']);
}

/** Image rows with their renditions (largest first), in the order given. */
export async function withRenditions(db: ApiDb, urls: AssetUrls, images: readonly ImageRow[]): Promise<ImageView[]> {
  if (images.length === 0) return [];
  const renditions = await db
    .selectFrom('renditions')
    .select(['imageId', 'size', 'format', 'width', 'height', 'objectKey'])
    .where(
      'imageId',
      'in',
      images.map((image) => image.id),
    )
    .orderBy('size', 'desc')
    .orderBy('format')
    .execute();
  const byImage = new Map<string, typeof renditions>();
  for (const rendition of renditions) {
    const list = byImage.get(rendition.imageId);
    if (list) list.push(rendition);
    else byImage.set(rendition.imageId, [rendition]);
  }
  return images.map((image) => ({
    ...image,
    renditions: (byImage.get(image.id) ?? []).map(({ size, format, width, height, objectKey }) => ({
      size,
      format,
      width,
      height,
      url: urls.of(objectKey),
    })),
  }));
}

/** Summaries for product rows, each with its first image as cover. */
export async function presentProducts(db: ApiDb, urls: AssetUrls, rows: readonly ProductRow[]): Promise<ProductView[]> {
  if (rows.length === 0) return [];
  const covers = await withRenditions(
    db,
    urls,
    await imageRows(db)
      .where(
        'productId',
        'in',
        rows.map((row) => row.id),
      )
      .where('position', '=', 0)
      .execute(),
  );
  const coverOf = new Map(covers.map((cover) => [cover.productId, cover]));
  return rows.map((row) => toView(row, coverOf.get(row.id) ?? null));
}

function toView(row: ProductRow, cover: ImageView | null): ProductView {
  return {
    id: row.id,
    title: row.title,
    kind: row.kind,
    license: row.license,
    tags: row.tags,
    price: row.priceCents > 0 && row.currency ? { amount: row.priceCents, currency: row.currency.trim() } : null,
    imageCount: row.imageCount,
    status: row.status,
    published: row.published,
    blocked: row.blocked,
    family: { id: row.familyId, slug: row.familySlug, title: row.familyTitle },
    contributor: { slug: row.contributorSlug, displayName: row.contributorName },
    cover,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A page of a product's images in manifest order, keyed by position. */
export async function productImagesPage(
  db: ApiDb,
  urls: AssetUrls,
  productId: string,
  limit: number,
  afterPosition?: number,
): Promise<ImageView[]> {
  let query = imageRows(db).where('productId', '=', productId).orderBy('position').limit(limit);
  if (afterPosition !== undefined) query = query.where('position', '>', afterPosition);
  return withRenditions(db, urls, await query.execute());
}

export async function findImage(db: ApiDb, urls: AssetUrls, imageId: string): Promise<ImageView | undefined> {
  const row = await imageRows(db).where('id', '=', imageId).executeTakeFirst();
  return row && (await withRenditions(db, urls, [row]))[0];
}

/** For filters that take an SQL boolean built elsewhere (search hits). */
export type ProductFilter = (eb: ProductEb) => ReturnType<ProductEb['and']> | SqlBool;
