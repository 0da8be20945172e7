/**
 * Upload drafts: an upload id reserved for a contributor before the ZIP exists, with a presigned POST
 * that can only put that one key. The pipeline records the upload when the object arrives; a draft's
 * state is read from the pipeline's own rows, so it never disagrees with them.
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { productProgress } from '../../../core/catalog/index.ts';
import { productIdForUpload } from '../../../core/ids.ts';
import { MAX_ARCHIVE_BYTES, UPLOAD_URL_TTL_SECONDS } from '../../../core/limits.ts';
import type { UploadProblem } from '../../../core/problems.ts';
import type { UploadWarning } from '../../../core/catalog/index.ts';
import { uploadKey } from '../../../core/storage/index.ts';
import type { ApiContext } from '../context.ts';
import type { DraftState } from '../schemas.ts';

export const ZIP_CONTENT_TYPE = 'application/zip';

export interface DraftView {
  id: string;
  productId: string;
  state: DraftState;
  problems: UploadProblem[];
  progress: { total: number; ready: number; failed: number; pending: number } | null;
  warnings: UploadWarning[];
  ignoredUploads: Array<{ seenAt: string; size?: number; message: string }>;
  createdAt: Date;
  uploadExpiresAt: Date;
}

export interface PresignedPostView {
  url: string;
  fields: Record<string, string>;
  maxBytes: number;
  expiresAt: Date;
}

export const TERMINAL_STATES: ReadonlySet<DraftState> = new Set(['rejected', 'ready', 'failed']);

/**
 * A POST policy bound to exactly the draft's key in the uploads bucket, a ZIP content type and
 * 1 byte–MAX_ARCHIVE_BYTES: S3 refuses anything else, so the browser can upload without the API in the way.
 */
export async function presignUpload(ctx: ApiContext, contributorId: string, draftId: string): Promise<PresignedPostView> {
  const expiresAt = new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000);
  const { url, fields } = await createPresignedPost(ctx.s3, {
    Bucket: ctx.buckets.uploads,
    Key: uploadKey(contributorId, draftId),
    Conditions: [
      ['content-length-range', 1, MAX_ARCHIVE_BYTES],
      ['eq', '$Content-Type', ZIP_CONTENT_TYPE],
    ],
    Fields: { 'Content-Type': ZIP_CONTENT_TYPE },
    Expires: UPLOAD_URL_TTL_SECONDS,
  });
  return { url, fields, maxBytes: MAX_ARCHIVE_BYTES, expiresAt };
}

export async function createDraft(ctx: ApiContext, contributorId: string) {
  const id = randomUUID();
  const upload = await presignUpload(ctx, contributorId, id);
  await ctx.db
    .insertInto('uploadDrafts')
    .values({ id, contributorId, uploadExpiresAt: upload.expiresAt })
    .execute();
  return { draft: (await findDraft(ctx, contributorId, id))!, upload };
}

/**
 * A new POST for a draft whose ZIP has not arrived; false when it has — recorded by the pipeline, or
 * already in the bucket while its event is on its way. One ZIP per draft: the pipeline ignores any later one.
 */
export async function renewUpload(ctx: ApiContext, contributorId: string, draftId: string): Promise<PresignedPostView | false> {
  if (await uploadObjectExists(ctx, uploadKey(contributorId, draftId))) return false;
  const upload = await presignUpload(ctx, contributorId, draftId);
  const updated = await ctx.db
    .updateTable('uploadDrafts')
    .set({ uploadExpiresAt: upload.expiresAt })
    .where('id', '=', draftId)
    .where('contributorId', '=', contributorId)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('uploads').select('id').where('uploads.id', '=', draftId))))
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n ? upload : false;
}

/** Listed, not read: the API may list the uploads bucket (its readiness check does) but not read uploads. */
async function uploadObjectExists(ctx: ApiContext, key: string): Promise<boolean> {
  const listed = await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.buckets.uploads, Prefix: key, MaxKeys: 1 }));
  return (listed.Contents ?? []).some((object) => object.Key === key);
}

function draftRows(ctx: ApiContext, contributorId: string) {
  return ctx.db
    .selectFrom('uploadDrafts as d')
    .leftJoin('uploads as u', 'u.id', 'd.id')
    .select(['d.id', 'd.createdAt', 'd.uploadExpiresAt', 'u.status', 'u.problems', 'u.productId', 'u.warnings', 'u.ignoredObjects'])
    .where('d.contributorId', '=', contributorId);
}

type DraftRow = Awaited<ReturnType<ReturnType<typeof draftRows>['executeTakeFirstOrThrow']>>;

async function present(ctx: ApiContext, row: DraftRow): Promise<DraftView> {
  const state: DraftState =
    row.status === null
      ? 'awaiting-upload'
      : row.status === 'accepted'
        ? 'processing'
        : row.status;
  const progress = row.productId ? await productProgress(ctx.db, row.productId) : null;
  return {
    id: row.id,
    productId: productIdForUpload(row.id),
    state,
    problems: row.problems ?? [],
    progress: progress && { total: progress.total, ready: progress.ready, failed: progress.failed, pending: progress.pending },
    warnings: row.warnings ?? [],
    ignoredUploads: (row.ignoredObjects ?? []).map((object) => ({
      seenAt: object.seenAt,
      ...(object.size !== undefined ? { size: object.size } : {}),
      message: 'Another ZIP was posted to this draft after the first one; it was ignored. A draft takes one ZIP: start a new draft to upload a changed set.',
    })),
    createdAt: row.createdAt,
    uploadExpiresAt: row.uploadExpiresAt,
  };
}

/** The contributor's draft, or undefined (also for someone else's: a 404 says nothing about it). */
export async function findDraft(ctx: ApiContext, contributorId: string, draftId: string): Promise<DraftView | undefined> {
  const row = await draftRows(ctx, contributorId).where('d.id', '=', draftId).executeTakeFirst();
  return row && present(ctx, row);
}

export async function listDrafts(
  ctx: ApiContext,
  contributorId: string,
  limit: number,
  after?: { createdKey: string; id: string },
): Promise<Array<DraftView & { createdKey: string }>> {
  let query = draftRows(ctx, contributorId).select((eb) => eb.cast<string>('d.createdAt', 'text').as('createdKey'));
  if (after) {
    query = query.where((eb) =>
      eb(
        eb.refTuple('d.createdAt', 'd.id'),
        '<',
        eb.tuple(eb.cast<Date>(eb.val(after.createdKey), 'timestamptz'), eb.cast<string>(eb.val(after.id), 'uuid')),
      ),
    );
  }
  const rows = await query.orderBy('d.createdAt', 'desc').orderBy('d.id', 'desc').limit(limit).execute();
  return Promise.all(rows.map(async (row) => ({ ...(await present(ctx, row)), createdKey: row.createdKey })));
}
