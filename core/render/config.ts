/**
 * Rendition defaults: which sizes and formats each product kind gets, and how each format is encoded.
 * One place, so the pipeline, the batch CLI and the benchmarks cannot drift apart.
 */
import type { PngOptions, WebpOptions } from 'sharp';

export type ImageFormat = 'png' | 'webp';
export type ProductKind = 'icon-set' | 'illustration-set';

export interface RenditionSpec {
  /** Longest edge in pixels; the other edge follows the SVG's aspect ratio. */
  size: number;
  format: ImageFormat;
  /** WebP only: encode losslessly (icons: smaller, faster and exact; see WEBP_LOSSLESS_OPTIONS). */
  lossless?: boolean;
}

/**
 * Version of everything that decides rendition bytes (sizes, raster rule, encoder settings). Rendition keys
 * carry it, so the CDN may cache them as immutable: bump it whenever a change here alters output bytes.
 */
// 4: icons' largest size drawn by resvg instead of librsvg (render/resvg-draw.ts); their smaller sizes, halved
// from it, change too.
export const RENDITION_PROFILE = 4;

export const RENDITION_FORMATS: readonly ImageFormat[] = ['png', 'webp'];

export const RENDITION_SIZES: Readonly<Record<ProductKind, readonly number[]>> = {
  // Icons are shown in grids and picked at UI sizes.
  'icon-set': [32, 64, 128, 256],
  // Illustrations: card thumbnail, detail view, zoom / retina detail view.
  'illustration-set': [320, 640, 1280],
};

/**
 * The largest rendition the public may see, per kind: icons up to 256 px, illustrations up to 640 px.
 * Sizes up to it are previews (public assets bucket, CDN); larger ones are the product itself and go to
 * the private downloads bucket (core/storage/full-size-keys.ts), read only through entitled downloads.
 */
export const PREVIEW_MAX_EDGE: Readonly<Record<ProductKind, number>> = { 'icon-set': 256, 'illustration-set': 640 };

export function isPreviewSize(kind: ProductKind, size: number): boolean {
  return size <= PREVIEW_MAX_EDGE[kind];
}

export interface RenditionOverrides {
  sizes?: readonly number[];
  formats?: readonly ImageFormat[];
}

/** Icons' WebP renditions are lossless; illustrations' are lossy (see the encoder notes below). */
const LOSSLESS_WEBP: Readonly<Record<ProductKind, boolean>> = { 'icon-set': true, 'illustration-set': false };

/** Every (size, format) pair for a kind, largest size first. */
export function renditionSpecsFor(kind: ProductKind, overrides: RenditionOverrides = {}): RenditionSpec[] {
  const sizes = [...new Set(overrides.sizes ?? RENDITION_SIZES[kind])].sort((a, b) => b - a);
  const formats = [...new Set(overrides.formats ?? RENDITION_FORMATS)];
  return sizes.flatMap((size) =>
    formats.map((format) => (format === 'webp' && LOSSLESS_WEBP[kind] ? { size, format, lossless: true } : { size, format })),
  );
}

/** The renditions of a kind's profile that are not previews (stored privately, never listed in `renditions`). */
export function fullSizeRenditionSpecs(kind: ProductKind): RenditionSpec[] {
  return renditionSpecsFor(kind).filter((spec) => !isPreviewSize(kind, spec.size));
}

/**
 * A size that is exactly half of a larger one whose longest edge is at most this is box-halved from it
 * (halve.ts) instead of drawn: icons' 128/64/32 px come from their 256 px raster, one draw instead of four
 * (plus the two size probes, now read from the start tag: declared-size.ts). Up to this edge the one draw is
 * resvg's where it reads the document as librsvg does (resvg-draw.ts); the figures below are librsvg's.
 *
 * Measured (sharp 0.35.5 / librsvg 2.63), 40 icons of each set, halved against direct draws, alpha mean |diff|
 * (0-255) at 32 / 64 / 128 px: Lucide 0.90 / 0.28 / 0.17, Material 0.32 / 0.12 / 0.06, Tabler 0.75 / 0.30 / 0.13;
 * a lanczos3 downscale of the same raster: 2.64 / 1.40 / 0.71, 1.92 / 1.02 / 0.52, 2.19 / 1.16 / 0.57. Halving
 * is area averaging of cairo's area coverage, so it reproduces the direct draw (the rare larger differences
 * are single pixels of hairline details, which 8x8 supersampling resolves more exactly than cairo at 32 px).
 * Cost: ~0.5 ms of JavaScript for an icon's three halvings (0.9 ms before blocks of four transparent pixels were
 * skipped: 40 Tabler icons) against 1.3-1.5 ms of CPU per librsvg load. The
 * bound keeps big rasters off the event loop: halving an 800x600 illustration's 1280 px raster took ~68 ms of
 * JavaScript under load, more than drawing 640 and 320 px directly on libvips threads.
 * Changing this changes rendition bytes: bump RENDITION_PROFILE.
 */
