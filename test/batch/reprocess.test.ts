/**
 * The reprocess engine and CLI on the real local stack: PostgreSQL (embedded), S3 (s3rver) and SQS
 * (fauxqs), with sets ingested by the real pipeline, so "byte-identical" compares against what
 * core/pipeline/process-image.ts actually stored.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { createContributor, reserveUpload } from '../../core/catalog/index.ts';
import { createLogger } from '../../core/log.ts';
import { ImageJob } from '../../core/queue/messages.ts';
import { createSqsClient, JobQueues } from '../../core/queue/sqs.ts';
import { createS3Client, fullSizeRenditionKey, uploadKey } from '../../core/storage/index.ts';
import { journalDb } from '../../scripts/batch/journal.ts';
import { parseOnlyFilter, resolveReprocessOptions, type ReprocessInput } from '../../scripts/batch/options.ts';
import { reprocess, type ReprocessDeps } from '../../scripts/batch/reprocess.ts';
import type { SelectedImage } from '../../scripts/batch/selection.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local/pipeline.ts';
import { waitForUpload } from '../../scripts/local/upload-tracking.ts';
import { validIconSetZip, validIllustrationSetZip } from '../fixtures/uploads.ts';

const log = createLogger({ name: 'batch-test', level: 'silent' });

describe('batch reprocess on PostgreSQL, s3rver and fauxqs', function () {
  this.timeout(180_000);
  let dataDir: string;
  let pipeline: LocalPipeline;
  let s3: S3Client;
  let icons: string; // product id of a 6-icon set, family "weather"
  let illustrations: string; // product id of a 2-illustration set, family "landscapes"
  let crashSet: string; // product id of a 24-icon set, family "storms", for the crash test
  const total = 6 + 2;

  const db = () => pipeline.runtime.db;
  const deps = (extra: Partial<ReprocessDeps> = {}): ReprocessDeps => ({
    db: db(),
    s3: {
      client: s3,
      env: pipeline.services.functionEnv,
      buckets: { uploads: LOCAL_BUCKETS.uploads, assets: LOCAL_BUCKETS.assets, downloads: LOCAL_BUCKETS.downloads },
    },
    log,
    ...extra,
  });
  const options = (input: ReprocessInput) =>
    resolveReprocessOptions({ workers: 2, report: path.join(dataDir, `${input.runId ?? 'run'}-failures.jsonl`), ...input });
  /** The two sets the engine tests work on (the crash test's set is left to the CLI). */
  const bothSets = () => [parseOnlyFilter('family=weather'), parseOnlyFilter('family=landscapes')];
  const everything = { only: [] };

  const getObject = async (bucket: string, key: string) =>
    Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
  const renditionRows = (productId: string) =>
    db()
      .selectFrom('renditions')
      .innerJoin('images', 'images.id', 'renditions.imageId')
      .select(['renditions.imageId', 'renditions.size', 'renditions.format', 'renditions.objectKey', 'renditions.width', 'renditions.height', 'renditions.bytes'])
      .where('images.productId', '=', productId)
      .orderBy('renditions.objectKey')
      .execute();
  const imagesOf = (productId: string) =>
    db().selectFrom('images').select(['id', 'originalKey']).where('productId', '=', productId).orderBy('position').execute();
  const journalItems = (runId: string) =>
    journalDb(db()).selectFrom('batchItems').selectAll().where('runId', '=', runId).execute();

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'batch-test-'));
    pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds: 1, logLevel: 'silent' });
    s3 = createS3Client(pipeline.services.functionEnv);
    const contributor = await createContributor(db(), { slug: `batch-${randomUUID().slice(0, 8)}`, displayName: 'Batch', email: `${randomUUID()}@example.test` });
    const ingest = async (zip: Buffer) => {
      const uploadId = randomUUID();
      await reserveUpload(db(), { uploadId, contributorId: contributor.id });
      await s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: uploadKey(contributor.id, uploadId), Body: zip }));
      const result = await waitForUpload(db(), uploadId, { timeoutMs: 120_000, pollMs: 50 });
      expect(result.status, JSON.stringify(result.errors)).to.equal('ready');
      return result.productId!;
    };
    [icons, illustrations] = await Promise.all([ingest(await validIconSetZip(6)), ingest(await validIllustrationSetZip(2))]);
    const { buildUploadZip, iconSetManifest, iconSetFiles, imagesFor } = await import('../fixtures/uploads.ts');
    const files = iconSetFiles(24);
    crashSet = await ingest(
      await buildUploadZip({
        files,
        manifest: iconSetManifest({ product: { title: 'Storm icons', family: { slug: 'storms' } }, images: imagesFor(Object.keys(files)) }),
      }),
    );
  });

  after(async () => {
    await pipeline?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('renders byte-identical renditions to the pipeline, under the same keys and catalog rows', async () => {
    const before = [...(await renditionRows(icons)), ...(await renditionRows(illustrations))];
    // Rows are public previews only: icons 4 sizes, illustrations 320 and 640 px (× PNG and WebP).
    expect(before).to.have.length(6 * 8 + 2 * 4);
    const pipelineBytes = new Map<string, Buffer>();
    for (const row of before) {
      pipelineBytes.set(row.objectKey, await getObject(LOCAL_BUCKETS.assets, row.objectKey));
      // Removed, so what is compared afterwards can only have been written by the batch.
      await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: row.objectKey }));
    }
    // The illustrations' 1280 px renditions: private, in the downloads bucket, with no row.
    const illustrationImages = [...new Set((await renditionRows(illustrations)).map((row) => row.imageId))];
    const fullSizeKeys = illustrationImages.flatMap((imageId) => (['png', 'webp'] as const).map((format) => fullSizeRenditionKey(illustrations, imageId, 1280, format)));
    const privateBytes = new Map<string, Buffer>();
    for (const key of fullSizeKeys) {
      privateBytes.set(key, await getObject(LOCAL_BUCKETS.downloads, key));
      await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: key }));
    }

    const summary = await reprocess(options({ runId: 'identical', only: bothSets() }), deps());
    expect(summary).to.include({ mode: 'render', selected: total, rendered: total, failed: 0, renditions: before.length, resumed: false, interrupted: false });
    expect(summary.listed).to.equal(total + 24);
    expect(summary.filteredOut).to.equal(24);

    const after = [...(await renditionRows(icons)), ...(await renditionRows(illustrations))];
    expect(after).to.deep.equal(before);
    for (const [key, bytes] of pipelineBytes) {
      expect((await getObject(LOCAL_BUCKETS.assets, key)).equals(bytes), key).to.equal(true);
    }
    expect(privateBytes.size).to.equal(4);
    for (const [key, bytes] of privateBytes) {
      expect((await getObject(LOCAL_BUCKETS.downloads, key)).equals(bytes), key).to.equal(true);
    }
    const items = await journalItems('identical');
    expect(items).to.have.length(total);
    expect(items.every((item) => item.status === 'done' && item.attempts === 1)).to.equal(true);
  });

  it('dry run counts what would be rendered and writes nothing', async () => {
    const summary = await reprocess(options({ runId: 'dry', dryRun: true, ...everything }), deps());
    expect(summary).to.include({ mode: 'dry-run', selected: total + 24, rendered: 0, renditions: (6 + 24) * 8 + 2 * 6 });
    expect(summary.byKind).to.deep.equal({ 'icon-set': 30, 'illustration-set': 2 });
    const run = await journalDb(db()).selectFrom('batchRuns').select('id').where('id', '=', 'dry').executeTakeFirst();
    expect(run, 'a dry run opens no run').to.equal(undefined);
  });

  it('filters by family, set and date, and combines filters', async () => {
    const count = async (...filters: string[]) =>
      (await reprocess(options({ dryRun: true, only: filters.map(parseOnlyFilter) }), deps())).selected;
    expect(await count('family=landscapes')).to.equal(2);
    expect(await count(`set=${icons}`)).to.equal(6);
    expect(await count('family=weather', `set=${illustrations}`)).to.equal(0);
    expect(await count('family=weather', 'family=landscapes')).to.equal(8);
    expect(await count('family=weather', 'family=landscapes', `set=${illustrations}`)).to.equal(2);
    expect(await count('since=2000-01-01')).to.equal(32);
    expect(await count(`since=${new Date(Date.now() + 86_400_000).toISOString()}`)).to.equal(0);
    expect(await count('family=nope')).to.equal(0);
  });

  it('resumes an interrupted run without redoing finished images', async () => {
    const controller = new AbortController();
    const firstAttempts: string[] = [];
    const first = await reprocess(
      options({ runId: 'resume', only: bothSets(), retries: 0 }),
      deps({
        signal: controller.signal,
        beforeAttempt: async (image) => {
          firstAttempts.push(image.imageId);
          if (firstAttempts.length === 3) controller.abort();
        },
      }),
    );
    expect(first.interrupted).to.equal(true);
    expect(first.rendered).to.be.within(3, total - 1);
    const done = (await journalItems('resume')).filter((item) => item.status === 'done').map((item) => item.imageId);
    expect(done).to.have.members(firstAttempts);

    const secondAttempts: string[] = [];
    const second = await reprocess(
      options({ runId: 'resume', only: bothSets() }),
      deps({ beforeAttempt: async (image) => void secondAttempts.push(image.imageId) }),
    );
    expect(second).to.include({ resumed: true, interrupted: false, alreadySettled: first.rendered, rendered: total - first.rendered });
    expect(secondAttempts.filter((id) => done.includes(id)), 'finished images are not rendered again').to.deep.equal([]);
    expect(new Set([...done, ...secondAttempts]).size).to.equal(total);

    const third = await reprocess(options({ runId: 'resume', only: bothSets() }), deps());
    expect(third).to.include({ selected: 0, rendered: 0, alreadySettled: total });
  });

  it('retries a failing image, then records it with its reason in the report, and finishes the rest', async () => {
    const [flaky, broken] = await imagesOf(icons);
    const brokenOriginal = await getObject(LOCAL_BUCKETS.downloads, broken!.originalKey);
    const flakyOriginal = await getObject(LOCAL_BUCKETS.downloads, flaky!.originalKey);
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: broken!.originalKey, Body: 'this is not an SVG' }));
    const attempts = new Map<string, number>();
    try {
      const summary = await reprocess(
        options({ runId: 'failures', only: [parseOnlyFilter(`set=${icons}`)], retries: 2 }),
        deps({
          beforeAttempt: async (image: SelectedImage, attempt: number) => {
            attempts.set(image.imageId, attempt);
            // The flaky original is missing on the first attempt only (an object briefly unreachable).
            if (image.imageId !== flaky!.id) return;
            if (attempt === 1) await s3.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: flaky!.originalKey }));
            else await s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: flaky!.originalKey, Body: flakyOriginal }));
          },
        }),
      );
      expect(summary).to.include({ selected: 6, rendered: 5, failed: 1, retries: 1 + 2 });
      expect(attempts.get(flaky!.id)).to.equal(2);
      expect(attempts.get(broken!.id)).to.equal(3);

      const items = new Map((await journalItems('failures')).map((item) => [item.imageId, item]));
      expect(items.get(flaky!.id)).to.include({ status: 'done', attempts: 2, reason: null });
      expect(items.get(broken!.id)).to.include({ status: 'failed', attempts: 3 });

      const report = (await readFile(summary.reportPath!, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(report).to.have.length(1);
      expect(report[0]).to.include({ runId: 'failures', imageId: broken!.id, productId: icons, attempts: 3 });
      expect(report[0]!.reason).to.match(/expected an SVG document|cannot read SVG/);
      // A reprocess failure leaves the catalog's image as it was (still served with its earlier renditions).
      const image = await db().selectFrom('images').select('status').where('id', '=', broken!.id).executeTakeFirstOrThrow();
      expect(image.status).to.equal('ready');
    } finally {
      await s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: broken!.originalKey, Body: brokenOriginal }));
    }

    // Resuming retries the failed image (the original is fixed now) and nothing else.
    const resumed = await reprocess(options({ runId: 'failures', only: [parseOnlyFilter(`set=${icons}`)] }), deps());
    expect(resumed).to.include({ selected: 1, rendered: 1, failed: 0, alreadySettled: 5 });
    expect(resumed.reportPath).to.equal(undefined);
  });

  it('--fan-out sends one valid ImageProcessor job per image, once per run', async () => {
    const queue = pipeline.services.fauxqs.createQueue(`batch-fan-out-${randomUUID().slice(0, 8)}`);
    const sqs = createSqsClient(pipeline.services.functionEnv);
    const jobQueues = new JobQueues(sqs, { imageQueueUrl: queue.queueUrl, previewQueueUrl: pipeline.services.queueUrls.preview });
    const run = () => reprocess(options({ runId: 'fan-out', fanOut: true, rate: 1000, only: bothSets() }), deps({ jobQueues }));

    const summary = await run();
    expect(summary).to.include({ mode: 'fan-out', queued: total, rendered: 0 });
    const jobs: ImageJob[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      jobs.push(...Messages.map((message) => ImageJob.parse(JSON.parse(message.Body!))));
    }
    const expected = [...(await imagesOf(icons)), ...(await imagesOf(illustrations))].map((image) => image.id);
    expect(jobs.map((job) => job.imageId)).to.have.members(expected);
    expect(new Set(jobs.map((job) => job.productId))).to.deep.equal(new Set([icons, illustrations]));
    // The images are ready already: only a re-render job makes ImageProcessor draw them again.
    expect(jobs.every((job) => job.rerender === true)).to.equal(true);

    expect(await run()).to.include({ queued: 0, alreadySettled: total });
  });

  it('the CLI resumes after being killed mid-run', async function () {
    // UV_THREADPOOL_SIZE set: the CLI runs in this very process (no relaunch), so the kill below hits it.
    const env: NodeJS.ProcessEnv = { ...process.env, ...pipeline.services.functionEnv, LOG_LEVEL: 'silent', UV_THREADPOOL_SIZE: '1' };
    const args = ['--import', 'tsx', 'scripts/batch/index.ts', 'reprocess', '--only', 'family=storms', '--workers', '1', '--commit-batch', '1', '--run', 'crash', '--json', '--report', path.join(dataDir, 'crash.jsonl')];
    const runCli = () => {
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, exited, output: () => ({ stdout, stderr }) };
    };
    const doneCount = async () => (await journalItems('crash')).filter((item) => item.status === 'done').length;

    const first = runCli();
    while ((await doneCount()) < 3) {
      if (first.child.exitCode !== null) throw new Error(`the CLI ended before it could be killed: ${JSON.stringify(first.output())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const doneBeforeCrash = await doneCount();
    expect(doneBeforeCrash).to.be.within(3, 23);

    // This time without UV_THREADPOOL_SIZE: the CLI relaunches itself with it, and passes the exit code on.
    delete env.UV_THREADPOOL_SIZE;
    const second = runCli();
    const code = await second.exited;
    expect(code, second.output().stderr).to.equal(0);
    const summary = JSON.parse(second.output().stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).to.include({ runId: 'crash', resumed: true, failed: 0 });
    expect(summary.alreadySettled).to.be.at.least(doneBeforeCrash);
    expect((summary.alreadySettled as number) + (summary.rendered as number)).to.equal(24);
    expect(await doneCount()).to.equal(24);
  });
});
