/**
 * Customised downloads (POST /api/downloads/custom): a 512 px PNG recoloured, p50/p99 of the API call for a
 * first request (render from the sanitised original, S3 write, presign) and for a cached one (an indexed
 * read and a presign), beside the stored-PNG download (POST /api/downloads: presign only) as the baseline
 * measured in the same run. Sequential requests from the same process, on PostgreSQL and s3rver.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApp } from '../../app/api/app.ts';
import { createApiDb } from '../../app/api/database.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { migrateToLatest } from '../../core/catalog/index.ts';
import { createS3Client, ObjectStore, originalKey, sanitisedSvgFrom } from '../../core/storage/index.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { LOCAL_BUCKETS } from '../local/aws-resources.ts';
import { startLocalServices } from '../local/services.ts';
import { iconSvg } from '../../test/fixtures/svgs.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ICONS = 40;
const COLOURS = ['#e11d48', '#2563eb'];
const SIZE = 512;
const BASELINE_REQUESTS = 200;
const CACHED_ROUNDS = 3;

export interface LatencyMs {
  p50: number;
  p99: number;
  requests: number;
}

export interface CustomiseBenchResult {
  storedDownload: LatencyMs;
  firstRequest: LatencyMs;
  cachedRequest: LatencyMs;
  /** p50 ratios against the stored-PNG download. */
  firstVsStored: number;
  cachedVsStored: number;
}

function percentiles(samples: number[]): LatencyMs {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: Number(at(0.5).toFixed(2)), p99: Number(at(0.99).toFixed(2)), requests: sorted.length };
}

export async function benchCustomise(): Promise<CustomiseBenchResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-customise-'));
  const services = await startLocalServices({ dataDir: dir });
  const db = createApiDb(services.databaseUrl, { max: 4 });
  const s3 = createS3Client(services.functionEnv);
  let server: Server | undefined;
  try {
    await migrateToLatest(db);
    const [set] = await seedCatalog(db, [{ title: 'Bench Icons', imageTitles: Array.from({ length: ICONS + 1 }, (_, i) => `Icon ${i}`) }]);
    await sql`update products set price_cents = 0, currency = null, license = 'free'`.execute(db);
    const store = new ObjectStore(s3, LOCAL_BUCKETS);
    for (const [index, imageId] of set!.imageIds.entries()) {
      const result = sanitizeSvg(Buffer.from(iconSvg(index)));
      if (!result.ok) throw new Error(result.reason);
      await store.putOriginal(originalKey(set!.productId, imageId), sanitisedSvgFrom(result), `icon-${index}.svg`);
    }
    server = createApp({
      db,
      s3,
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: `${services.s3Endpoint}/${LOCAL_BUCKETS.assets}`,
      logger: pino({ level: 'silent' }),
      secureCookies: false,
      // One account asks for hundreds of downloads here: the bench measures latency, not the per-account limits.
      rateLimits: { download: { requests: 100_000, windowSeconds: 60 }, customise: { burst: { requests: 100_000, windowSeconds: 60 }, perDay: 100_000 } },
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const account = { email: 'bench@example.test', password: 'correct horse battery' };
    const json = { 'content-type': 'application/json' };
    // Sign-up answers 202 without a session (issue 14); the new account signs in.
    await fetch(`${url}/api/auth/signup`, { method: 'POST', headers: json, body: JSON.stringify({ ...account, displayName: 'Bench', role: 'buyer' }) });
    const signIn = await fetch(`${url}/api/auth/signin`, { method: 'POST', headers: json, body: JSON.stringify(account) });
    const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const post = async (route: string, body: unknown): Promise<number> => {
      const started = performance.now();
      const res = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`${route} answered ${res.status}`);
      return performance.now() - started;
    };
    const [warmImage, ...images] = set!.imageIds;
    // Warm-up (not counted): libvips, the sharp thread pool, prepared statements.
    await post('/api/downloads/custom', { imageId: warmImage, format: 'png', size: SIZE, colour: '#000000' });
    await post('/api/downloads', { imageId: warmImage, format: 'png', size: 256 });

    const stored: number[] = [];
    for (let i = 0; i < BASELINE_REQUESTS; i++) stored.push(await post('/api/downloads', { imageId: images[i % images.length], format: 'png', size: 256 }));
    const requests = images.flatMap((imageId) => COLOURS.map((colour) => ({ imageId, format: 'png', size: SIZE, colour })));
    const first: number[] = [];
    for (const body of requests) first.push(await post('/api/downloads/custom', body));
    const cached: number[] = [];
    for (let round = 0; round < CACHED_ROUNDS; round++) for (const body of requests) cached.push(await post('/api/downloads/custom', body));

    const result = { storedDownload: percentiles(stored), firstRequest: percentiles(first), cachedRequest: percentiles(cached) };
    return {
      ...result,
      firstVsStored: Number((result.firstRequest.p50 / result.storedDownload.p50).toFixed(1)),
      cachedVsStored: Number((result.cachedRequest.p50 / result.storedDownload.p50).toFixed(2)),
    };
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(() => resolve(undefined)));
    }
    s3.destroy();
    await db.destroy();
    await services.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export function printCustomiseBench(result: CustomiseBenchResult): void {
  console.log(`Customised ${SIZE} px PNG (recoloured), ${ICONS} icons x ${COLOURS.length} colours, sequential requests:`);
  console.table({
    'stored PNG download (baseline)': result.storedDownload,
    'customised, first request': result.firstRequest,
    'customised, cached': result.cachedRequest,
  });
  console.log(`p50 vs the stored download: first ${result.firstVsStored}x, cached ${result.cachedVsStored}x`);
}
