/**
 * Picking renditions for <picture>/<img srcset>. The API lists every rendition (PNG and WebP at the
 * kind's sizes, largest first); the browser picks from `srcset` using `sizes`, which must describe the
 * CSS width the layout gives the image, so a 96 px card never downloads the 256 px rendition at 1x.
 */
import type { ImageSummary, Rendition } from './api-types.ts';

export interface PictureSources {
  webp: string | undefined;
  png: string | undefined;
  /** The smallest PNG at least `fallbackWidth` wide (or the largest), for browsers without srcset. */
  fallback: Rendition | undefined;
}

function srcset(renditions: readonly Rendition[]): string | undefined {
  if (renditions.length === 0) return undefined;
  return [...renditions]
    .sort((a, b) => a.width - b.width)
    .map((r) => `${r.url} ${r.width}w`)
    .join(', ');
}

export function pictureSources(image: Pick<ImageSummary, 'renditions'>, fallbackWidth: number): PictureSources {
  const png = image.renditions.filter((r) => r.format === 'png');
  const webp = image.renditions.filter((r) => r.format === 'webp');
  const ascending = [...png].sort((a, b) => a.width - b.width);
  const fallback = ascending.find((r) => r.width >= fallbackWidth) ?? ascending.at(-1);
  return { webp: srcset(webp), png: srcset(png), fallback };
}

/** Display sizes (CSS px) per layout slot; `sizes` attributes are derived from these, not guessed per page. */
export const DISPLAY = {
  /** Icon cover in a product card. */
  cardIcon: 96,
  /** Illustration cover in a product card (cards are at most this wide). */
  cardIllustration: 280,
  /** The large preview on an image page. */
  detailIcon: 256,
  detailIllustration: 640,
} as const;

/** Preview sizes a visitor can switch between on a set page (CSS px per cell). */
export const PREVIEW_SIZES = {
  'icon-set': [32, 64, 128],
  'illustration-set': [160, 320, 640],
} as const;

export type ProductKindName = keyof typeof PREVIEW_SIZES;
