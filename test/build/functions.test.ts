import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { expect } from 'chai';
import { createContributor, createDb, reserveUpload, migrateToLatest, type Database } from '../../core/catalog/index.ts';
import { createSqsClient } from '../../core/queue/sqs.ts';
import { createS3Client, uploadKey } from '../../core/storage/index.ts';
import { buildFunctions, LAMBDA_UNZIPPED_LIMIT_BYTES, type BuiltFunction, type FunctionName } from '../../scripts/build/functions.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { toEventBridgeEvent } from '../../scripts/local/lambda-runtime.ts';
import { startLocalServices, type LocalServices } from '../../scripts/local/services.ts';
import { validIconSetZip } from '../fixtures/uploads.ts';
import type { Kysely } from 'kysely';
import { STRIPE_PARAMETER_PLACEHOLDER } from '../../core/selling/stripe-parameters.ts';
import { startSsmStandIn } from '../support/ssm-standin.ts';

const run = promisify(execFile);

/** Lambda's own architecture name for this machine, so the built bundle's sharp can load here. */
const hostArchitecture = process.arch === 'arm64' ? 'arm64' : 'x86_64';

describe('npm run build:functions: the Lambda bundles', function () {
  this.timeout(240_000);
  let workDir: string;
  let built: Map<FunctionName, BuiltFunction>;
  let services: LocalServices;
  let db: Kysely<Database>;

  before(async () => {
    // Outside the repository: a bundle must not find anything in the repo's node_modules.
    workDir = await mkdtemp(path.join(os.tmpdir(), 'functions-bundle-'));
    await chmod(workDir, 0o711); // PostgreSQL, run as its own user under root, must enter it
    const functions = await buildFunctions({ outDir: path.join(workDir, 'dist'), architecture: hostArchitecture });
    built = new Map(functions.map((fn) => [fn.name, fn]));
    services = await startLocalServices({ dataDir: path.join(workDir, 'data') });
    db = createDb(services.databaseUrl);
    await migrateToLatest(db);
  });
  after(async () => {
    await db?.destroy();
    await services?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Invokes a bundle the way Lambda does: import index.mjs from its own folder and call `handler`. */
  async function invoke(name: FunctionName, event: unknown, extraEnv: Record<string, string> = {}): Promise<unknown> {
    const script = `const { handler } = await import('./index.mjs');
      const out = await handler(JSON.parse(process.env.LAMBDA_EVENT));
      process.stdout.write(JSON.stringify(out ?? null)); process.exit(0);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: built.get(name)!.dir,
      env: {
        PATH: process.env.PATH,
        ...services.functionEnv,
        PREVIEW_DELAY_SECONDS: '0',
        LOG_LEVEL: 'silent',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...extraEnv,
        LAMBDA_EVENT: JSON.stringify(event),
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout);
  }

  async function receiveAll(queueUrl: string): Promise<SQSEvent> {
    const sqs = createSqsClient(services.functionEnv);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['All'] }),
    );
    return {
      Records: Messages.map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:local',
        awsRegion: 'us-east-1',
      })),
    };
  }

  it('builds every function under the 250 MB unzipped limit, with sharp only where it renders', () => {
    expect([...built.keys()].sort()).to.deep.equal(['image-batcher', 'image-processor', 'payout-runner', 'preview-maker']);
    for (const fn of built.values()) expect(fn.bytes, fn.name).to.be.below(LAMBDA_UNZIPPED_LIMIT_BYTES);
    expect(built.get('image-processor')!.bytes).to.be.greaterThan(built.get('image-batcher')!.bytes);
  });

  it('runs the payout bundle from its own folder, reading its Stripe key decrypted from SSM', async () => {
    const parameter = '/svg-marketplace/bundle-test/stripe/secret-key';
    const ssm = await startSsmStandIn({ [parameter]: { type: 'SecureString', value: STRIPE_PARAMETER_PLACEHOLDER } });
    try {
      const env = { STRIPE_SECRET_KEY_PARAMETER: parameter, AWS_ENDPOINT_URL_SSM: ssm.endpoint, PAYOUT_THRESHOLD_CENTS: '700' };
      // Not configured yet: a successful run that pays nothing.
      expect(await invoke('payout-runner', {}, env)).to.deep.include({ runId: 'not-configured', thresholdCents: 700, paid: [], failed: [] });
      ssm.parameters.set(parameter, { type: 'SecureString', value: 'sk_test_bundle' });
      const report = (await invoke('payout-runner', {}, env)) as { runId: string; paid: unknown[] };
      expect(report.runId).to.match(/^[0-9a-f-]{36}$/);
      expect(report.paid).to.deep.equal([]);
      expect(ssm.reads).to.deep.equal([
        { name: parameter, withDecryption: true },
        { name: parameter, withDecryption: true },
      ]);
    } finally {
      await ssm.close();
    }
  });

  it('runs each bundle from its own folder through a whole upload', async () => {
    const contributor = await createContributor(db, { slug: 'bundle-test', displayName: 'Bundle Test', email: 'bundle@example.test' });
    const uploadId = '6f1c3a52-8d0e-4b7a-9c1d-2e3f4a5b6c7d';
    const key = uploadKey(contributor.id, uploadId);
    await reserveUpload(db, { uploadId, contributorId: contributor.id });
    await createS3Client(services.functionEnv).send(
      new PutObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: key, Body: await validIconSetZip(3) }),
    );

    const batched = (await invoke(
      'image-batcher',
      toEventBridgeEvent({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: LOCAL_BUCKETS.uploads }, object: { key } } }),
    )) as Array<{ status: string; jobsSent: number }>;
    expect(batched[0]).to.include({ status: 'accepted', jobsSent: 3 });

    const imageJobs = await receiveAll(services.queueUrls.image);
    expect(imageJobs.Records).to.have.length(3);
    const processed = (await invoke('image-processor', imageJobs)) as { batchItemFailures: unknown[] };
    expect(processed.batchItemFailures).to.deep.equal([]);

    const previewJobs = await receiveAll(services.queueUrls.preview);
    // The watchdog ImageBatcher queued and the finish the last image's transaction queued at once.
    expect(previewJobs.Records.map((r) => (JSON.parse(r.body) as { trigger?: string }).trigger ?? 'watchdog').sort()).to.deep.equal(['last-image', 'watchdog']);
    const finished = (await invoke('preview-maker', previewJobs)) as { batchItemFailures: unknown[] };
    expect(finished.batchItemFailures).to.deep.equal([]);

    const product = await db.selectFrom('products').select(['status', 'zipKey']).where('uploadId', '=', uploadId).executeTakeFirstOrThrow();
    expect(product.status).to.equal('ready');
    expect(product.zipKey).to.be.a('string');
  });
});
