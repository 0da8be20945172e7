/**
 * POST /api/downloads/custom: an image as PNG or WebP at any size from 16 to 2048 px, optionally recoloured
 * and with another stroke width, through a short-lived presigned GET after the download check (canDownload).
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { sql } from 'kysely';
import { z } from 'zod';
import { CUSTOM_DOWNLOAD_RATE_LIMIT, CUSTOM_DOWNLOADS_PER_DAY, CUSTOM_RENDER_RETRY_AFTER_SECONDS, DOWNLOAD_URL_TTL_SECONDS } from '../../../core/limits.ts';
import { clientKey, limiter, type RateLimitSetting } from '../auth/routes.ts';
import { customOptionsSchema } from '../../../core/render/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, forbidden, invalidState, notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { fileAccess } from './access.ts';
import { loggedOptions, type Customiser } from './customiser.ts';
import { SlotsFull } from './slots.ts';

export const customDownloadRequest = customOptionsSchema.extend({ imageId: z.uuid() }).strict();

/** Customised downloads of the account in the last day, counted up to the cap. */
async function customisedToday(ctx: ApiContext, accountId: string): Promise<number> {
  const { count } = await ctx.db
    .selectFrom('downloads')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('accountId', '=', accountId)
    .where('customised', '=', true)
    .where('createdAt', '>', sql<Date>`now() - interval '1 day'`)
    .executeTakeFirstOrThrow();
  return Number(count);
}

export function customDownloadRoutes(
  routes: RouteTable,
  ctx: ApiContext,
  customiser: Customiser,
  limits: { burst: RateLimitSetting; perDay: number } = { burst: CUSTOM_DOWNLOAD_RATE_LIMIT, perDay: CUSTOM_DOWNLOADS_PER_DAY },
): void {
  const burstLimit = limiter(limits.burst, (req) => req.account?.id ?? clientKey(req));
  routes.add({
    method: 'post',
    path: '/downloads/custom',
    summary: 'A customised PNG or WebP (size, colour, stroke width): a short-lived download URL (logged)',
    tag: 'downloads',
    access: 'signed-in',
    before: [burstLimit],
    body: customDownloadRequest,
    responses: {
      201: {
        // Nothing says whether the file existed: the cache is shared, so that would tell one account what
        // another downloaded.
        description: 'Where to download, until expiresAt',
        schema: z.object({ url: z.url(), expiresAt: z.iso.datetime({ offset: true }), fileName: z.string() }).strict(),
      },
      403: { description: 'A paid set the caller may not download' },
      404: { description: 'Not found or not visible' },
      409: { description: 'Not ready' },
      429: { description: 'Too many customised downloads: per minute, or per day' },
      503: { description: 'Too many renders waiting in this API process; try again after Retry-After seconds' },
    },
    async handle({ account, body, req, res }) {
      const { imageId, ...options } = body;
      if ((await customisedToday(ctx, account.id)) >= limits.perDay) {
        throw new ApiError(
          429,
          'rate_limited',
          `You have made ${limits.perDay} customised downloads in the last 24 hours, the most an account may. ` +
            'Download the set ZIP or the stored sizes instead, or try again tomorrow.',
        );
      }
      const image = await ctx.db
        .selectFrom('images')
        .select(['id', 'productId', 'title', 'originalKey', 'sha256', 'status'])
        .where('id', '=', imageId)
        .executeTakeFirst();
      if (!image) throw notFound('The image');
      const access = await fileAccess(ctx, account, image.productId);
      if (!access) throw notFound('The image');
      const { product } = access;
      if (image.status !== 'ready') throw invalidState('The image is not ready to download.');
      if (!access.allowed) throw forbidden('Buy this set to download it.');
      if (options.colour !== undefined || options.strokeWidth !== undefined) {
        const flags = await customiser.flags(image, req.log);
        const issues = [
          ...(options.colour !== undefined && !flags.colour ? [{ path: 'body.colour', message: `this image cannot be recoloured: ${flags.reasons.colour}` }] : []),
          ...(options.strokeWidth !== undefined && !flags.stroke
            ? [{ path: 'body.strokeWidth', message: `this image has no adjustable stroke width: ${flags.reasons.stroke}` }]
            : []),
        ];
        if (issues.length > 0) throw new ApiError(400, 'validation_failed', 'The request is not valid.', issues);
      }
      const stored = await customiser.render(image, options, { losslessWebp: product.kind === 'icon-set' }).catch((error: unknown) => {
        if (!(error instanceof SlotsFull)) throw error;
        res.setHeader('Retry-After', String(CUSTOM_RENDER_RETRY_AFTER_SECONDS));
        throw new ApiError(503, 'busy', 'Too many customised downloads are being made right now; try again in a few seconds.');
      });
      const url = await getSignedUrl(ctx.s3, new GetObjectCommand({ Bucket: ctx.buckets.downloads, Key: stored.key }), {
        expiresIn: DOWNLOAD_URL_TTL_SECONDS,
      });
      await ctx.db
        .insertInto('downloads')
        .values({
          accountId: account.id,
          productId: product.id,
          imageId: image.id,
          format: options.format,
          size: options.size,
          options: loggedOptions(options),
          customised: true,
        })
        .execute();
      const expiresAt = new Date(Date.now() + DOWNLOAD_URL_TTL_SECONDS * 1000);
      return { status: 201, body: { url, expiresAt, fileName: stored.fileName } };
    },
  });
}
