/**
 * Downloads: a short-lived presigned GET for the set ZIP, an original SVG or a PNG rendition, logged
 * against the account. The object is served as an attachment: originals and ZIPs carry their own
 * Content-Disposition; for PNG renditions (stored for inline previews) the URL asks S3 to override it.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from 'zod';
import { attachmentDisposition, setZipKey } from '../../../core/storage/index.ts';
import { DOWNLOAD_URL_TTL_SECONDS } from '../../../core/limits.ts';
import { decodeCursor, pageFrom } from '../catalog/cursor.ts';
import { productFor } from '../catalog/routes.ts';
import type { ApiContext } from '../context.ts';
import { DOWNLOAD_FORMATS } from '../db.ts';
import { ApiError, invalidState, notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { pageOf, pageQuery } from '../http/schemas.ts';

const downloadRequest = z.discriminatedUnion('format', [
  z.object({ format: z.literal('zip'), productId: z.uuid() }).strict(),
  z.object({ format: z.literal('svg'), imageId: z.uuid() }).strict(),
  z.object({ format: z.literal('png'), imageId: z.uuid(), size: z.number().int().positive().optional() }).strict(),
]);

const downloadSchema = z.object({
  id: z.uuid(),
  productId: z.uuid(),
  imageId: z.uuid().nullable(),
  format: z.enum(DOWNLOAD_FORMATS),
  size: z.number().int().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});

interface Target {
  productId: string;
  imageId: string | null;
  size: number | null;
  bucket: string;
  key: string;
  fileName: string;
  /** Set when the stored object does not already download as an attachment. */
  disposition?: string;
}

export function downloadRoutes(routes: RouteTable, ctx: ApiContext): void {
  async function targetFor(request: z.output<typeof downloadRequest>, account: Parameters<typeof productFor>[1]): Promise<Target> {
    if (request.format === 'zip') {
      const product = await productFor(ctx, account, request.productId);
      if (product.status !== 'ready') throw invalidState('The set is not ready to download yet.');
      return {
        productId: product.id,
        imageId: null,
        size: null,
        bucket: ctx.buckets.downloads,
        key: setZipKey(product.id),
        fileName: `${product.title}.zip`,
      };
    }
    const image = await ctx.db
      .selectFrom('images')
      .select(['id', 'productId', 'title', 'filePath', 'originalKey', 'status'])
      .where('id', '=', request.imageId)
      .executeTakeFirst();
    if (!image) throw notFound('The image');
    await productFor(ctx, account, image.productId).catch(() => {
      throw notFound('The image');
    });
    if (image.status !== 'ready') throw invalidState('The image is not ready to download.');
    if (request.format === 'svg') {
      const fileName = image.filePath.split('/').at(-1)!;
      return { productId: image.productId, imageId: image.id, size: null, bucket: ctx.buckets.downloads, key: image.originalKey, fileName };
    }
    const pngs = await ctx.db
      .selectFrom('renditions')
      .select(['size', 'objectKey'])
      .where('imageId', '=', image.id)
      .where('format', '=', 'png')
      .orderBy('size', 'desc')
      .execute();
    const rendition = request.size === undefined ? pngs[0] : pngs.find((png) => png.size === request.size);
    if (!rendition) {
      throw new ApiError(400, 'validation_failed', 'The request is not valid.', [
        { path: 'body.size', message: `this image has PNG sizes ${pngs.map((png) => png.size).join(', ') || '(none)'}` },
      ]);
    }
    const fileName = `${image.title} ${rendition.size}px.png`;
    return {
      productId: image.productId,
      imageId: image.id,
      size: rendition.size,
      bucket: ctx.buckets.assets,
      key: rendition.objectKey,
      fileName,
      disposition: attachmentDisposition(fileName, '.png'),
    };
  }

  routes.add({
    method: 'post',
    path: '/downloads',
    summary: 'A short-lived download URL for a set ZIP, an SVG or a PNG (logged)',
    tag: 'downloads',
    access: 'signed-in',
    body: downloadRequest,
    responses: {
      201: {
        description: 'Where to download, until expiresAt',
        schema: z.object({ url: z.url(), expiresAt: z.iso.datetime({ offset: true }), fileName: z.string() }),
      },
      404: { description: 'Not found or not visible' },
      409: { description: 'Not ready' },
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
        .values({ accountId: account.id, productId: target.productId, imageId: target.imageId, format: body.format, size: target.size })
        .execute();
      const expiresAt = new Date(Date.now() + DOWNLOAD_URL_TTL_SECONDS * 1000);
      return { status: 201, body: { url, expiresAt, fileName: target.fileName } };
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
        .selectFrom('downloads')
        .select((eb) => ['id', 'productId', 'imageId', 'format', 'size', 'createdAt', eb.cast<string>('createdAt', 'text').as('createdKey')])
        .where('accountId', '=', account.id);
      if (cursor) {
        q = q.where((eb) =>
          eb(
            eb.refTuple('createdAt', 'id'),
            '<',
            eb.tuple(eb.cast<Date>(eb.val(String(cursor.k)), 'timestamptz'), eb.cast<string>(eb.val(cursor.id), 'uuid')),
          ),
        );
      }
      const rows = await q.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
      const page = pageFrom(rows, query.limit, (row) => ({ k: row.createdKey, id: row.id }));
      return { body: { items: page.rows.map(({ createdKey: _key, ...row }) => row), nextCursor: page.nextCursor } };
    },
  });
}
