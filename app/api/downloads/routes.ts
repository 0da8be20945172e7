/**
 * Downloads: a short-lived presigned GET from the private downloads bucket, only under an entitlement
 * (selling/entitlements.ts), logged against it. Every download under an entitlement carries its LICENSE.txt
 * as a companion file the reply links to (`licenceFile.url`), the set ZIP included: every buyer downloads the
 * one stored set ZIP, so a download costs no copy, no storage and no CPU per buyer (a licensed copy per
 * entitlement let throwaway accounts of a free set fill the bucket). A single file stays a bare file a
 * designer can drop into a tool. Stored originals and ZIPs carry their own Content-Disposition; for
 * renditions the URL asks S3 to set one. Both routes are rate limited per account (DOWNLOAD_RATE_LIMIT).
 */
import { GetObjectCommand, HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { attachmentDisposition, fullSizeRenditionKey, setZipKey } from '../../../core/storage/index.ts';
import { DOWNLOAD_RATE_LIMIT, DOWNLOAD_URL_TTL_SECONDS } from '../../../core/limits.ts';
import { clientKey, limiter, type RateLimitSetting } from '../auth/routes.ts';
import { decodeCursor, pageFrom } from '../catalog/cursor.ts';
import type { ApiContext } from '../context.ts';
import { isAdmin } from '../context.ts';
import { DOWNLOAD_FORMATS } from '../tables.ts';
import { ApiError, invalidState, notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/schemas.ts';
import type { SessionAccount } from '../auth/accounts.ts';
import { downloadAccess, type Entitlement } from '../selling/entitlements.ts';
import { entitlementLicenceText } from '../selling/licence-files.ts';
import { storefrontUrl } from '../selling/settings.ts';
import { downloadSizes } from './sizes.ts';

const downloadRequest = z.discriminatedUnion('format', [
  z.object({ format: z.literal('zip'), productId: z.uuid() }).strict(),
  z.object({ format: z.literal('svg'), imageId: z.uuid() }).strict(),
  z.object({ format: z.literal('png'), imageId: z.uuid(), size: z.number().int().positive().optional() }).strict(),
  z.object({ format: z.literal('webp'), imageId: z.uuid(), size: z.number().int().positive().optional() }).strict(),
]);

const downloadSchema = z.object({
  id: z.uuid(),
  productId: z.uuid(),
  productTitle: z.string(),
  imageId: z.uuid().nullable(),
  format: z.enum(DOWNLOAD_FORMATS),
  size: z.number().int().nullable(),
  entitlementId: z.uuid().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});

const licenceLink = z.object({ url: z.string(), fileName: z.literal('LICENSE.txt') });

interface Target {
  productId: string;
  imageId: string | null;
  size: number | null;
  bucket: string;
  key: string;
  fileName: string;
  entitlement: Entitlement | null;
  /** Set when the stored object does not already download as an attachment. */
  disposition?: string;
}

export function downloadRoutes(routes: RouteTable, ctx: ApiContext, rateLimit: RateLimitSetting = DOWNLOAD_RATE_LIMIT): void {
  const perAccount = limiter(rateLimit, (req) => req.account?.id ?? clientKey(req));

  async function imageFor(imageId: string) {
    const image = await ctx.db
      .selectFrom('images')
      .select(['id', 'productId', 'title', 'filePath', 'originalKey', 'status'])
      .where('id', '=', imageId)
      .executeTakeFirst();
    if (!image) throw notFound('The image');
    return image;
  }

  /**
   * Where one rendition is: a preview in the public assets bucket (its `renditions` row names the key), a full
   * size only in the private downloads bucket, which the pipeline writes for every ready image of the kind.
   */
  async function renditionObject(productId: string, imageId: string, size: number, previewKey: string | undefined, format: 'png' | 'webp') {
    if (previewKey !== undefined) return { bucket: ctx.buckets.assets, key: previewKey };
    const key = fullSizeRenditionKey(productId, imageId, size, format);
    try {
      await ctx.s3.send(new HeadObjectCommand({ Bucket: ctx.buckets.downloads, Key: key }));
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') throw notFound(`The ${size} px ${format.toUpperCase()}`);
      throw error;
    }
    return { bucket: ctx.buckets.downloads, key };
  }

  async function targetFor(request: z.output<typeof downloadRequest>, account: SessionAccount): Promise<Target> {
    if (request.format === 'zip') {
      const { product, entitlement } = await downloadAccess(ctx, account, request.productId);
      const key = setZipKey(product.id);
      return { productId: product.id, imageId: null, size: null, bucket: ctx.buckets.downloads, key, fileName: `${product.title}.zip`, entitlement };
    }
    const image = await imageFor(request.imageId);
    const { product, entitlement } = await downloadAccess(ctx, account, image.productId).catch((error: unknown) => {
      // The image of a set the caller cannot see does not exist for them.
      throw error instanceof ApiError && error.status === 404 ? notFound('The image') : error;
    });
    if (image.status !== 'ready') throw invalidState('The image is not ready to download.');
    if (request.format === 'svg') {
      const fileName = image.filePath.split('/').at(-1)!;
      return { productId: image.productId, imageId: image.id, size: null, bucket: ctx.buckets.downloads, key: image.originalKey, fileName, entitlement };
    }
    const previews = await ctx.db
      .selectFrom('renditions')
      .select(['size', 'format', 'objectKey'])
      .where('imageId', '=', image.id)
      .where('format', '=', request.format)
      .execute();
    const sizes = downloadSizes({ kind: product.kind, ready: true, renditions: previews }, request.format);
    const size = request.size ?? sizes.at(-1);
    if (size === undefined || !sizes.includes(size)) {
      throw new ApiError(400, 'validation_failed', 'The request is not valid.', [
        { path: 'body.size', message: `this image has ${request.format.toUpperCase()} sizes ${sizes.join(', ') || '(none)'}` },
      ]);
    }
    const fileName = `${image.title} ${size}px.${request.format}`;
    const previewKey = previews.find((r) => r.size === size)?.objectKey;
    const object = await renditionObject(image.productId, image.id, size, previewKey, request.format);
    return {
      productId: image.productId,
      imageId: image.id,
      size,
      ...object,
      fileName,
      entitlement,
      disposition: attachmentDisposition(fileName, `.${request.format}`),
    };
  }

  routes.add({
    method: 'post',
    path: '/downloads',
    summary: 'A short-lived download URL for a set ZIP, an SVG, a PNG or a WebP, under an entitlement (logged)',
    tag: 'downloads',
    access: 'signed-in',
    before: [perAccount],
    body: downloadRequest,
    responses: {
      201: {
        description: 'Where to download, until expiresAt; under an entitlement, licenceFile links its LICENSE.txt (a ZIP and a single file alike)',
        schema: z.object({
          url: z.url(),
          expiresAt: z.iso.datetime({ offset: true }),
          fileName: z.string(),
          licence: z.enum(['free', 'standard', 'extended']).nullable(),
          licenceFile: licenceLink.nullable(),
        }),
      },
      402: { description: 'A paid set without a purchase: error.action links to the set page with its Buy button' },
      404: { description: 'Not found or not visible' },
      409: { description: 'Not ready' },
      429: { description: 'Too many downloads from this account; wait and try again' },
    },
    async handle({ account, body }) {
      const target = await targetFor(body, account);
      const url = await getSignedUrl(
        ctx.s3,
        new GetObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          ...(target.disposition ? { ResponseContentDisposition: target.disposition } : {}),
        }),
        { expiresIn: DOWNLOAD_URL_TTL_SECONDS },
      );
      await ctx.db
        .insertInto('downloads')
        .values({
          accountId: account.id,
          productId: target.productId,
          imageId: target.imageId,
          format: body.format,
          size: target.size,
          entitlementId: target.entitlement?.id ?? null,
        })
        .execute();
      const expiresAt = new Date(Date.now() + DOWNLOAD_URL_TTL_SECONDS * 1000);
      const licenceFile =
        target.entitlement ? { url: `/api/entitlements/${target.entitlement.id}/licence.txt`, fileName: 'LICENSE.txt' as const } : null;
      return { status: 201, body: { url, expiresAt, fileName: target.fileName, licence: target.entitlement?.licence ?? null, licenceFile } };
    },
  });

  routes.add({
    method: 'get',
    path: '/entitlements/:entitlementId/licence.txt',
    summary: "An entitlement's LICENSE.txt (licence, set, contributor, licensee, order, date)",
    tag: 'downloads',
    access: 'signed-in',
    before: [perAccount],
    params: z.object({ entitlementId: z.uuid() }),
    responses: {
      200: { description: 'The licence as plain text, as an attachment', contentType: 'text/plain' },
      404: { description: 'Not yours or not found' },
      429: { description: 'Too many downloads from this account; wait and try again' },
    },
    async handle({ account, params, req, res }) {
      const { text, accountId } = await entitlementLicenceText(ctx, params.entitlementId, storefrontUrl(ctx.selling, req));
      if (accountId !== account.id && !isAdmin(account)) throw notFound('The licence');
      res.status(200).type('text/plain; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="LICENSE.txt"');
      res.setHeader('Cache-Control', 'private, no-store');
      res.send(text);
    },
  });

  routes.add({
    method: 'get',
    path: '/me/downloads',
    summary: "The account's downloads, newest first",
    tag: 'downloads',
    access: 'signed-in',
    query: pageQuery,
    responses: { 200: { description: 'A page of downloads', schema: pageOf(downloadSchema) } },
    async handle({ account, query }) {
      const cursor = decodeCursor(query.cursor);
      let q = ctx.db
        .selectFrom('downloads as d')
        .innerJoin('products as p', 'p.id', 'd.productId')
        .select((eb) => [
          'd.id',
          'd.productId',
          'p.title as productTitle',
          'd.imageId',
          'd.format',
          'd.size',
          'd.entitlementId',
          'd.createdAt',
          eb.cast<string>('d.createdAt', 'text').as('createdKey'),
        ])
        .where('d.accountId', '=', account.id);
      if (cursor) {
        q = q.where((eb) =>
          eb(
            eb.refTuple('d.createdAt', 'd.id'),
            '<',
            eb.tuple(eb.cast<Date>(eb.val(String(cursor.k)), 'timestamptz'), eb.cast<string>(eb.val(cursor.id), 'uuid')),
          ),
        );
      }
      const rows = await q.orderBy('d.createdAt', 'desc').orderBy('d.id', 'desc').limit(query.limit + 1).execute();
      const page = pageFrom(rows, query.limit, (row) => ({ k: row.createdKey, id: row.id }));
      return { body: { items: page.rows.map(({ createdKey: _key, ...row }) => row), nextCursor: page.nextCursor } };
    },
  });
}
