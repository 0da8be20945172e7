import { sql } from 'kysely';
import { getProduct, inTransaction, jsonb } from '../catalog/index.ts';
import { now } from '../catalog/db.ts';
import type { PipelineContext } from './context.ts';
import { queueWork } from './ingest-upload.ts';

export type RetryOutcome =
  | { status: 'requeued'; productId: string; images: number; retried: RetriedImage[] }
  | { status: 'not-failed'; productId: string; setStatus: 'ready' }
  /** Processing and its images progressed (or their jobs were sent) less than RESEND_AFTER_SECONDS ago: nothing sent. */
  | { status: 'already-queued'; productId: string; retryAfterSeconds: number }
  | { status: 'missing'; productId: string };

/** A failed image this retry put back to pending, with the reason it had failed. */
export interface RetriedImage {
  imageId: string;
  file: string;
  reason: string | null;
}

/**
 * How long a processing set must have made no progress before a retry sends its pending images' jobs
 * again. A retry after a crash before the jobs went out still recovers the set; a loop of retries on a set
 * that is rendering queues nothing (each re-send counts as progress, so re-sends are at most one per window).
 */
export const RESEND_AFTER_SECONDS = 120;

/**
 * Retries a failed set: its failed images (only those) go back to pending, the set to processing, and
 * their jobs are queued with a new watchdog. Says which images it put back and why each had failed.
 * Idempotent: asked again while the set is processing, it re-sends the jobs of the images still pending
 * only when nothing has progressed for RESEND_AFTER_SECONDS (a crash before the jobs were sent) and
 * changes nothing else; a ready set is left alone.
 */
export async function retryFailedImages(
  ctx: Pick<PipelineContext, 'db' | 'queues' | 'settings'>,
  productId: string,
): Promise<RetryOutcome> {
  const state = await inTransaction(ctx.db, async (trx) => {
    // The set's lock: no image settles and no finish runs while the set changes state.
    const upload = await trx
      .selectFrom('uploads')
      .select(['id', sql<number>`extract(epoch from (now() - progress_at))::float8`.as('idleSeconds')])
      .where('productId', '=', productId)
      .forUpdate()
      .executeTakeFirst();
    const product = upload && (await getProduct(trx, productId));
    if (!upload || !product) return undefined;
    let retried: RetriedImage[] = [];
    if (product.status === 'processing') {
      if (upload.idleSeconds < RESEND_AFTER_SECONDS) return { status: 'busy' as const, retryAfterSeconds: Math.ceil(RESEND_AFTER_SECONDS - upload.idleSeconds) };
      await trx.updateTable('uploads').set({ progressAt: now() }).where('id', '=', upload.id).execute();
    }
    if (product.status === 'failed') {
      retried = (
        await trx
          .selectFrom('images')
          .select(['id', 'filePath', 'failureReason'])
          .where('productId', '=', productId)
          .where('status', '=', 'failed')
          .orderBy('position')
          .execute()
      ).map((image) => ({ imageId: image.id, file: image.filePath, reason: image.failureReason }));
      await trx
        .updateTable('images')
        .set({ status: 'pending', failureReason: null, lastError: null, updatedAt: now() })
        .where('productId', '=', productId)
        .where('status', '=', 'failed')
        .execute();
      await trx.updateTable('products').set({ status: 'processing', updatedAt: now() }).where('id', '=', productId).execute();
      await trx
        .updateTable('uploads')
        .set({ status: 'accepted', problems: jsonb([]), progressAt: now(), updatedAt: now() })
        .where('id', '=', upload.id)
        .execute();
    }
    return { uploadId: upload.id, familyId: product.familyId, status: product.status, retried };
  });
  if (!state) return { status: 'missing', productId };
  if (state.status === 'busy') return { status: 'already-queued', productId, retryAfterSeconds: state.retryAfterSeconds };
  if (state.status === 'ready') return { status: 'not-failed', productId, setStatus: 'ready' };
  const images = await queueWork(ctx, state.uploadId, productId, state.familyId);
  return { status: 'requeued', productId, images, retried: state.retried };
}
