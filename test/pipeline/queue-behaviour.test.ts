import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import JSZip from 'jszip';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { PipelineEvent } from '../../core/notify/events.ts';
import { productIdForUpload } from '../../core/ids.ts';
import type { PipelineRuntime } from '../../core/pipeline/environment.ts';
import type { ImageJob } from '../../core/queue/messages.ts';
import { retryFailedImages } from '../../core/pipeline/retry-set.ts';
import { originalKey, setZipKey } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS, LOCAL_QUEUES } from '../../scripts/local/aws-resources.ts';
import { startEventSourceMapping, type BatchReport } from '../../scripts/local/lambda-runtime.ts';
import type { PipelineFunctionName } from '../../scripts/local/pipeline.ts';
import type { S3NotificationRecord } from '../../scripts/local/services.ts';
import { validIconSetZip } from '../fixtures/uploads.ts';
import { startPipelineHarness, type PipelineHarness } from './harness.ts';

/** Failures injected at the functions' real clients (middleware), armed per test. */
class Faults {
  #crashes = new Map<PipelineFunctionName, { match: (bucket: string, key: string) => boolean; times: number; fired: Array<{ bucket: string; key: string }> }>();
  #lost = new Map<PipelineFunctionName, (bucket: string, key: string) => boolean>();
  #refused = new Map<PipelineFunctionName, { match: (bucket: string, key: string) => boolean; fired: string[] }>();
  /** While true, every job sent to the image or preview queue is sent twice (two messages, as at-least-once delivery may). */
  duplicateJobs = false;

  /** A PutObject of `fn` that `match`es answers success without storing anything (an object that went missing). */
  losePut(fn: PipelineFunctionName, match: (bucket: string, key: string) => boolean) {
    this.#lost.set(fn, match);
  }

  /** `times` times (once by default), right after a PutObject that `match`es has been stored, the function's S3 call throws as if it had crashed there. */
  crashAfterPut(fn: PipelineFunctionName, match: (bucket: string, key: string) => boolean, times = 1) {
    const crash = { match, times, fired: [] as Array<{ bucket: string; key: string }> };
    this.#crashes.set(fn, crash);
    return crash;
  }

  /** Every PutObject of `fn` that `match`es fails before anything is stored (the storage refuses it). */
  refusePut(fn: PipelineFunctionName, match: (bucket: string, key: string) => boolean) {
    const refusal = { match, fired: [] as string[] };
    this.#refused.set(fn, refusal);
    return refusal;
  }

  reset() {
    this.#crashes.clear();
    this.#lost.clear();
    this.#refused.clear();
    this.duplicateJobs = false;
  }

  attach(name: PipelineFunctionName, runtime: PipelineRuntime) {
    runtime.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const { Bucket = '', Key = '' } = args.input as { Bucket?: string; Key?: string };
        if (context.commandName === 'PutObjectCommand' && this.#lost.get(name)?.(Bucket, Key)) return { output: { $metadata: {} } } as Awaited<ReturnType<typeof next>>;
        const refusal = this.#refused.get(name);
        if (context.commandName === 'PutObjectCommand' && refusal?.match(Bucket, Key)) {
          refusal.fired.push(Key);
          throw new Error(`simulated storage failure writing ${Key}`);
        }
        const output = await next(args);
        const crash = this.#crashes.get(name);
        if (context.commandName === 'PutObjectCommand' && crash && crash.fired.length < crash.times && crash.match(Bucket, Key)) {
          crash.fired.push({ bucket: Bucket, key: Key });
          throw new Error(`simulated crash after storing ${Key}`);
        }
        return output;
      },
      { step: 'initialize', name: 'testCrashAfterPut' },
    );
    runtime.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        const { QueueUrl = '' } = args.input as { QueueUrl?: string };
        const isSend = context.commandName === 'SendMessageCommand' || context.commandName === 'SendMessageBatchCommand';
        if (this.duplicateJobs && isSend && /\/(image-processor|preview-maker)$/.test(QueueUrl)) await next(args);
        return output;
      },
      { step: 'initialize', name: 'testDuplicateJobs' },
    );
  }
}

