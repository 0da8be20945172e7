/**
 * `npm start`: the whole marketplace on this machine with sample content — storefront and API on one
 * origin (http://localhost:3000 by default, `PORT` changes it), the ingestion pipeline wired as in AWS,
 * sample sets uploaded and published through the real contributor flow on first start.
 * Data lives in `.local/` and survives restarts; `npm run reset` wipes it. Ctrl-C stops everything.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { takeLock } from './lock.ts';
import { startLocalMarketplace } from './marketplace.ts';
import { publishSampleContent, SAMPLE_BUYER, SAMPLE_PASSWORD } from './sample-content/publish.ts';
import { SAMPLE_CONTRIBUTORS } from './sample-content/catalog.ts';

/** `.local/` in the repository; MARKETPLACE_DATA_DIR moves it (tests use a temporary one). */
export const LOCAL_DATA_DIR = path.resolve(process.env.MARKETPLACE_DATA_DIR ?? path.join(import.meta.dirname, '../../.local'));

async function main() {
  const started = performance.now();
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, not "${process.env.PORT}"`);
  await mkdir(LOCAL_DATA_DIR, { recursive: true });
  const releaseLock = await takeLock(path.join(LOCAL_DATA_DIR, 'start.lock'));

  const marketplace = await startLocalMarketplace({
    dataDir: LOCAL_DATA_DIR,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    logLevel: process.env.LOG_LEVEL ?? 'info',
    log: (line) => console.log(line),
  }).catch(async (error: unknown) => {
    await releaseLock();
    throw error;
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await marketplace.stop();
    await releaseLock();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  console.log('Loading sample content through the contributor flow and the pipeline…');
  const outcomes = await publishSampleContent(marketplace.url, path.join(LOCAL_DATA_DIR, 'samples.json'), (outcome) =>
    console.log(`  ${outcome.name.padEnd(18)} ${outcome.state.padEnd(10)} ${outcome.images} images${outcome.problems.length ? `  ${outcome.problems.join('; ')}` : ''}`),
  );
  if (outcomes.length === 0) console.log('  (already loaded)');

  const url = marketplace.url;
  console.log(`
Ready in ${((performance.now() - started) / 1000).toFixed(1)} s.

  Storefront        ${url}
  API               ${url}/api  (${url}/api/health, ${url}/api/openapi.json)
  Pipeline queues   ${url}/_local/pipeline
  Outbox (mails)    ${url}/_local/outbox
  PostgreSQL        ${marketplace.pipeline.services.databaseUrl}

  Sample accounts (password "${SAMPLE_PASSWORD}"):
    buyer        ${SAMPLE_BUYER.email}
${SAMPLE_CONTRIBUTORS.map((c) => `    contributor  ${c.email}`).join('\n')}

Ctrl-C stops everything.`);
  console.log('READY'); // a line for scripts and tests that start the marketplace
}

main().catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
