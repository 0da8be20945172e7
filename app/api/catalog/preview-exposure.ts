/**
 * What the public can fetch from the assets bucket follows what the catalog shows. Preview keys carry the
 * set's random secret (core/storage/keys.ts), so only the API hands them out, and only for visible sets
 * (and to the owner and admins). Once a set is hidden (unpublished, blocked), the URLs it had handed out
 * must stop working: `hideSet` moves the set's previews to a fresh secret (server-side copies) in the same
 * transaction that hides it, then deletes every object of the set under any other secret and invalidates
 * the set's paths on the CDN. The owner keeps working previews under the new secret, and publishing again
 * needs no copy. Publishing, unpublishing and blocking also ask PreviewMaker to rebuild the family preview,
 * which samples visible sets only.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import pMap from 'p-map';
import type { Logger } from 'pino';
import type { CdnInvalidator } from '../../../core/cdn/invalidation.ts';
import type { FamilyPreviewJob } from '../../../core/queue/messages.ts';
import { isKeyOfKind, previewSecretPrefix, productPreviewPrefix, withPreviewSecret, type ObjectStore } from '../../../core/storage/index.ts';
import type { ApiDatabase, ApiDb } from '../tables.ts';

/** Where the API sends family-preview rebuilds (the PreviewMaker queue in every environment that has one). */
export interface FamilyPreviewRequests {
  request(job: FamilyPreviewJob): Promise<void>;
}

/** Copies in flight while moving a set's previews (each is one S3 CopyObject). */
const COPY_CONCURRENCY = 16;

export function newPreviewSecret(): string {
  return randomBytes(16).toString('hex');
}

export interface HideOptions {
  /**
   * Move the previews to a new secret. Needed whenever the old URLs may have left the owner's hands: the
   * set was published, or an admin blocks it (its URLs may have been shared). Unpublishing a set that was
   * not published only sweeps leftovers.
   */
  rotate: 'always' | 'if-published';
}

export class PreviewExposure {
  readonly #db: ApiDb;
  readonly #store: ObjectStore;
  readonly #cdn: CdnInvalidator;
  readonly #families: FamilyPreviewRequests | undefined;
  readonly #log: Logger;

  constructor(deps: { db: ApiDb; store: ObjectStore; cdn: CdnInvalidator; families?: FamilyPreviewRequests; logger: Logger }) {
    this.#db = deps.db;
    this.#store = deps.store;
    this.#cdn = deps.cdn;
    this.#families = deps.families;
    this.#log = deps.logger;
    if (!this.#families) this.#log.warn('no PREVIEW_QUEUE_URL: family previews are not rebuilt when sets are published or hidden');
  }

  /**
   * Runs `hide` (the catalog write that hides the set) in one transaction with the move to a new secret,
   * then withdraws the old objects. Safe to retry: a failure before the commit leaves the set as it was
   * (at most some unreferenced copies under a secret nobody knows); a failure after it leaves the set
   * hidden, and calling again sweeps and invalidates again.
   */
  async hideSet(productId: string, options: HideOptions, hide: (trx: Transaction<ApiDatabase>) => Promise<void>): Promise<void> {
    const familyId = await this.#db.transaction().execute(async (trx) => {
      // Locks the set: a concurrent publish or hide waits until these copies are recorded.
      const product = await trx
        .selectFrom('products')
        .select(['previewSecret', 'published', 'familyId'])
        .where('id', '=', productId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (options.rotate === 'always' || product.published) await this.#moveToNewSecret(trx, productId, product.previewSecret);
      await hide(trx);
      return product.familyId;
    });
    await this.withdrawStale(productId);
    await this.requestFamilyPreview(familyId);
  }

  /**
   * Deletes every preview object of the set that is not under its current secret (older secrets, older key
   * layouts) and invalidates the set's paths on the CDN. Returns how many objects it deleted.
   */
  async withdrawStale(productId: string): Promise<number> {
    const { previewSecret } = await this.#db.selectFrom('products').select('previewSecret').where('id', '=', productId).executeTakeFirstOrThrow();
    const keep = previewSecretPrefix(productId, previewSecret);
    const stale = (await this.#store.listAssetKeys(productPreviewPrefix(productId))).filter((key) => !key.startsWith(keep));
    await this.#store.deleteAssets(stale);
    // Always, even with nothing left to delete: a retry after a failed invalidation must still reach the CDN.
    await this.#cdn.invalidate([productPreviewPrefix(productId)]);
    this.#log.info({ productId, deleted: stale.length }, 'withdrew stale previews');
    return stale.length;
  }

  /** Asks PreviewMaker to sample the family again (published, unpublished or blocked set). */
  async requestFamilyPreview(familyId: string): Promise<void> {
    await this.#families?.request({ type: 'rebuild-family-preview', familyId });
  }

  async #moveToNewSecret(trx: Transaction<ApiDatabase>, productId: string, oldSecret: string): Promise<void> {
    const secret = newPreviewSecret();
    const rows = await trx
      .selectFrom('renditions')
      .innerJoin('images', 'images.id', 'renditions.imageId')
      .select('renditions.objectKey')
      .where('images.productId', '=', productId)
      .execute();
    // Keys of an older layout (before preview secrets) are not moved: withdrawStale deletes them, and
    // `npm run batch -- reprocess` renders them again under the set's secret.
    const from = previewSecretPrefix(productId, oldSecret);
    const to = previewSecretPrefix(productId, secret);
    const moves = rows.map((row) => row.objectKey).filter((key) => key.startsWith(from) && isKeyOfKind(key, 'rendition'));
    await pMap(moves, (key) => this.#store.copyRendition(key, withPreviewSecret(key, secret)), { concurrency: COPY_CONCURRENCY });
    await trx.updateTable('products').set({ previewSecret: secret }).where('id', '=', productId).execute();
    await sql`
      update renditions r set object_key = ${to} || substr(r.object_key, ${from.length + 1})
      from images i
      where i.id = r.image_id and i.product_id = ${productId} and starts_with(r.object_key, ${from})
    `.execute(trx);
  }
}
