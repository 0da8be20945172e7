/**
 * `npm run batch -- reprocess [options]`: argument parsing (commander), environment (zod), signals and
 * output around the engine in reprocess.ts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { createDb } from '../../core/catalog/index.ts';
import { createLogger } from '../../core/log.ts';
import { createSqsClient, JobQueues } from '../../core/queue/sqs.ts';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../../core/pipeline/context.ts';
import { retryFailedImages } from '../../core/pipeline/retry-set.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { parseOnlyFilter, resolveReprocessOptions, type OnlyFilter, type ReprocessInput, type ReprocessOptions } from './options.ts';
import { terminalProgress, silentProgress } from './progress.ts';
import { reprocess, type ReprocessDeps, type ReprocessSummary } from './reprocess.ts';
import { onParentGone, relaunchWithThreadpool, threadpoolIsSized } from './threadpool.ts';

const BatchEnvironment = z.object({
  DATABASE_URL: z.string().startsWith('postgres', 'must be a postgres:// connection string'),
  UPLOADS_BUCKET: z.string().min(3).optional(),
  ASSETS_BUCKET: z.string().min(3).optional(),
  DOWNLOADS_BUCKET: z.string().min(3).optional(),
  IMAGE_QUEUE_URL: z.url().optional(),
  PREVIEW_QUEUE_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

function integer(name: string) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number)) throw new InvalidArgumentError(`${name} must be a whole number, got ${JSON.stringify(value)}`);
    return number;
  };
}

function list<T>(parse: (item: string) => T) {
  return (value: string, previous: T[] = []): T[] => [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean).map(parse)];
}

function only(value: string, previous: OnlyFilter[] = []): OnlyFilter[] {
  try {
    return [...previous, parseOnlyFilter(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface ReprocessFlags {
  source: 's3' | 'dir';
  dir?: string;
  output: 's3' | 'dir';
  outDir?: string;
  only?: OnlyFilter[];
  sizes?: number[];
  formats?: Array<'png' | 'webp'>;
  workers?: number;
  dryRun?: boolean;
  fanOut?: boolean;
  rate?: number;
  retries?: number;
  commitBatch?: number;
  run?: string;
  report?: string;
  json?: boolean;
  progress: boolean;
}

export function toReprocessInput(flags: ReprocessFlags): ReprocessInput {
  return {
    source: flags.source,
    dir: flags.dir,
    output: flags.output,
    outDir: flags.outDir,
    only: flags.only ?? [],
    sizes: flags.sizes,
    formats: flags.formats,
    workers: flags.workers,
    dryRun: flags.dryRun ?? false,
    fanOut: flags.fanOut ?? false,
    rate: flags.rate,
    retries: flags.retries,
    commitBatch: flags.commitBatch,
    runId: flags.run,
    report: flags.report,
  };
}

function printSummary(summary: ReprocessSummary, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const lines = [
    `run ${summary.runId} (${summary.mode}${summary.resumed ? ', resumed' : ''})${summary.interrupted ? ' — interrupted: run the same command again to resume' : ''}`,
    `listed ${summary.listed}, not in catalog ${summary.notInCatalog}, filtered out ${summary.filteredOut}, already done ${summary.alreadySettled}`,
  ];
  if (summary.mode === 'dry-run') {
    lines.push(`would render ${summary.selected} images (${Object.entries(summary.byKind ?? {}).map(([kind, n]) => `${n} ${kind}`).join(', ') || 'none'}), ${summary.renditions} renditions`);
  } else {
    lines.push(
      `${summary.mode === 'fan-out' ? `queued ${summary.queued}` : `rendered ${summary.rendered} (${summary.renditions} renditions)`}, failed ${summary.failed}, retries ${summary.retries}`,
      `${(summary.elapsedMs / 1000).toFixed(1)} s, ${summary.imagesPerSecond.toFixed(1)} images/s`,
    );
    if (summary.reportPath) lines.push(`failures: ${summary.reportPath}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

async function runReprocess(options: ReprocessOptions, flags: ReprocessFlags): Promise<number> {
  const env = BatchEnvironment.parse(process.env);
  const log = createLogger({ name: 'batch', level: env.LOG_LEVEL });
  const db = createDb(env.DATABASE_URL, { max: 4 });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    process.stderr.write('\nstopping: finishing the images in flight (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  onParentGone(() => controller.abort());
  try {
    const needsS3 = options.source === 's3' || (options.output === 's3' && !options.dryRun && !options.fanOut);
    let s3: ReprocessDeps['s3'];
    if (needsS3) {
      if (!env.UPLOADS_BUCKET || !env.ASSETS_BUCKET || !env.DOWNLOADS_BUCKET) {
        throw new Error('UPLOADS_BUCKET, ASSETS_BUCKET and DOWNLOADS_BUCKET must be set to read or write S3');
      }
      s3 = {
        client: createS3Client(process.env),
        env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('AWS_'))),
        buckets: { uploads: env.UPLOADS_BUCKET, assets: env.ASSETS_BUCKET, downloads: env.DOWNLOADS_BUCKET },
      };
    }
    let jobQueues: JobQueues | undefined;
    if (options.fanOut && !options.dryRun) {
      if (!env.IMAGE_QUEUE_URL) throw new Error('--fan-out needs IMAGE_QUEUE_URL');
      jobQueues = new JobQueues(createSqsClient(process.env), { imageQueueUrl: env.IMAGE_QUEUE_URL, previewQueueUrl: env.PREVIEW_QUEUE_URL ?? env.IMAGE_QUEUE_URL });
    }
    const showProgress = flags.progress && process.stderr.isTTY && !flags.json;
    const summary = await reprocess(options, {
      db,
      s3,
      jobQueues,
      log,
      signal: controller.signal,
      progress: showProgress ? terminalProgress(options.fanOut ? 'fan-out' : 'reprocess') : silentProgress,
    });
    printSummary(summary, flags.json ?? false);
    return summary.interrupted ? 130 : summary.failed > 0 ? 2 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await db.destroy();
  }
}

export function batchProgram(): Command {
  const program = new Command('batch').description('Batch operations on the catalog').exitOverride();
  program
    .command('reprocess')
    .description('Re-render renditions for originals in S3 or a folder, on all cores, resumably')
    .addOption(new Option('--source <source>', 'where originals are listed and read').choices(['s3', 'dir']).default('s3'))
    .option('--dir <folder>', 'folder of <productId>/<imageId>.svg (with --source dir)')
    .addOption(new Option('--output <output>', 'where renditions go (dir: a local folder, catalog untouched)').choices(['s3', 'dir']).default('s3'))
    .option('--out-dir <folder>', 'folder for --output dir')
    .option('--only <filter>', 'family=<slug>, set=<product id> or since=<ISO date>; repeats of one kind are alternatives, kinds combine', only)
    .option('--sizes <list>', 'comma-separated longest edges, instead of the kind\'s sizes', list(integer('--sizes')))
    .option('--formats <list>', 'comma-separated formats (png, webp)', list((value) => value as 'png' | 'webp'))
    .option('--workers <n>', 'render threads (default: one per core)', integer('--workers'))
    .option('--dry-run', 'list and count what would be rendered; write nothing')
    .option('--fan-out', 'send ImageProcessor jobs (SQS) instead of rendering here')
    .option('--rate <n>', 'fan-out messages per second', Number)
    .option('--retries <n>', 'retries per image before it is recorded as failed', integer('--retries'))
    .option('--commit-batch <n>', 'images per catalog transaction', integer('--commit-batch'))
    .option('--run <id>', 'run id to start or resume (default: derived from the options)')
    .option('--report <file>', 'failure report path (JSON lines)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--no-progress', 'no progress bar')
    .action(async function (this: Command, flags: ReprocessFlags) {
      const options = resolveReprocessOptions(toReprocessInput(flags));
      const renders = !options.dryRun && !options.fanOut;
      process.exitCode = renders && !threadpoolIsSized() ? await relaunchWithThreadpool(options.workers) : await runReprocess(options, flags);
    });
  program
    .command('retry')
    .description("Re-queue a failed set's failed images (only those) with a new watchdog; safe to run twice")
    .argument('<productId>', 'the set (product id)')
    .option('--json', 'print the outcome as JSON on stdout')
    .action(async (productId: string, flags: { json?: boolean }) => {
      process.exitCode = await runRetry(productId, flags.json ?? false);
    });
  return program;
}

/** `npm run batch -- retry <productId>`: what the contributor's and admin's retry button do, for operators. */
async function runRetry(productId: string, json: boolean): Promise<number> {
  if (!z.uuid().safeParse(productId).success) throw new InvalidArgumentError(`<productId> must be a UUID, got ${JSON.stringify(productId)}`);
  const env = BatchEnvironment.parse(process.env);
  if (!env.IMAGE_QUEUE_URL || !env.PREVIEW_QUEUE_URL) throw new Error('retry needs IMAGE_QUEUE_URL and PREVIEW_QUEUE_URL (the pipeline queues)');
  const db = createDb(env.DATABASE_URL, { max: 2 });
  try {
    const queues = new JobQueues(createSqsClient(), { imageQueueUrl: env.IMAGE_QUEUE_URL, previewQueueUrl: env.PREVIEW_QUEUE_URL });
    const outcome = await retryFailedImages({ db, queues, settings: { ...DEFAULT_PIPELINE_SETTINGS, ...retrySettings(process.env) } }, productId);
    if (json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
    else if (outcome.status === 'requeued') {
      const lines = outcome.retried.map((image) => `  ${image.file}: was failed (${image.reason ?? 'no reason recorded'})\n`);
      process.stdout.write(`set ${productId}: ${outcome.images} image job(s) queued\n${lines.join('')}`);
    }
    else if (outcome.status === 'missing') process.stderr.write(`set ${productId} is not in the catalog\n`);
    else if (outcome.status === 'already-queued') {
      process.stderr.write(`set ${productId} is rendering and made progress recently; its jobs are queued (retry in ${outcome.retryAfterSeconds} s if it stalls)\n`);
    } else process.stderr.write(`set ${productId} is ${outcome.setStatus}; only a failed set is retried\n`);
    return outcome.status === 'requeued' ? 0 : outcome.status === 'missing' ? 3 : 4;
  } finally {
    await db.destroy();
  }
}

/** The watchdog delay from the environment, when the operator gives one (as the functions read it). */
function retrySettings(env: NodeJS.ProcessEnv): Partial<PipelineSettings> {
  const delay = z.coerce.number().int().min(0).max(900).optional().parse(env['PREVIEW_DELAY_SECONDS']);
  return delay === undefined ? {} : { previewDelaySeconds: delay };
}

/** Parses `argv` (process.argv form) and runs the command; resolves with the exit code. */
export async function runBatchCli(argv: readonly string[]): Promise<number> {
  try {
    await batchProgram().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const code = (error as { exitCode?: number; code?: string }).exitCode;
    if (code !== undefined) return code; // commander already printed help or the usage error
    process.stderr.write(`batch: ${(error as Error).message}\n`);
    return 1;
  }
}
