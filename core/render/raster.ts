/**
 * SVG -> raw RGBA pixels at a target size, drawn by librsvg at that size (via `density`), never enlarged
 * from a 72 dpi bitmap.
 */
import sharp from 'sharp';
import type { SharpOptions } from 'sharp';
import { MAX_RENDER_PIXELS, RENDER_TIMEOUT_SECONDS } from '../limits.ts';
import { ensureSharpConfigured } from './sharp-setup.ts';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 4;
}

export interface Dimensions {
  width: number;
  height: number;
}

export interface RasterOptions {
  /** Per sharp pipeline; a pathological SVG fails instead of holding a worker. */
  timeoutSeconds?: number;
}

/** SVG density is 72 dpi per user unit; sharp accepts 1..100000. */
const SVG_BASE_DPI = 72;
const MIN_DENSITY = 1;
const MAX_DENSITY = 100_000;

/** Thrown when an SVG cannot be rendered; `cause` keeps sharp's error. */
export class RenderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RenderError';
  }
}

function loadOptions(density: number): SharpOptions {
  return { density, limitInputPixels: MAX_RENDER_PIXELS };
}

/**
 * Intrinsic size in user units (width/height, else viewBox). Read at a density that makes the integer
 * dimensions libvips reports precise to ~0.1%, so aspect ratios of small icons (e.g. 17.5 x 11) survive.
 */
export async function intrinsicSize(svg: Buffer): Promise<Dimensions> {
  ensureSharpConfigured();
  const probe = async (density: number): Promise<Dimensions> => {
    const { width, height, format } = await sharp(svg, loadOptions(density)).metadata();
    if (format !== 'svg') throw new RenderError(`expected an SVG document, got ${format ?? 'unknown data'}`);
    if (!width || !height) throw new RenderError('SVG has no usable width/height or viewBox');
    return { width: (width * SVG_BASE_DPI) / density, height: (height * SVG_BASE_DPI) / density };
  };
  try {
    const coarse = await probe(SVG_BASE_DPI);
    const longest = Math.max(coarse.width, coarse.height);
    if (longest >= 1000) return coarse;
    return await probe(Math.min(MAX_DENSITY, Math.ceil((SVG_BASE_DPI * 1000) / longest)));
  } catch (error) {
    if (error instanceof RenderError) throw error;
    throw new RenderError(`cannot read SVG: ${(error as Error).message}`, { cause: error });
  }
}

/** Pixel dimensions with the longest edge at `size` and the aspect ratio of `intrinsic`. */
export function fitLongestEdge(intrinsic: Dimensions, size: number): Dimensions {
  const scale = size / Math.max(intrinsic.width, intrinsic.height);
  return {
    width: Math.max(1, Math.round(intrinsic.width * scale)),
    height: Math.max(1, Math.round(intrinsic.height * scale)),
  };
}

function assertWithinPixelBudget(target: Dimensions): void {
  if (target.width * target.height > MAX_RENDER_PIXELS) {
    throw new RenderError(
      `a ${target.width}x${target.height} raster exceeds the ${MAX_RENDER_PIXELS}-pixel render limit`,
    );
  }
}

/** Density (dpi) at which librsvg draws `intrinsic` user units at `target` pixels, clamped to sharp's range. */
function densityFor(intrinsic: Dimensions, target: Dimensions): number {
  const exact = SVG_BASE_DPI * Math.max(target.width / intrinsic.width, target.height / intrinsic.height);
  // Clamped to sharp's range: a huge declared size then hits limitInputPixels instead of a density error.
  return Math.min(MAX_DENSITY, Math.max(MIN_DENSITY, exact));
}

function renderError(target: Dimensions, error: unknown): RenderError {
  return new RenderError(`cannot render SVG at ${target.width}x${target.height}: ${(error as Error).message}`, { cause: error });
}

/**
 * Draws the SVG so that it exactly fills `target` (same aspect ratio as the SVG).
 * librsvg rounds the raster size itself, so a 1 px mismatch is corrected by resampling a raster that is
 * already at the target scale; nothing is ever enlarged from a smaller bitmap.
 */
export async function rasterise(
  svg: Buffer,
  intrinsic: Dimensions,
  target: Dimensions,
  options: RasterOptions = {},
): Promise<RawImage> {
  ensureSharpConfigured();
  assertWithinPixelBudget(target);
  try {
    const { data, info } = await sharp(svg, loadOptions(densityFor(intrinsic, target)))
      .timeout({ seconds: options.timeoutSeconds ?? RENDER_TIMEOUT_SECONDS })
      .resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3', withoutEnlargement: false })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 4 };
  } catch (error) {
    throw renderError(target, error);
  }
}

/**
 * `rasterise` for a size read without librsvg (declared-size.ts), checked against what librsvg draws: returns
 * undefined when librsvg's raster is more than 1 px off the target in either edge, i.e. librsvg reads the
 * document's size differently and the caller must ask it (`intrinsicSize`). Within 1 px it is the same
 * rounding `rasterise` corrects, corrected the same way.
 */
export async function rasteriseChecked(
  svg: Buffer,
  intrinsic: Dimensions,
  target: Dimensions,
  options: RasterOptions = {},
): Promise<RawImage | undefined> {
  ensureSharpConfigured();
  assertWithinPixelBudget(target);
  const timeout = { seconds: options.timeoutSeconds ?? RENDER_TIMEOUT_SECONDS };
  let drawn: RawImage;
  try {
    const { data, info } = await sharp(svg, loadOptions(densityFor(intrinsic, target)))
      .timeout(timeout)
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    drawn = { data, width: info.width, height: info.height, channels: 4 };
  } catch (error) {
    throw renderError(target, error);
  }
  if (Math.abs(drawn.width - target.width) > 1 || Math.abs(drawn.height - target.height) > 1) return undefined;
  if (drawn.width === target.width && drawn.height === target.height) return drawn;
  const { data, info } = await sharp(drawn.data, { raw: { width: drawn.width, height: drawn.height, channels: 4 } })
    .timeout(timeout)
    .resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 4 };
}

/** High-quality downscale of an already rasterised image (lanczos3 on premultiplied alpha). */
export async function downscale(source: RawImage, target: Dimensions, options: RasterOptions = {}): Promise<RawImage> {
  ensureSharpConfigured();
  if (target.width > source.width || target.height > source.height) {
    throw new RenderError(
      `refusing to enlarge a ${source.width}x${source.height} raster to ${target.width}x${target.height}`,
    );
  }
  const { data, info } = await sharp(source.data, {
    raw: { width: source.width, height: source.height, channels: source.channels },
    limitInputPixels: MAX_RENDER_PIXELS,
  })
    .timeout({ seconds: options.timeoutSeconds ?? RENDER_TIMEOUT_SECONDS })
    .resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 4 };
}
