import JSZip from 'jszip';
import pMap from 'p-map';
import {
  failPendingImages,
  getProduct,
  listProductImages,
  productProgress,
  setProductFailed,
  setProductReady,
} from '../catalog/index.ts';
import type { PreviewJob } from '../queue/messages.ts';
import { setZipKey } from '../storage/index.ts';
import type { PipelineContext } from './context.ts';
import { rebuildFamilyPreview } from './family-preview.ts';

export type FinishSetOutcome = 'requeued' | 'ready' | 'failed' | 'already-done' | 'missing';

/**
 * PreviewMaker's work: once every image of the set is rendered, build the set's download ZIP,
 * render the family preview again from a random sample of the family's visible sets (the new set is not
 * published yet, so it joins the preview when it is: the API then asks for a rebuild), mark the set
 * ready and tell the contributor. Arriving early (images still pending) re-queues the job with a
 * delay, a bounded number of times; after that the images still pending are failed.
 */
export async function finishSet(ctx: PipelineContext, job: PreviewJob): Promise<FinishSetOutcome> {
  const log = ctx.log.child({ uploadId: job.uploadId, productId: job.productId, familyId: job.familyId });
  const product = await getProduct(ctx.db, job.productId);
  if (!product) {
    log.warn('product not in the catalog; dropping the job');
    return 'missing';
  }
  if (product.status !== 'processing') {
    log.info({ status: product.status }, 'set already finished; redelivery ignored');
    return 'already-done';
  }

  let progress = await productProgress(ctx.db, job.productId);
  if (progress.pending > 0) {
    if (job.attempt < ctx.settings.previewMaxAttempts) {
      await ctx.queues.sendPreviewJob({ ...job, attempt: job.attempt + 1 }, ctx.settings.previewRetryDelaySeconds);
      log.info({ pending: progress.pending, attempt: job.attempt }, 'images still pending; re-queued');
      return 'requeued';
    }
    await failPendingImages(ctx.db, job.productId, `was not rendered after ${job.attempt} checks`);
    progress = await productProgress(ctx.db, job.productId);
  }

  if (progress.failed > 0) {
    await setProductFailed(ctx.db, job.productId, progress.failures);
    await ctx.events.publish({
      type: 'set.failed',
      uploadId: job.uploadId,
      contributorId: product.contributorId,
      productId: job.productId,
      failures: progress.failures,
    });
    log.warn({ failed: progress.failed }, 'set failed');
    return 'failed';
  }

  const started = Date.now();
  const zipKey = setZipKey(job.productId);
  await ctx.store.putSetZip(zipKey, await buildSetZip(ctx, job.productId, product.title), product.title);

  await rebuildFamilyPreview(ctx, job.familyId);
  await setProductReady(ctx.db, job.productId, zipKey);
  await ctx.events.publish({
    type: 'set.ready',
    uploadId: job.uploadId,
    contributorId: product.contributorId,
    productId: job.productId,
    familyId: job.familyId,
    images: progress.total,
  });
  log.info({ images: progress.total, ms: Date.now() - started }, 'set ready');
  return 'ready';
}

/** The buyer's download: every sanitised SVG under the path the contributor gave it. */
async function buildSetZip(ctx: PipelineContext, productId: string, title: string): Promise<Buffer> {
  const images = await listProductImages(ctx.db, productId);
  const zip = new JSZip();
  const root = slugForFolder(title);
  const svgs = await pMap(images, (image) => ctx.store.getOriginal(image.originalKey), { concurrency: 8 });
  images.forEach((image, i) =>
    zip.file(`${root}/${image.filePath}`, svgs[i]!, { date: ZIP_EPOCH, createFolders: false }),
  );
  // Fixed dates and compression settings make the archive byte-identical on a retry.
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

const ZIP_EPOCH = new Date('2020-01-01T00:00:00Z');

function slugForFolder(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'set';
}
