/**
 * Which bucket and key one rendition goes to: previews (up to PREVIEW_MAX_EDGE for the kind) to the public
 * assets bucket under the set's preview secret, larger sizes to the private downloads bucket. The pipeline
 * and the batch CLI both place renditions through this, so neither can put a full-size image in public.
 */
import { isPreviewSize } from '../render/config.ts';
import type { ImageFormat, ProductKind } from '../render/config.ts';
import { fullSizeRenditionKey } from './full-size-keys.ts';
import { renditionKey } from './keys.ts';

export interface RenditionOwner {
  kind: ProductKind;
  productId: string;
  /** products.preview_secret */
  previewSecret: string;
  imageId: string;
}

export type RenditionPlacement =
  /** Public preview: gets a `renditions` row, shown by the storefront. */
  | { kind: 'rendition'; key: string }
  /** Private: no `renditions` row; read only through entitled downloads. */
  | { kind: 'fullSizeRendition'; key: string };

export function placeRendition(owner: RenditionOwner, size: number, format: ImageFormat): RenditionPlacement {
  return isPreviewSize(owner.kind, size)
    ? { kind: 'rendition', key: renditionKey(owner.productId, owner.previewSecret, owner.imageId, size, format) }
    : { kind: 'fullSizeRendition', key: fullSizeRenditionKey(owner.productId, owner.imageId, size, format) };
}
