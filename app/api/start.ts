/** Builds the API from an environment and listens: used by server.ts, the local environment and tests. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createLogger } from '../../core/log.ts';
import { createCdnInvalidator } from '../../core/cdn/invalidation.ts';
import type { FamilyPreviewJob } from '../../core/queue/messages.ts';
import { createSqsClient, JobQueues } from '../../core/queue/sqs.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';
import { createSsmClient, readStripeParameters, type StripeSecrets } from '../../core/selling/stripe-parameters.ts';
import { createApp, type ApiDeps } from './app.ts';
import { startCatalogCache } from './catalog/changes.ts';
import { LOCAL_CURSOR_SECRET } from './catalog/cursor.ts';
import { followUploadChanges } from './contributor/upload-events.ts';
import { assetsBaseUrl, readApiEnv, type ApiEnv } from './config.ts';
import { apiDb } from './tables.ts';
import { startAuthHousekeeping } from './auth/housekeeping.ts';
import { SesSender } from './mail/sender.ts';
import { createApiDb } from './database.ts';
import { ElasticsearchSearch } from './search/elasticsearch.ts';
import { PostgresSearch } from './search/postgres.ts';

export interface RunningApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Stripe's secrets from the environment, or (in AWS) from their SSM parameters; undefined without Stripe. */
async function stripeSecrets(config: ApiEnv, env: NodeJS.ProcessEnv): Promise<StripeSecrets | undefined> {
  if (config.STRIPE_SECRET_KEY && config.STRIPE_WEBHOOK_SECRET) return { secretKey: config.STRIPE_SECRET_KEY, webhookSecret: config.STRIPE_WEBHOOK_SECRET };
  if (!config.STRIPE_SECRET_KEY_PARAMETER || !config.STRIPE_WEBHOOK_SECRET_PARAMETER) return undefined;
  const ssm = createSsmClient({ ...env, AWS_REGION: config.AWS_REGION });
  try {
    return await readStripeParameters(ssm, { secretKey: config.STRIPE_SECRET_KEY_PARAMETER, webhookSecret: config.STRIPE_WEBHOOK_SECRET_PARAMETER });
  } finally {
    ssm.destroy();
  }
}

