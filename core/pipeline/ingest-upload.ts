import pMap from 'p-map';
import { imageIdFor, productIdForUpload } from '../ids.ts';
import { MAX_ARCHIVE_BYTES } from '../limits.ts';
import { UploadRejectedError, type UploadProblem } from '../problems.ts';
import { validateUpload, type ValidUpload } from '../upload.ts';
import {
  acceptUpload,
  findContributor,
  pendingImageIds,
  recordUploadReceived,
  rejectUpload,
} from '../catalog/index.ts';
import { originalKey, parseUploadKey } from '../storage/index.ts';
import type { PipelineContext } from './context.ts';

export interface UploadedObject {
  bucket: string;
  key: string;
  /** Size from the event, when it carries one; checked before anything is downloaded. */
  size?: number;
}

export type IngestOutcome =
  | { status: 'ignored'; key: string; reason: string }
  | { status: 'rejected'; uploadId: string; problems: UploadProblem[] }
  | { status: 'accepted'; uploadId: string; productId: string; images: number; jobsSent: number };

/** How many sanitised originals are written to S3 at once. */
const ORIGINAL_UPLOAD_CONCURRENCY = 16;

/**
 * ImageBatcher's work: validate the whole upload before writing anything, then write the
 * sanitised originals, the product and its pending images (one transaction), and queue the work.
 *
 * Idempotent: a redelivered event for an accepted upload derives the same ids and keys,
 * finds the product already there, and re-sends only the jobs of images still pending.
 */
export async function ingestUpload(ctx: PipelineContext, object: UploadedObject): Promise<IngestOutcome> {
  const ref = parseUploadKey(object.key);
  if (!ref) {
    ctx.log.warn({ key: object.key }, 'object key is not an upload key; ignored');
    return { status: 'ignored', key: object.key, reason: 'not an upload key' };
  }
  const { uploadId, contributorId } = ref;
  const log = ctx.log.child({ uploadId, contributorId });

  const contributor = await findContributor(ctx.db, contributorId);
  if (!contributor) {
    // Without a known contributor there is nobody to attach the upload to, or to tell.
    log.warn({ key: object.key }, 'upload from an unknown contributor; ignored');
    return { status: 'ignored', key: object.key, reason: 'unknown contributor' };
  }

  const { upload } = await recordUploadReceived(ctx.db, { uploadId, contributorId, objectKey: object.key });
  if (upload.status === 'rejected') {
    log.info('upload was already rejected; nothing to do');
    return { status: 'rejected', uploadId, problems: (upload.problems ?? []) as UploadProblem[] };
  }

  const started = Date.now();
  const validated = await validate(ctx, object);
  if (validated.problems) {
    await rejectUpload(ctx.db, uploadId, validated.problems);
    await ctx.events.publish({ type: 'upload.rejected', uploadId, contributorId, problems: validated.problems });
    log.info({ problems: validated.problems.length }, 'upload rejected');
    return { status: 'rejected', uploadId, problems: validated.problems };
  }
  const { manifest, images } = validated.upload;

  const productId = productIdForUpload(uploadId);
  const planned = images.map((image) => {
    const imageId = imageIdFor(productId, image.index);
    return { ...image, imageId, originalKey: originalKey(productId, imageId) };
  });

  // Originals first: if we crash after this, the catalog has nothing yet and a retry rewrites the same keys.
  await pMap(planned, (image) => ctx.store.putOriginal(image.originalKey, image.svg, image.file), {
    concurrency: ORIGINAL_UPLOAD_CONCURRENCY,
  });

  const accepted = await acceptUpload(ctx.db, {
    uploadId,
    contributorId,
    productId,
    manifest,
    images: planned.map(({ imageId, index, file, title, tags, width, height, sha256, originalKey: key }) => ({
      imageId,
      index,
      file,
      title,
      tags,
      width,
      height,
      sha256,
      originalKey: key,
    })),
  });

  const pending = await pendingImageIds(ctx.db, accepted.productId);
  await ctx.queues.sendImageJobs(
    pending.map((imageId) => ({ type: 'process-image', uploadId, productId: accepted.productId, imageId })),
  );
  await ctx.queues.sendPreviewJob(
    { type: 'make-preview', uploadId, productId: accepted.productId, familyId: accepted.familyId, attempt: 1, trigger: 'watchdog' },
    ctx.settings.previewDelaySeconds,
  );
  log.info(
    { productId: accepted.productId, images: planned.length, jobsSent: pending.length, ms: Date.now() - started },
    'upload accepted',
  );
  return { status: 'accepted', uploadId, productId: accepted.productId, images: planned.length, jobsSent: pending.length };
}

type Validation = { upload: ValidUpload; problems?: undefined } | { problems: UploadProblem[] };

async function validate(ctx: PipelineContext, object: UploadedObject): Promise<Validation> {
  if (object.size !== undefined && object.size > MAX_ARCHIVE_BYTES) {
    return { problems: [tooLarge(object.size)] };
  }
  const zip = await ctx.store.getUpload(object.key);
  if (zip.length > MAX_ARCHIVE_BYTES) return { problems: [tooLarge(zip.length)] };
  try {
    return { upload: await validateUpload(zip) };
  } catch (error) {
    if (error instanceof UploadRejectedError) return { problems: error.problems };
    throw error;
  }
}

function tooLarge(bytes: number): UploadProblem {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return { message: `the archive is ${mib(bytes)}; the limit is ${mib(MAX_ARCHIVE_BYTES)}. Split the set into smaller uploads.` };
}
