/**
 * Rendition benchmark: the real path (`renderRenditions`) against
 * - naive: one sharp pipeline per size and format straight from the SVG, run one after another;
 * - the encoder limit: encoding the same renditions from pixels already at their final size.
 * All three are measured in the same run, so the printed ratios hold on any machine.
 * Standalone: `npx tsx scripts/bench/render.ts`.
 */
import sharp from 'sharp';
import { pathToFileURL } from 'node:url';
import {
  configureSharp,
  encodeRenditionsFromPixels,
  rasteriseForSpecs,
  renderRenditions,
  renditionSpecsFor,
} from '../../core/render/index.ts';
import type { RenditionSpec } from '../../core/render/index.ts';
import { MAX_RENDER_PIXELS } from '../../core/limits.ts';
import { iconSvg, illustrationSvg } from '../../test/fixtures/svgs.ts';

export interface RenderBenchResult {
  naivePerImageMs: number;
  renderPerImageMs: number;
  encoderLimitPerImageMs: number;
  /** render / encoder limit (wall time): 1.0 would mean rasterising and resizing were free. */
  ratioToEncoderLimit: number;
  /**
   * CPU milliseconds per image (this process, every thread: libvips work runs on libuv's pool), for the
   * render and for the encoder limit. On a shared machine the wall times include waiting for other tenants'
   * processes; the CPU the work itself takes does much less, so the ratio of these is the cost ratio.
   */
  renderCpuPerImageMs: number;
  encoderLimitCpuPerImageMs: number;
  /** renderCpuPerImageMs / encoderLimitCpuPerImageMs. */
  cpuRatioToEncoderLimit: number;
  /** naive / render. */
  speedupVsNaive: number;
}

/** The obvious implementation: every (size, format) is its own pipeline from the SVG, sharp's default encoders. */
async function renderNaively(svg: Buffer, specs: RenditionSpec[]): Promise<void> {
  const { width = 1, height = 1 } = await sharp(svg).metadata();
  for (const { size, format } of specs) {
    const density = (72 * size) / Math.max(width, height);
    const image = sharp(svg, { density, limitInputPixels: MAX_RENDER_PIXELS }).resize(size, size, { fit: 'inside' });
    await (format === 'png' ? image.png() : image.webp()).toBuffer();
  }
}

interface Timing {
  wallMs: number;
  cpuMs: number;
  images: number;
}

async function timeImages(
  images: Buffer[],
  run: (image: Buffer, index: number) => Promise<unknown>,
  from = 0,
  to = images.length,
): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let index = from; index < to; index++) await run(images[index]!, index);
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000, images: to - from };
}

async function timePerImage(images: Buffer[], run: (image: Buffer, index: number) => Promise<unknown>): Promise<number> {
  await run(images[0]!, 0); // warm-up: loads libvips modules and fills the thread pool
  const { wallMs } = await timeImages(images, run);
  return wallMs / images.length;
}

/**
 * Rounds in which the render and the encoder limit alternate every CHUNK images (which goes first alternates too),
 * so both see the same share of a busy machine: other tenants' load changes over seconds, and work left over in the
 * process (the ingest bench times this right after a set, the pipeline's pollers running) would otherwise land on
 * whichever path ran first. No new round starts after ROUND_BUDGET_MS of timing (60 illustrations take ~70 s a
 * round on a busy machine).
 */
const ROUNDS = 3;
const CHUNK = 10;
const ROUND_BUDGET_MS = 20_000;

export async function benchRender(opts: { images: Buffer[]; specs: RenditionSpec[] }): Promise<RenderBenchResult> {
  const { images, specs } = opts;
  if (images.length === 0) throw new RangeError('benchRender needs at least one image');
  configureSharp();
  // Pixels for the encoder limit are prepared outside the timed section.
  const rasters = await Promise.all(images.map((image) => rasteriseForSpecs(image, specs)));

  const naivePerImageMs = await timePerImage(images, (image) => renderNaively(image, specs));
  const render = (image: Buffer) => renderRenditions(image, specs);
  const limit = (_: Buffer, index: number) => encodeRenditionsFromPixels(rasters[index]!, specs);
  // Warm-up of both paths (libvips modules, the thread pool, the JIT), then alternating timed rounds.
  await timeImages(images.slice(0, 5), render);
  await timeImages(images.slice(0, 5), limit);
  const totals = { render: { wallMs: 0, cpuMs: 0, images: 0 }, limit: { wallMs: 0, cpuMs: 0, images: 0 } };
  const add = (total: Timing, t: Timing) => {
    total.wallMs += t.wallMs;
    total.cpuMs += t.cpuMs;
    total.images += t.images;
  };
  for (let round = 0; round < ROUNDS && (round === 0 || totals.render.wallMs + totals.limit.wallMs < ROUND_BUDGET_MS); round++) {
    for (let from = 0; from < images.length; from += CHUNK) {
      const to = Math.min(images.length, from + CHUNK);
      const renderFirst = (round + from / CHUNK) % 2 === 0;
      for (const path of renderFirst ? (['render', 'limit'] as const) : (['limit', 'render'] as const)) {
        add(totals[path], await timeImages(images, path === 'render' ? render : limit, from, to));
      }
    }
  }
  const renderPerImageMs = totals.render.wallMs / totals.render.images;
  const encoderLimitPerImageMs = totals.limit.wallMs / totals.limit.images;
  const renderCpuPerImageMs = totals.render.cpuMs / totals.render.images;
  const encoderLimitCpuPerImageMs = totals.limit.cpuMs / totals.limit.images;
  return {
    naivePerImageMs,
    renderPerImageMs,
    encoderLimitPerImageMs,
    ratioToEncoderLimit: renderPerImageMs / encoderLimitPerImageMs,
    renderCpuPerImageMs,
    encoderLimitCpuPerImageMs,
    cpuRatioToEncoderLimit: renderCpuPerImageMs / encoderLimitCpuPerImageMs,
    speedupVsNaive: naivePerImageMs / renderPerImageMs,
  };
}

/** 50 line icons and 10 flat illustrations from the shared fixture generators. */
export function renderBenchCorpus(): { icons: Buffer[]; illustrations: Buffer[] } {
  return {
    icons: Array.from({ length: 50 }, (_, i) => Buffer.from(iconSvg(i))),
    illustrations: Array.from({ length: 10 }, (_, i) => Buffer.from(illustrationSvg(i))),
  };
}

async function main(): Promise<void> {
  const { icons, illustrations } = renderBenchCorpus();
  const rows = [
    { corpus: '50 icons', ...(await benchRender({ images: icons, specs: renditionSpecsFor('icon-set') })) },
    { corpus: '10 illustrations', ...(await benchRender({ images: illustrations, specs: renditionSpecsFor('illustration-set') })) },
  ];
  const ms = (value: number) => value.toFixed(1);
  console.table(
    rows.map((row) => ({
      corpus: row.corpus,
      'naive ms/img': ms(row.naivePerImageMs),
      'render ms/img': ms(row.renderPerImageMs),
      'encoder limit ms/img': ms(row.encoderLimitPerImageMs),
      'render / encoder limit': row.ratioToEncoderLimit.toFixed(2),
      'CPU ms/img render / limit': `${ms(row.renderCpuPerImageMs)} / ${ms(row.encoderLimitCpuPerImageMs)} (${row.cpuRatioToEncoderLimit.toFixed(2)}x)`,
      'speed-up vs naive': row.speedupVsNaive.toFixed(2),
    })),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
