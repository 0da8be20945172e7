/**
 * The reprocessing engine behind `npm run batch -- reprocess`: list originals page by page → select what
 * this run still has to do → render on the worker pool (or send ImageProcessor jobs with --fan-out) →
 * commit to the catalog and the journal in batches. Every stage is bounded (one listing page, a fixed
 * number of images in flight, at most two unwritten commit batches), so memory does not grow with the
 * catalog. Stopping (signal) finishes the images in flight and commits them; a crash loses only
 * uncommitted work, which the next run with the same run id redoes.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Kysely } from 'kysely';
import { pMapIterable } from 'p-map';
import type { Database } from '../../core/catalog/index.ts';
import type { Logger } from '../../core/log.ts';
import { ImageJob } from '../../core/queue/messages.ts';
import type { JobQueues } from '../../core/queue/sqs.ts';
import { renditionSpecsFor } from '../../core/render/index.ts';
import type { Buckets } from '../../core/storage/index.ts';
import { CatalogCommitter } from './commit.ts';
import { finishRun, journalDb, openRun, recordItems, runFailures, type JournalDb } from './journal.ts';
import { TASKS_PER_WORKER, type ReprocessOptions } from './options.ts';
import { createPacer } from './pacer.ts';
import { silentProgress, type ProgressReporter } from './progress.ts';
import { startRenderPool, type RenderPool } from './render-pool.ts';
import type { RenderTaskResult } from './render-worker.ts';
import { countRemaining, selectPage, type SelectedImage } from './selection.ts';
import { dirOriginalPages, s3OriginalPages, type OriginalRef } from './sources.ts';

/** First retry after this long, doubling each time: a throttled or briefly unreachable store recovers. */
export const RETRY_BASE_DELAY_MS = 200;
/** A partial commit batch waits at most this long. */
const COMMIT_MAX_DELAY_MS = 1000;
/** SQS takes at most 10 messages per batch call. */
const FAN_OUT_CHUNK = 10;

export interface ReprocessDeps {
  db: Kysely<Database>;
  /** Needed when originals are listed from, or renditions written to, S3. */
  s3?: { client: S3Client; env: Record<string, string | undefined>; buckets: Buckets };
  /** Needed for --fan-out. */
  jobQueues?: JobQueues;
  log: Logger;
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /**
   * Called before every render attempt. Operations use it for nothing; tests use it to make the real
   * store fail for a while (an original briefly missing) and watch the retry.
   */
  beforeAttempt?: (image: SelectedImage, attempt: number) => Promise<void>;
}

export interface ReprocessSummary {
  runId: string;
  mode: 'render' | 'fan-out' | 'dry-run';
  /** True when the run id had been started before: finished images were skipped. */
  resumed: boolean;
  /** Originals listed from the source. */
  listed: number;
  notInCatalog: number;
  filteredOut: number;
  /** Skipped because this run had already settled them. */
  alreadySettled: number;
  /** Images this invocation took on (rendered, failed or queued, or would, in a dry run). */
  selected: number;
  rendered: number;
  failed: number;
  queued: number;
  renditions: number;
  /** Attempts beyond the first, over all images. */
  retries: number;
  /** Stopped by the signal before the listing was exhausted. */
  interrupted: boolean;
  /** From the first image to the last commit (pool start-up excluded: it does not grow with the catalog). */
  elapsedMs: number;
  imagesPerSecond: number;
  /** Summed per-image time in each stage (across threads). */
  stageMs: { read: number; render: number; store: number };
  /** Failure report (JSON lines), when the run holds failures. */
  reportPath?: string;
  /** Dry run: images selected per product kind. */
  byKind?: Record<string, number>;
}

async function* originalPages(options: ReprocessOptions, deps: ReprocessDeps): AsyncGenerator<OriginalRef[]> {
  if (options.source === 'dir') {
    yield* dirOriginalPages(options.dir!, { signal: deps.signal });
    return;
  }
  if (!deps.s3) throw new Error('--source s3 needs S3 settings');
  const sets = options.only.filter((filter) => filter.by === 'set');
  // One set: list only its prefix instead of the whole bucket.
  const productId = sets.length === 1 && sets[0]!.by === 'set' ? sets[0]!.productId : undefined;
  yield* s3OriginalPages(deps.s3.client, deps.s3.buckets.downloads, { productId, signal: deps.signal });
}

