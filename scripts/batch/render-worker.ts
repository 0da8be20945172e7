/**
 * A render worker thread (run by piscina): reads one original, renders it with the pipeline's own
 * `renderRenditions`, and stores the renditions itself, so the S3 client's CPU cost (signing, parsing) is
 * spread over the threads instead of piling up on the main thread. Only the small rendition records go back.
 * Renditions are placed as the pipeline places them (placeRendition): previews public with a record, larger
 * sizes private (downloads bucket, full-size-keys.ts) without one.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pMap from 'p-map';
import { workerData } from 'piscina';
import type { RenditionRecord } from '../../core/catalog/index.ts';
import { MAX_SVG_BYTES } from '../../core/limits.ts';
import { configureSharp, renderRenditions } from '../../core/render/index.ts';
import type { ImageFormat, RenditionSpec } from '../../core/render/index.ts';
import { createS3Client, ObjectStore, placeRendition } from '../../core/storage/index.ts';
import type { Buckets, RenditionOwner, RenditionPlacement } from '../../core/storage/index.ts';
import type { OriginalLocation } from './sources.ts';

export interface RenderWorkerConfig {
  /** AWS_* variables and bucket names; absent when neither originals nor renditions live in S3. */
  s3?: { env: Record<string, string | undefined>; buckets: Buckets };
  /** Renditions go under this folder (same keys as in the buckets) instead of S3. */
  outDir?: string;
  uploadConcurrency: number;
}

export interface RenderTask extends RenditionOwner {
  original: OriginalLocation;
  specs: RenditionSpec[];
}

export interface RenderTaskResult {
  renditions: RenditionRecord[];
  /** Where this image's time went, for the run summary. */
  ms: { read: number; render: number; store: number };
}

export type WorkerTask = RenderTask | { warmUp: true };

const config = workerData as RenderWorkerConfig;
// One libvips thread per pipeline: parallelism comes from running pipelines side by side (see sharp-setup.ts).
configureSharp({ concurrency: 1 });
const store = config.s3 ? new ObjectStore(createS3Client(config.s3.env as NodeJS.ProcessEnv, { checksums: 'when-required' }), config.s3.buckets) : undefined;

function requireStore(): ObjectStore {
  if (!store) throw new Error('this pool was started without S3 settings');
  return store;
}

/*
 * Local files are read and written synchronously, on purpose: this thread has nothing else to do
 * meanwhile, and async fs calls would queue on libuv's threadpool behind the sharp pipelines — the
 * pool is sized from the worker count (threadpool.ts), and waiting there cost more than the render.
 */

/** Reads a local original; a file over MAX_SVG_BYTES (by its size, or by what it yields) is refused. */
function readLocalOriginal(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > MAX_SVG_BYTES) throw new Error(`${file} is over the ${MAX_SVG_BYTES}-byte SVG limit`);
    // One byte more than the size says, to notice a file that grew while we read it.
    const buffer = Buffer.allocUnsafe(size + 1);
    let bytesRead = 0;
    for (let n; bytesRead < buffer.length && (n = readSync(fd, buffer, bytesRead, buffer.length - bytesRead, bytesRead)) > 0; ) bytesRead += n;
    if (bytesRead > size) throw new Error(`${file} changed while it was read`);
    return buffer.subarray(0, bytesRead);
  } finally {
    closeSync(fd);
  }
}

async function readOriginal(location: OriginalLocation): Promise<Buffer> {
  return location.kind === 's3' ? requireStore().getOriginal(location.key) : readLocalOriginal(location.path);
}

async function storeRendition(placement: RenditionPlacement, bytes: Buffer, format: ImageFormat): Promise<void> {
  if (config.outDir) {
    // The image's folders were made once in renderTask; a mkdir per file cost a third of the store time.
    writeFileSync(path.join(config.outDir, ...placement.key.split('/')), bytes);
  } else {
    await requireStore().putPlacedRendition(placement, bytes, format);
  }
}

export default async function renderTask(task: WorkerTask): Promise<RenderTaskResult | null> {
  if ('warmUp' in task) return null;
  const started = performance.now();
  const svg = await readOriginal(task.original);
  const read = performance.now();
  const renditions = await renderRenditions(svg, task.specs);
  const rendered = performance.now();
  const placements = renditions.map((rendition) => placeRendition(task, rendition.size, rendition.format));
  if (config.outDir) {
    const folders = new Set(placements.map((placement) => path.dirname(path.join(config.outDir!, ...placement.key.split('/')))));
    for (const folder of folders) mkdirSync(folder, { recursive: true });
  }
  const records = await pMap(
    renditions,
    async (rendition, i): Promise<RenditionRecord | undefined> => {
      const placement = placements[i]!;
      await storeRendition(placement, rendition.bytes, rendition.format);
      if (placement.kind !== 'rendition') return undefined;
      return { size: rendition.size, format: rendition.format, objectKey: placement.key, width: rendition.width, height: rendition.height, bytes: rendition.bytes.length };
    },
    { concurrency: config.uploadConcurrency },
  );
  return { renditions: records.filter((record) => record !== undefined), ms: { read: read - started, render: rendered - read, store: performance.now() - rendered } };
}
