/**
 * `npm start`: the ingestion pipeline on this machine with sample content — PostgreSQL, S3 and
 * SQS/SNS emulators, the three functions wired as in AWS — kept running until Ctrl-C.
 * Data lives in `.local/` and survives restarts; `npm run reset` wipes it.
 */
import { mkdir, open, rm, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createS3Client } from '../../core/storage/index.ts';
import { startLocalPipeline } from './pipeline.ts';
import { uploadSampleContent } from './sample-content/load.ts';
import { waitForUpload } from './upload-tracking.ts';

export const LOCAL_DATA_DIR = path.resolve(import.meta.dirname, '../../.local');

async function main() {
  await mkdir(LOCAL_DATA_DIR, { recursive: true });
  const releaseLock = await takeLock(path.join(LOCAL_DATA_DIR, 'start.lock'));
  const portOf = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  console.log('Starting PostgreSQL, S3 and SQS/SNS emulators…');
  const pipeline = await startLocalPipeline({
    dataDir: LOCAL_DATA_DIR,
    persistent: true,
    ports: { postgres: portOf('POSTGRES_PORT') ?? 54329, s3: portOf('S3_PORT') ?? 4569, sqs: portOf('SQS_PORT') ?? 4566 },
    previewDelaySeconds: 5,
    logLevel: process.env.LOG_LEVEL ?? 'info',
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await pipeline.stop();
    await releaseLock();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const { services } = pipeline;
  console.log(`PostgreSQL  ${services.databaseUrl}`);
  console.log(`S3          ${services.s3Endpoint}  (buckets: ${Object.values(services.functionEnv).filter((v) => v.startsWith('marketplace-')).join(', ')})`);
  console.log(`SQS/SNS     ${services.sqsEndpoint}  (queues: ${services.sqsEndpoint}/_fauxqs/queues)`);

  const s3 = createS3Client(services.functionEnv);
  const samples = await uploadSampleContent(pipeline.runtime.db, s3, path.join(LOCAL_DATA_DIR, 'samples.json'));
  if (samples.length > 0) {
    console.log(`Ingesting ${samples.length} sample set(s) through the pipeline…`);
    for (const sample of samples) {
      const result = await waitForUpload(pipeline.runtime.db, sample.uploadId, { timeoutMs: 300_000 });
      console.log(`  ${sample.name.padEnd(18)} ${result.status.padEnd(8)} ${result.images} images, ${result.renditions} renditions`);
    }
  }
  console.log('\nReady. Upload a ZIP to s3://marketplace-uploads/uploads/<contributorId>/<uploadId>.zip to run the pipeline; Ctrl-C stops.');
}

/** One `npm start` at a time: a second one would corrupt the data folder. */
async function takeLock(file: string): Promise<() => Promise<void>> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(String(process.pid));
    await handle.close();
  } catch {
    const pid = Number(await readFile(file, 'utf8').catch(() => '0'));
    if (pid && isRunning(pid)) {
      throw new Error(`npm start is already running (pid ${pid}); stop it first (Ctrl-C in its terminal).`);
    }
    await rm(file, { force: true }); // stale lock from a crashed run
    return takeLock(file);
  }
  return () => rm(file, { force: true });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

main().catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
