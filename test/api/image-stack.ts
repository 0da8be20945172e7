/**
 * The API on a fresh catalog database and a real S3 emulator (s3rver), without the pipeline: image page and
 * customisation tests seed sets in bulk and store their sanitised originals themselves.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import S3rver from 's3rver';
import { createApp } from '../../app/api/app.ts';
import { startCatalogCache } from '../../app/api/catalog/changes.ts';
import type { Slots } from '../../app/api/downloads/slots.ts';
import type { Database } from '../../core/catalog/index.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { createS3Client, ObjectStore, originalKey, sanitisedSvgFrom } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../scripts/local/aws-resources.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from './client.ts';
import { signUpAndIn } from './sign-up.ts';
import { serveOnLocalPort } from '../support/local-server.ts';

export interface ImageStack {
  url: string;
  db: Kysely<Database>;
  s3: S3Client;
  s3Endpoint: string;
  store: ObjectStore;
  anonymous(): ApiClient;
  signUp(role: 'buyer' | 'contributor', name: string): Promise<ApiClient>;
  /** Stores `svg` (sanitised here) as the original of the image, as the pipeline does. */
  putOriginal(productId: string, imageId: string, svg: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ImageStackOptions {
  /** Serve public lists and searches from the catalog read cache on its change feed, as production does. */
  catalogCache?: boolean;
  /** The customised renders' slots, for tests that hold them (ApiDeps.customRenderSlots). */
  customRenderSlots?: Slots;
}

export async function startImageStack(options: ImageStackOptions = {}): Promise<ImageStack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'image-stack-'));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dataDir,
    silent: true,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: Object.values(LOCAL_BUCKETS).map((name) => ({ name, configs: [] })),
  });
  const { port } = (await s3rver.run()) as { port: number };
  const s3Endpoint = `http://127.0.0.1:${port}`;
  const database: FreshDatabase = await freshDatabase();
  const s3 = createS3Client({
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
  });
  const cached = options.catalogCache
    ? await startCatalogCache({ connectionString: database.connectionString, maxBytes: 16 * 2 ** 20, ttlSeconds: 60, logger: pino({ level: 'silent' }) })
    : undefined;
  const server = await serveOnLocalPort(createApp({
    catalogCache: cached?.cache,
    db: database.db,
    s3,
    buckets: LOCAL_BUCKETS,
    assetsBaseUrl: `${s3Endpoint}/${LOCAL_BUCKETS.assets}`,
    logger: pino({ level: 'silent' }),
    secureCookies: false,
    rateLimits: { auth: { requests: 1_000, windowSeconds: 60 }, upload: { requests: 1_000, windowSeconds: 60 } },
    validateResponses: true,
    customRenderSlots: options.customRenderSlots,
  }));
  const url = server.url;
  const store = new ObjectStore(s3, LOCAL_BUCKETS);
  const anonymous = () => new ApiClient(url);
  return {
    url,
    db: database.db,
    s3,
    s3Endpoint,
    store,
    anonymous,
    async signUp(role, name) {
      const client = anonymous();
      await signUpAndIn(client, {
        email: `${name}@example.test`,
        password: 'correct horse battery',
        displayName: name,
        role,
        ...(role === 'contributor' ? { slug: name } : {}),
      });
      return client;
    },
    async putOriginal(productId, imageId, svg) {
      const result = sanitizeSvg(Buffer.from(svg));
      if (!result.ok) throw new Error(`fixture SVG rejected: ${result.reason}`);
      await store.putOriginal(originalKey(productId, imageId), sanitisedSvgFrom(result), `${imageId}.svg`);
    },
    async stop() {
      await server.close();
      s3.destroy();
      await cached?.feed.close();
      await database.destroy();
      await (s3rver.close() as Promise<void>);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
