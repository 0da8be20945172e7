import type { Kysely } from 'kysely';
import pMap from 'p-map';
import { sql } from 'kysely';
import {
  getProduct,
  inTransaction,
  listProductImages,
  productProgress,
  setProductFailed,
  setProductReady,
  type Database,
} from '../catalog/index.ts';
import { now } from '../catalog/db.ts';
import type { PipelineEvent } from '../notify/events.ts';
import { MissingJobTargetError, type PreviewJob } from '../queue/messages.ts';
import { setZipKey } from '../storage/index.ts';
import type { PipelineContext } from './context.ts';
import { buildSetZip } from './set-zip.ts';

export type FinishSetOutcome = 'waiting' | 'ready' | 'failed' | 'already-done';

/**
 * PreviewMaker's work: once no image of the set is pending, build the set's download ZIP, mark the
 * set ready (or failed, naming each failed image's reason) and tell the contributor. The family's
 * public preview samples visible sets only, which a set just finished is not: it joins the preview when
 * it is published, when the API asks for a rebuild (family-preview.ts).
 *
 * The whole finish runs holding the set's lock (its upload row, the lock ImageProcessor settles
 * images under), so two finishes of one set — the last image's and the watchdog's, or a redelivery —
 * run one after the other, and the second finds the set finished: exactly one effective finish. A
 * crash before the commit leaves the catalog as it was; the ZIP is byte-identical when rebuilt.
 *
 * While images are pending, a watchdog job re-queues itself; it fails the pending images only when
 * none of the set's images has settled for the stall window, naming each one's last error.
 */
export async function finishSet(ctx: PipelineContext, job: PreviewJob): Promise<FinishSetOutcome> {
  const log = ctx.log.child({ uploadId: job.uploadId, productId: job.productId, familyId: job.familyId, trigger: job.trigger ?? 'watchdog' });
  const started = Date.now();
  const result = await inTransaction(ctx.db, async (trx) => {
    const set = await lockSet(trx, job.productId);
    const product = set && (await getProduct(trx, job.productId));
    if (!set || !product) throw new MissingJobTargetError(`set ${job.productId} is not in the catalog`);
    if (product.status !== 'processing') return { outcome: 'already-done' as const, status: product.status };

    let progress = await productProgress(trx, job.productId);
    if (progress.pending > 0) {
      const remaining = ctx.settings.previewStallSeconds - set.stalledSeconds;
      if (remaining > 0) {
        if (job.trigger !== 'last-image') {
          const delay = Math.max(1, Math.min(ctx.settings.previewRetryDelaySeconds, Math.ceil(remaining)));
          await ctx.queues.sendPreviewJob({ ...job, trigger: 'watchdog', attempt: job.attempt + 1 }, delay);
        }
        return { outcome: 'waiting' as const, pending: progress.pending };
      }
      await failStalledImages(trx, job.productId, Math.floor(set.stalledSeconds));
      progress = await productProgress(trx, job.productId);
    }

    if (progress.failed > 0) {
      await setProductFailed(trx, job.productId, progress.failures);
      const event: PipelineEvent = {
        type: 'set.failed',
        uploadId: job.uploadId,
        contributorId: product.contributorId,
        productId: job.productId,
        failures: progress.failures,
      };
      return { outcome: 'failed' as const, event, failed: progress.failed };
    }

    const zipKey = await ensureSetZip(ctx, trx, job.productId, product.title);
    await setProductReady(trx, job.productId, zipKey);
    const event: PipelineEvent = {
      type: 'set.ready',
      uploadId: job.uploadId,
      contributorId: product.contributorId,
      productId: job.productId,
      familyId: job.familyId,
      images: progress.total,
    };
    return { outcome: 'ready' as const, event, images: progress.total };
  });

  // Told only after the commit, by the one finish that committed.
  if ('event' in result && result.event) await ctx.events.publish(result.event);
  const { outcome } = result;
  const details = 'event' in result ? { ...result, event: undefined } : result;
  log[outcome === 'failed' ? 'warn' : 'info']({ ...details, ms: Date.now() - started }, messages[outcome]);
  return outcome;
}

const messages: Record<FinishSetOutcome, string> = {
  waiting: 'images still pending',
  ready: 'set ready',
  failed: 'set failed',
  'already-done': 'set already finished; job ignored',
};

/** The set's lock (its upload row) and how long since an image of it last settled, by the database clock. */
async function lockSet(trx: Kysely<Database>, productId: string) {
  return trx
    .selectFrom('uploads')
    .select(sql<number>`extract(epoch from (now() - progress_at))::float8`.as('stalledSeconds'))
    .where('productId', '=', productId)
    .forUpdate()
    .executeTakeFirst();
}

/** Fails the images still pending after a stall, each with its own last error when one was noted. */
async function failStalledImages(trx: Kysely<Database>, productId: string, stalledSeconds: number): Promise<void> {
  const stalled = `was not rendered: no image of the set progressed for ${stalledSeconds} s`;
  await trx
    .updateTable('images')
    .set((eb) => ({
      status: 'failed',
      failureReason: eb.fn.coalesce(sql<string>`${stalled} || ' (last error: ' || last_error || ')'`, sql<string>`${stalled}`),
      updatedAt: now(),
    }))
    .where('productId', '=', productId)
    .where('status', '=', 'pending')
    .execute();
}

/**
 * The set's download ZIP. ImageBatcher writes it with the originals, so a set's finish does not read
 * every original again; it is built here only when missing or made under another title (the title
 * names the ZIP's folder and the download).
 */
async function ensureSetZip(ctx: PipelineContext, db: Kysely<Database>, productId: string, title: string): Promise<string> {
  const zipKey = setZipKey(productId);
  if (await ctx.store.setZipMadeFor(zipKey, title)) return zipKey;
  const images = await listProductImages(db, productId);
  const svgs = await pMap(images, (image) => ctx.store.getOriginal(image.originalKey), { concurrency: 16 });
  const zip = await buildSetZip(title, images.map((image, i) => ({ filePath: image.filePath, svg: svgs[i]! })));
  await ctx.store.putSetZip(zipKey, zip, title);
  return zipKey;
}
