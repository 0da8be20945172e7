import { z } from 'zod';
import { isUuid } from '../../../core/catalog/db.ts';
import { licenses, productKinds } from '../../../core/manifest/schema.ts';
import { MAX_PAGE_SIZE, MAX_SEARCH_QUERY_LENGTH, PRODUCT_PREVIEW_IMAGES } from '../../../core/limits.ts';
import { isAdmin, isOwner, type ApiContext } from '../context.ts';
import { notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/schemas.ts';
import {
  familySummarySchema,
  imageHitSchema,
  imageSummarySchema,
  productDetailSchema,
  productSummarySchema,
  slug,
} from '../schemas.ts';
import { decodeCursor, encodeCursor, pageFrom } from './cursor.ts';
import { familyRows, presentFamily } from './families.ts';
import { listPageJson, scoredSummariesJson } from './summary-json.ts';
import { JsonText } from '../http/route.ts';
import {
  findProductRow,
  isVisible,
  presentProducts,
  productImagesPage,
  productRows,
  type ProductRow,
} from './products.ts';
import type { SessionAccount } from '../auth/accounts.ts';
import { PRICE_FILTERS } from '../search/backend.ts';
import { decodeSearchCursor, encodeSearchCursor } from '../search/cursor.ts';
import { imageHitsJson } from '../search/image-results.ts';

const SORTS = ['newest', 'oldest', 'title'] as const;
/** What search finds: single icons and illustrations, or whole sets. */
const SEARCH_TYPES = ['images', 'sets'] as const;
const MAX_SUGGESTIONS = 6;
/** `exact=1` / `exact=true`: query flags arrive as text. */
const queryFlag = z.enum(['1', 'true', '0', 'false']).transform((value) => value === '1' || value === 'true');

const productParams = z.object({ productId: z.uuid() });

/** The product if the caller may see it: visible to all, or theirs, or they are an admin. */
export async function productFor(ctx: ApiContext, account: SessionAccount | null, productId: string): Promise<ProductRow> {
  const row = isUuid(productId) ? await findProductRow(ctx.db, productId) : undefined;
  const visible = row && row.published && row.status === 'ready' && !row.blocked;
  if (!row || !(visible || isOwner(account, row.contributorId) || isAdmin(account))) throw notFound('The set');
  return row;
}

/** `{items, nextCursor}` around a JSON array PostgreSQL built. */
function pageJson(itemsJson: string, nextCursor: string | null): JsonText {
  return new JsonText(`{"items":${itemsJson},"nextCursor":${JSON.stringify(nextCursor)}}`);
}

export async function productDetail(ctx: ApiContext, row: ProductRow) {
  const [summary] = presentProducts(ctx.urls, [row]);
  const preview = await productImagesPage(ctx.db, ctx.urls, row.id, PRODUCT_PREVIEW_IMAGES);
  return { ...summary!, description: row.description, preview };
}

export function catalogRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({
    method: 'get',
    path: '/products',
    summary: 'List visible sets with filters, sort and cursor pagination',
    tag: 'catalog',
    access: 'public',
    cached: true,
    query: pageQuery.extend({
      kind: z.enum(productKinds).optional(),
      license: z.enum(licenses).optional(),
      family: z.uuid().optional(),
      contributor: slug.optional(),
      tag: z.string().trim().toLowerCase().min(1).max(40).optional(),
      sort: z.enum(SORTS).default('newest'),
    }),
    responses: { 200: { description: 'A page of sets', schema: pageOf(productSummarySchema) } },
    async handle({ query }) {
      const page = await listPageJson(ctx.db, {
        filters: { kind: query.kind, license: query.license, familyId: query.family, contributorSlug: query.contributor, tag: query.tag },
        sort: query.sort,
        cursor: decodeCursor(query.cursor, query.sort === 'title' ? 'text' : 'time'),
        limit: query.limit,
        assetsBase: ctx.urls.base,
      });
      return { body: pageJson(page.itemsJson, page.last && encodeCursor(page.last)) };
    },
  });

  routes.add({
    method: 'get',
    path: '/products/:productId',
    summary: 'One set with its first images',
    tag: 'catalog',
    access: 'public',
    params: productParams,
    responses: { 200: { description: 'The set', schema: z.object({ product: productDetailSchema }) }, 404: { description: 'Not found or not visible' } },
    async handle({ params, account }) {
      const row = await productFor(ctx, account, params.productId);
      return { body: { product: await productDetail(ctx, row) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/products/:productId/images',
    summary: "A page of a set's images in manifest order",
    tag: 'catalog',
    access: 'public',
    params: productParams,
    query: pageQuery,
    responses: { 200: { description: 'A page of images', schema: pageOf(imageSummarySchema) } },
    async handle({ params, query, account }) {
      const row = await productFor(ctx, account, params.productId);
      const cursor = decodeCursor(query.cursor, 'position');
      const images = await productImagesPage(
        ctx.db,
        ctx.urls,
        row.id,
        query.limit + 1,
        cursor === undefined ? undefined : Number(cursor.k),
      );
      const page = pageFrom(images, query.limit, (image) => ({ k: image.position, id: image.id }));
      return { body: { items: page.rows, nextCursor: page.nextCursor } };
    },
  });

  const searchMeta = {
    /** The words searched when a typo was corrected, else null ("showing results for …"). */
    correctedText: z.string().nullable(),
    /** Words to try when nothing matched (empty otherwise). */
    suggestions: z.array(z.string()),
  };
  routes.add({
    method: 'get',
    path: '/search',
    summary: 'Search icons and illustrations (default) or sets, best first (stemming, prefixes, typos)',
    tag: 'catalog',
    access: 'public',
    cached: true,
    query: z
      .object({
        q: z.string().trim().min(1).max(MAX_SEARCH_QUERY_LENGTH),
        type: z.enum(SEARCH_TYPES).default('images'),
        kind: z.enum(productKinds).optional(),
        license: z.enum(licenses).optional(),
        price: z.enum(PRICE_FILTERS).optional(),
        family: z.uuid().optional(),
        contributor: slug.optional(),
        /** Words as typed, no typo correction ("search instead for …"). */
        exact: queryFlag.optional(),
        limit: pageQuery.shape.limit,
        cursor: pageQuery.shape.cursor,
      })
      .refine((q) => q.type === 'images' || (q.price === undefined && q.family === undefined && q.contributor === undefined), {
        message: 'price, family and contributor filter icon results (type=images), not sets',
        path: ['type'],
      }),
    responses: {
      200: {
        description: 'A page of matching icons and illustrations, or of sets',
        schema: z.discriminatedUnion('type', [
          pageOf(imageHitSchema).extend({ type: z.literal('images'), ...searchMeta }),
          pageOf(productSummarySchema.extend({ score: z.number() })).extend({ type: z.literal('sets'), ...searchMeta }),
        ]),
      },
    },
    async handle({ query }) {
      const exact = query.exact ?? false;
      const scope = {
        type: query.type,
        q: query.q,
        exact,
        kind: query.kind,
        license: query.license,
        price: query.price,
        family: query.family,
        contributor: query.contributor,
      };
      const offset = decodeSearchCursor(query.cursor, scope);
      let itemsJson: string;
      let hasMore: boolean;
      let correctedText: string | null = null;
      let found: number;
      if (query.type === 'images') {
        const request = {
          text: query.q,
          exact,
          kind: query.kind,
          license: query.license,
          price: query.price,
          familyId: query.family,
          contributorSlug: query.contributor,
          limit: query.limit,
          offset,
        };
        if (ctx.search.searchImagesJson) {
          ({ itemsJson, found, hasMore, correctedText } = await ctx.search.searchImagesJson(request, ctx.urls.base));
        } else {
          const result = await ctx.search.searchImages(request);
          const hits = result.hits.filter((hit) => isUuid(hit.imageId));
          itemsJson = await imageHitsJson(ctx.db, ctx.urls.base, hits);
          ({ hasMore, correctedText } = result);
          found = hits.length;
        }
      } else {
        const result = await ctx.search.search({ text: query.q, kind: query.kind, license: query.license, limit: query.limit, offset });
        const hits = result.hits.filter((hit) => isUuid(hit.productId));
        itemsJson = await scoredSummariesJson(ctx.db, ctx.urls.base, hits);
        hasMore = result.hasMore;
        found = hits.length;
      }
      // Suggestions only for a first page that found nothing: they cost a few index reads.
      const suggestions = found === 0 && offset === 0 ? await ctx.search.suggest(query.q, MAX_SUGGESTIONS) : [];
      const nextCursor = hasMore ? encodeSearchCursor(offset + query.limit, scope) : null;
      return {
        body: new JsonText(
          `{"type":${JSON.stringify(query.type)},"items":${itemsJson},"nextCursor":${JSON.stringify(nextCursor)},` +
            `"correctedText":${JSON.stringify(correctedText)},"suggestions":${JSON.stringify(suggestions)}}`,
        ),
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/families',
    summary: 'Families with at least one visible set, newest first',
    tag: 'catalog',
    access: 'public',
    query: pageQuery.extend({ contributor: slug.optional() }),
    responses: { 200: { description: 'A page of families', schema: pageOf(familySummarySchema) } },
    async handle({ query }) {
      const cursor = decodeCursor(query.cursor);
      let q = familyRows(ctx.db);
      if (query.contributor) q = q.where('c.slug', '=', query.contributor);
      if (cursor) {
        q = q.where((eb) =>
          eb(
            eb.refTuple('f.createdAt', 'f.id'),
            '<',
            eb.tuple(eb.cast<Date>(eb.val(String(cursor.k)), 'timestamptz'), eb.cast<string>(eb.val(cursor.id), 'uuid')),
          ),
        );
      }
      const rows = await q.orderBy('f.createdAt', 'desc').orderBy('f.id', 'desc').limit(query.limit + 1).execute();
      const page = pageFrom(rows, query.limit, (row) => ({ k: row.createdKey, id: row.id }));
      return { body: { items: page.rows.map((row) => presentFamily(ctx.urls, row)), nextCursor: page.nextCursor } };
    },
  });

  routes.add({
    method: 'get',
    path: '/families/:familyId',
    summary: 'A family and its visible sets',
    tag: 'catalog',
    access: 'public',
    params: z.object({ familyId: z.uuid() }),
    responses: {
      200: { description: 'The family', schema: z.object({ family: familySummarySchema, sets: z.array(productSummarySchema) }) },
      404: { description: 'No such family, or none of its sets is visible' },
    },
    async handle({ params }) {
      const family = await familyRows(ctx.db).where('f.id', '=', params.familyId).executeTakeFirst();
      if (!family) throw notFound('The family');
      const rows = await productRows(ctx.db)
        .where(isVisible)
        .where('p.familyId', '=', params.familyId)
        .orderBy('p.createdAt', 'desc')
        .limit(MAX_PAGE_SIZE)
        .execute();
      return { body: { family: presentFamily(ctx.urls, family), sets: presentProducts(ctx.urls, rows) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/contributors/:slug',
    summary: "A contributor's public page",
    tag: 'catalog',
    access: 'public',
    params: z.object({ slug }),
    responses: {
      200: {
        description: 'The contributor and their families',
        schema: z.object({
          contributor: z.object({ slug: z.string(), displayName: z.string(), createdAt: z.iso.datetime({ offset: true }) }),
          families: z.array(familySummarySchema),
        }),
      },
      404: { description: 'No such contributor' },
    },
    async handle({ params }) {
      const contributor = await ctx.db
        .selectFrom('contributors')
        .select(['slug', 'displayName', 'createdAt'])
        .where('slug', '=', params.slug)
        .executeTakeFirst();
      if (!contributor) throw notFound('The contributor');
      const families = await familyRows(ctx.db)
        .where('c.slug', '=', params.slug)
        .orderBy('f.createdAt', 'desc')
        .limit(MAX_PAGE_SIZE)
        .execute();
      return { body: { contributor, families: families.map((row) => presentFamily(ctx.urls, row)) } };
    },
  });
}