export async function startApi(
  env: NodeJS.ProcessEnv,
  overrides: Partial<Pick<ApiDeps, 'rateLimits' | 'validateResponses' | 'logger'>> = {},
): Promise<RunningApi> {
  const config = readApiEnv(env);
  // First, before anything holds a connection: a parameter that cannot be read stops the start.
  const stripe = await stripeSecrets(config, env);
  const db = createApiDb(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE });
  const s3 = createS3Client(env);
  const objectS3 = config.S3_INTERNAL_ENDPOINT ? createS3Client({ ...env, AWS_ENDPOINT_URL_S3: config.S3_INTERNAL_ENDPOINT }) : undefined;
  const search =
    config.SEARCH_BACKEND === 'elasticsearch'
      ? new ElasticsearchSearch({ url: config.ELASTICSEARCH_URL!, index: config.ELASTICSEARCH_INDEX, apiKey: config.ELASTICSEARCH_API_KEY })
      : new PostgresSearch(apiDb(db));
  const logger = overrides.logger ?? createLogger({ name: 'api', level: config.LOG_LEVEL });
  if (config.NODE_ENV === 'production' && config.CURSOR_SECRET === LOCAL_CURSOR_SECRET) {
    logger.warn('CURSOR_SECRET is not set: page cursors are signed with the public local key');
  }
  const cached =
    config.CATALOG_CACHE_MB > 0
      ? await startCatalogCache({
          connectionString: config.DATABASE_URL,
          maxBytes: config.CATALOG_CACHE_MB * 2 ** 20,
          ttlSeconds: config.CATALOG_CACHE_TTL_SECONDS,
          logger,
        })
      : undefined;
  const changes = cached?.feed;
  if (config.STRIPE_SECRET_KEY_PARAMETER && !stripe) logger.warn(`Stripe is not configured (${config.STRIPE_SECRET_KEY_PARAMETER} holds the placeholder): checkout, refunds and payouts answer 503`);
  const sqs = config.PREVIEW_QUEUE_URL ? createSqsClient(env) : undefined;
  // Only the preview queue is used here; JobQueues takes both URLs.
  const previewQueue = sqs && new JobQueues(sqs, { imageQueueUrl: config.PREVIEW_QUEUE_URL!, previewQueueUrl: config.PREVIEW_QUEUE_URL! });
  const familyPreviews = previewQueue && { request: (job: FamilyPreviewJob) => previewQueue.sendPreviewJob(job, 0) };
  const uploadChanges = followUploadChanges({ connectionString: config.DATABASE_URL, logger });
  await uploadChanges.ready;
  if (!config.MAIL_FROM) logger.warn('MAIL_FROM is not set: no account mail (verification links, notices) is sent');
  const mailSender = config.MAIL_FROM
    ? new SesSender({
        from: config.MAIL_FROM,
        region: config.AWS_REGION,
        endpoint: config.AWS_ENDPOINT_URL_SESV2,
        // The stand-in takes any key; in AWS the task role's credentials come from the default chain.
        ...(config.AWS_ENDPOINT_URL_SESV2 ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      })
    : undefined;
  const app = createApp({
    db,
    s3,
    objectS3,
    buckets: { uploads: config.UPLOADS_BUCKET, assets: config.ASSETS_BUCKET, downloads: config.DOWNLOADS_BUCKET },
    assetsBaseUrl: assetsBaseUrl(config),
    cdn: createCdnInvalidator(env, assetsBaseUrl(config)),
    familyPreviews,
    search,
    catalogCache: cached?.cache,
    uploadChanges,
    secureCookies: config.COOKIE_SECURE ?? config.NODE_ENV === 'production',
    trustProxy: config.TRUST_PROXY,
    clientAddressHeader: config.CLIENT_ADDRESS_HEADER,
    publicOrigin: config.PUBLIC_ORIGIN,
    cursorSecret: config.CURSOR_SECRET,
    ...(config.IMAGE_QUEUE_URL && config.PREVIEW_QUEUE_URL
      ? {
          jobs: {
            queues: new JobQueues(createSqsClient(env), { imageQueueUrl: config.IMAGE_QUEUE_URL, previewQueueUrl: config.PREVIEW_QUEUE_URL }),
            watchdogDelaySeconds: config.PREVIEW_DELAY_SECONDS,
          },
        }
      : {}),
    selling: {
      gateway: stripe ? new StripeGateway({ ...stripe, apiBase: config.STRIPE_API_BASE }) : undefined,
      commissionPercent: config.PLATFORM_COMMISSION_PERCENT,
      // Never the request's Host header where the stack names the origin (every deployed stack sets PUBLIC_ORIGIN).
      publicUrl: config.PUBLIC_URL ?? config.PUBLIC_ORIGIN,
    },
    ...(mailSender ? { mail: { sender: mailSender, linkOrigin: (config.PUBLIC_URL ?? config.PUBLIC_ORIGIN)! } } : {}),
    ...overrides,
    logger,
  });
  const housekeeping = startAuthHousekeeping(apiDb(db), logger, config.HOUSEKEEPING_INTERVAL_SECONDS, { expireUnverifiedAccounts: mailSender !== undefined });
  const server = app.listen(config.PORT, config.HOST);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await housekeeping.stop();
    mailSender?.close();
    await uploadChanges.close();
    await changes?.close();
    await db.destroy();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  return {
    url: `http://${host}:${port}`,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await housekeeping.stop();
      s3.destroy();
      sqs?.destroy();
      mailSender?.close();
      objectS3?.destroy();
      await uploadChanges.close();
      await changes?.close();
      await db.destroy();
    },
  };
}
