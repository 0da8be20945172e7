import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import JSZip from 'jszip';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { productIdForUpload } from '../../core/ids.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { toEventBridgeEvent } from '../../scripts/local/lambda-runtime.ts';
import { setZipKey, uploadKey } from '../../core/storage/index.ts';
import { validIconSetZip } from '../fixtures/uploads.ts';
import { startPipelineHarness, type PipelineHarness } from './harness.ts';

/**
 * ImageBatcher writes the set's download ZIP with the originals, so the finish right after the last
 * image reads nothing (2,000 originals for the largest set). The finish rebuilds it only when it is
 * missing or was made under another title.
 */
describe('the set ZIP is written at acceptance and rebuilt by the finish only when needed', function () {
  this.timeout(120_000);
  let h: PipelineHarness;

  before(async () => {
    h = await startPipelineHarness();
  });
  after(async () => {
    await h?.stop();
  });

  const entries = async (zip: Buffer) => Object.keys((await JSZip.loadAsync(zip)).files).sort();
  const ICON_ENTRIES = ['weather-line-icons/line/bolt-3.svg', 'weather-line-icons/line/cloud-rain-2.svg', 'weather-line-icons/line/sun-1.svg'];

  /** A ready set, its status put back to processing, as if its last image had just settled. */
  async function readySetBackToProcessing(title?: string) {
    const uploadId = await h.upload(await validIconSetZip(3));
    const result = await h.finish(uploadId);
    expect(result.status).to.equal('ready');
    const productId = result.productId!;
    await h.settle();
    await h.pipeline.runtime.db
      .updateTable('products')
      .set({ status: 'processing', zipKey: null, ...(title ? { title } : {}) })
      .where('id', '=', productId)
      .execute();
    const { familyId } = await h.pipeline.runtime.db.selectFrom('products').select('familyId').where('id', '=', productId).executeTakeFirstOrThrow();
    const finish = () => h.pipeline.functions.previewMaker(sqsEvent({ type: 'make-preview', uploadId, productId, familyId, attempt: 1, trigger: 'last-image' }));
    return { uploadId, productId, finish };
  }

  it('is in the downloads bucket as soon as ImageBatcher has accepted the upload', async () => {
    const uploadId = randomUUID();
    const key = uploadKey(h.contributorId, uploadId);
    h.pipeline.uploadRule.setEnabled(false);
    try {
      await h.upload(await validIconSetZip(3), uploadId);
      const [outcome] = await h.pipeline.functions.imageBatcher(
        toEventBridgeEvent({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: LOCAL_BUCKETS.uploads }, object: { key } } }),
      );
      expect(outcome).to.include({ status: 'accepted' });
      const zip = await h.getObject('downloads', setZipKey(productIdForUpload(uploadId)));
      expect(zip.contentDisposition).to.equal(`attachment; filename="Weather Line Icons.zip"; filename*=UTF-8''Weather%20Line%20Icons.zip`);
      expect(await entries(zip.body)).to.deep.equal(ICON_ENTRIES);
    } finally {
      h.pipeline.uploadRule.setEnabled(true);
    }
    expect((await h.finish(uploadId)).status).to.equal('ready');
  });

  it('is not read again by the finish: the set finishes with an original gone from the bucket', async () => {
    const { productId, finish } = await readySetBackToProcessing();
    const zipBefore = (await h.getObject('downloads', setZipKey(productId))).body;
    const [original] = await h.listKeys('downloads', `originals/${productId}/`);
    expect(original, 'an original to remove').to.be.a('string');
    await h.s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: original! }));
    expect((await finish()).batchItemFailures).to.deep.equal([]);
    const product = await h.pipeline.runtime.db.selectFrom('products').select(['status', 'zipKey']).where('id', '=', productId).executeTakeFirstOrThrow();
    expect(product).to.deep.equal({ status: 'ready', zipKey: setZipKey(productId) });
    expect((await h.getObject('downloads', setZipKey(productId))).body.equals(zipBefore)).to.equal(true);
  });

  it('is rebuilt by the finish, from the originals, when the set was renamed while processing', async () => {
    const { productId, finish } = await readySetBackToProcessing('Storm Icons');
    expect((await finish()).batchItemFailures).to.deep.equal([]);
    const zip = await h.getObject('downloads', setZipKey(productId));
    expect(zip.contentDisposition).to.equal(`attachment; filename="Storm Icons.zip"; filename*=UTF-8''Storm%20Icons.zip`);
    expect(await entries(zip.body)).to.deep.equal(ICON_ENTRIES.map((name) => name.replace('weather-line-icons/', 'storm-icons/')));
  });
});

let counter = 0;
function sqsEvent(body: unknown): SQSEvent {
  return {
    Records: [
      {
        messageId: `set-zip-${++counter}`,
        receiptHandle: 'test',
        body: JSON.stringify(body),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
        awsRegion: 'us-east-1',
      },
    ],
  };
}
