import { expect } from 'chai';
import JSZip from 'jszip';
import { DEFAULT_PIPELINE_SETTINGS } from '../../core/pipeline/context.ts';
import { buildUploadSet, TABLER_2000, uploadZip } from '../../scripts/bench/ingest-sets.ts';
import { waitForUpload } from '../../scripts/local/upload-tracking.ts';
import { startPipelineHarness, type PipelineHarness } from './harness.ts';

/**
 * The most the upload format allows, 2,000 real icons (Tabler outline) in one set, through the real
 * emulators and local mappings with the deployed settings (120 s watchdog delay, 900 s stall window):
 * the set finishes when its last image does, once. Not a timed test; `npm run bench -- ingest` times it.
 */
describe('a 2,000-icon set, end to end with the default settings', function () {
  // Generous: a correctness test, not a timed one, and the machine may be shared (see README, benchmarks).
  this.timeout(1_200_000);
  let h: PipelineHarness;

  before(async () => {
    const { previewDelaySeconds, previewRetryDelaySeconds, previewStallSeconds, previewSampleSize } = DEFAULT_PIPELINE_SETTINGS;
    h = await startPipelineHarness({ previewDelaySeconds, previewRetryDelaySeconds, previewStallSeconds, previewSampleSize });
  });
  after(async () => {
    await h?.stop();
  });

  it('ends ready with exactly 2,000 ready images, one finish, one set ZIP and only the watchdog left queued', async () => {
    const set = await buildUploadSet(TABLER_2000);
    expect(set.files).to.have.length(2000);
    const started = Date.now();
    const uploadId = await h.upload(await uploadZip(set, { slug: 'tabler' }));
    const result = await waitForUpload(h.pipeline.runtime.db, uploadId, { timeoutMs: 1_100_000, pollMs: 100 });
    const seconds = (Date.now() - started) / 1000;
    expect(result.status, JSON.stringify(result.errors.slice(0, 5))).to.equal('ready');
    expect(result.errors).to.deep.equal([]);
    // Every icon size (32, 64, 128, 256) is a public preview: 4 sizes x PNG and WebP per image.
    expect(result.renditions).to.equal(2000 * 8);

    const db = h.pipeline.runtime.db;
    const productId = result.productId!;
    const statuses = await db
      .selectFrom('images')
      .where('productId', '=', productId)
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute();
    expect(statuses.map((row) => [row.status, Number(row.n)])).to.deep.equal([['ready', 2000]]);

    // One finish: one set.ready event and nothing failed, though 2,000 images settled on two workers.
    const events = await h.drainEvents();
    expect(events.filter((e) => e.type === 'set.ready' || e.type === 'set.failed').map((e) => [e.type, 'productId' in e ? e.productId : undefined]))
      .to.deep.equal([['set.ready', productId]]);

    const product = await db.selectFrom('products').select(['status', 'zipKey', 'imageCount']).where('id', '=', productId).executeTakeFirstOrThrow();
    expect(product).to.include({ status: 'ready', imageCount: 2000 });
    const zip = await JSZip.loadAsync((await h.getObject('downloads', product.zipKey!)).body);
    expect(Object.keys(zip.files).filter((name) => name.endsWith('.svg'))).to.have.length(2000);
    expect((await h.listKeys('downloads', 'sets/')).filter((key) => key.includes(productId))).to.have.length(1);

    // The set finished with its last image, not by the 120 s watchdog: that one is still waiting, alone.
    const preview = h.pipeline.services.fauxqs.inspectQueue('preview-maker')!;
    expect(preview.messages.ready.length + preview.messages.inflight.length).to.equal(0);
    expect(preview.messages.delayed.map((m) => JSON.parse(m.body) as { trigger?: string; productId: string }))
      .to.deep.equal([{ ...JSON.parse(preview.messages.delayed[0]!.body), trigger: 'watchdog', productId }]);
    const imageQueue = h.pipeline.services.fauxqs.inspectQueue('image-processor')!;
    expect(imageQueue.messages.ready.length + imageQueue.messages.delayed.length).to.equal(0);
    for (const dlq of ['image-processor-dlq', 'preview-maker-dlq']) {
      const q = h.pipeline.services.fauxqs.inspectQueue(dlq)!;
      expect(q.messages.ready.length, dlq).to.equal(0);
    }
    console.log(`      2,000 icons ready ${seconds.toFixed(1)} s after the upload`);
  });
});
