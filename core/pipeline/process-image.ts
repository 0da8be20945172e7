import { createHash } from 'node:crypto';
import pMap from 'p-map';
import {
  getImageForProcessing,
  recordImageError,
  setAwaitsFinish,
  settleImageFailed,
  settleImageReady,
  type ImageSettlement,
} from '../catalog/index.ts';
import { IMAGE_JOB_MAX_RECEIVES, MissingJobTargetError, UndeliverableJobError, type ImageJob, type JobDelivery } from '../queue/messages.ts';
import { renderRenditions, renditionSpecsFor } from '../render/index.ts';
import { placeRendition } from '../storage/index.ts';
import type { RenditionRecord } from '../catalog/index.ts';
import type { PipelineContext } from './context.ts';

export type ProcessImageOutcome = 'rendered' | 'already-ready' | 'failed';

const FIRST_DELIVERY: JobDelivery = { messageId: 'direct', receiveCount: 1 };

/**
 * ImageProcessor's work for one image: render every rendition from the sanitised original,
 * store them, then mark the image ready with its rendition rows (one transaction). Previews go to the
 * public assets bucket under the set's preview secret and get rows; larger sizes go to the private
 * downloads bucket and get none (placeRendition, core/storage/full-size-keys.ts). The transaction
 * that settles a set's last pending image says so, and the set's finish is queued at once.
 *
 * Idempotent: a ready image is skipped (unless the job asks to re-render, as batch reprocessing
 * does); rendition keys are deterministic, so a retry after a crash overwrites the same objects.
 * An SVG that cannot be rendered (deterministic failure: pixel limit, timeout, librsvg error) marks
 * the image failed with the reason instead of being retried. Storage and database errors are noted
 * on the image and thrown so the message is retried; on its last receive the image is failed with
 * the error and the job dead-lettered with it. A job for an image the catalog does not hold is
 * dead-lettered with that reason, never dropped.
 */
export async function processImage(
  ctx: PipelineContext,
  job: ImageJob,
  delivery: JobDelivery = FIRST_DELIVERY,
): Promise<ProcessImageOutcome> {
  const log = ctx.log.child({ uploadId: job.uploadId, productId: job.productId, imageId: job.imageId });
  const image = await getImageForProcessing(ctx.db, job.imageId);
  if (!image || image.productId !== job.productId) {
    throw new MissingJobTargetError(`image ${job.imageId} of set ${job.productId} is not in the catalog (set deleted, or the job is not ours)`);
  }
  if (image.status !== 'pending' && !job.rerender) {
    // A redelivery after a crash between our commit and the finish job: queue it again (finishing twice is harmless).
    if (await setAwaitsFinish(ctx.db, job.productId)) await queueFinish(ctx, job, image.familyId);
    log.info({ status: image.status }, 'image already settled; redelivery ignored');
    return 'already-ready';
  }

  const started = Date.now();
  try {
    const svg = carriedOriginal(job, image.sha256) ?? (await ctx.store.getOriginal(image.originalKey));
    let renditions;
    try {
      renditions = await renderRenditions(svg, renditionSpecsFor(image.kind));
    } catch (error) {
      const reason = `could not be rendered: ${(error as Error).message}`;
      await finishIfLast(ctx, job, image.familyId, await settleImageFailed(ctx.db, job.imageId, reason));
      log.warn({ file: image.filePath, reason }, 'image failed');
      return 'failed';
    }

    const owner = { kind: image.kind, productId: job.productId, previewSecret: image.previewSecret, imageId: job.imageId };
    const placed = await pMap(
      renditions,
      async (rendition): Promise<RenditionRecord | undefined> => {
        const placement = placeRendition(owner, rendition.size, rendition.format);
        await ctx.store.putPlacedRendition(placement, rendition.bytes, rendition.format);
        if (placement.kind !== 'rendition') return undefined;
        return {
          size: rendition.size,
          format: rendition.format,
          objectKey: placement.key,
          width: rendition.width,
          height: rendition.height,
          bytes: rendition.bytes.length,
        };
      },
      { concurrency: 8 },
    );
    const rows = placed.filter((row) => row !== undefined);
    await finishIfLast(ctx, job, image.familyId, await settleImageReady(ctx.db, job.imageId, rows));
    log.info({ file: image.filePath, renditions: rows.length, ms: Date.now() - started }, 'image ready');
    return 'rendered';
  } catch (error) {
    if (error instanceof UndeliverableJobError) throw error;
    const message = (error as Error).message;
    await recordImageError(ctx.db, job.imageId, message).catch(() => undefined);
    if (delivery.receiveCount < IMAGE_JOB_MAX_RECEIVES) throw error;
    const reason = `could not be processed after ${delivery.receiveCount} attempts: ${message}`;
    const settlement = await settleImageFailed(ctx.db, job.imageId, reason);
    await finishIfLast(ctx, job, image.familyId, settlement);
    throw new UndeliverableJobError(reason, { cause: error });
  }
}

/** The SVG the job carries, when it is byte for byte the image's sanitised original (its SHA-256 in the catalog). */
function carriedOriginal(job: ImageJob, sha256: string): Buffer | undefined {
  if (job.svg === undefined) return undefined;
  const svg = Buffer.from(job.svg, 'utf8');
  return createHash('sha256').update(svg).digest('hex') === sha256 ? svg : undefined;
}

async function finishIfLast(ctx: PipelineContext, job: ImageJob, familyId: string, settlement: ImageSettlement | undefined) {
  if (settlement?.setComplete) await queueFinish(ctx, job, familyId);
}

function queueFinish(ctx: PipelineContext, job: ImageJob, familyId: string): Promise<void> {
  return ctx.queues.sendPreviewJob(
    { type: 'make-preview', uploadId: job.uploadId, productId: job.productId, familyId, attempt: 1, trigger: 'last-image' },
    0,
  );
}
