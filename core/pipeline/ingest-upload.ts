import pMap from 'p-map';
import { imageIdFor, productIdForUpload } from '../ids.ts';
import { MAX_ARCHIVE_BYTES } from '../limits.ts';
import { UploadRejectedError, type UploadProblem } from '../problems.ts';
import { sanitiserWarnings, validateUpload, type ValidUpload } from '../upload.ts';
import {
  acceptUpload,
  findContributor,
  getProduct,
  pendingImageIds,
  recordIgnoredObject,
  recordUploadReceived,
  rejectUpload,
  uploadExpected,
} from '../catalog/index.ts';
import { normaliseEtag, ObjectReplacedError, originalKey, parseUploadKey, setZipKey } from '../storage/index.ts';
import { MAX_CARRIED_SVG_BYTES, type ImageJob } from '../queue/messages.ts';
import type { PipelineContext } from './context.ts';
import { buildSetZip } from './set-zip.ts';

export interface UploadedObject {
  bucket: string;
  key: string;
  /** Size from the event, when it carries one; checked before anything is downloaded. */
  size?: number;
  /** ETag from the event; without one the object's current ETag is read. */
  etag?: string;
}

export type IngestOutcome =
  | { status: 'ignored'; key: string; reason: string; uploadId?: string }
  | { status: 'rejected'; uploadId: string; problems: UploadProblem[] }
  | { status: 'accepted'; uploadId: string; productId: string; images: number; jobsSent: number };

/** How many sanitised originals are written to S3 at once. */
const ORIGINAL_UPLOAD_CONCURRENCY = 16;

/**
 * ImageBatcher's work: validate the whole upload before writing anything, then write the
 * sanitised originals, the product and its pending images (one transaction), and queue the work.
 *
 * Write-once and processed once: the upload is pinned to the ETag of the first object seen at its key, and
 * only read while it is `received`. A later object at the key is ignored, logged and noted on the upload
 * for the contributor; it never changes an accepted or published set. A redelivered event for an
 * accepted upload reads nothing and re-sends only the jobs of images still pending.
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

  // Only ids the API handed to this contributor: a ZIP at any other key (written past the presigned POST, or
  // under another contributor's folder) creates no upload and no set, and is never read.
  if (!(await uploadExpected(ctx.db, uploadId, contributorId))) {
    log.warn({ key: object.key }, 'no draft for this upload id and contributor; ignored');
    return { status: 'ignored', key: object.key, reason: NO_DRAFT };
  }

  // Write-once: the first object seen at the key is the upload; a later one is never read.
  const etag = normaliseEtag(object.etag ?? (await ctx.store.uploadEtag(object.key)));
  const { upload } = await recordUploadReceived(ctx.db, { uploadId, contributorId, objectKey: object.key, objectEtag: etag });
  if (upload.objectEtag !== null && upload.objectEtag !== etag) {
    const noted = await recordIgnoredObject(ctx.db, uploadId, { etag, size: object.size, seenAt: new Date().toISOString() });
    log.warn({ key: object.key, etag, pinned: upload.objectEtag, status: upload.status, noted }, 'a later object at an upload key; ignored (uploads are write-once)');
    return { status: 'ignored', key: object.key, uploadId, reason: LATER_OBJECT };
  }
  if (upload.status === 'rejected') {
    log.info('upload was already rejected; nothing to do');
    return { status: 'rejected', uploadId, problems: (upload.problems ?? []) as UploadProblem[] };
  }
  if (upload.status !== 'received') return resumeAccepted(ctx, uploadId, upload.productId!, log);

  const started = Date.now();
  const validated = await validate(ctx, object, etag);
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
  // The set's download ZIP from the same bytes, now that they are in memory: the finish, right after the
  // last image, then has nothing to read (2,000 originals) or compress. Private until the set is sold.
  const { title } = manifest.product;
  await ctx.store.putSetZip(setZipKey(productId), await buildSetZip(title, planned.map((image) => ({ filePath: image.file, svg: image.svg }))), title);

  const warnings = sanitiserWarnings(images);
  const accepted = await acceptUpload(ctx.db, {
    uploadId,
    contributorId,
    productId,
    manifest,
    warnings,
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

  const carried = new Map(planned.map((image) => [image.imageId, image.svg]));
  const jobsSent = await queueWork(ctx, uploadId, accepted.productId, accepted.familyId, carried);
  log.info(
    { productId: accepted.productId, images: planned.length, jobsSent, warnings: warnings.length, ms: Date.now() - started },
    'upload accepted',
  );
  return { status: 'accepted', uploadId, productId: accepted.productId, images: planned.length, jobsSent };
}

const NO_DRAFT = 'no draft reserved this upload id for this contributor';
const LATER_OBJECT = 'a later object at the key of an upload already received: uploads are write-once';

/**
 * A redelivered event (or Lambda's retry after a crash past the catalog transaction) for an accepted
 * upload: the upload's ZIP is not read again and no original is rewritten; only the jobs of images
 * still pending are sent again, with a watchdog, while the set is processing.
 */
async function resumeAccepted(ctx: PipelineContext, uploadId: string, productId: string, log: PipelineContext['log']): Promise<IngestOutcome> {
  const product = await getProduct(ctx.db, productId);
  if (!product) throw new Error(`upload ${uploadId} is accepted but its set ${productId} is not in the catalog`);
  const jobsSent = product.status === 'processing' ? await queueWork(ctx, uploadId, productId, product.familyId) : 0;
  log.info({ productId, status: product.status, jobsSent }, 'upload already accepted; pending work re-sent');
  return { status: 'accepted', uploadId, productId, images: product.imageCount, jobsSent };
}

/**
 * The image jobs of every pending image and the set's watchdog; returns how many image jobs were sent. With
 * `svgs` (the sanitised originals ImageBatcher just wrote), each job carries its image's when small enough.
 */
export async function queueWork(
  ctx: Pick<PipelineContext, 'db' | 'queues' | 'settings'>,
  uploadId: string,
  productId: string,
  familyId: string,
  svgs: ReadonlyMap<string, Buffer> = new Map(),
): Promise<number> {
  const pending = await pendingImageIds(ctx.db, productId);
  await ctx.queues.sendImageJobs(
    pending.map((imageId): ImageJob => {
      const svg = svgs.get(imageId);
      const carried = svg && svg.length <= MAX_CARRIED_SVG_BYTES ? { svg: svg.toString('utf8') } : {};
      return { type: 'process-image', uploadId, productId, imageId, ...carried };
    }),
  );
  await ctx.queues.sendPreviewJob(
    { type: 'make-preview', uploadId, productId, familyId, attempt: 1, trigger: 'watchdog' },
    ctx.settings.previewDelaySeconds,
  );
  return pending.length;
}

type Validation = { upload: ValidUpload; problems?: undefined } | { problems: UploadProblem[] };

async function validate(ctx: PipelineContext, object: UploadedObject, etag: string): Promise<Validation> {
  if (object.size !== undefined && object.size > MAX_ARCHIVE_BYTES) {
    return { problems: [tooLarge(object.size)] };
  }
  let zip: Buffer;
  try {
    zip = await ctx.store.getPinnedUpload(object.key, etag);
  } catch (error) {
    if (!(error instanceof ObjectReplacedError)) throw error;
    return { problems: [{ message: 'another ZIP was posted to this upload before the first one was read, so neither was used. Start a new draft for each ZIP.' }] };
  }
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
