/** Builds the API from an environment and listens: used by server.ts, the local environment and tests. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createLogger } from '../../core/log.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';
import { createApp, type ApiDeps } from './app.ts';
import { startCatalogCache } from './catalog/changes.ts';
import { assetsBaseUrl, readApiEnv } from './config.ts';
import { apiDb } from './db.ts';
import { createApiDb } from './database.ts';
import { ElasticsearchSearch } from './search/elasticsearch.ts';
import { PostgresSearch } from './search/postgres.ts';

export interface RunningApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startApi(
  env: NodeJS.ProcessEnv,
  overrides: Partial<Pick<ApiDeps, 'rateLimits' | 'validateResponses' | 'logger'>> = {},
): Promise<RunningApi> {
  const config = readApiEnv(env);
  const db = createApiDb(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE });
  const s3 = createS3Client(env);
  const search =
    config.SEARCH_BACKEND === 'elasticsearch'
      ? new ElasticsearchSearch({ url: config.ELASTICSEARCH_URL!, index: config.ELASTICSEARCH_INDEX, apiKey: config.ELASTICSEARCH_API_KEY })
      : new PostgresSearch(apiDb(db));
  const logger = overrides.logger ?? createLogger({ name: 'api', level: config.LOG_LEVEL });
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
  const app = createApp({
    db,
    s3,
    buckets: { uploads: config.UPLOADS_BUCKET, assets: config.ASSETS_BUCKET, downloads: config.DOWNLOADS_BUCKET },
    assetsBaseUrl: assetsBaseUrl(config),
    search,
    catalogCache: cached?.cache,
    secureCookies: config.COOKIE_SECURE ?? config.NODE_ENV === 'production',
    trustProxy: config.TRUST_PROXY,
    selling: {
      gateway:
        config.STRIPE_SECRET_KEY && config.STRIPE_WEBHOOK_SECRET
          ? new StripeGateway({ secretKey: config.STRIPE_SECRET_KEY, webhookSecret: config.STRIPE_WEBHOOK_SECRET, apiBase: config.STRIPE_API_BASE })
          : undefined,
      commissionPercent: config.PLATFORM_COMMISSION_PERCENT,
      publicUrl: config.PUBLIC_URL,
    },
    ...overrides,
    logger,
  });
  const server = app.listen(config.PORT, config.HOST);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
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
      s3.destroy();
      await changes?.close();
      await db.destroy();
    },
  };
}
