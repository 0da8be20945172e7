/**
 * Batch reprocessing benchmark, all measured in one run on a generated corpus of 500 SVGs (480 line icons,
 * 20 flat illustrations — roughly a real catalog's mix):
 * - naive: one sharp pipeline per size and format, straight from the SVG, one after another, with sharp's
 *   default encoder settings (what the obvious implementation does);
 * - oneWorker / allCores: the real CLI (`scripts/batch/index.ts reprocess`) in a child process with
 *   `--workers 1` and one per core, reading originals from a folder and writing renditions to a folder,
 *   with its catalog and journal on a real (embedded) PostgreSQL. The 1-worker run is pinned to one CPU
 *   (taskset, where it exists): unpinned, its JS threads ran on the second core, so "per core" was
 *   inflated and scaling deflated. Each CLI run is timed from its first image to its last commit (the
 *   CLI's own clock): start-up (module loading, worker threads) is excluded, and reported apart. Runs
 *   alternate (1, N, 1, N) and the better of each is kept, so a burst of load from elsewhere on a shared
 *   machine does not decide the ratio;
 * - encoderLimit: encoding the same renditions, one at a time, from pixels already at their final size.
 * images/s for each; naive and encoderLimit run on one core, like `--workers 1`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { acceptUpload, createContributor, createDb, migrateToLatest, recordUploadReceived } from '../../core/catalog/index.ts';
import type { Manifest } from '../../core/manifest/schema.ts';
import { MAX_RENDER_PIXELS } from '../../core/limits.ts';
import { configureSharp, encodeRenditionsFromPixels, intrinsicSize, rasteriseForSpecs, renditionSpecsFor } from '../../core/render/index.ts';
import type { ProductKind, RenditionSpec, SizedRaster } from '../../core/render/index.ts';
import { originalKey, uploadKey } from '../../core/storage/index.ts';
import type { ReprocessSummary } from '../batch/reprocess.ts';
import { threadpoolSizeFor } from '../batch/threadpool.ts';
import { startPostgres } from '../local/postgres.ts';
import { iconSvg, illustrationSvg } from '../../test/fixtures/svgs.ts';

export interface BatchBenchResult {
  naive: number;
  oneWorker: number;
  allCores: number;
  encoderLimit: number;
  speedupVsNaive: number;
  scaling: number;
}

interface CorpusImage {
  kind: ProductKind;
  svg: Buffer;
  specs: RenditionSpec[];
}

const ICONS = 480;
const ILLUSTRATIONS = 20;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function corpus(): CorpusImage[] {
  const image = (kind: ProductKind, svg: string) => ({ kind, svg: Buffer.from(svg), specs: renditionSpecsFor(kind) });
  return [
    ...Array.from({ length: ICONS }, (_, i) => image('icon-set', iconSvg(i))),
    ...Array.from({ length: ILLUSTRATIONS }, (_, i) => image('illustration-set', illustrationSvg(i))),
  ];
}

/**
 * The obvious implementation, as the original system had it: every (size, format) is its own sharp
 * pipeline from the SVG, one at a time, with sharp's default encoder settings. The difference to the
 * CLI is everything the issue asks us to win: shared rasterising, deliberate encoder settings, cores.
 */
async function renderNaively(image: CorpusImage): Promise<void> {
  const { width = 1, height = 1 } = await sharp(image.svg).metadata();
  for (const { size, format } of image.specs) {
    const density = (72 * size) / Math.max(width, height);
    const pipeline = sharp(image.svg, { density, limitInputPixels: MAX_RENDER_PIXELS }).resize(size, size, { fit: 'inside' });
    await (format === 'png' ? pipeline.png() : pipeline.webp()).toBuffer();
  }
}

