/**
 * SVG -> preview renditions (PNG + WebP at several sizes). The pipeline and the batch CLI both call
 * `renderRenditions`, so its output must be a pure function of (svg, specs): same input, same bytes.
 */
import sharp from 'sharp';
import { z } from 'zod';
import { MAX_RENDER_PIXELS, RENDER_TIMEOUT_SECONDS } from '../limits.ts';
import { CONTENT_TYPES, DIRECT_RASTER_MAX_EDGE, PNG_OPTIONS, WEBP_LOSSLESS_OPTIONS, WEBP_OPTIONS } from './config.ts';
import type { ImageFormat, RenditionSpec } from './config.ts';
import { downscale, fitLongestEdge, intrinsicSize, rasterise } from './raster.ts';
import type { RasterOptions, RawImage } from './raster.ts';
import { ensureSharpConfigured } from './sharp-setup.ts';

export interface Rendition {
  size: number;
  format: ImageFormat;
  width: number;
  height: number;
  contentType: string;
  bytes: Buffer;
}

/** Raw pixels for one rendition size (longest edge == size). */
export interface SizedRaster {
  size: number;
  pixels: RawImage;
}

const specsSchema = z
  .array(
    z.object({
      size: z.int().min(1).max(Math.floor(Math.sqrt(MAX_RENDER_PIXELS))),
      format: z.enum(['png', 'webp']),
      lossless: z.boolean().optional(),
    }),
  )
  .min(1);

function parseSpecs(specs: RenditionSpec[]): RenditionSpec[] {
  const parsed = specsSchema.safeParse(specs);
  if (!parsed.success) throw new TypeError(`invalid rendition specs: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function distinctSizesDescending(specs: RenditionSpec[]): number[] {
  return [...new Set(specs.map((spec) => spec.size))].sort((a, b) => b - a);
}

/**
 * One raster per distinct size, each available as soon as it is drawn. Small sizes are drawn directly
 * (crisper strokes, and cheaper than a resize); larger ones are downscaled from a single raster at the
 * largest size (see DIRECT_RASTER_MAX_EDGE). Pipelines run concurrently, each on its own libuv thread.
 */
async function plannedRasters(
  svg: Buffer,
  sizes: number[],
  options: RasterOptions,
): Promise<Map<number, Promise<RawImage>>> {
  ensureSharpConfigured();
  const intrinsic = await intrinsicSize(svg);
  const direct = (size: number) => rasterise(svg, intrinsic, fitLongestEdge(intrinsic, size), options);
  const [largest] = sizes;
  const largestRaster = largest !== undefined && largest > DIRECT_RASTER_MAX_EDGE ? direct(largest) : undefined;
  // Without a handler here, a failed largest raster awaited only later would count as unhandled.
  largestRaster?.catch(() => undefined);
  const plan = new Map<number, Promise<RawImage>>();
  for (const size of sizes) {
    if (size <= DIRECT_RASTER_MAX_EDGE) plan.set(size, direct(size));
    else if (size === largest) plan.set(size, largestRaster!);
    else plan.set(size, largestRaster!.then((source) => downscale(source, fitLongestEdge(intrinsic, size), options)));
  }
  return plan;
}

/** Rasters for every distinct size in `specs`: the input of `encodeRenditionsFromPixels`. */
export async function rasteriseForSpecs(
  svg: Buffer,
  specs: RenditionSpec[],
  options: RasterOptions = {},
): Promise<SizedRaster[]> {
  const plan = await plannedRasters(svg, distinctSizesDescending(parseSpecs(specs)), options);
  return Promise.all([...plan].map(async ([size, pixels]) => ({ size, pixels: await pixels })));
}

async function encode(pixels: RawImage, spec: RenditionSpec, timeoutSeconds: number): Promise<Buffer> {
  const image = sharp(pixels.data, {
    raw: { width: pixels.width, height: pixels.height, channels: pixels.channels },
    limitInputPixels: MAX_RENDER_PIXELS,
  }).timeout({ seconds: timeoutSeconds });
  if (spec.format === 'png') return image.png(PNG_OPTIONS).toBuffer();
  return image.webp(spec.lossless ? WEBP_LOSSLESS_OPTIONS : WEBP_OPTIONS).toBuffer();
}

async function toRendition(spec: RenditionSpec, pixels: RawImage, timeoutSeconds: number): Promise<Rendition> {
  return {
    size: spec.size,
    format: spec.format,
    width: pixels.width,
    height: pixels.height,
    contentType: CONTENT_TYPES[spec.format],
    bytes: await encode(pixels, spec, timeoutSeconds),
  };
}

/**
 * The encoder limit: encodes renditions from pixels that are already at their final size (no rasterising,
 * no resizing). `renderRenditions` ends with exactly this step, so benchmarks can compare against it.
 */
export async function encodeRenditionsFromPixels(
  rasters: SizedRaster[],
  specs: RenditionSpec[],
  options: RasterOptions = {},
): Promise<Rendition[]> {
  ensureSharpConfigured();
  const bySize = new Map(rasters.map((raster) => [raster.size, raster.pixels]));
  const timeoutSeconds = options.timeoutSeconds ?? RENDER_TIMEOUT_SECONDS;
  return Promise.all(
    parseSpecs(specs).map(async (spec): Promise<Rendition> => {
      const pixels = bySize.get(spec.size);
      if (!pixels) throw new TypeError(`no raster of size ${spec.size} for the ${spec.format} rendition`);
      return toRendition(spec, pixels, timeoutSeconds);
    }),
  );
}

/**
 * Renders every spec from SVG bytes (never a path). Returns renditions in the order of `specs`.
 * Throws `RenderError` for an SVG that cannot be drawn within the pixel and time limits.
 */
export async function renderRenditions(
  svg: Buffer,
  specs: RenditionSpec[],
  options: RasterOptions = {},
): Promise<Rendition[]> {
  const parsed = parseSpecs(specs);
  const plan = await plannedRasters(svg, distinctSizesDescending(parsed), options);
  const timeoutSeconds = options.timeoutSeconds ?? RENDER_TIMEOUT_SECONDS;
  // Each size is encoded as soon as its raster exists, overlapping with the remaining rasterising.
  return Promise.all(
    parsed.map(async (spec) => toRendition(spec, await plan.get(spec.size)!, timeoutSeconds)),
  );
}
