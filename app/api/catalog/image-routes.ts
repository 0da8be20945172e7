/**
 * The image page's API: one image with its set, neighbours and what the caller may take of it; related
 * images; and the sanitised SVG itself for Copy SVG.
 */
import { z } from 'zod';
import { ObjectStore, svgResponseHeaders, attachmentDisposition, PRIVATE_CACHE_CONTROL } from '../../../core/storage/index.ts';
import { canDownload, fileAccess } from '../downloads/access.ts';
import { downloadSizes } from '../downloads/sizes.ts';
import type { Customiser } from '../downloads/customiser.ts';
import type { ApiContext } from '../context.ts';
import { forbidden, invalidState, notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { imageSummarySchema, productSummarySchema } from '../schemas.ts';
import { imageNeighbours, relatedImages } from './image-page.ts';
import { findImage, presentProducts } from './products.ts';
import { productFor } from './routes.ts';
import type { SessionAccount } from '../auth/accounts.ts';

const imageParams = z.object({ imageId: z.uuid() });
const RELATED_DEFAULT = 12;
const RELATED_MAX = 48;

export const relatedImageSchema = imageSummarySchema
  .extend({ setTitle: z.string(), shared: z.number().int() })
  .meta({ id: 'RelatedImage' });

/** The image and its set if the caller may see the set; 404 for both "no such image" and "not visible". */
async function visibleImage(ctx: ApiContext, account: SessionAccount | null, imageId: string) {
  const image = await findImage(ctx.db, ctx.urls, imageId);
  if (!image) throw notFound('The image');
  const product = await productFor(ctx, account, image.productId).catch(() => {
    throw notFound('The image');
  });
  return { image, product };
}

function customisableImage(ctx: ApiContext, imageId: string) {
  return ctx.db.selectFrom('images').select(['id', 'productId', 'title', 'originalKey', 'sha256']).where('id', '=', imageId).executeTakeFirstOrThrow();
}

export function imageRoutes(routes: RouteTable, ctx: ApiContext, customiser: Customiser): void {
  const store = new ObjectStore(ctx.objectS3, ctx.buckets);

  routes.add({
    method: 'get',
    path: '/images/:imageId',
    summary: 'One image with its set, its neighbours in the set and download options',
    tag: 'catalog',
    access: 'public',
    params: imageParams,
    responses: {
      200: {
        description: 'The image',
        schema: z.object({
          image: imageSummarySchema,
          product: productSummarySchema,
          neighbours: z.object({ previous: imageSummarySchema.nullable(), next: imageSummarySchema.nullable() }),
          downloads: z.object({
            svg: z.boolean(),
            pngSizes: z.array(z.number().int()),
            webpSizes: z.array(z.number().int()),
            copySvg: z.boolean(),
            customisable: z.object({ colour: z.boolean(), stroke: z.boolean() }),
          }),
        }),
      },
      404: { description: 'Not found or not visible' },
    },
    async handle({ params, account, req }) {
      const { image, product: row } = await visibleImage(ctx, account, params.imageId);
      const [product] = presentProducts(ctx.urls, [row]);
      const ready = image.status === 'ready';
      const [neighbours, allowed, flags] = await Promise.all([
        imageNeighbours(ctx.db, ctx.urls, image),
        canDownload(ctx, account, row),
        ready ? customiser.flags(await customisableImage(ctx, image.id), req.log) : undefined,
      ]);
      return {
        body: {
          image,
          product: product!,
          neighbours,
          downloads: {
            svg: ready,
            pngSizes: downloadSizes({ kind: row.kind, ready, renditions: image.renditions }, 'png'),
            webpSizes: downloadSizes({ kind: row.kind, ready, renditions: image.renditions }, 'webp'),
            copySvg: ready && allowed,
            customisable: { colour: flags?.colour ?? false, stroke: flags?.stroke ?? false },
          },
        },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/images/:imageId/related',
    summary: 'Images of visible sets sharing tags or title words with this one, most shared first',
    tag: 'catalog',
    access: 'public',
    params: imageParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(RELATED_MAX).default(RELATED_DEFAULT) }),
    responses: {
      200: { description: 'Related images', schema: z.object({ items: z.array(relatedImageSchema) }) },
      404: { description: 'Not found or not visible' },
    },
    async handle({ params, query, account }) {
      await visibleImage(ctx, account, params.imageId);
      return { body: { items: await relatedImages(ctx.db, ctx.urls, params.imageId, query.limit) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/images/:imageId/svg',
    summary: 'The sanitised SVG, for Copy SVG (free sets: anyone; paid sets: whoever may download them)',
    tag: 'catalog',
    access: 'public',
    params: imageParams,
    responses: {
      200: { description: 'The sanitised SVG file', schema: z.string(), contentType: 'image/svg+xml' },
      403: { description: 'A paid set the caller may not download' },
      404: { description: 'Not found or not visible' },
      409: { description: 'Not ready' },
    },
    async handle({ params, account, res }) {
      const image = await findImage(ctx.db, ctx.urls, params.imageId);
      const access = image && (await fileAccess(ctx, account, image.productId));
      if (!image || !access) throw notFound('The image');
      const { product } = access;
      if (image.status !== 'ready') throw invalidState('The image is not ready to download.');
      if (!access.allowed) throw forbidden('Buy this set to copy its SVG.');
      const row = await ctx.db.selectFrom('images').select(['originalKey', 'filePath']).where('id', '=', image.id).executeTakeFirstOrThrow();
      const svg = await store.getOriginal(row.originalKey);
      // A copy is a download: logged like one when someone is signed in (anonymous copies are of free sets).
      if (account) {
        await ctx.db.insertInto('downloads').values({ accountId: account.id, productId: product.id, imageId: image.id, format: 'svg', size: null }).execute();
      }
      // Same headers as the stored original: opened directly, it downloads and cannot run as a document.
      res.status(200).set({
        ...svgResponseHeaders,
        'Content-Type': 'image/svg+xml; charset=utf-8',
        'Cache-Control': PRIVATE_CACHE_CONTROL,
        'Content-Disposition': attachmentDisposition(row.filePath.split('/').at(-1)!, '.svg'),
      });
      res.end(svg);
    },
  });
}
