import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import JSZip from 'jszip';
import { sql } from 'kysely';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { productIdForUpload } from '../../core/ids.ts';
import { reserveUpload } from '../../core/catalog/index.ts';
import { createPipelineRuntime } from '../../core/pipeline/environment.ts';
import { finishSet } from '../../core/pipeline/finish-set.ts';
import type { PreviewJob } from '../../core/queue/messages.ts';
import { createImageBatcherHandler } from '../../functions/image-batcher/handler.ts';
import { toEventBridgeEvent } from '../../scripts/local/lambda-runtime.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { rebuildFamilyPreview } from '../../core/pipeline/family-preview.ts';
import { fullSizeRenditionKey, uploadKey } from '../../core/storage/index.ts';
import { buildUploadZip, iconSetManifest, validIconSetZip, validIllustrationSetZip } from '../fixtures/uploads.ts';
import { startPipelineHarness, type PipelineHarness } from './harness.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const RIFF = Buffer.from('RIFF');

describe('ingestion pipeline, end to end on PostgreSQL, s3rver and fauxqs', function () {
  this.timeout(120_000);
  let h: PipelineHarness;

  before(async () => {
    h = await startPipelineHarness();
  });
  after(async () => {
    await h?.stop();
  });
  beforeEach(async () => {
    await h.settle();
    await h.drainEvents();
  });

  const counts = async (productId: string) => {
    const db = h.pipeline.runtime.db;
    const one = async (table: 'images' | 'products', column: 'productId' | 'id') =>
      Number((await db.selectFrom(table).where(column, '=', productId).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const renditions = Number(
      (
        await db
          .selectFrom('renditions')
          .innerJoin('images', 'images.id', 'renditions.imageId')
          .where('images.productId', '=', productId)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    return { products: await one('products', 'id'), images: await one('images', 'productId'), renditions };
  };

  it('turns a valid icon set into a ready product with renditions, a family preview and a set ZIP', async () => {
    const uploadId = await h.upload(await validIconSetZip(4));
    const result = await h.finish(uploadId);
    expect(result.status, JSON.stringify(result.errors)).to.equal('ready');
    expect(result.images).to.equal(4);

    const productId = result.productId!;
    const renditionKeys = (await h.listKeys('assets')).filter((k) => k.includes(productId));
    expect(renditionKeys.length).to.equal(result.renditions);
    expect(result.renditions).to.be.greaterThan(4 * 2 - 1); // several sizes × PNG and WebP
    const png = renditionKeys.find((k) => k.endsWith('.png'))!;
    const webp = renditionKeys.find((k) => k.endsWith('.webp'))!;
    const pngObject = await h.getObject('assets', png);
    expect(pngObject.body.subarray(0, 4)).to.deep.equal(PNG);
    expect(pngObject.contentType).to.equal('image/png');
    expect((await h.getObject('assets', webp)).body.subarray(0, 4)).to.deep.equal(RIFF);

    const product = await h.pipeline.runtime.db.selectFrom('products').selectAll().where('id', '=', productId).executeTakeFirstOrThrow();
    expect(product.zipKey).to.be.a('string');
    const setZip = await h.getObject('downloads', product.zipKey!);
    expect(setZip.contentDisposition).to.match(/^attachment/);
    const entries = Object.keys((await JSZip.loadAsync(setZip.body)).files).filter((n) => n.endsWith('.svg'));
    expect(entries).to.have.length(4);

    // The new set is not published: it is in no public family preview until it is.
    const familyOf = () => h.pipeline.runtime.db.selectFrom('families').selectAll().where('id', '=', product.familyId).executeTakeFirstOrThrow();
    expect((await familyOf()).previewKeys, 'no family preview from an unpublished set').to.equal(null);
    await h.pipeline.runtime.db.updateTable('products').set({ published: true }).where('id', '=', productId).execute();
    expect(await rebuildFamilyPreview(h.pipeline.runtime, product.familyId)).to.equal('rebuilt');
    const family = await familyOf();
    expect(family.previewKeys?.png, 'family preview').to.be.a('string');
    expect((await h.getObject('assets', family.previewKeys!.png!)).body.subarray(0, 4)).to.deep.equal(PNG);

    const events = await h.drainEvents();
    expect(events.map((e) => e.type)).to.include('set.ready');
  });

  it('turns a valid illustration set into a ready product at illustration sizes', async () => {
    const uploadId = await h.upload(await validIllustrationSetZip(2));
    const result = await h.finish(uploadId);
    expect(result.status, JSON.stringify(result.errors)).to.equal('ready');
    const images = await h.pipeline.runtime.db.selectFrom('images').select('id').where('productId', '=', result.productId!).execute();
    const sizes = await h.pipeline.runtime.db
      .selectFrom('renditions')
      .innerJoin('images', 'images.id', 'renditions.imageId')
      .where('images.productId', '=', result.productId!)
      .select('renditions.size')
      .distinct()
      .execute();
    // Previews (public, with rows) up to 640 px; the 1280 px renditions only in the private downloads bucket.
    expect(sizes.map((s) => s.size).sort((a, b) => a - b)).to.deep.equal([320, 640]);
    const publicKeys = (await h.listKeys('assets')).filter((k) => k.includes(result.productId!));
    expect(publicKeys.length).to.equal(2 * 2 * 2);
    expect(publicKeys.filter((k) => /\/1280\.(png|webp)$/.test(k))).to.deep.equal([]);
    const privateKeys = (await h.listKeys('downloads')).filter((k) => k.startsWith(`full-size/${result.productId}/`));
    expect(privateKeys.sort()).to.deep.equal(
      images.flatMap((image) => (['png', 'webp'] as const).map((format) => fullSizeRenditionKey(result.productId!, image.id, 1280, format))).sort(),
    );
    const fullSize = await h.getObject('downloads', fullSizeRenditionKey(result.productId!, images[0]!.id, 1280, 'png'));
    expect(fullSize.body.subarray(0, 4)).to.deep.equal(PNG);
  });

  it('rejects a bad upload with every reason and writes no product, image or object', async () => {
    const manifest = iconSetManifest();
    (manifest.product as Record<string, unknown>).titel = 'typo';
    const zip = await buildUploadZip({
      manifest: { ...manifest, images: [...manifest.images, { file: 'missing.svg', title: 'Missing' }] },
      files: { ...(await iconFiles(manifest)), '../escape.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>' },
    });
    const uploadId = await h.upload(zip);
    const result = await h.finish(uploadId);
    expect(result.status).to.equal('rejected');
    expect(result.errors.length).to.be.greaterThan(1);
    const productId = productIdForUpload(uploadId);
    expect(await counts(productId)).to.deep.equal({ products: 0, images: 0, renditions: 0 });
    expect((await h.listKeys('downloads')).filter((k) => k.includes(productId))).to.deep.equal([]);
    const events = await h.drainEvents();
    const rejected = events.find((e) => e.type === 'upload.rejected' && e.uploadId === uploadId);
    expect(rejected, 'SNS upload.rejected').to.not.equal(undefined);
  });

  it('rejects a file that is not SVG at all, naming the file', async () => {
    const manifest = iconSetManifest();
    const files = await iconFiles(manifest);
    const first = manifest.images[0]!.file;
    files[first] = Buffer.concat([PNG, Buffer.alloc(64)]);
    const result = await h.finish(await h.upload(await buildUploadZip({ manifest, files })));
    expect(result.status).to.equal('rejected');
    expect(result.errors.some((e) => e.file === first || e.field?.startsWith('images[0]'))).to.equal(true);
  });

  it('changes nothing when every message is delivered twice', async () => {
    const zip = await validIconSetZip(3);
    const uploadId = await h.upload(zip);
    const result = await h.finish(uploadId);
    expect(result.status).to.equal('ready');
    const productId = result.productId!;
    const before = await counts(productId);
    const keysBefore = await h.listKeys('assets');
    const zipKey = (await h.pipeline.runtime.db.selectFrom('products').select('zipKey').where('id', '=', productId).executeTakeFirstOrThrow()).zipKey!;
    const zipBefore = (await h.getObject('downloads', zipKey)).body;

    // The S3 event again, straight to ImageBatcher: same product, jobs only for images still pending (none).
    const key = uploadKey(h.contributorId, uploadId);
    const again = await h.pipeline.functions.imageBatcher(
      toEventBridgeEvent({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: LOCAL_BUCKETS.uploads }, object: { key } } }),
    );
    expect(again).to.have.length(1);
    expect(again[0]).to.include({ status: 'accepted', productId, jobsSent: 0 });

    // Every image job and the preview job again.
    const images = await h.pipeline.runtime.db.selectFrom('images').select('id').where('productId', '=', productId).execute();
    const imageEvent = sqsEvent(images.map((image) => ({ type: 'process-image', uploadId, productId, imageId: image.id })));
    expect((await h.pipeline.functions.imageProcessor(imageEvent)).batchItemFailures).to.deep.equal([]);
    const familyId = (await h.pipeline.runtime.db.selectFrom('products').select('familyId').where('id', '=', productId).executeTakeFirstOrThrow()).familyId;
    const previewEvent = sqsEvent([{ type: 'make-preview', uploadId, productId, familyId, attempt: 1 }]);
    expect((await h.pipeline.functions.previewMaker(previewEvent)).batchItemFailures).to.deep.equal([]);
    await h.settle();

    expect(await counts(productId)).to.deep.equal(before);
    expect(await h.listKeys('assets')).to.deep.equal(keysBefore);
    expect((await h.getObject('downloads', zipKey)).body.equals(zipBefore)).to.equal(true);
    const events = (await h.drainEvents()).filter((e) => e.uploadId === uploadId);
    expect(events.filter((e) => e.type === 'set.ready')).to.have.length(1);
  });

  it('finishes a set exactly once when its last-image job, a redelivery and the watchdog arrive at once', async () => {
    const uploadId = await h.upload(await validIconSetZip(3));
    const result = await h.finish(uploadId);
    await h.settle();
    await h.drainEvents();
    const db = h.pipeline.runtime.db;
    const productId = result.productId!;
    const { familyId } = await db.selectFrom('products').select('familyId').where('id', '=', productId).executeTakeFirstOrThrow();
    const versionBefore = (await db.selectFrom('families').select('previewVersion').where('id', '=', familyId).executeTakeFirstOrThrow()).previewVersion;
    // Back to the moment the last image settled: every image ready, the set still processing.
    await db.updateTable('products').set({ status: 'processing', zipKey: null }).where('id', '=', productId).execute();
    await db.updateTable('uploads').set({ status: 'accepted' }).where('id', '=', uploadId).execute();

    const job = { type: 'make-preview', uploadId, productId, familyId, attempt: 1 };
    const responses = await Promise.all([
      h.pipeline.functions.previewMaker(sqsEvent([{ ...job, trigger: 'last-image' }])),
      h.pipeline.functions.previewMaker(sqsEvent([{ ...job, trigger: 'last-image' }])),
      h.pipeline.functions.previewMaker(sqsEvent([{ ...job, trigger: 'watchdog', attempt: 3 }])),
    ]);
    expect(responses.flatMap((r) => r.batchItemFailures)).to.deep.equal([]);
    await h.settle();
    const events = (await h.drainEvents()).filter((e) => e.uploadId === uploadId);
    expect(events.map((e) => e.type)).to.deep.equal(['set.ready']);
    const after = await db.selectFrom('families').select('previewVersion').where('id', '=', familyId).executeTakeFirstOrThrow();
    // The family's public preview samples visible sets only; finishing an unpublished set leaves it alone.
    expect(after.previewVersion, 'family preview untouched by the finish').to.equal(versionBefore);
    expect((await db.selectFrom('uploads').select('status').where('id', '=', uploadId).executeTakeFirstOrThrow()).status).to.equal('ready');
  });

  it('renders a ready image again only when the job asks for it (batch reprocessing)', async () => {
    const uploadId = await h.upload(await validIconSetZip(1));
    const result = await h.finish(uploadId);
    const productId = result.productId!;
    const image = await h.pipeline.runtime.db.selectFrom('images').select('id').where('productId', '=', productId).executeTakeFirstOrThrow();
    const keys = (await h.listKeys('assets')).filter((k) => k.includes(image.id));
    await h.s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: keys[0]! }));

    const job = { type: 'process-image', uploadId, productId, imageId: image.id };
    await h.pipeline.functions.imageProcessor(sqsEvent([job]));
    expect((await h.listKeys('assets')).filter((k) => k.includes(image.id)), 'a redelivery renders nothing').to.have.length(keys.length - 1);

    await h.pipeline.functions.imageProcessor(sqsEvent([{ ...job, rerender: true }]));
    expect((await h.listKeys('assets')).filter((k) => k.includes(image.id))).to.deep.equal(keys);
  });

  it('renders the SVG a job carries only when it is the stored original (its SHA-256), and then needs no GET', async () => {
    const uploadId = await h.upload(await validIconSetZip(1));
    const productId = (await h.finish(uploadId)).productId!;
    const db = h.pipeline.runtime.db;
    const image = await db.selectFrom('images').select(['id', 'originalKey']).where('productId', '=', productId).executeTakeFirstOrThrow();
    const pngKey = (await h.listKeys('assets')).find((k) => k.includes(image.id) && k.endsWith('/256.png'))!;
    const rendered = (await h.getObject('assets', pngKey)).body;
    const original = (await h.getObject('downloads', image.originalKey)).body;
    const job = { type: 'process-image', uploadId, productId, imageId: image.id, rerender: true };

    // Anyone else who can send to the queue: another drawing in the job renders nothing but the stored original.
    const forged = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" fill="#f00"/></svg>';
    expect((await h.pipeline.functions.imageProcessor(sqsEvent([{ ...job, svg: forged }]))).batchItemFailures).to.deep.equal([]);
    expect((await h.getObject('assets', pngKey)).body.equals(rendered), 'the forged SVG was not drawn').to.equal(true);

    // The original's own bytes in the job: rendered without reading the bucket (here, without the object at all).
    await h.s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: image.originalKey }));
    await h.s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: pngKey }));
    expect((await h.pipeline.functions.imageProcessor(sqsEvent([{ ...job, svg: original.toString('utf8') }]))).batchItemFailures).to.deep.equal([]);
    expect((await h.getObject('assets', pngKey)).body.equals(rendered)).to.equal(true);
    await h.s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: image.originalKey, Body: original }));
  });

  it("builds the functions' S3 client to add checksums only where S3 requires them (core/storage/store.ts)", async () => {
    const config = h.pipeline.runtime.s3.config;
    expect(await config.requestChecksumCalculation()).to.equal('WHEN_REQUIRED');
    expect(await config.responseChecksumValidation()).to.equal('WHEN_REQUIRED');
  });

  it('dead-letters an invalid job and a job whose image is not in the catalog, each with its reason, and handles the rest', async () => {
    const uploadId = await h.upload(await validIconSetZip(2));
    const result = await h.finish(uploadId);
    const productId = result.productId!;
    const image = await h.pipeline.runtime.db.selectFrom('images').select('id').where('productId', '=', productId).executeTakeFirstOrThrow();
    // Reset one image to pending and remove nothing else: the good job re-renders it.
    await h.pipeline.runtime.db.updateTable('images').set({ status: 'pending' }).where('id', '=', image.id).execute();

    const good = { type: 'process-image', uploadId, productId, imageId: image.id };
    // A valid job about an image the catalog does not hold: it can never succeed, so it is not retried either.
    const orphanImageId = randomUUID();
    const orphan = { type: 'process-image', uploadId: randomUUID(), productId, imageId: orphanImageId };
    const invalid = 'not json at all';
    const event = sqsEvent([good, orphan, invalid]);
    const response = await h.pipeline.functions.imageProcessor(event);

    // Nothing is left to retry: the good job succeeded, the other two are in the DLQ.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).to.deep.equal([]);
    const status = await h.pipeline.runtime.db.selectFrom('images').select('status').where('id', '=', image.id).executeTakeFirstOrThrow();
    expect(status.status).to.equal('ready');

    const { Messages = [] } = await h.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.pipeline.services.queueUrls.imageDeadLetter,
        MessageAttributeNames: ['All'],
        MaxNumberOfMessages: 10,
      }),
    );
    const dead = Messages.find((m) => m.Body === invalid);
    expect(dead, 'invalid job in the DLQ').to.not.equal(undefined);
    expect(dead!.MessageAttributes?.reason?.StringValue).to.match(/not JSON/);
    const missing = Messages.find((m) => m.Body === JSON.stringify(orphan));
    expect(missing, 'orphan job in the DLQ').to.not.equal(undefined);
    expect(missing!.MessageAttributes?.reason?.StringValue).to.equal(
      `image ${orphanImageId} of set ${productId} is not in the catalog (set deleted, or the job is not ours)`,
    );
    expect(missing!.MessageAttributes?.source?.StringValue).to.equal('image-processor');
  });

  it('reports a storage failure of one message without failing the rest', async () => {
    const uploadId = await h.upload(await validIconSetZip(2));
    const result = await h.finish(uploadId);
    const productId = result.productId!;
    const images = await h.pipeline.runtime.db.selectFrom('images').select(['id', 'originalKey']).where('productId', '=', productId).orderBy('position').execute();
    await h.pipeline.runtime.db.updateTable('images').set({ status: 'pending' }).where('productId', '=', productId).execute();
    // Point the second image at an original that does not exist: S3 answers NoSuchKey.
    await h.pipeline.runtime.db.updateTable('images').set({ originalKey: `${images[1]!.originalKey}.gone` }).where('id', '=', images[1]!.id).execute();

    const event = sqsEvent(images.map((image) => ({ type: 'process-image', uploadId, productId, imageId: image.id })));
    const response = await h.pipeline.functions.imageProcessor(event);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).to.deep.equal([event.Records[1]!.messageId]);
    const statuses = await h.pipeline.runtime.db.selectFrom('images').select(['id', 'status']).where('productId', '=', productId).orderBy('position').execute();
    expect(statuses.map((s) => s.status)).to.deep.equal(['ready', 'pending']);
  });

  it('keeps the watchdog waiting while images progress, and fails the set naming each reason only after the stall window', async () => {
    const uploadId = await h.upload(await validIconSetZip(2));
    const result = await h.finish(uploadId);
    await h.settle(); // the first watchdog has come and gone
    const db = h.pipeline.runtime.db;
    const productId = result.productId!;
    const product = await db.selectFrom('products').select(['familyId']).where('id', '=', productId).executeTakeFirstOrThrow();
    const images = await db.selectFrom('images').select('id').where('productId', '=', productId).orderBy('position').execute();
    await db.updateTable('products').set({ status: 'processing' }).where('id', '=', productId).execute();
    await db.updateTable('images').set({ status: 'pending' }).where('productId', '=', productId).execute();
    await db.updateTable('images').set({ lastError: 'S3 said SlowDown' }).where('id', '=', images[0]!.id).execute();
    const stallWindow = 60; // the harness's PREVIEW_STALL_SECONDS
    const lastProgress = (secondsAgo: number) =>
      db.updateTable('uploads').set({ progressAt: sql<Date>`now() - make_interval(secs => ${secondsAgo})` }).where('id', '=', uploadId).execute();
    const watchdogs = () => {
      const queue = h.pipeline.services.fauxqs.inspectQueue('preview-maker')!;
      return [...queue.messages.delayed, ...queue.messages.ready]
        .map((m) => JSON.parse(m.body) as { attempt: number; productId: string; trigger?: string })
        .filter((b) => b.productId === productId);
    };
    const job = { type: 'make-preview', uploadId, productId, familyId: product.familyId, trigger: 'watchdog' };

    // A last-image job that finds images pending (a retry reset them) leaves the watching to the watchdog.
    await lastProgress(stallWindow - 10);
    expect(await finishSet(h.pipeline.runtime, { ...job, trigger: 'last-image', attempt: 1 } as PreviewJob)).to.equal('waiting');
    expect(watchdogs()).to.deep.equal([]);

    // Long past the old attempt limit (5), but an image settled 50 s ago: still waiting, re-queued through SQS.
    expect((await h.pipeline.functions.previewMaker(sqsEvent([{ ...job, attempt: 40 }]))).batchItemFailures).to.deep.equal([]);
    expect(watchdogs()).to.deep.include({ ...job, attempt: 41 });
    expect((await db.selectFrom('products').select('status').where('id', '=', productId).executeTakeFirstOrThrow()).status).to.equal('processing');

    // Nothing settled for longer than the window: the pending images fail, each with its own reason. (The
    // watchdog now circling through the real queue may get there first; either way the set fails once.)
    await lastProgress(stallWindow + 5);
    await h.pipeline.functions.previewMaker(sqsEvent([{ ...job, attempt: 42 }]));
    expect((await db.selectFrom('products').select('status').where('id', '=', productId).executeTakeFirstOrThrow()).status).to.equal('failed');
    await h.settle();
    const failures = (await h.drainEvents()).filter((e) => e.type === 'set.failed' && e.uploadId === uploadId);
    expect(failures).to.have.length(1);
    const reasons = failures[0]!.type === 'set.failed' ? failures[0]!.failures.map((f) => f.reason) : [];
    expect(reasons).to.have.length(2);
    expect(reasons[0]).to.match(/^was not rendered: no image of the set progressed for 6\d s \(last error: S3 said SlowDown\)$/);
    expect(reasons[1]).to.match(/^was not rendered: no image of the set progressed for 6\d s$/);
  });

  it('leaves nothing half-written when ImageBatcher crashes between steps, and completes on the retry', async () => {
    const uploadId = randomUUID();
    const key = uploadKey(h.contributorId, uploadId);
    await reserveUpload(h.pipeline.runtime.db, { uploadId, contributorId: h.contributorId });
    const event = toEventBridgeEvent({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: LOCAL_BUCKETS.uploads }, object: { key } } });
    // SQS unreachable for this invocation: the crash comes after the catalog transaction, before the jobs are sent.
    const broken = createPipelineRuntime('image-batcher', {
      ...h.pipeline.services.functionEnv,
      IMAGE_QUEUE_URL: 'http://127.0.0.1:9/000000000000/nowhere',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
      LOG_LEVEL: 'silent',
    });
    h.pipeline.uploadRule.setEnabled(false);
    try {
      await h.s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: key, Body: await validIconSetZip(3) }));
      let crash: unknown;
      await createImageBatcherHandler(broken)(event).catch((error: unknown) => (crash = error));
      expect(crash, 'the invocation failed').to.be.instanceOf(Error);

      // What the crash left: the whole product with every image pending — the transaction is all or nothing.
      const productId = productIdForUpload(uploadId);
      expect(await counts(productId)).to.deep.equal({ products: 1, images: 3, renditions: 0 });

      // Lambda retries the asynchronous invocation: the same event completes the upload, nothing twice.
      const [retry] = await h.pipeline.functions.imageBatcher(event);
      expect(retry).to.include({ status: 'accepted', productId, jobsSent: 3 });
      const result = await h.finish(uploadId);
      expect(result.status).to.equal('ready');
      expect(await counts(productId)).to.deep.equal({ products: 1, images: 3, renditions: result.renditions });
    } finally {
      h.pipeline.uploadRule.setEnabled(true);
      await broken.close();
    }
  });
});

let messageCounter = 0;
function sqsEvent(bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: `test-${++messageCounter}`,
      receiptHandle: 'test',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'test', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
      awsRegion: 'us-east-1',
    })),
  };
}

async function iconFiles(manifest: { images: Array<{ file: string }> }): Promise<Record<string, string | Buffer>> {
  const zip = await JSZip.loadAsync(await validIconSetZip(manifest.images.length));
  const svgs = Object.values(zip.files).filter((f) => f.name.endsWith('.svg'));
  const files: Record<string, string | Buffer> = {};
  for (const [i, image] of manifest.images.entries()) files[image.file] = await svgs[i % svgs.length]!.async('nodebuffer');
  return files;
}
