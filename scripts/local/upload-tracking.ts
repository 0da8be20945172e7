import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../core/catalog/schema.ts';
import type { UploadProblem } from '../../core/problems.ts';
import type { UploadWarning } from '../../core/catalog/index.ts';

export interface UploadResult {
  status: 'ready' | 'rejected' | 'failed';
  uploadId: string;
  productId: string | null;
  images: number;
  renditions: number;
  errors: UploadProblem[];
  /** Per file, what sanitising removed from an accepted set. */
  warnings: UploadWarning[];
}

/** Reads where an upload stands; null while it is still on its way. */
export async function uploadResult(db: Kysely<Database>, uploadId: string): Promise<UploadResult | null> {
  const upload = await db
    .selectFrom('uploads')
    .select(['status', 'problems', 'productId', 'warnings'])
    .where('id', '=', uploadId)
    .executeTakeFirst();
  if (!upload) return null;
  if (upload.status === 'rejected') {
    return { status: 'rejected', uploadId, productId: null, images: 0, renditions: 0, errors: (upload.problems ?? []) as UploadProblem[], warnings: [] };
  }
  if (!upload.productId) return null;
  const product = await db.selectFrom('products').select(['status']).where('id', '=', upload.productId).executeTakeFirst();
  if (!product || product.status === 'processing') return null;
  const images = await db
    .selectFrom('images')
    .select(['filePath', 'status', 'failureReason'])
    .where('productId', '=', upload.productId)
    .execute();
  const { count } = await db
    .selectFrom('renditions')
    .innerJoin('images', 'images.id', 'renditions.imageId')
    .where('images.productId', '=', upload.productId)
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return {
    status: product.status === 'ready' ? 'ready' : 'failed',
    uploadId,
    productId: upload.productId,
    images: images.length,
    renditions: Number(count),
    errors: images
      .filter((image) => image.status === 'failed')
      .map((image) => ({ file: image.filePath, message: image.failureReason ?? 'failed' })),
    warnings: upload.warnings ?? [],
  };
}

/** Polls the catalog until the upload is rejected, ready or failed. */
export async function waitForUpload(
  db: Kysely<Database>,
  uploadId: string,
  options: { timeoutMs: number; pollMs?: number },
): Promise<UploadResult> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const result = await uploadResult(db, uploadId);
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`upload ${uploadId} did not finish within ${options.timeoutMs / 1000} s`);
    await sleep(options.pollMs ?? 100);
  }
}