function emptySummary(options: ReprocessOptions, mode: ReprocessSummary['mode']): ReprocessSummary {
  return {
    runId: options.runId, mode, resumed: false, listed: 0, notInCatalog: 0, filteredOut: 0, alreadySettled: 0, selected: 0,
    rendered: 0, failed: 0, queued: 0, renditions: 0, retries: 0, interrupted: false, elapsedMs: 0, imagesPerSecond: 0,
    stageMs: { read: 0, render: 0, store: 0 },
  };
}

/** The images to work on, flattened from the listing pages, counted into `summary` as they pass. */
async function* selectedImages(
  journal: JournalDb,
  options: ReprocessOptions,
  deps: ReprocessDeps,
  summary: ReprocessSummary,
): AsyncGenerator<SelectedImage> {
  for await (const page of originalPages(options, deps)) {
    const selection = await selectPage(journal, options.runId, page, options.only);
    summary.listed += page.length;
    summary.notInCatalog += selection.notInCatalog;
    summary.filteredOut += selection.filteredOut;
    summary.alreadySettled += selection.alreadySettled;
    for (const image of selection.selected) {
      if (deps.signal?.aborted) {
        summary.interrupted = true;
        return;
      }
      summary.selected += 1;
      yield image;
    }
  }
  if (deps.signal?.aborted) summary.interrupted = true;
}

export async function reprocess(options: ReprocessOptions, deps: ReprocessDeps): Promise<ReprocessSummary> {
  const journal = journalDb(deps.db);
  if (options.dryRun) return dryRun(journal, options, deps);

  const mode = options.fanOut ? 'fan-out' : 'render';
  const summary = emptySummary(options, mode);
  const state = await openRun(journal, options.runId, { ...options, only: options.only });
  summary.resumed = state.resumed;
  const progress = deps.progress ?? silentProgress;
  const total = await countRemaining(journal, options.runId, options.only);
  deps.log.info({ runId: options.runId, mode, resumed: state.resumed, settledBefore: state.done + state.queued, remaining: total }, 'batch run starting');

  if (options.fanOut) await fanOut(journal, options, deps, summary, progress, total);
  else await renderLocally(journal, options, deps, summary, progress, total);

  if (!summary.interrupted) await finishRun(journal, options.runId);
  summary.reportPath = await writeFailureReport(journal, options);
  summary.imagesPerSecond = summary.elapsedMs > 0 ? ((summary.rendered + summary.queued) * 1000) / summary.elapsedMs : 0;
  deps.log.info(summary, summary.interrupted ? 'batch run interrupted; run it again to resume' : 'batch run finished');
  return summary;
}