/** Catalog rows and original files for the corpus: one product per kind, one image per SVG. */
export async function seedCatalog(databaseUrl: string, images: CorpusImage[], originalsDir: string): Promise<void> {
  const db = createDb(databaseUrl, { max: 2 });
  try {
    await migrateToLatest(db);
    const contributor = await createContributor(db, { slug: 'bench', displayName: 'Bench', email: 'bench@example.test' });
    for (const kind of ['icon-set', 'illustration-set'] as const) {
      const ofKind = images.filter((image) => image.kind === kind);
      const uploadId = randomUUID();
      await recordUploadReceived(db, { uploadId, contributorId: contributor.id, objectKey: uploadKey(contributor.id, uploadId) });
      const files = ofKind.map((_, i) => `${kind}-${i}.svg`);
      const manifest = {
        manifestVersion: 1,
        product: { kind, title: `Bench ${kind}`, family: { slug: `bench-${kind}`, title: 'Bench' }, license: 'standard', tags: [] },
        images: files.map((file, i) => ({ file, title: `Image ${i}`, tags: [] })),
      } as unknown as Manifest;
      const productId = randomUUID();
      const entries = await Promise.all(
        ofKind.map(async (image, index) => {
          const imageId = randomUUID();
          const { width, height } = await intrinsicSize(image.svg);
          const key = originalKey(productId, imageId);
          const file = path.join(originalsDir, ...key.split('/'));
          await mkdir(path.dirname(file), { recursive: true });
          await writeFile(file, image.svg);
          return { imageId, index, file: files[index]!, title: `Image ${index}`, tags: [], width, height, sha256: createHash('sha256').update(image.svg).digest('hex'), originalKey: key };
        }),
      );
      await acceptUpload(db, { uploadId, contributorId: contributor.id, productId, manifest, images: entries });
    }
  } finally {
    await db.destroy();
  }
}

/** Alternating runs per configuration; the better of each is kept. */
const CLI_RUNS = 2;

/** `taskset -c 0` when the machine has it (Linux, util-linux), to hold a run to one CPU. */
function pinToOneCpu(): string[] | undefined {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? ['taskset', '-c', '0'] : undefined;
}

interface CliRun {
  summary: ReprocessSummary;
  /** From spawning the process to its exit: start-up included. */
  wallMs: number;
}

/** Runs the real CLI in its own process (its threadpool sized as the CLI sizes it) and returns its summary. */
function runCli(args: string[], env: Record<string, string>, prefix: string[] = []): Promise<CliRun> {
  const started = performance.now();
  const argv = [process.execPath, '--import', 'tsx', 'scripts/batch/index.ts', 'reprocess', ...args, '--json', '--no-progress'];
  const [command, ...rest] = [...prefix, ...argv] as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`batch CLI exited with ${code}:\n${stderr}`));
      resolve({ summary: JSON.parse(stdout.trim().split('\n').at(-1)!) as ReprocessSummary, wallMs: performance.now() - started });
    });
  });
}

