import { getProduct, inTransaction, jsonb } from '../catalog/index.ts';
import { now } from '../catalog/db.ts';
import type { PipelineContext } from './context.ts';
import { queueWork } from './ingest-upload.ts';

export type RetryOutcome =
  | { status: 'requeued'; productId: string; images: number }
  | { status: 'not-failed'; productId: string; setStatus: 'ready' }
  | { status: 'missing'; productId: string };

/**
 * Retries a failed set: its failed images (only those) go back to pending, the set to processing, and
 * their jobs are queued with a new watchdog. Idempotent: asked again while the set is processing (a
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
    if (product.status === 'failed') {
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
    return { uploadId: upload.id, familyId: product.familyId, status: product.status };
  });
  if (!state) return { status: 'missing', productId };
  if (state.status === 'ready') return { status: 'not-failed', productId, setStatus: 'ready' };
  const images = await queueWork(ctx, state.uploadId, productId, state.familyId);
  return { status: 'requeued', productId, images };
}
