/**
 * SVG -> preview renditions (PNG + WebP at several sizes). The pipeline and the batch CLI both call
 * `renderRenditions`, so its output must be a pure function of (svg, specs): same input, same bytes.
 */
import sharp from 'sharp';
import { z } from 'zod';
import { MAX_RENDER_PIXELS, RENDER_TIMEOUT_SECONDS } from '../limits.ts';
import { CONTENT_TYPES, DIRECT_RASTER_MAX_EDGE, HALVE_MAX_EDGE, PNG_OPTIONS, WEBP_LOSSLESS_OPTIONS, WEBP_OPTIONS } from './config.ts';
import type { ImageFormat, RenditionSpec } from './config.ts';
import { declaredSize } from './declared-size.ts';
import { fromPremultipliedBytes, halve, halveRaw, isExactHalf, toStraight, type PremultipliedRaster } from './halve.ts';
import { downscale, fitLongestEdge, intrinsicSize, rasterise, rasteriseChecked, RenderError } from './raster.ts';
import type { Dimensions, RasterOptions, RawImage } from './raster.ts';
import { drawWithResvg, resvgCanDraw } from './resvg-draw.ts';
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

/** How one size's raster is made (see plannedRasters). */
interface PlannedRaster {
  target: Dimensions;
  pixels: Promise<RawImage>;
  /** Set for a raster made by halving: its unrounded premultiplied form, which the next halving reads. */
  premultiplied?: PremultipliedRaster;
  /** Set for a raster drawn by resvg: its exact half, made in the same pass as its straight-alpha pixels. */
  half?: PremultipliedRaster;
}

interface DrawnLargest {
  intrinsic: Dimensions;
  pixels: RawImage;
  half?: PremultipliedRaster;
}

/**
 * The largest size drawn, and the intrinsic size it was drawn at. The size is read from the start tag
 * (declared-size.ts). resvg draws it where it may (resvg-draw.ts: small text-free documents, checked by the
 * raster's size); otherwise librsvg, checked the same way. Only when that read fails or librsvg disagrees is
 * librsvg asked (two probes) and the size drawn again.
 */
async function drawLargest(svg: Buffer, size: number, options: RasterOptions): Promise<DrawnLargest> {
  const declared = declaredSize(svg);
  if (declared) {
    const target = fitLongestEdge(declared, size);
    if (resvgCanDraw(svg, declared, target)) {
      // A document resvg refuses or sizes otherwise goes to librsvg, which draws it or gives the reason.
      const premultiplied = await drawWithResvg(svg, target).catch(() => undefined);
      if (premultiplied) {
        const { straight, half } = fromPremultipliedBytes(premultiplied);
        return { intrinsic: declared, pixels: straight, half };
      }
    }
    const pixels = await rasteriseChecked(svg, declared, target, options).catch((error: unknown) => {
      // A size librsvg reads far larger (units it scales otherwise) can trip the pixel limit before the check:
      // the probes decide, and report the limit themselves when the document really is that large.
      if (isPixelLimitError(error)) return undefined;
      throw error;
    });
    if (pixels) return { intrinsic: declared, pixels };
  }
  const intrinsic = await intrinsicSize(svg);
  return { intrinsic, pixels: await rasterise(svg, intrinsic, fitLongestEdge(intrinsic, size), options) };
}

function isPixelLimitError(error: unknown): boolean {
  return error instanceof RenderError && /pixel limit/i.test(String((error.cause as Error | undefined)?.message));
}

/**
 * One raster per distinct size, each available as soon as it is made. The largest size is drawn first. Each
 * smaller size that is exactly half of a larger one of at most HALVE_MAX_EDGE is box-halved from it (halve.ts:
 * area averaging, as crisp as drawing at that size, for a fraction of a librsvg load), so an icon's
 * 256/128/64/32 px take one draw.
 * Other sizes up to DIRECT_RASTER_MAX_EDGE are drawn directly (crisper than a lanczos resize); larger ones are
 * downscaled from the largest raster. Draws and resizes run concurrently, each on its own libuv thread.
 */
async function plannedRasters(
  svg: Buffer,
  sizes: number[],
  options: RasterOptions,
): Promise<Map<number, Promise<RawImage>>> {
  ensureSharpConfigured();
  const [largest, ...smaller] = sizes;
  const drawn = await drawLargest(svg, largest!, options);
  const { intrinsic } = drawn;
  const planned = new Map<number, PlannedRaster>([
    [largest!, { target: fitLongestEdge(intrinsic, largest!), pixels: Promise.resolve(drawn.pixels), half: drawn.half }],
  ]);
  for (const size of smaller) {
    const target = fitLongestEdge(intrinsic, size);
    const parent = planned.get(size * 2);
    if (parent && isExactHalf(parent.target, target) && Math.max(parent.target.width, parent.target.height) <= HALVE_MAX_EDGE) {
      const premultiplied = parent.premultiplied
        ? halve(parent.premultiplied)
        : (parent.half ?? halveRaw(await parent.pixels));
      planned.set(size, { target, pixels: Promise.resolve(toStraight(premultiplied)), premultiplied });
    } else if (size > DIRECT_RASTER_MAX_EDGE) {
      planned.set(size, { target, pixels: downscale(drawn.pixels, target, options) });
    } else {
      planned.set(size, { target, pixels: rasterise(svg, intrinsic, target, options) });
    }
    // Without a handler here, a failed raster awaited only later would count as unhandled.
    planned.get(size)!.pixels.catch(() => undefined);
  }
  return new Map([...planned].map(([size, raster]) => [size, raster.pixels]));
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
