/**
 * Read side of the catalog for the API: product summaries with their cover image, product images with
 * rendition URLs, keyset-paged lists. A page of summaries is one indexed query: each row brings its cover
 * and the cover's renditions as JSON (measured: three queries per page cost three plans and three round
 * trips, most of a storefront request's time).
 */
import { sql, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { License, ProductKind, ProductStatus } from '../../../core/catalog/index.ts';
import type { ImageStatus, RenditionFormat } from '../../../core/catalog/index.ts';
import type { ApiDatabase, ApiDb } from '../tables.ts';
import { decodeCursor, pageFrom } from './cursor.ts';
import type { AssetUrls } from './urls.ts';

export interface RenditionView {
  size: number;
  format: RenditionFormat;
  width: number;
  height: number;
  url: string;
}

export interface ImageView extends ImageRow {
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
  /** The image at position 0 with its renditions, built by PostgreSQL (see coverJson). */
  cover: CoverRow | null;
}

interface RenditionRow {
  size: number;
  format: RenditionFormat;
  width: number;
  height: number;
  objectKey: string;
}

type CoverRow = ImageRow & { renditions: RenditionRow[] };

type ProductEb = ExpressionBuilder<ApiDatabase & { p: ApiDatabase['products'] }, 'p'>;

/**
 * Published, ready and not blocked: what anyone may see. Literals, not parameters: the partial indexes of
 * migration 0005 (`where published and status = 'ready'`) only serve a plan that sees these values, and
 * prepared statements (app/api/database.ts) are planned once without them.
 */
export function isVisible(eb: ProductEb) {
  return eb.and([
    eb('p.published', '=', eb.lit(true)),
    eb('p.status', '=', sql.lit('ready')),
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
      coverJson().as('cover'),
    ]);
}

/**
 * The cover of product `p` as one JSON value, keys already camelCase (CamelCasePlugin leaves nested keys
 * alone). A scalar subquery in the select list: PostgreSQL evaluates it after ORDER BY/LIMIT, so only for
 * the rows of the page.
 */
function coverJson() {
  return sql<CoverRow | null>`(
    select json_build_object(
      'id', i.id, 'productId', i.product_id, 'position', i.position, 'title', i.title, 'tags', i.tags,
      'width', i.width, 'height', i.height, 'status', i.status,
      'renditions', coalesce(
        (select json_agg(json_build_object('size', r.size, 'format', r.format, 'width', r.width, 'height', r.height, 'objectKey', r.object_key)
                         order by r.size desc, r.format)
         from renditions r where r.image_id = i.id),
        '[]'::json))
    from images i where i.product_id = p.id and i.position = 0)`;
}

export async function findProductRow(db: ApiDb, productId: string): Promise<ProductRow | undefined> {
  return productRows(db).where('p.id', '=', productId).executeTakeFirst();
}

export interface ImageRow {
  id: string;
  productId: string;
  position: number;
  title: string;
  tags: string[];
  width: number;
  height: number;
  status: ImageStatus;
}

export function imageRows(db: ApiDb) {
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
    // `= any(array)`: one statement text whatever the count, so it is prepared once (app/api/database.ts).
    .where((eb) => eb('imageId', '=', eb.fn.any(eb.val(images.map((image) => image.id)))))
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
    renditions: (byImage.get(image.id) ?? []).map((rendition) => renditionView(urls, rendition)),
  }));
}

/** Summaries for product rows (which carry their cover). */
export function presentProducts(urls: AssetUrls, rows: readonly ProductRow[]): ProductView[] {
  return rows.map((row) => toView(row, row.cover && withUrls(urls, row.cover)));
}

/**
 * A page of `productRows` (already filtered by the caller) newest first, keyset-paged on (created_at, id):
 * the listings that show every status — a contributor's own sets, the admins' moderation list.
 */
export async function newestProductsPage(
  urls: AssetUrls,
  rows: ReturnType<typeof productRows>,
  page: { limit: number; cursor?: string },
): Promise<{ items: ProductView[]; nextCursor: string | null }> {
  const cursor = decodeCursor(page.cursor);
  const after = cursor
    ? rows.where((eb) =>
        eb(
          eb.refTuple('p.createdAt', 'p.id'),
          '<',
          eb.tuple(eb.cast<Date>(eb.val(String(cursor.k)), 'timestamptz'), eb.cast<string>(eb.val(cursor.id), 'uuid')),
        ),
      )
    : rows;
  const found = await after.orderBy('p.createdAt', 'desc').orderBy('p.id', 'desc').limit(page.limit + 1).execute();
  const { rows: pageRows, nextCursor } = pageFrom(found, page.limit, (row) => ({ k: row.createdKey, id: row.id }));
  return { items: presentProducts(urls, pageRows), nextCursor };
}

function withUrls(urls: AssetUrls, { renditions, ...image }: CoverRow): ImageView {
  return { ...image, renditions: renditions.map((rendition) => renditionView(urls, rendition)) };
}

function renditionView(urls: AssetUrls, { size, format, width, height, objectKey }: RenditionRow): RenditionView {
  return { size, format, width, height, url: urls.of(objectKey) };
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
