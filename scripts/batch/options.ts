/**
 * What one `reprocess` run is asked to do, validated once at the edge (the CLI or a test) with zod.
 * The run id defaults to a hash of everything that decides the output, so re-running the same command
 * after a crash resumes the same run instead of starting over.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import { RENDITION_PROFILE } from '../../core/render/config.ts';

/** Images rendered at once per worker thread: one drawing while the other waits for S3 or the disk. */
export const TASKS_PER_WORKER = 2;
/**
 * libuv threads per render worker. A sharp call holds its libuv thread while libvips worker threads draw
 * and encode, so one libuv thread keeps less than one core busy. Measured on 2 cores, 500 SVGs, 2 workers:
 * 2 libuv threads left ~20% of the CPU idle (46 img/s); 4 kept it busy (58-71 img/s). Pinned to one
 * core, 1 worker ran the same with 1 or 2 (43 img/s): the extra thread does not buy a second core there.
 */
export const THREADPOOL_THREADS_PER_WORKER = 2;
/** Rendition uploads in flight per worker thread. */
export const DEFAULT_UPLOAD_CONCURRENCY = 8;
/** Images per catalog transaction (renditions upsert + journal rows). */
export const DEFAULT_COMMIT_BATCH = 50;
/** Retries after the first attempt, before an image is recorded as failed. */
export const DEFAULT_RETRIES = 2;
/** Messages per second `--fan-out` sends when no rate is given (see README, "Fan-out"). */
export const DEFAULT_FAN_OUT_RATE = 100;
/** S3 ListObjectsV2 returns at most 1,000 keys per page; folder listings are cut to the same size. */
export const LISTING_PAGE_SIZE = 1000;

const uuid = z.uuid().transform((value) => value.toLowerCase());
const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a family slug such as "weather-line"');

/**
 * `--only family=<slug>`, `--only set=<product id>`, `--only since=<ISO date>`. Repeated filters of one kind
 * are alternatives (either family); filters of different kinds must all hold (this family, since that date).
 */
export const OnlyFilter = z.discriminatedUnion('by', [
  z.strictObject({ by: z.literal('family'), slug }),
  z.strictObject({ by: z.literal('set'), productId: uuid }),
  z.strictObject({ by: z.literal('since'), date: z.coerce.date() }),
]);
export type OnlyFilter = z.infer<typeof OnlyFilter>;

/** Parses one `--only` argument (`family=weather`, `set=<uuid>`, `since=2025-01-31`). */
export function parseOnlyFilter(text: string): OnlyFilter {
  const match = /^(family|set|since)=(.+)$/.exec(text.trim());
  if (!match) throw new TypeError(`--only takes family=<slug>, set=<product id> or since=<date>, got ${JSON.stringify(text)}`);
  const [, by, value] = match as unknown as [string, 'family' | 'set' | 'since', string];
  const candidate = by === 'family' ? { by, slug: value } : by === 'set' ? { by, productId: value } : { by, date: value };
  const parsed = OnlyFilter.safeParse(candidate);
  if (!parsed.success) throw new TypeError(`--only ${text}: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.by === 'since' && Number.isNaN(parsed.data.date.getTime())) throw new TypeError(`--only ${text}: not a date`);
  return parsed.data;
}

export const ReprocessOptions = z
  .strictObject({
    /** Where originals are listed and read: the downloads bucket, or a folder laid out like it. */
    source: z.enum(['s3', 'dir']).default('s3'),
    /** Folder of `<productId>/<imageId>.svg` (optionally under `originals/`) when `source` is `dir`. */
    dir: z.string().min(1).optional(),
    /** Where renditions go: the assets bucket (and the catalog), or a local folder with the same key layout. */
    output: z.enum(['s3', 'dir']).default('s3'),
    outDir: z.string().min(1).optional(),
    only: z.array(OnlyFilter).default([]),
    /** Override the kind's sizes / formats (every kind gets the same list then). */
    sizes: z.array(z.int().min(1).max(4096)).min(1).optional(),
    formats: z.array(z.enum(['png', 'webp'])).min(1).optional(),
    workers: z.int().min(1).max(256).default(() => os.availableParallelism()),
    dryRun: z.boolean().default(false),
    /** Send ImageProcessor jobs instead of rendering here. */
    fanOut: z.boolean().default(false),
    /** Fan-out messages per second. */
    rate: z.number().positive().max(100_000).default(DEFAULT_FAN_OUT_RATE),
    retries: z.int().min(0).max(10).default(DEFAULT_RETRIES),
    uploadConcurrency: z.int().min(1).max(64).default(DEFAULT_UPLOAD_CONCURRENCY),
    commitBatch: z.int().min(1).max(1000).default(DEFAULT_COMMIT_BATCH),
    runId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" and "-" only, up to 64').optional(),
    /** Failure report (JSON lines); default `batch-<runId>-failures.jsonl` in the working folder. */
    report: z.string().min(1).optional(),
  })
  .superRefine((options, ctx) => {
    if (options.source === 'dir' && !options.dir) ctx.addIssue({ code: 'custom', path: ['dir'], message: '--source dir needs --dir <folder>' });
    if (options.output === 'dir' && !options.outDir) ctx.addIssue({ code: 'custom', path: ['outDir'], message: '--output dir needs --out-dir <folder>' });
    if (options.fanOut && options.output === 'dir') ctx.addIssue({ code: 'custom', path: ['fanOut'], message: '--fan-out renders in the ImageProcessor, which writes to S3; drop --output dir' });
    if (options.fanOut && (options.sizes || options.formats)) {
      ctx.addIssue({ code: 'custom', path: ['fanOut'], message: 'the ImageProcessor renders the standard sizes and formats; --sizes/--formats work only when rendering here' });
    }
  });
export type ReprocessInput = z.input<typeof ReprocessOptions>;
export type ReprocessOptions = z.output<typeof ReprocessOptions> & { runId: string };

/** Validates options and settles the run id. Throws a TypeError naming every bad option. */
export function resolveReprocessOptions(input: ReprocessInput): ReprocessOptions {
  const parsed = ReprocessOptions.safeParse(input);
  if (!parsed.success) throw new TypeError(`invalid reprocess options:\n${z.prettifyError(parsed.error)}`);
  return { ...parsed.data, runId: parsed.data.runId ?? defaultRunId(parsed.data) };
}

/** Same request, same id: the profile, the originals, the filters and the rendition specs. */
function defaultRunId(options: z.output<typeof ReprocessOptions>): string {
  const identity = {
    profile: RENDITION_PROFILE,
    source: options.source,
    dir: options.dir,
    output: options.output,
    outDir: options.outDir,
    only: options.only.map((filter) => (filter.by === 'since' ? { ...filter, date: filter.date.toISOString() } : filter)),
    sizes: options.sizes,
    formats: options.formats,
    fanOut: options.fanOut,
  };
  return `r${RENDITION_PROFILE}-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16)}`;
}