export async function benchBatch(log: (line: string) => void = () => undefined): Promise<{ result: BatchBenchResult; profile: Record<string, number>; cores: number }> {
  const images = corpus();
  const cores = os.availableParallelism();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-batch-'));
  // When run as root, PostgreSQL runs as the `postgres` user, which must reach its data directory.
  await chmod(workDir, 0o755);
  const postgres = await startPostgres({ dataDir: path.join(workDir, 'postgres') });
  try {
    configureSharp();
    const databaseUrl = await postgres.createDatabase('bench');
    const originalsDir = path.join(workDir, 'originals');
    await seedCatalog(databaseUrl, images, originalsDir);
    log(`corpus: ${ICONS} icons + ${ILLUSTRATIONS} illustrations, ${images.reduce((n, image) => n + image.specs.length, 0)} renditions`);

    await renderNaively(images[0]!); // warm-up: loads libvips modules
    let started = performance.now();
    for (const image of images) await renderNaively(image);
    const naive = images.length / ((performance.now() - started) / 1000);
    log(`naive: ${naive.toFixed(1)} images/s`);

    const pin = pinToOneCpu();
    const cli = async (workers: number, attempt: number) => {
      const { summary, wallMs } = await runCli(
        ['--source', 'dir', '--dir', originalsDir, '--output', 'dir', '--out-dir', path.join(workDir, `out-${workers}-${attempt}`), '--workers', String(workers), '--run', `bench-${workers}-${attempt}-${Date.now()}`],
        { DATABASE_URL: databaseUrl, UV_THREADPOOL_SIZE: String(threadpoolSizeFor(workers)), LOG_LEVEL: 'warn' },
        workers === 1 ? pin : undefined,
      );
      if (summary.rendered !== images.length) throw new Error(`the CLI rendered ${summary.rendered} of ${images.length} images`);
      log(`CLI, ${workers} worker(s)${workers === 1 && pin ? ' pinned to 1 CPU' : ''}: ${summary.imagesPerSecond.toFixed(1)} images/s (start-up ${((wallMs - summary.elapsedMs) / 1000).toFixed(1)} s, not counted)`);
      return summary;
    };
    const better = (a: ReprocessSummary | undefined, b: ReprocessSummary) => (a && a.imagesPerSecond >= b.imagesPerSecond ? a : b);
    let one: ReprocessSummary | undefined;
    let all: ReprocessSummary | undefined;
    for (let attempt = 1; attempt <= CLI_RUNS; attempt++) {
      one = better(one, await cli(1, attempt));
      all = better(all, await cli(cores, attempt));
    }
    if (!one || !all) throw new Error('no CLI run');

    // Encoder limit: pixels prepared outside the clock (and timed, for the profile), encoded one at a time.
    const rasters: SizedRaster[][] = [];
    started = performance.now();
    for (const image of images) rasters.push(await rasteriseForSpecs(image.svg, image.specs));
    const rasteriseMs = performance.now() - started;
    const encodeMs = { png: 0, webp: 0 };
    for (const [index, image] of images.entries()) {
      for (const spec of image.specs) {
        const t = performance.now();
        await encodeRenditionsFromPixels(rasters[index]!, [spec]);
        encodeMs[spec.format] += performance.now() - t;
      }
    }
    const encoderLimit = images.length / ((encodeMs.png + encodeMs.webp) / 1000);
    log(`encoder limit: ${encoderLimit.toFixed(1)} images/s`);

    const perImage = (ms: number) => Number((ms / images.length).toFixed(2));
    return {
      result: {
        naive,
        oneWorker: one.imagesPerSecond,
        allCores: all.imagesPerSecond,
        encoderLimit,
        speedupVsNaive: all.imagesPerSecond / naive,
        scaling: all.imagesPerSecond / one.imagesPerSecond,
      },
      profile: {
        'rasterise (all sizes) ms/img': perImage(rasteriseMs),
        'encode png ms/img': perImage(encodeMs.png),
        'encode webp ms/img': perImage(encodeMs.webp),
        'CLI 1 worker: read ms/img': perImage(one.stageMs.read),
        'CLI 1 worker: render ms/img': perImage(one.stageMs.render),
        'CLI 1 worker: store ms/img': perImage(one.stageMs.store),
      },
      cores,
    };
  } finally {
    await postgres.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Hours for 1,000,000 images on one 16-core machine: the one-worker rate per core, at the parallel efficiency measured here. */
export function projectedHoursForMillion(result: BatchBenchResult, cores: number): number {
  const efficiency = Math.min(1, result.scaling / cores);
  return 1_000_000 / (result.oneWorker * 16 * efficiency) / 3600;
}

export async function runBatchBench(options: { json: boolean }): Promise<void> {
  const { result, profile, cores } = await benchBatch(options.json ? undefined : (line) => console.error(line));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rate = (value: number) => value.toFixed(1);
  console.table({
    'naive (1 core, sequential pipelines)': { 'images/s': rate(result.naive) },
    'CLI, 1 worker (1 CPU)': { 'images/s': rate(result.oneWorker) },
    [`CLI, ${cores} workers`]: { 'images/s': rate(result.allCores) },
    'encoder limit (1 core)': { 'images/s': rate(result.encoderLimit) },
  });
  console.table(profile);
  console.log(`speed-up vs naive: ${result.speedupVsNaive.toFixed(2)}x (target >= 3)`);
  console.log(`scaling ${cores} workers / 1: ${result.scaling.toFixed(2)}x (target >= 1.8 on 2 cores)`);
  console.log(`1 worker vs encoder limit: ${(result.encoderLimit / result.oneWorker).toFixed(2)}x slower (target <= 1.5)`);
  console.log(`projected for 1,000,000 images on 16 cores: ${projectedHoursForMillion(result, cores).toFixed(2)} h (target < 1 h)`);
}
