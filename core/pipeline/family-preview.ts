import pMap from 'p-map';
import { inTransaction } from '../catalog/db.ts';
import { sampleFamilyImages, setFamilyPreview } from '../catalog/families.ts';
import type { FamilyPreviewKeys, ProductKind } from '../catalog/schema.ts';
import { renderFamilyPreview } from '../render/index.ts';
import { familyPreviewKey } from '../storage/index.ts';
import type { PipelineContext } from './context.ts';

export type FamilyPreviewOutcome = 'rebuilt' | 'cleared' | 'missing';

/**
 * Renders a family's public preview from a fresh sample of its visible sets (published, ready, not blocked),
 * records it, then deletes the previous preview's objects, so a set that was hidden leaves the public card
 * and its old URL. A family with no visible set gets no preview. PreviewMaker runs this when a set finishes
 * and when the API reports a publish, unpublish or block (a `rebuild-family-preview` job).
 *
 * The family row stays locked from sampling to recording, so two rebuilds of one family run one after the
 * other: the later one samples after the earlier one's catalog change, and its preview is the one kept.
 */
export async function rebuildFamilyPreview(ctx: PipelineContext, familyId: string): Promise<FamilyPreviewOutcome> {
  const started = Date.now();
  const result = await inTransaction(ctx.db, async (trx) => {
    const family = await trx.selectFrom('families').select(['id', 'previewKeys']).where('id', '=', familyId).forUpdate().executeTakeFirst();
    if (!family) return undefined;
    const sample = await sampleFamilyImages(trx, familyId, ctx.settings.previewSampleSize);
    let keys: FamilyPreviewKeys | null = null;
    if (sample.length > 0) {
      const svgs = await pMap(sample, (image) => ctx.store.getOriginal(image.originalKey), { concurrency: 8 });
      const preview = await renderFamilyPreview(svgs, { kind: commonestKind(sample.map((image) => image.kind)) });
      const version = Date.now();
      keys = { png: familyPreviewKey(familyId, version, 'png'), webp: familyPreviewKey(familyId, version, 'webp') };
      await Promise.all([
        ctx.store.putFamilyPreview(keys.png!, preview.png, 'png'),
        ctx.store.putFamilyPreview(keys.webp!, preview.webp, 'webp'),
      ]);
    }
    await setFamilyPreview(trx, familyId, keys);
    return { previous: family.previewKeys, keys, sampled: sample.length };
  });
  if (!result) {
    ctx.log.warn({ familyId }, 'family not in the catalog; no preview to rebuild');
    return 'missing';
  }
  // After the commit: until then the catalog still pointed at the previous objects.
  const current = new Set(Object.values(result.keys ?? {}));
  const stale = Object.values(result.previous ?? {}).filter((key) => !current.has(key));
  if (stale.length > 0) await ctx.store.deleteAssets(stale);
  ctx.log.info({ familyId, sample: result.sampled, removed: stale.length, ms: Date.now() - started }, 'family preview rebuilt');
  return result.keys ? 'rebuilt' : 'cleared';
}

/** The kind most of the sample has (a family may mix icon and illustration sets); ties go to icons. */
function commonestKind(kinds: readonly ProductKind[]): ProductKind {
  const icons = kinds.filter((kind) => kind === 'icon-set').length;
  return icons * 2 >= kinds.length ? 'icon-set' : 'illustration-set';
}
