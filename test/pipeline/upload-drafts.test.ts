/**
 * ImageBatcher ingests only upload ids the API reserved for the contributor (a draft, POST /api/drafts):
 * a ZIP written at any other uploads/<contributorId>/<id>.zip — past the presigned POST, through a storage
 * front that checked nothing, or under another contributor's folder — creates no upload and no set, and is
 * never read (security review, branch `review`, local-storage-exposure.test.ts). Real local pipeline:
 * PostgreSQL, s3rver, fauxqs and the ImageBatcher handler.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { createContributor, reserveUpload } from '../../core/catalog/index.ts';
import { productIdForUpload } from '../../core/ids.ts';
import { uploadKey } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { toEventBridgeEvent } from '../../scripts/local/lambda-runtime.ts';
import { validIconSetZip } from '../fixtures/uploads.ts';
import { startPipelineHarness, type PipelineHarness } from './harness.ts';

describe('pipeline: only reserved upload ids are ingested', function () {
  this.timeout(120_000);
  let h: PipelineHarness;

  before(async () => {
    h = await startPipelineHarness();
    // ImageBatcher is called by the test, to see each outcome.
    h.pipeline.uploadRule.setEnabled(false);
  });
  after(async () => {
    await h?.stop();
  });

  const db = () => h.pipeline.runtime.db;
  const ingest = async (contributorId: string, uploadId: string) => {
    const key = uploadKey(contributorId, uploadId);
    await h.s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: key, Body: await validIconSetZip(2) }));
    const outcomes = await h.pipeline.functions.imageBatcher(
      toEventBridgeEvent({ eventName: 'ObjectCreated:Post', s3: { bucket: { name: LOCAL_BUCKETS.uploads }, object: { key } } }),
    );
    expect(outcomes).to.have.length(1);
    return { key, outcome: outcomes[0]! };
  };
  const rows = async (uploadId: string) => ({
    uploads: (await db().selectFrom('uploads').select('id').where('id', '=', uploadId).execute()).length,
    products: (await db().selectFrom('products').select('id').where('id', '=', productIdForUpload(uploadId)).execute()).length,
  });

  it('ignores a ZIP at an upload id nobody reserved: no upload row, no set', async () => {
    const uploadId = randomUUID();
    const { key, outcome } = await ingest(h.contributorId, uploadId);
    expect(outcome).to.deep.equal({ status: 'ignored', key, reason: 'no draft reserved this upload id for this contributor' });
    expect(await rows(uploadId)).to.deep.equal({ uploads: 0, products: 0 });
  });

  it("ignores a ZIP under one contributor's folder at an id reserved for another", async () => {
    const other = await createContributor(db(), { slug: `other-${randomUUID().slice(0, 8)}`, displayName: 'Other', email: `${randomUUID()}@example.test` });
    const uploadId = randomUUID();
    await reserveUpload(db(), { uploadId, contributorId: other.id });
    const { key, outcome } = await ingest(h.contributorId, uploadId);
    expect(outcome).to.deep.equal({ status: 'ignored', key, reason: 'no draft reserved this upload id for this contributor' });
    expect(await rows(uploadId)).to.deep.equal({ uploads: 0, products: 0 });

    // The draft's owner still gets the id: the stray object took nothing from them.
    const owned = await ingest(other.id, uploadId);
    expect(owned.outcome).to.include({ status: 'accepted', uploadId, productId: productIdForUpload(uploadId), images: 2 });
    await h.settle();
  });

  it('ingests a ZIP at an id reserved for its contributor', async () => {
    const uploadId = randomUUID();
    await reserveUpload(db(), { uploadId, contributorId: h.contributorId });
    const first = await ingest(h.contributorId, uploadId);
    expect(first.outcome).to.include({ status: 'accepted', uploadId, images: 2 });
    expect(await rows(uploadId)).to.deep.equal({ uploads: 1, products: 1 });
    await h.settle();
  });
});
