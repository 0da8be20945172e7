/**
 * Customised downloads: an icon or illustration recoloured and/or with another stroke width, rasterised as
 * PNG or WebP at any size from 16 to 2048 px, from the sanitised original. The options schema is the one
 * the API validates with, so its messages are what a client sees.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { z } from 'zod';
import { sanitizeSvg } from '../svg/index.ts';
import type { SanitisedSvg } from '../storage/sanitised.ts';
import { CONTENT_TYPES, PNG_OPTIONS, RENDITION_PROFILE, WEBP_LOSSLESS_OPTIONS, WEBP_OPTIONS, type ImageFormat } from './config.ts';
import { customiseSvg, type SvgCustomisation } from './customise-svg.ts';
import { fitLongestEdge, intrinsicSize, rasterise } from './raster.ts';
import { ensureSharpConfigured } from './sharp-setup.ts';
import { MAX_RENDER_PIXELS, RENDER_TIMEOUT_SECONDS } from '../limits.ts';

export const MIN_CUSTOM_SIZE = 16;
export const MAX_CUSTOM_SIZE = 2048;
/** Stroke widths in user units, in quarter steps: enough for any grid, and a bounded set of cache entries. */
export const MIN_STROKE_WIDTH = 0.25;
export const MAX_STROKE_WIDTH = 16;
/**
 * Version of everything that decides a customised file's bytes besides its options and the original (the
 * transformation, the encoders). Part of the cache key: bump it when a change here alters output.
 */
export const CUSTOMISE_PROFILE = 1;

const HEX_COLOUR = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** `#abc` -> `#aabbcc`, lower-case: one spelling per colour, so one cache entry. */
function normaliseHex(value: string): string {
  const hex = value.slice(1).toLowerCase();
  return `#${hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex}`;
}

export const customOptionsSchema = z
  .object({
    format: z.enum(['png', 'webp']),
    size: z.number().int().min(MIN_CUSTOM_SIZE).max(MAX_CUSTOM_SIZE),
    colour: z.string().regex(HEX_COLOUR, 'must be a hex colour such as "#1d4ed8" or "#fff"').transform(normaliseHex).optional(),
    strokeWidth: z.number().min(MIN_STROKE_WIDTH).max(MAX_STROKE_WIDTH).multipleOf(MIN_STROKE_WIDTH).optional(),
  })
  .strict();

export type CustomOptions = z.output<typeof customOptionsSchema>;

export interface CustomRender {
  bytes: Buffer;
  width: number;
  height: number;
  contentType: string;
}

/** Thrown when the transformed SVG would not come back from the sanitiser unchanged (it never should). */
export class CustomiseIntegrityError extends Error {
  constructor(detail: string) {
    super(`the customised SVG did not pass the sanitiser unchanged: ${detail}`);
    this.name = 'CustomiseIntegrityError';
  }
}

/**
 * The customised SVG, checked again by the sanitiser: whatever the options, the result must be an SVG it
 * keeps whole (nothing removed), so no option can smuggle markup or script into the file.
 */
export function customisedSvg(original: SanitisedSvg, options: SvgCustomisation): Buffer {
  const svg = customiseSvg(original, options);
  const checked = sanitizeSvg(svg);
  if (!checked.ok) throw new CustomiseIntegrityError(checked.reason);
  if (checked.removed.length > 0) throw new CustomiseIntegrityError(`it removed ${checked.removed.join(', ')}`);
  return svg;
}

/** Rasterises the customised SVG with its longest edge at `options.size`. */
export async function renderCustomised(
  original: SanitisedSvg,
  options: CustomOptions,
  encoding: { losslessWebp: boolean },
): Promise<CustomRender> {
  ensureSharpConfigured();
  const svg = customisedSvg(original, { colour: options.colour, strokeWidth: options.strokeWidth });
  const intrinsic = await intrinsicSize(svg);
  const pixels = await rasterise(svg, intrinsic, fitLongestEdge(intrinsic, options.size));
  const image = sharp(pixels.data, {
    raw: { width: pixels.width, height: pixels.height, channels: pixels.channels },
    limitInputPixels: MAX_RENDER_PIXELS,
  }).timeout({ seconds: RENDER_TIMEOUT_SECONDS });
  const format: ImageFormat = options.format;
  const bytes =
    format === 'png' ? await image.png(PNG_OPTIONS).toBuffer() : await image.webp(encoding.losslessWebp ? WEBP_LOSSLESS_OPTIONS : WEBP_OPTIONS).toBuffer();
  return { bytes, width: pixels.width, height: pixels.height, contentType: CONTENT_TYPES[format] };
}

/**
 * Hex SHA-256 naming one customised file: the original's own hash (a re-processed image gets new keys), the
 * options in a fixed order, and the profiles that decide the bytes.
 */
export function customKeyHash(originalSha256: string, options: CustomOptions): string {
  const canonical = JSON.stringify([
    CUSTOMISE_PROFILE,
    RENDITION_PROFILE,
    originalSha256,
    options.format,
    options.size,
    options.colour ?? null,
    options.strokeWidth ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
