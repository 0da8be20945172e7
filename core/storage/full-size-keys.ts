/**
 * Where the full-size bytes of a rendition live: the private downloads bucket, served only through
 * entitled, short-lived presigned GETs. Public renditions in the assets bucket are previews (capped
 * sizes); a size above the cap is written here instead (by the pipeline), under a key derived from the
 * same ids and rendition profile as the public one, so a download can find it without another column.
 */
import { RENDITION_PROFILE, type ImageFormat } from '../render/config.ts';

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FORMATS: readonly ImageFormat[] = ['png', 'webp'];

/** downloads bucket: `full-size/<productId>/<imageId>/r<profile>/<size>.<format>` */
export function fullSizeRenditionKey(productId: string, imageId: string, size: number, format: ImageFormat): string {
  for (const [name, value] of [['productId', productId], ['imageId', imageId]] as const) {
    if (!ID_PATTERN.test(value)) throw new TypeError(`${name} must be a lower-case UUID, got ${JSON.stringify(value)}`);
  }
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`size must be a positive integer, got ${size}`);
  if (!FORMATS.includes(format)) throw new TypeError(`format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  return `full-size/${productId}/${imageId}/r${RENDITION_PROFILE}/${size}.${format}`;
}
