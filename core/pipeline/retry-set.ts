import { getProduct, inTransaction, jsonb } from '../catalog/index.ts';
import { now } from '../catalog/db.ts';
import type { PipelineContext } from './context.ts';
import { queueWork } from './ingest-upload.ts';

export type RetryOutcome =
  | { status: 'requeued'; productId: string; images: number; retried: RetriedImage[] }
  | { status: 'not-failed'; productId: string; setStatus: 'ready' }
  | { status: 'missing'; productId: string };

/** A failed image this retry put back to pending, with the reason it had failed. */
export interface RetriedImage {
  imageId: string;
  file: string;
  reason: string | null;
}

/**
 * Retries a failed set: its failed images (only those) go back to pending, the set to processing, and
 * their jobs are queued with a new watchdog. Says which images it put back and why each had failed. Idempotent: asked again while the set is processing (a
 * double click, a retry after a crash before the jobs were sent), it re-sends the jobs of the images
 * still pending and changes nothing else; a ready set is left alone.
 */
export async function retryFailedImages(
  ctx: Pick<PipelineContext, 'db' | 'queues' | 'settings'>,
  productId: string,
): Promise<RetryOutcome> {
  const state = await inTransaction(ctx.db, async (trx) => {
    // The set's lock: no image settles and no finish runs while the set changes state.
    const upload = await trx.selectFrom('uploads').select('id').where('productId', '=', productId).forUpdate().executeTakeFirst();
    const product = upload && (await getProduct(trx, productId));
    if (!upload || !product) return undefined;
    let retried: RetriedImage[] = [];
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
  if (state.status === 'ready') return { status: 'not-failed', productId, setStatus: 'ready' };
  const images = await queueWork(ctx, state.uploadId, productId, state.familyId);
  return { status: 'requeued', productId, images, retried: state.retried };
}
