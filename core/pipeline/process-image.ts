import pMap from 'p-map';
import { getImageForProcessing, markImageFailed, markImageReady } from '../catalog/index.ts';
import type { ImageJob } from '../queue/messages.ts';
import { renderRenditions, renditionSpecsFor } from '../render/index.ts';
import { placeRendition } from '../storage/index.ts';
import type { RenditionRecord } from '../catalog/index.ts';
import type { PipelineContext } from './context.ts';

export type ProcessImageOutcome = 'rendered' | 'already-ready' | 'failed' | 'missing';

/**
 * ImageProcessor's work for one image: render every rendition from the sanitised original,
 * store them, then mark the image ready with its rendition rows (one transaction). Previews go to the
 * public assets bucket under the set's preview secret and get rows; larger sizes go to the private
 * downloads bucket and get none (placeRendition, core/storage/full-size-keys.ts).
 *
 * Idempotent: a ready image is skipped (unless the job asks to re-render, as batch reprocessing
 * does); rendition keys are deterministic, so a retry after a
 * crash overwrites the same objects. An SVG that cannot be rendered (deterministic failure:
 * pixel limit, timeout, librsvg error) marks the image failed with the reason instead of being
 * retried; storage and database errors are thrown so the message is retried, then dead-lettered.
 */
export async function processImage(ctx: PipelineContext, job: ImageJob): Promise<ProcessImageOutcome> {
  const log = ctx.log.child({ uploadId: job.uploadId, productId: job.productId, imageId: job.imageId });
  const image = await getImageForProcessing(ctx.db, job.imageId);
  if (!image) {
    log.warn('image not in the catalog (product deleted?); dropping the job');
    return 'missing';
  }
  if (image.status === 'ready' && !job.rerender) {
    log.info('image already ready; redelivery ignored');
    return 'already-ready';
  }

  const started = Date.now();
  const svg = await ctx.store.getOriginal(image.originalKey);
  let renditions;
  try {
    renditions = await renderRenditions(svg, renditionSpecsFor(image.kind));
  } catch (error) {
    const reason = `could not be rendered: ${(error as Error).message}`;
    await markImageFailed(ctx.db, job.imageId, reason);
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
  await markImageReady(ctx.db, job.imageId, rows);
  log.info({ file: image.filePath, renditions: rows.length, ms: Date.now() - started }, 'image ready');
  return 'rendered';
}
