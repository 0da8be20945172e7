/**
 * POST /api/products/:id/retry on a set that is processing: it re-sends the pending images' jobs once the set has
 * made no progress for RESEND_AFTER_SECONDS (a crash before the jobs were sent), and not again within that window.
 * Image jobs of a pending image all render (process-image skips only settled images), so without the window one
 * contributor could multiply the pipeline's work (and SQS/Lambda spend) on a big set at will.
 * Real PostgreSQL and the SQS emulator (fauxqs) the local pipeline uses.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApp } from '../../app/api/app.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { createSqsClient, JobQueues } from '../../core/queue/sqs.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startSqsEmulator } from '../../scripts/local/services.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from '../api/client.ts';
import { signUpAndIn } from '../api/sign-up.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const IMAGES = 20;
const RETRIES = 20;

describe('retrying a set that is processing', function () {
  this.timeout(60_000);
  let database: FreshDatabase;
  let fauxqs: Awaited<ReturnType<typeof startSqsEmulator>>;
  let sqs: ReturnType<typeof createSqsClient>;
  let imageQueueUrl: string;
  let server: LocalServer | undefined;
  let url: string;

  before(async () => {
    database = await freshDatabase();
    fauxqs = await startSqsEmulator(0);
    imageQueueUrl = fauxqs.createQueue('review-images').queueUrl;
    const previewQueueUrl = fauxqs.createQueue('review-previews').queueUrl;
    sqs = createSqsClient({ AWS_ENDPOINT_URL_SQS: fauxqs.address, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' });
    server = await serveOnLocalPort(createApp({
      db: database.db,
      s3: createS3Client({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }),
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: 'http://127.0.0.1:9/assets',
      logger: pino({ level: 'silent' }),
      secureCookies: false,
      rateLimits: { auth: { requests: 1_000, windowSeconds: 60 }, upload: { requests: 1_000, windowSeconds: 60 } },
      validateResponses: true,
      jobs: { queues: new JobQueues(sqs, { imageQueueUrl, previewQueueUrl }), watchdogDelaySeconds: 1 },
    }));
    url = server.url;
  });

  after(async () => {
    await server?.close();
    sqs?.destroy();
    await fauxqs?.stop();
    await database?.destroy();
  });

  it("re-sends a stalled set's pending jobs once, and nothing for retries within the window", async () => {
    const contributor = new ApiClient(url);
    await signUpAndIn(contributor, { email: 'spammer@example.test', password: 'correct horse battery', displayName: 'Spammer', role: 'contributor', slug: 'spammer' });
    const contributorId = (await contributor.get('/api/auth/me')).json.account.contributor.id as string;
    const [set] = await seedCatalog(database.db, [{ title: 'Big set', imageTitles: Array.from({ length: IMAGES }, (_, i) => `Icon ${i}`), published: false }], { id: contributorId });
    // A set whose first run stalled (its jobs were lost before they were sent): every image pending, no progress for 10 minutes.
    await sql`update images set status = 'pending' where product_id = ${set!.productId}`.execute(database.db);
    await sql`update products set status = 'processing' where id = ${set!.productId}`.execute(database.db);
    await sql`update uploads set progress_at = now() - interval '10 minutes' where product_id = ${set!.productId}`.execute(database.db);

    const answers: Array<{ status: number; code?: string; images?: number }> = [];
    for (let i = 0; i < RETRIES; i++) {
      const res = await contributor.post(`/api/products/${set!.productId}/retry`, {});
      answers.push({ status: res.status, ...(res.status === 202 ? { images: res.json.images } : { code: res.json.error.code }) });
    }
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: imageQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    // The first retry re-sends every pending image's job; the others, within the window, send nothing.
    expect(answers[0]).to.deep.equal({ status: 202, images: IMAGES });
    expect(answers.slice(1)).to.deep.equal(Array.from({ length: RETRIES - 1 }, () => ({ status: 409, code: 'invalid_state' })));
    expect(Number(attributes.Attributes!.ApproximateNumberOfMessages)).to.equal(IMAGES);
  });
});