/**
 * Queue behaviour on the real emulator: jobs travel through fauxqs queues (with their redrive policy and a
 * short visibility timeout), the local event source mappings hand them to the real handlers, and the
 * handlers work on real PostgreSQL and s3rver. Failures are injected at real seams: middleware on a
 * function's S3 client that fails after a write went through, or on its SQS client that sends every job twice.
 */
describe('queue behaviour through fauxqs and the local event source mappings', function () {
  this.timeout(180_000);
  /** Seconds a received message stays invisible; a failed one comes back after this. */
  const VISIBILITY = 3;
  let h: PipelineHarness;
  const batches: Array<BatchReport & { queue: 'image' | 'preview'; at: number }> = [];
  const faults = new Faults();
  const events: PipelineEvent[] = [];

  before(async () => {
    h = await startPipelineHarness({
      queueSettings: { image: { visibilityTimeoutSeconds: VISIBILITY }, preview: { visibilityTimeoutSeconds: VISIBILITY } },
      // Far enough out that what finishes a set in these tests is the last image's job or its redelivery.
      previewDelaySeconds: 60,
      instrument: (name, runtime) => faults.attach(name, runtime),
      onBatch: (queue, report) => batches.push({ ...report, queue, at: Date.now() }),
    });
  });
  after(async () => {
    await h?.stop();
  });
  afterEach(() => faults.reset());

  const db = () => h.pipeline.runtime.db;
  const eventsOf = async (uploadId: string) => {
    events.push(...(await h.drainEvents()));
    return events.filter((e) => e.uploadId === uploadId);
  };
  const deliveriesOf = (queue: 'image' | 'preview', match: (body: string, messageId: string) => boolean) =>
    batches
      .filter((b) => b.queue === queue)
      .flatMap((b) =>
        b.received
          .filter((r) => match(r.body, r.messageId))
          .map((r) => ({ ...r, at: b.at, receivedAt: b.receivedAt, failed: b.failed.includes(r.messageId), deleted: b.deleted.includes(r.messageId), batch: b })),
      );
  const imagesOf = (productId: string) =>
    db().selectFrom('images').select(['id', 'status', 'originalKey', 'failureReason', 'lastError', 'filePath']).where('productId', '=', productId).orderBy('position').execute();
  const renditionRows = (productId: string) =>
    db()
      .selectFrom('renditions')
      .innerJoin('images', 'images.id', 'renditions.imageId')
      .where('images.productId', '=', productId)
      .select(['renditions.imageId', 'renditions.objectKey'])
      .execute();
  const productOf = (productId: string) =>
    db().selectFrom('products').select(['status', 'zipKey', 'familyId']).where('id', '=', productId).executeTakeFirstOrThrow();
  /** Every public rendition object of the set is one a rendition row names, and the other way round. */
  const expectObjectsMatchRows = async (productId: string) => {
    const keys = (await h.listKeys('assets')).filter((k) => k.includes(productId));
    const rows = (await renditionRows(productId)).map((r) => r.objectKey).sort();
    expect(keys, 'public rendition objects = rendition rows').to.deep.equal(rows);
  };

  /** Puts a ready set back to "processing, every image pending" and queues its image jobs in one SendMessageBatch. */
  const requeueSet = async (uploadId: string, productId: string) => {
    await db().updateTable('products').set({ status: 'processing', zipKey: null }).where('id', '=', productId).execute();
    await db().updateTable('uploads').set({ status: 'accepted' }).where('id', '=', uploadId).execute();
    await db().updateTable('images').set({ status: 'pending', failureReason: null, lastError: null }).where('productId', '=', productId).execute();
    const images = await imagesOf(productId);
    const jobs: ImageJob[] = images.map((image) => ({ type: 'process-image', uploadId, productId, imageId: image.id }));
    await h.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: h.pipeline.services.queueUrls.image,
        Entries: jobs.map((job, i) => ({ Id: String(i), MessageBody: JSON.stringify(job) })),
      }),
    );
    return { images, jobs };
  };
  const readySet = async (images: number) => {
    const uploadId = await h.upload(await validIconSetZip(images));
    const result = await h.finish(uploadId);
    expect(result.status, JSON.stringify(result.errors)).to.equal('ready');
    return { uploadId, productId: result.productId! };
  };

  it("carries each image's sanitised original in the job ImageBatcher sends, exactly the stored bytes", async () => {
    const { productId } = await readySet(3);
    const images = await imagesOf(productId);
    const jobs = deliveriesOf('image', (body) => body.includes(productId)).map((d) => JSON.parse(d.body) as ImageJob);
    expect(jobs.map((job) => job.imageId).sort()).to.deep.equal(images.map((image) => image.id).sort());
    for (const image of images) {
      const stored = (await h.getObject('downloads', image.originalKey)).body;
      expect(jobs.find((job) => job.imageId === image.id)!.svg, image.filePath).to.equal(stored.toString('utf8'));
    }
  });

  it('deletes only the succeeded messages of a partly failed batch; the failed one alone comes back after the visibility timeout', async () => {
    const { uploadId, productId } = await readySet(2);
    const sentAt = Date.now();
    const images = await imagesOf(productId);
    // The second image's original is unreadable for now: S3 answers NoSuchKey, a failure worth retrying.
    await db().updateTable('images').set({ originalKey: originalKey(productId, randomUUID()) }).where('id', '=', images[1]!.id).execute();
    const { jobs } = await requeueSet(uploadId, productId);
    const isJob = (job: ImageJob) => (body: string) => body === JSON.stringify(job);

    const firstBatch = await waitFor(() => batches.find((b) => b.queue === 'image' && b.at >= sentAt && b.received.some((r) => isJob(jobs[0]!)(r.body))), 'the first batch');
    const good = firstBatch.received.find((r) => isJob(jobs[0]!)(r.body))!;
    const bad = firstBatch.received.find((r) => isJob(jobs[1]!)(r.body));
    expect(bad, 'both jobs in one batch').to.not.equal(undefined);
    expect(firstBatch.received.map((r) => r.receiveCount)).to.deep.equal([1, 1]);
    expect(firstBatch.failed).to.deep.equal([bad!.messageId]);
    expect(firstBatch.deleted).to.deep.equal([good.messageId]);

    // On the queue now: only the failed message, in flight (invisible) until its visibility timeout.
    const queue = h.pipeline.services.fauxqs.inspectQueue(LOCAL_QUEUES.image.name)!;
    expect(queue.messages.inflight.map((m) => m.message.messageId)).to.deep.equal([bad!.messageId]);
    expect(queue.messages.ready).to.deep.equal([]);
    const [first, second] = await imagesOf(productId);
    expect(first!.status).to.equal('ready');
    expect(second!.status).to.equal('pending');
    expect(second!.lastError, 'the failure is noted on the image').to.match(/NoSuchKey|does not exist/i);

    // The original is back; the failed job alone is delivered again, no sooner than the visibility timeout.
    await db().updateTable('images').set({ originalKey: images[1]!.originalKey }).where('id', '=', images[1]!.id).execute();
    const result = await h.finish(uploadId);
    expect(result.status).to.equal('ready');
    const badDeliveries = deliveriesOf('image', (_, id) => id === bad!.messageId);
    expect(badDeliveries.map((d) => [d.receiveCount, d.failed, d.deleted, d.batch.received.length])).to.deep.equal([
      [1, true, false, 2],
      [2, false, true, 1],
    ]);
    expect(badDeliveries[1]!.receivedAt - badDeliveries[0]!.receivedAt).to.be.at.least(VISIBILITY * 1000 - 100); // received a little after fauxqs started the clock
    expect(deliveriesOf('image', (_, id) => id === good.messageId), 'the succeeded message is never delivered again').to.have.length(1);
    expect((await eventsOf(uploadId)).filter((e) => e.type === 'set.ready')).to.have.length(2); // the first ingest, and now
  });

  it('brings a failing message back after each visibility timeout and dead-letters it after maxReceiveCount, with its reason', async () => {
    const { uploadId, productId } = await readySet(2);
    await eventsOf(uploadId);
    const sentAt = Date.now();
    const images = await imagesOf(productId);
    // Gone for good this time: every receive fails the same way.
    await db().updateTable('images').set({ originalKey: originalKey(productId, randomUUID()) }).where('id', '=', images[1]!.id).execute();
    const { jobs } = await requeueSet(uploadId, productId);
    const badJob = JSON.stringify(jobs[1]);

    const result = await h.finish(uploadId);
    expect(result.status).to.equal('failed');
    const deliveries = deliveriesOf('image', (body) => body === badJob).filter((d) => d.at >= sentAt);
    expect(deliveries.map((d) => [d.receiveCount, d.failed, d.deleted])).to.deep.equal([
      [1, true, false],
      [2, true, false],
      // The last receive (maxReceiveCount): ImageProcessor fails the image and dead-letters the job itself, with the reason.
      [3, false, true],
    ]);
    expect(new Set(deliveries.map((d) => d.messageId)).size, 'one message, delivered three times').to.equal(1);
    for (let i = 1; i < deliveries.length; i++) {
      expect(deliveries[i]!.receivedAt - deliveries[i - 1]!.receivedAt, `receive ${i + 1} after the visibility timeout`).to.be.at.least(VISIBILITY * 1000 - 100);
    }

    const failed = (await imagesOf(productId))[1]!;
    expect(failed.status).to.equal('failed');
    expect(failed.failureReason).to.match(/^could not be processed after 3 attempts: .*(NoSuchKey|does not exist)/i);
    const { Messages = [] } = await h.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: h.pipeline.services.queueUrls.imageDeadLetter,
        MessageAttributeNames: ['All'],
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    const dead = Messages.filter((m) => m.Body === badJob);
    expect(dead, 'the job is in the DLQ once').to.have.length(1);
    expect(dead[0]!.MessageAttributes?.reason?.StringValue).to.equal(failed.failureReason);
    expect(dead[0]!.MessageAttributes?.source?.StringValue).to.equal('image-processor');
    expect(dead[0]!.MessageAttributes?.originalMessageId?.StringValue).to.equal(deliveries[0]!.messageId);
    const queue = h.pipeline.services.fauxqs.inspectQueue(LOCAL_QUEUES.image.name)!;
    expect([...queue.messages.ready, ...queue.messages.inflight.map((m) => m.message)].filter((m) => m.body === badJob)).to.deep.equal([]);

    // The contributor is told at once (the failed image was the set's last), naming the image and the reason.
    const failures = (await eventsOf(uploadId)).filter((e) => e.type === 'set.failed');
    expect(failures).to.have.length(1);
    expect(failures[0]!.type === 'set.failed' && failures[0]!.failures).to.deep.equal([{ file: failed.filePath, reason: failed.failureReason }]);
  });

  it('leaves nothing half-written when ImageProcessor crashes between the S3 write and the catalog update, and finishes on redelivery', async () => {
    const uploadId = randomUUID();
    const productId = productIdForUpload(uploadId);
    const crash = faults.crashAfterPut('image-processor', (bucket, key) => bucket === LOCAL_BUCKETS.assets && key.includes(productId));
    await h.upload(await validIconSetZip(3), uploadId);

    const crashed = await waitFor(
      () => batches.find((b) => b.queue === 'image' && b.failed.length > 0 && b.received.some((r) => r.body.includes(productId))),
      'the batch the crash failed',
    );
    expect(crash.fired).to.have.length(1);
    const crashedJob = JSON.parse(crashed.received.find((r) => r.messageId === crashed.failed[0])!.body) as ImageJob;
    expect(crash.fired[0]!.key, 'the crash came after writing one of its renditions').to.include(crashedJob.imageId);
    // Before the redelivery: the image is pending with no rendition row, the set unfinished; the object written is unreferenced.
    const image = (await imagesOf(productId)).find((i) => i.id === crashedJob.imageId)!;
    expect(image.status).to.equal('pending');
    expect(image.lastError).to.match(/simulated crash/);
    expect((await renditionRows(productId)).filter((r) => r.imageId === crashedJob.imageId)).to.deep.equal([]);
    expect((await productOf(productId)).status).to.equal('processing');
    expect((await h.listKeys('assets')).filter((k) => k.includes(crashedJob.imageId))).to.include(crash.fired[0]!.key);

    const result = await h.finish(uploadId);
    expect(result.status).to.equal('ready');
    const redelivery = deliveriesOf('image', (_, id) => id === crashed.failed[0]);
    expect(redelivery.map((d) => [d.receiveCount, d.deleted])).to.deep.equal([
      [1, false],
      [2, true],
    ]);
    const rows = await renditionRows(productId);
    const perImage = new Map<string, number>();
    for (const row of rows) perImage.set(row.imageId, (perImage.get(row.imageId) ?? 0) + 1);
    expect([...perImage.values()], 'every image has its full set of renditions, none twice').to.deep.equal([...perImage.values()].map(() => perImage.get(crashedJob.imageId)));
    expect(perImage.size).to.equal(3);
    await expectObjectsMatchRows(productId);
    expect((await eventsOf(uploadId)).filter((e) => e.type === 'set.ready' || e.type === 'set.failed').map((e) => e.type)).to.deep.equal(['set.ready']);
  });

  it('leaves nothing half-written when PreviewMaker crashes between the ZIP write and "ready", and finishes on redelivery', async () => {
    const uploadId = randomUUID();
    const productId = productIdForUpload(uploadId);
    const zipKey = setZipKey(productId);
    // ImageBatcher writes the set ZIP with the originals; here it goes missing, so the finish writes it again.
    faults.losePut('image-batcher', (bucket, key) => bucket === LOCAL_BUCKETS.downloads && key === zipKey);
    const crash = faults.crashAfterPut('preview-maker', (bucket, key) => bucket === LOCAL_BUCKETS.downloads && key === zipKey);
    await h.upload(await validIconSetZip(3), uploadId);

    const crashed = await waitFor(
      () => batches.find((b) => b.queue === 'preview' && b.failed.length > 0 && b.received.some((r) => r.body.includes(productId))),
      'the finish the crash failed',
    );
    expect(crash.fired).to.have.length(1);
    expect(JSON.parse(crashed.received[0]!.body)).to.include({ type: 'make-preview', productId, trigger: 'last-image' });
    // Before the redelivery: the ZIP object exists, but the set is not ready, names no ZIP, and nobody was told.
    const product = await productOf(productId);
    expect(product).to.include({ status: 'processing', zipKey: null });
    expect((await db().selectFrom('uploads').select('status').where('id', '=', uploadId).executeTakeFirstOrThrow()).status).to.equal('accepted');
    expect(await h.listKeys('downloads', zipKey)).to.deep.equal([zipKey]);
    expect((await eventsOf(uploadId)).filter((e) => e.type === 'set.ready')).to.deep.equal([]);
    const zipAtCrash = (await h.getObject('downloads', zipKey)).body;

    const result = await h.finish(uploadId);
    expect(result.status).to.equal('ready');
    // The crashed finish comes back after its visibility timeout and is deleted. Under load another finish of
    // the set (a redelivered image job's) may get there first; then the redelivery finds the set ready.
    const deliveries = await waitFor(() => {
      const all = deliveriesOf('preview', (_, id) => id === crashed.failed[0]);
      return all.some((d) => d.deleted) && all;
    }, 'the crashed finish delivered again and deleted');
    expect(deliveries.map((d) => [d.receiveCount, d.deleted])).to.deep.equal([
      [1, false],
      [2, true],
    ]);
    expect(await productOf(productId)).to.include({ status: 'ready', zipKey });
    const zip = (await h.getObject('downloads', zipKey)).body;
    expect(zip.equals(zipAtCrash), 'the rebuilt ZIP is byte-identical').to.equal(true);
    expect(Object.keys((await JSZip.loadAsync(zip)).files).filter((n) => n.endsWith('.svg'))).to.have.length(3);
    expect((await eventsOf(uploadId)).filter((e) => e.type === 'set.ready')).to.have.length(1);
  });

  it('changes nothing when every message is delivered twice: the S3 event, every image job and every finish or watchdog job', async () => {
    // A reference set, delivered once, to compare with.
    const reference = await readySet(3);
    const referenceRows = (await renditionRows(reference.productId)).length;

    const uploadId = randomUUID();
    const productId = productIdForUpload(uploadId);
    faults.duplicateJobs = true;
    // EventBridge delivers at least once: the S3 "Object Created" event reaches ImageBatcher twice.
    const twice = (record: S3NotificationRecord) => {
      if (record.s3.object.key.includes(uploadId)) h.pipeline.services.s3Events.emit('record', { ...record, duplicate: true });
    };
    const onRecord = (record: S3NotificationRecord & { duplicate?: boolean }) => {
      if (!record.duplicate) twice(record);
    };
    h.pipeline.services.s3Events.on('record', onRecord);
    try {
      await h.upload(await validIconSetZip(3), uploadId);
      const result = await h.finish(uploadId);
      expect(result.status).to.equal('ready');
      // Let every duplicate arrive and be handled (each image job twice, the finish twice).
      await waitFor(async () => {
        const images = deliveriesOf('image', (body) => body.includes(productId));
        const finishes = deliveriesOf('preview', (body) => body.includes(productId) && body.includes('last-image'));
        return images.length >= 6 && finishes.length >= 2 && !h.pipeline.busy();
      }, 'the duplicates');
    } finally {
      h.pipeline.services.s3Events.off('record', onRecord);
      faults.duplicateJobs = false;
    }
    const imageDeliveries = deliveriesOf('image', (body) => body.includes(productId));
    // A job is its image: the duplicate S3 event's resumed batch sends the same jobs without the carried SVG.
    const perJob = new Map<string, Set<string>>();
    for (const d of imageDeliveries) {
      const { imageId } = JSON.parse(d.body) as ImageJob;
      perJob.set(imageId, (perJob.get(imageId) ?? new Set()).add(d.messageId));
    }
    expect(perJob.size).to.equal(3);
    for (const ids of perJob.values()) expect(ids.size, 'each image job arrived as two messages at least').to.be.at.least(2);
    expect(imageDeliveries.every((d) => d.deleted), 'every delivery handled without error').to.equal(true);

    // Same rows and objects as a set delivered once, one upload, one ZIP, one finish.
    expect(await db().selectFrom('products').select('id').where('id', '=', productId).execute()).to.have.length(1);
    expect(await db().selectFrom('uploads').select('id').where('productId', '=', productId).execute()).to.have.length(1);
    expect((await imagesOf(productId)).map((i) => i.status)).to.deep.equal(['ready', 'ready', 'ready']);
    expect((await renditionRows(productId)).length).to.equal(referenceRows);
    await expectObjectsMatchRows(productId);
    expect((await h.listKeys('downloads')).filter((k) => k.startsWith('sets/') && k.includes(productId))).to.deep.equal([setZipKey(productId)]);
    const mine = await eventsOf(uploadId);
    expect(mine.filter((e) => e.type === 'set.ready'), 'one finish').to.have.length(1);
    expect(mine.filter((e) => e.type === 'set.failed')).to.deep.equal([]);
  });

  it('fails the whole batch, as Lambda does, when the handler names a message that is not in it', async () => {
    const { fauxqs } = h.pipeline.services;
    const probe = fauxqs.createQueue(`mapping-probe-${randomUUID().slice(0, 8)}`, { attributes: { VisibilityTimeout: '1' } });
    const reports: BatchReport[] = [];
    const answers = [
      () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-of-this-batch' }] }),
      (ids: string[]) => ({ batchItemFailures: [{ itemIdentifier: ids[1]! }] }),
      () => ({ batchItemFailures: [] }),
    ];
    let call = 0;
    const mapping = startEventSourceMapping(
      {
        sqs: h.sqs,
        queueUrl: probe.queueUrl,
        batchSize: 10,
        concurrency: 1,
        log: h.pipeline.runtime.log,
        onBatch: (report) => reports.push(report),
      },
      async (event) => {
        const { batchItemFailures } = answers[Math.min(call++, answers.length - 1)]!(event.Records.map((r) => r.messageId));
        return { batchItemFailures };
      },
    );
    try {
      await h.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: probe.queueUrl, Entries: ['a', 'b', 'c'].map((body, i) => ({ Id: String(i), MessageBody: body })) }),
      );
      await waitFor(() => reports.filter((r) => r.deleted.length > 0).length >= 2 && reports.length >= 3, 'three batches');
    } finally {
      await mapping.stop();
    }
    const [invalid, partial, rest] = reports;
    expect(invalid!.batchError).to.equal('invalid partial batch response: item identifier "not-a-message-of-this-batch" is not a message of this batch');
    expect(invalid!.deleted).to.deep.equal([]);
    expect(invalid!.failed).to.have.length(3);
    // All three came back; this time only the second is reported failed, and only it comes back again.
    expect(partial!.received.map((r) => [r.body, r.receiveCount])).to.deep.equal([
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ]);
    expect(partial!.failed).to.deep.equal([partial!.received[1]!.messageId]);
    expect(rest!.received.map((r) => [r.body, r.receiveCount])).to.deep.equal([['b', 3]]);
    expect(rest!.deleted).to.have.length(1);
  });

  it('finishes a failed set with a dead-lettered image once the cause is fixed, the DLQ redriven and the set retried', async () => {
    const { uploadId, productId } = await readySet(2);
    const earlier = (await eventsOf(uploadId)).length;
    const images = await imagesOf(productId);
    await db().updateTable('images').set({ originalKey: originalKey(productId, randomUUID()) }).where('id', '=', images[1]!.id).execute();
    await requeueSet(uploadId, productId);
    expect((await h.finish(uploadId)).status).to.equal('failed');

    // The cause is fixed; an operator redrives the DLQ (what StartMessageMoveTask does: each body back to its source queue).
    await db().updateTable('images').set({ originalKey: images[1]!.originalKey }).where('id', '=', images[1]!.id).execute();
    const dlq = h.pipeline.services.queueUrls.imageDeadLetter;
    const redriven: string[] = [];
    for (;;) {
      const { Messages = [] } = await h.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      await h.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: h.pipeline.services.queueUrls.image, Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body! })) }),
      );
      for (const m of Messages) {
        redriven.push(m.Body!);
        await h.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    expect(redriven.map((b) => (JSON.parse(b) as ImageJob).imageId)).to.include(images[1]!.id);
    // The redriven job alone changes nothing: its image failed for good, and only a retry puts it back.
    await waitFor(() => deliveriesOf('image', (body) => body === redriven.find((r) => r.includes(images[1]!.id))).some((d) => d.receiveCount === 1 && d.deleted), 'the redriven job');
    expect((await imagesOf(productId))[1]!.status).to.equal('failed');
    expect((await productOf(productId)).status).to.equal('failed');

    const retry = await retryFailedImages(h.pipeline.runtime, productId);
    expect(retry).to.deep.include({ status: 'requeued', images: 1 });
    const result = await h.finish(uploadId);
    expect(result.status, JSON.stringify(result.errors)).to.equal('ready');
    expect((await imagesOf(productId)).map((i) => i.status)).to.deep.equal(['ready', 'ready']);
    await expectObjectsMatchRows(productId);
    const mine = (await eventsOf(uploadId)).slice(earlier);
    expect(mine.filter((e) => e.type === 'set.failed'), 'failed once').to.have.length(1);
    expect(mine.filter((e) => e.type === 'set.ready'), 'ready once, after the retry').to.have.length(1);
  });

  it('dead-letters a finish that fails on every receive on its last one, with the reason, not by a silent redrive', async () => {
    const uploadId = randomUUID();
    const productId = productIdForUpload(uploadId);
    const zipKey = setZipKey(productId);
    // The ZIP is missing and cannot be written: every finish fails the same way.
    faults.losePut('image-batcher', (bucket, key) => bucket === LOCAL_BUCKETS.downloads && key === zipKey);
    const crash = faults.refusePut('preview-maker', (bucket, key) => bucket === LOCAL_BUCKETS.downloads && key === zipKey);
    await h.upload(await validIconSetZip(2), uploadId);
    const finishes = await waitFor(() => {
      const d = deliveriesOf('preview', (body) => body.includes(productId) && body.includes('last-image'));
      return d.length >= 3 && d;
    }, 'three receives of the finish');
    expect(finishes.map((d) => [d.receiveCount, d.failed, d.deleted])).to.deep.equal([
      [1, true, false],
      [2, true, false],
      [3, false, true],
    ]);
    expect(crash.fired).to.have.length(3);
    const { Messages = [] } = await h.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: h.pipeline.services.queueUrls.previewDeadLetter, MessageAttributeNames: ['All'], MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const dead = Messages.filter((m) => m.Body!.includes(productId));
    expect(dead).to.have.length(1);
    expect(dead[0]!.MessageAttributes?.reason?.StringValue).to.equal(`failed on its last receive (3 of 3): simulated storage failure writing ${zipKey}`);
    expect(dead[0]!.MessageAttributes?.source?.StringValue).to.equal('preview-maker');
    // Nothing half-written: the set is not ready and names no ZIP.
    expect(await productOf(productId)).to.include({ status: 'processing', zipKey: null });
  });
});

async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
