/**
 * API benchmark: 10,000 published sets in a throw-away PostgreSQL, the API in this process, and load from a
 * second process (autocannon) on loopback, so the load generator does not steal the server's event loop.
 *  - search: p50/p99 at a fixed 200 requests/s (target: p99 < 50 ms),
 *  - list: throughput at full load beside a bare Express handler measured the same way in the same run
 *    (target: at least half the bare handler's throughput), plus its p50/p99.
 * `npm run bench -- api [--json]`, or `tsx scripts/bench/api.ts [--json]` standalone.
 */
import { fork } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import express from 'express';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApp } from '../../app/api/app.ts';
import { createApiDb } from '../../app/api/database.ts';
import { seedCatalog, type SeedProduct } from '../../app/api/dev/seed.ts';
import { migrateToLatest } from '../../core/catalog/index.ts';
import { startPostgres } from '../local/postgres.ts';

const PRODUCTS = 10_000;
const SEARCH_RATE = 200;
const DURATION_SECONDS = 8;

const SUBJECTS = ['weather', 'office', 'travel', 'food', 'music', 'sports', 'finance', 'medical', 'nature', 'animals', 'space', 'tools', 'education', 'shopping', 'transport', 'holiday', 'garden', 'ocean', 'city', 'winter'];
const STYLES = ['line', 'filled', 'duotone', 'flat', 'hand-drawn', 'isometric', 'outline', 'glyph', 'pastel', 'retro'];
const THINGS = ['sun', 'cloud', 'chart', 'plane', 'burger', 'guitar', 'ball', 'coin', 'pill', 'leaf', 'cat', 'rocket', 'hammer', 'book', 'cart', 'bus', 'gift', 'flower', 'wave', 'tower', 'snow'];
const SEARCHES = ['weather', 'wether', 'ocean icons', 'rock', 'hand drawn garden', 'plane', 'finan', 'isometric city', 'snow', 'guitr'];

interface LoadSpec {
  url: string;
  paths: string[];
  connections: number;
  duration: number;
  overallRate?: number;
}

interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
  non2xx: number;
  errors: number;
}

/** Runs in the child process: autocannon against the spec, result as JSON on stdout. */
async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.duration,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    requests: spec.paths.map((p) => ({ method: 'GET', path: p })),
  });
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, non2xx: result.non2xx, errors: result.errors };
}

function loadFromSecondProcess(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load', JSON.stringify(spec)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load process exited with ${code}`))));
  });
}

function catalog(n: number): SeedProduct[] {
  return Array.from({ length: n }, (_, i) => {
    const subject = SUBJECTS[i % SUBJECTS.length]!;
    const style = STYLES[Math.floor(i / SUBJECTS.length) % STYLES.length]!;
    const things = [0, 1, 2, 3].map((k) => THINGS[(i * 7 + k * 3) % THINGS.length]!);
    return {
      title: `${subject[0]!.toUpperCase()}${subject.slice(1)} ${style} icons ${i}`,
      tags: [subject, style, ...things.slice(0, 2)],
      description: `A ${style} set about ${subject}: ${things.join(', ')}.`,
      imageTitles: things.map((t) => `${t[0]!.toUpperCase()}${t.slice(1)} ${i}`),
      familySlug: subject,
      kind: i % 5 === 0 ? 'illustration-set' : 'icon-set',
    };
  });
}

async function listenOn(app: express.Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function benchApi(opts: { json: boolean }): Promise<Record<string, number>> {
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-api-'));
  // Run as root, PostgreSQL runs as `postgres`, which must reach the data directory.
  await chmod(dir, 0o755);
  const postgres = await startPostgres({ dataDir: path.join(dir, 'pg'), persistent: false });
  const servers: Server[] = [];
  // The pool the API runs with in production (start.ts): reads as prepared statements.
  const db = createApiDb(await postgres.createDatabase('bench'), { max: 10 });
  try {
    await migrateToLatest(db);
    const started = Date.now();
    for (let i = 0; i < PRODUCTS; i += 2_000) await seedCatalog(db, catalog(PRODUCTS).slice(i, i + 2_000));
    // Bulk inserts leave GIN entries in the pending list until a vacuum; measured searches were 3x slower
    // before it. Autovacuum gets a live catalog there; the benchmark measures that steady state.
    await sql`vacuum analyze`.execute(db);
    log(`seeded ${PRODUCTS} sets (${PRODUCTS * 4} images) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const api = await listenOn(
      createApp({
        db,
        // Catalog and search routes never call S3.
        s3: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
        buckets: { uploads: 'uploads', assets: 'assets', downloads: 'downloads' },
        assetsBaseUrl: 'https://assets.example.test',
        logger: pino({ level: 'silent' }),
        secureCookies: false,
      }),
    );
    const bareApp = express();
    bareApp.get('/bare', (_req, res) => {
      res.json({ ok: true });
    });
    const bare = await listenOn(bareApp);
    servers.push(api.server, bare.server);

    const listPaths = ['/api/products?limit=24', '/api/products?limit=24&kind=icon-set', '/api/products?limit=24&sort=title', '/api/products?limit=24&contributor=nobody'];
    // Warm caches and JIT for every route before measuring.
    await loadFromSecondProcess({ url: api.url, paths: [...listPaths, ...SEARCHES.map((q) => `/api/search?q=${encodeURIComponent(q)}`)], connections: 4, duration: 2 });

    const search = await loadFromSecondProcess({
      url: api.url,
      paths: SEARCHES.map((q) => `/api/search?q=${encodeURIComponent(q)}&limit=24`),
      connections: 10,
      duration: DURATION_SECONDS,
      overallRate: SEARCH_RATE,
    });
    const bareLoad = await loadFromSecondProcess({ url: bare.url, paths: ['/bare'], connections: 10, duration: DURATION_SECONDS });
    const list = await loadFromSecondProcess({ url: api.url, paths: listPaths, connections: 10, duration: DURATION_SECONDS });

    const results = {
      products: PRODUCTS,
      searchRate: search.rps,
      searchP50Ms: search.p50,
      searchP99Ms: search.p99,
      searchFailures: search.non2xx + search.errors,
      listRps: list.rps,
      listP50Ms: list.p50,
      listP99Ms: list.p99,
      listFailures: list.non2xx + list.errors,
      bareRps: bareLoad.rps,
      listToBareRatio: list.rps / bareLoad.rps,
    };
    log(`search @ ${SEARCH_RATE}/s: ${search.rps.toFixed(0)} req/s achieved, p50 ${search.p50} ms, p99 ${search.p99} ms (target p99 < 50 ms) ${search.p99 < 50 ? 'OK' : 'MISSED'}`);
    log(`list at full load: ${list.rps.toFixed(0)} req/s, p50 ${list.p50} ms, p99 ${list.p99} ms`);
    log(`bare Express handler: ${bareLoad.rps.toFixed(0)} req/s; list/bare = ${results.listToBareRatio.toFixed(2)} (target >= 0.5) ${results.listToBareRatio >= 0.5 ? 'OK' : 'MISSED'}`);
    if (results.searchFailures + results.listFailures > 0) log(`failures: search ${results.searchFailures}, list ${results.listFailures}`);
    return results;
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await db.destroy();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const self = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (self && process.argv[2] === '--load') {
  const result = await runLoad(JSON.parse(process.argv[3]!) as LoadSpec);
  // The IPC channel fork() opens would keep this process alive.
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
} else if (self) {
  const json = process.argv.includes('--json');
  const results = await benchApi({ json });
  if (json) console.log(JSON.stringify(results));
}
