/**
 * The PNG and WebP sizes an image offers to download: its previews (the `renditions` rows, public) and, once it
 * is ready, the full-size renditions of its kind's profile, which the pipeline writes only to the private
 * downloads bucket and never lists in `renditions` (a paid illustration's 1280 px PNG, for example).
 */
import { fullSizeRenditionSpecs, type ImageFormat, type ProductKind } from '../../../core/render/index.ts';

export interface ImageSizes {
  kind: ProductKind;
  ready: boolean;
  renditions: ReadonlyArray<{ size: number; format: string }>;
}

/** Every size of `format`, smallest first. */
export function downloadSizes(image: ImageSizes, format: ImageFormat): number[] {
  const previews = image.renditions.filter((r) => r.format === format).map((r) => r.size);
  const fullSize = image.ready ? fullSizeRenditionSpecs(image.kind).filter((spec) => spec.format === format).map((spec) => spec.size) : [];
  return [...new Set([...previews, ...fullSize])].sort((a, b) => a - b);
}

/** True when `size` is a full-size rendition of the kind, stored privately rather than as a preview row. */
export function isFullSize(kind: ProductKind, format: ImageFormat, size: number): boolean {
  return fullSizeRenditionSpecs(kind).some((spec) => spec.format === format && spec.size === size);
}
