import { sql, type Kysely, type Selectable } from 'kysely';
import { UPLOAD_URL_TTL_SECONDS } from '../limits.ts';
import type { UploadProblem } from '../problems.ts';
import { CatalogStateError, isUuid, jsonb, now } from './db.ts';
import type { Database, IgnoredObject, UploadsTable } from './schema.ts';

export type Upload = Selectable<UploadsTable>;

export interface ReceivedUpload {
  uploadId: string;
  contributorId: string;
  objectKey: string;
  /** The ETag of the object seen; the first one recorded pins the upload to that object. */
  objectEtag?: string;
}

/** The API's draft table (app/api/db.ts UploadDraftsTable), as far as the pipeline reads it and tools write it. */
type DraftTables = {
  uploadDrafts: { id: string; contributorId: string; uploadExpiresAt: Date };
};

/**
 * Whether this upload id was handed to this contributor: a draft (POST /api/drafts reserves the id before the
 * ZIP exists) or an upload already recorded for them. The pipeline ingests nothing else, whoever wrote the key.
 */
export async function uploadExpected(db: Kysely<Database>, uploadId: string, contributorId: string): Promise<boolean> {
  if (!isUuid(uploadId) || !isUuid(contributorId)) return false;
  const draft = await db
    .withTables<DraftTables>()
    .selectFrom('uploadDrafts')
    .select('id')
    .where('id', '=', uploadId)
    .where('contributorId', '=', contributorId)
    .unionAll(db.selectFrom('uploads').select('id').where('id', '=', uploadId).where('contributorId', '=', contributorId))
    .executeTakeFirst();
  return draft !== undefined;
}

/**
 * Reserves an upload id for a contributor as POST /api/drafts does, for tools that put a ZIP in the uploads
 * bucket without the API (the ingest CLI, benchmarks, tests). Idempotent.
 */
export async function reserveUpload(db: Kysely<Database>, input: { uploadId: string; contributorId: string; expiresAt?: Date }): Promise<void> {
  await db
    .withTables<DraftTables>()
    .insertInto('uploadDrafts')
    .values({ id: input.uploadId, contributorId: input.contributorId, uploadExpiresAt: input.expiresAt ?? new Date(Date.now() + UPLOAD_URL_TTL_SECONDS * 1000) })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * Records that an upload arrived. Idempotent: a redelivered event finds the row
 * already there (`created: false`) and changes nothing.
 */
export async function recordUploadReceived(
  db: Kysely<Database>,
  input: ReceivedUpload,
): Promise<{ upload: Upload; created: boolean }> {
  const inserted = await db
    .insertInto('uploads')
    .values({ id: input.uploadId, contributorId: input.contributorId, objectKey: input.objectKey, objectEtag: input.objectEtag ?? null })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { upload: inserted, created: true };

  // A row from before ETags were recorded is pinned to the first object seen now.
  if (input.objectEtag) {
    await db
      .updateTable('uploads')
      .set({ objectEtag: input.objectEtag })
      .where('id', '=', input.uploadId)
      .where('objectEtag', 'is', null)
      .execute();
  }
  const existing = await findUpload(db, input.uploadId);
  if (!existing || existing.objectKey !== input.objectKey || existing.contributorId !== input.contributorId) {
    // Same id with another key (or the same key under another id): two uploads collide, which ids from keys rule out.
    throw new CatalogStateError(
      `upload ${input.uploadId} (${input.objectKey}) conflicts with an upload already recorded` +
        (existing ? ` for ${existing.objectKey}` : ' under another id'),
    );
  }
  return { upload: existing, created: false };
}

export async function findUpload(db: Kysely<Database>, uploadId: string): Promise<Upload | undefined> {
  if (!isUuid(uploadId)) return undefined;
  return db.selectFrom('uploads').selectAll().where('id', '=', uploadId).executeTakeFirst();
}

/**
 * Marks an upload rejected with every reason found. Touches no other table, and never
 * an upload that was already accepted. Returns whether the upload was updated.
 */
export async function rejectUpload(
  db: Kysely<Database>,
  uploadId: string,
  problems: readonly UploadProblem[],
): Promise<boolean> {
  if (problems.length === 0) throw new RangeError('rejectUpload needs at least one problem to tell the contributor');
  const result = await db
    .updateTable('uploads')
    .set({ status: 'rejected', problems: jsonb([...problems]), updatedAt: now() })
    .where('id', '=', uploadId)
    .where('productId', 'is', null)
    .where('status', 'in', ['received', 'rejected'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Notes a later object posted to an upload's key, which is never processed (write-once uploads), so the
 * contributor can be told. The same object seen twice (a redelivered event) is noted once.
 */
export async function recordIgnoredObject(db: Kysely<Database>, uploadId: string, object: IgnoredObject): Promise<boolean> {
  const result = await db
    .updateTable('uploads')
    .set({ ignoredObjects: sql<IgnoredObject[]>`ignored_objects || ${JSON.stringify([object])}::jsonb`, updatedAt: now() })
    .where('id', '=', uploadId)
    .where(sql<boolean>`not (ignored_objects @> ${JSON.stringify([{ etag: object.etag }])}::jsonb)`)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
