import { createHash, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import {
  acceptUpload,
  createContributor,
  createDb,
  recordUploadReceived,
  settleImageFailed,
  settleImageReady,
  setAwaitsFinish,
  type Database,
  type ImageSettlement,
  type RenditionRecord,
} from '../../core/catalog/index.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

/**
 * "Last image" is decided in the transaction that settles it, on real PostgreSQL with real concurrency:
 * a pool of 16 connections settles every image of a set at once, round after round.
 */
describe('completion-driven finish: the last settled image is decided in its transaction', function () {
  this.timeout(60_000);
  let fresh: FreshDatabase;
  let db: Kysely<Database>;
  /** A second pool with many connections: settlements truly run at once, each on its own connection. */
  let wide: Kysely<Database>;
  let contributorId: string;

  before(async () => {
    fresh = await freshDatabase();
    db = fresh.db;
    wide = createDb(fresh.connectionString, { max: 16 });
    contributorId = (await createContributor(db, { slug: 'race', displayName: 'Race', email: 'race@example.test' })).id;
  });
  after(async () => {
    await wide?.destroy();
    await fresh?.destroy();
  });

  async function acceptedSet(images: number) {
    const uploadId = randomUUID();
    await recordUploadReceived(db, { uploadId, contributorId, objectKey: `uploads/${contributorId}/${uploadId}.zip` });
    const files = Array.from({ length: images }, (_, i) => `icon-${i}.svg`);
    const accepted = await acceptUpload(db, {
      uploadId,
      contributorId,
      manifest: {
        manifestVersion: 1,
        product: { kind: 'icon-set', title: 'Race', family: { slug: `race-${uploadId.slice(0, 8)}` }, license: 'free' },
        images: files.map((file) => ({ file, title: file })),
      },
      images: files.map((file, index) => ({
        index,
        file,
        title: file,
        tags: [],
        width: 24,
        height: 24,
        sha256: createHash('sha256').update(file).digest('hex'),
        originalKey: `originals/${file}`,
      })),
    });
    return accepted;
  }

  const renditions = (imageId: string): RenditionRecord[] => [
    { size: 64, format: 'png', objectKey: `previews/${imageId}/64.png`, width: 64, height: 64, bytes: 100 },
  ];

  it('exactly one of many images settling at once completes the set, round after round', async () => {
    for (let round = 0; round < 12; round++) {
      const set = await acceptedSet(16);
      const settlements: ImageSettlement[] = await Promise.all(
        set.images.map((image, i) =>
          i % 5 === 4
            ? settleImageFailed(wide, image.imageId, 'could not be rendered: test').then((s) => s!)
            : settleImageReady(wide, image.imageId, renditions(image.imageId)),
        ),
      );
      expect(settlements.filter((s) => s.settled), `round ${round}: every image settled`).to.have.length(16);
      expect(settlements.filter((s) => s.setComplete), `round ${round}: one completion`).to.have.length(1);
      expect(await setAwaitsFinish(db, set.productId)).to.equal(true);
    }
  });

  it('a redelivered settlement, at once or later, completes nothing a second time', async () => {
    const set = await acceptedSet(6);
    const first = await Promise.all(set.images.map((image) => settleImageReady(wide, image.imageId, renditions(image.imageId))));
    // Every job delivered twice, all at once: none moves an image out of pending again.
    const again = await Promise.all([
      ...set.images.map((image) => settleImageReady(wide, image.imageId, renditions(image.imageId))),
      ...set.images.map((image) => settleImageFailed(wide, image.imageId, 'late duplicate')),
    ]);
    expect(first.filter((s) => s.setComplete)).to.have.length(1);
    expect(again.filter((s) => s?.settled || s?.setComplete)).to.deep.equal([]);
    const statuses = await db.selectFrom('images').select('status').where('productId', '=', set.productId).execute();
    expect(statuses.map((s) => s.status)).to.deep.equal(Array(6).fill('ready'));
  });

  it('a set that is already finished is not completed again', async () => {
    const set = await acceptedSet(2);
    await settleImageReady(db, set.images[0]!.imageId, renditions(set.images[0]!.imageId));
    await db.updateTable('products').set({ status: 'failed' }).where('id', '=', set.productId).execute();
    const last = await settleImageReady(db, set.images[1]!.imageId, renditions(set.images[1]!.imageId));
    expect(last).to.deep.include({ settled: true, setComplete: false });
  });

  it('moves the set\'s progress clock only when an image settles', async () => {
    const set = await acceptedSet(2);
    const clock = async () =>
      (await db.selectFrom('uploads').select('progressAt').where('productId', '=', set.productId).executeTakeFirstOrThrow()).progressAt.getTime();
    const start = await clock();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await settleImageReady(db, set.images[0]!.imageId, renditions(set.images[0]!.imageId));
    const settled = await clock();
    expect(settled).to.be.greaterThan(start);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await settleImageReady(db, set.images[0]!.imageId, renditions(set.images[0]!.imageId)); // a re-render: no progress
    expect(await clock()).to.equal(settled);
  });
});
