/**
 * Where an uncached search's CPU goes, independent of how busy the machine is: the `api` benchmark's
 * catalog (10,000 sets, ~241,000 images) and its 2,000 queries, sent one after another to the API without
 * its cache, counting CPU time, not wall time:
 *  - PostgreSQL: the one backend serving the API's pool (pool of 1), from /proc/<pid>/schedstat
 *    (nanoseconds on a CPU), so other processes' load does not count;
 *  - the API process: process.cpuUsage(), which includes this process's HTTP client; a bare Express
 *    handler measured the same way in the same run is the baseline (the client's and HTTP's share).
 * At 200 req/s on 2 cores everything a request costs (API, PostgreSQL, the load generator) must stay well
 * under 10 ms for latency not to queue; the last column is that share.
 * `npm run bench -- search-cpu [--json] [--database <url>]`: with --database, a catalog seeded before (by an
 * earlier run with the same URL) is reused and only migrated, for quick iterations.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import express from 'express';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApp } from '../../app/api/app.ts';
import { createApiDb } from '../../app/api/database.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { migrateToLatest } from '../../core/catalog/index.ts';
import { startPostgres, type LocalPostgres } from '../local/postgres.ts';
import { benchCatalog, benchSearches } from './api.ts';

const PRODUCTS = 10_000;
/** Requests before measuring: the JIT, the prepared statements' generic plans, PostgreSQL's buffers. */
const WARMUP = 200;
const BUDGET_MS = 2_000 / 200;

export interface SearchCpu {
  requests: number;
  /** Per request, ms of CPU. */
  apiMs: number;
  postgresMs: number;
  /** Reply size, KB. */
  replyKb: number;
}

function listen(app: express.Express): Promise<{ url: string; close(): void; server: http.Server }> {
  const server = app.listen(0, '127.0.0.1');
  return new Promise((resolve) =>
    server.once('listening', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, close: () => (server.closeAllConnections(), server.close()) }),
    ),
  );
}

async function measure(url: string, paths: readonly string[], postgresCpu: () => number): Promise<SearchCpu> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (p: string) =>
    new Promise<number>((resolve, reject) =>
      http
        .get(url + p, { agent, headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${p}: ${res.statusCode}`))));
        })
        .on('error', reject),
    );
  try {
    for (const p of paths.slice(0, WARMUP)) await get(p);
    const api = process.cpuUsage();
    const postgres = postgresCpu();
    let bytes = 0;
    for (const p of paths) bytes += await get(p);
    const used = process.cpuUsage(api);
    return {
      requests: paths.length,
      apiMs: (used.user + used.system) / 1000 / paths.length,
      postgresMs: (postgresCpu() - postgres) / paths.length,
      replyKb: bytes / 1024 / paths.length,
    };
  } finally {
    agent.destroy();
  }
}

export async function benchSearchCpu(opts: { json: boolean; database?: string }): Promise<Record<string, SearchCpu>> {
  const log = (line: string) => {
    if (!opts.json) console.log(line);
  };
  let postgres: LocalPostgres | undefined;
  let dir: string | undefined;
  let connectionString = opts.database;
  if (!connectionString) {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bench-search-cpu-'));
    await chmod(dir, 0o755);
    postgres = await startPostgres({ dataDir: path.join(dir, 'pg'), persistent: false });
    connectionString = await postgres.createDatabase('bench');
  }
  // One connection: its backend is the whole of PostgreSQL's work for the requests.
  const db = createApiDb(connectionString, { max: 1, idleTimeoutMillis: 0 });
  try {
    await migrateToLatest(db);
    const seeded = await db.selectFrom('products').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (Number(seeded.n) === 0) {
      const started = Date.now();
      const sets = benchCatalog(PRODUCTS);
      for (let i = 0; i < PRODUCTS; i += 1_000) await seedCatalog(db, sets.slice(i, i + 1_000));
      await sql`vacuum analyze`.execute(db);
      log(`seeded ${PRODUCTS} sets in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    const pid = rows[0]!.pid;
    const postgresCpu = () => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;

    const api = await listen(
      createApp({
        db,
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
    const bare = await listen(bareApp);
    try {
      const queries = benchSearches();
      const results = {
        bare: await measure(bare.url, queries.map(() => '/bare'), postgresCpu),
        icons: await measure(api.url, queries.map((q) => `/api/search?q=${encodeURIComponent(q)}&limit=48`), postgresCpu),
        sets: await measure(api.url, queries.map((q) => `/api/search?type=sets&q=${encodeURIComponent(q)}&limit=24`), postgresCpu),
      };
      if (opts.json) console.log(JSON.stringify(results));
      else {
        log(`CPU per request, ${queries.length} distinct queries each, sequential, no cache (load average ${os.loadavg()[0]!.toFixed(1)}):`);
        console.table(
          Object.fromEntries(
            Object.entries(results).map(([name, r]) => [
              name,
              {
                'API ms': +r.apiMs.toFixed(2),
                'API / bare': +(r.apiMs / results.bare.apiMs).toFixed(1),
                'PostgreSQL ms': +r.postgresMs.toFixed(2),
                'reply KB': +r.replyKb.toFixed(1),
                [`share of ${BUDGET_MS} ms`]: +((r.apiMs + r.postgresMs) / BUDGET_MS).toFixed(2),
              },
            ]),
          ),
        );
      }
      return results;
    } finally {
      api.close();
      bare.close();
    }
  } finally {
    await db.destroy();
    await postgres?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