export const HALVE_MAX_EDGE = 512;

/**
 * Up to this longest edge each size is rasterised directly from the SVG (unless it is halved, above); sizes
 * above it (other than the largest) are downscaled from the single largest raster.
 *
 * Measured (sharp 0.35.5 / librsvg 2.63, 2 cores):
 * - Crispness: a 24-unit line icon drawn directly at 32 px had 158 fully opaque and 133 partial-alpha
 *   pixels; drawn at 256 px and downscaled (lanczos3) it had 147 opaque and 156 partial: softer strokes
 *   and a faint halo, visible side by side at 8x. So small sizes are always drawn directly.
 * - Cost: drawing is cheaper than resizing for typical artwork. Icons: 1-3 ms per size drawn vs 2-4 ms
 *   per resize. The fixture illustrations (800x600, gradients, hills, trees): 32 / 11 / 6.5 ms to draw
 *   at 1280 / 640 / 320 px vs ~20 ms to downscale 1280 -> 320. Bench (scripts/bench/render.ts), 10
 *   illustrations: threshold 256 (downscale 640 and 320) 272 ms/img, 2.07x the encoder limit;
 *   threshold 640 (draw all three, in parallel) 192 ms/img, 1.44x. Downscaling wins only for heavy
 *   artwork (150 translucent full-canvas paths: 143 ms to draw at 1280, 46 / 74 ms at 320 / 640), which
 *   is why the path stays for very large renditions.
 */
export const DIRECT_RASTER_MAX_EDGE = 640;

/**
 * Encoder settings, chosen from measurements on generated line icons (24-unit grid) and flat
 * 800x600 illustrations (sharp 0.35.5, libpng 1.6 + zlib-ng, libwebp 1.6):
 *
 * PNG (the fallback format; exact pixels matter more than bytes):
 *   compressionLevel 6, no adaptive filtering: icon 256 px 9.5 KB / 3.3 ms, illustration 1280 px 321 KB / 51 ms.
 *   Adaptive filtering made line icons LARGER (13.1 KB at level 9, 43 ms) and illustrations barely smaller
 *   (338 KB -> no gain at 1280 px, 85.9 vs 102 KB at 320 px for 5x the time).
 *   Palette quantisation (libimagequant) halves the bytes (icon 256 px 6.0 KB, illustration 1280 px 149 KB)
 *   but costs 5-15x the time (774 ms at 1280 px) and is lossy; WebP already serves the small variant.
 * WebP (what browsers get):
 *   lossy quality 80, alphaQuality 100 (stroke edges live in alpha; keep them exact), effort 2:
 *   illustration 1280 px 58.6 KB / 54 ms vs effort 4 (default) 55.0 KB / 115 ms: +6% bytes for half the time.
 *   smartSubsample + q85 cost 3x the time for +30% bytes. Lossless: icons the same size as lossy
 *   (5.5 vs 6.3 KB at 256 px) but illustrations 4x larger (222 KB at 1280 px), so one lossy setting for both.
 */
export const PNG_OPTIONS: Readonly<PngOptions> = { compressionLevel: 6, adaptiveFiltering: false, palette: false };
export const WEBP_OPTIONS: Readonly<WebpOptions> = { quality: 80, alphaQuality: 100, effort: 2, smartSubsample: false };
/**
 * Icons (flat shapes, hard alpha edges) compress better losslessly. Measured on 150 Lucide icons at
 * 32/64/128/256 px, one core: lossless effort 2 = 7.1 ms and 4.0 KB per icon (all four sizes) against
 * lossy q80/alpha 100/effort 2 = 12.8 ms and 5.0 KB; lossless effort 0 = 6.8 ms but 6.1 KB; effort 1
 * = 7.8 ms, 4.0 KB. So icons get exact pixels, 20% fewer bytes and 45% less encode time.
 */
export const WEBP_LOSSLESS_OPTIONS: Readonly<WebpOptions> = { lossless: true, effort: 2 };

export const CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = { png: 'image/png', webp: 'image/webp' };