async function renderLocally(
  journal: JournalDb,
  options: ReprocessOptions,
  deps: ReprocessDeps,
  summary: ReprocessSummary,
  progress: ProgressReporter,
  total: number,
): Promise<void> {
  if (options.output === 's3' && !deps.s3) throw new Error('--output s3 needs S3 settings');
  const pool: RenderPool = await startRenderPool(options.workers, {
    s3: deps.s3 ? { env: deps.s3.env, buckets: deps.s3.buckets } : undefined,
    outDir: options.output === 'dir' ? options.outDir : undefined,
    uploadConcurrency: options.uploadConcurrency,
  });
  const committer = new CatalogCommitter(journal, {
    runId: options.runId,
    batchSize: options.commitBatch,
    maxDelayMs: COMMIT_MAX_DELAY_MS,
    updateCatalog: options.output === 's3',
  });
  const started = performance.now();
  progress.start(total);
  try {
    type Outcome =
      | { ok: true; image: SelectedImage; attempt: number; result: RenderTaskResult }
      | { ok: false; image: SelectedImage; attempt: number; reason: string };
    const renderOne = async (image: SelectedImage): Promise<Outcome> => {
      const specs = renditionSpecsFor(image.kind, { sizes: options.sizes, formats: options.formats });
      for (let attempt = 1; ; attempt++) {
        try {
          await deps.beforeAttempt?.(image, attempt);
          const result: RenderTaskResult = await pool.render({
            kind: image.kind,
            productId: image.productId,
            previewSecret: image.previewSecret,
            imageId: image.imageId,
            original: image.location,
            specs,
          });
          return { ok: true, image, attempt, result };
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          if (attempt > options.retries) return { ok: false, image, attempt, reason };
          summary.retries += 1;
          deps.log.debug({ imageId: image.imageId, attempt, reason }, 'render attempt failed; retrying');
          await sleep(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
        }
      }
    };
    const outcomes = pMapIterable(selectedImages(journal, options, deps, summary), renderOne, {
      concurrency: options.workers * TASKS_PER_WORKER,
      preserveOrder: false,
    });
    for await (const outcome of outcomes) {
      if (outcome.ok) {
        const { read, render, store } = outcome.result.ms;
        summary.stageMs.read += read;
        summary.stageMs.render += render;
        summary.stageMs.store += store;
        summary.renditions += outcome.result.renditions.length;
        summary.rendered += 1;
        await committer.add({ imageId: outcome.image.imageId, renditions: outcome.result.renditions, attempts: outcome.attempt });
      } else {
        summary.failed += 1;
        deps.log.warn({ imageId: outcome.image.imageId, attempts: outcome.attempt, reason: outcome.reason }, 'image failed');
        await recordItems(journal, options.runId, [{ imageId: outcome.image.imageId, status: 'failed', attempts: outcome.attempt, reason: outcome.reason }]);
      }
      progress.update(summary.rendered + summary.failed, { failed: summary.failed, total: Math.max(total, summary.rendered + summary.failed) });
    }
    await committer.flush();
  } finally {
    summary.elapsedMs = performance.now() - started;
    progress.stop();
    await pool.close();
  }
}

async function fanOut(
  journal: JournalDb,
  options: ReprocessOptions,
  deps: ReprocessDeps,
  summary: ReprocessSummary,
  progress: ProgressReporter,
  total: number,
): Promise<void> {
  const queues = deps.jobQueues;
  if (!queues) throw new Error('--fan-out needs the ImageProcessor queue (IMAGE_QUEUE_URL)');
  const pacer = createPacer(options.rate);
  const started = performance.now();
  progress.start(total);
  const send = async (chunk: SelectedImage[]) => {
    const jobs = chunk.map((image) =>
      ImageJob.parse({ type: 'process-image', uploadId: image.uploadId, productId: image.productId, imageId: image.imageId, rerender: true }),
    );
    await pacer.take(jobs.length, deps.signal);
    await queues.sendImageJobs(jobs);
    await recordItems(journal, options.runId, chunk.map((image) => ({ imageId: image.imageId, status: 'queued' as const, attempts: 1 })));
    summary.queued += chunk.length;
    progress.update(summary.queued, { failed: 0, total: Math.max(total, summary.queued) });
  };
  try {
    let chunk: SelectedImage[] = [];
    for await (const image of selectedImages(journal, options, deps, summary)) {
      chunk.push(image);
      if (chunk.length === FAN_OUT_CHUNK) {
        await send(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0) await send(chunk);
  } finally {
    summary.elapsedMs = performance.now() - started;
    progress.stop();
  }
}

async function dryRun(journal: JournalDb, options: ReprocessOptions, deps: ReprocessDeps): Promise<ReprocessSummary> {
  const summary = emptySummary(options, 'dry-run');
  const byKind: Record<string, number> = {};
  const started = performance.now();
  for await (const image of selectedImages(journal, options, deps, summary)) {
    byKind[image.kind] = (byKind[image.kind] ?? 0) + 1;
    summary.renditions += renditionSpecsFor(image.kind, { sizes: options.sizes, formats: options.formats }).length;
  }
  summary.elapsedMs = performance.now() - started;
  summary.byKind = byKind;
  return summary;
}

/** Streams the run's failures (all of them, this invocation's and earlier ones) to a JSON-lines file. */
async function writeFailureReport(journal: JournalDb, options: ReprocessOptions): Promise<string | undefined> {
  const failures = runFailures(journal, options.runId);
  const first = await failures.next();
  if (first.done) return undefined;
  const reportPath = options.report ?? `batch-${options.runId}-failures.jsonl`;
  const out = createWriteStream(reportPath);
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write(`${JSON.stringify({ runId: options.runId, ...first.value })}\n`);
  for await (const failure of failures) await write(`${JSON.stringify({ runId: options.runId, ...failure })}\n`);
  out.end();
  await once(out, 'finish');
  return reportPath;
}
