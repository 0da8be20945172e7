/**
 * Where the full-size renditions live: the private downloads bucket, never the public assets bucket.
 *
 * Public renditions are previews (icons up to 256 px, illustrations up to 640 px: PREVIEW_MAX_EDGE in
 * core/render/config.ts). Every larger size the render profile makes (e.g. an illustration's 1280 px PNG)
 * is written by the pipeline and the batch CLI to the key below in the downloads bucket, which only
 * entitled, short-lived presigned downloads read. Full-size renditions have no row in `renditions` (that
 * table lists what the storefront may show); an image whose status is `ready` has every full-size
 * rendition of its kind's profile (`fullSizeRenditionSpecs` in core/render/config.ts), because the
 * pipeline stores them before it marks the image ready.
 *
 * The key is a pure function of the ids, the size and the format (plus the render profile version, so a
 * re-render with other encoder settings never serves stale bytes under an old name).
 */
import { RENDITION_PROFILE } from '../render/config.ts';
import type { ImageFormat } from '../render/config.ts';
import { assertFormat, assertId, assertSize, ID } from './key-parts.ts';

/** The bucket role full-size renditions are stored in (see BucketRole in keys.ts). */
export const FULL_SIZE_RENDITION_BUCKET = 'downloads' as const;

export const FULL_SIZE_RENDITION_KEY_PATTERN = new RegExp(`^full-size/${ID}/${ID}/r\\d+/[1-9]\\d*\\.(png|webp)$`);

/**
 * downloads bucket: `full-size/<productId>/<imageId>/r<profile>/<size>.<format>`, e.g.
 * `fullSizeRenditionKey(productId, imageId, 1280, 'png')` for a paid illustration's 1280 px PNG.
 * Throws TypeError for ids that are not lower-case UUIDs, a size that is not a positive integer, or an
 * unknown format.
 */
export function fullSizeRenditionKey(productId: string, imageId: string, size: number, format: ImageFormat): string {
  assertId('productId', productId);
  assertId('imageId', imageId);
  assertSize(size);
  assertFormat(format);
  return `full-size/${productId}/${imageId}/r${RENDITION_PROFILE}/${size}.${format}`;
}
