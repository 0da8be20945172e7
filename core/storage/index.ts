export {
  uploadKey,
  parseUploadKey,
  originalKey,
  renditionKey,
  familyPreviewKey,
  setZipKey,
  isKeyOfKind,
  BUCKET_OF,
} from './keys.ts';
export type { BucketRole, KeyKind } from './keys.ts';
export {
  svgResponseHeaders,
  attachmentDisposition,
  renditionHeaders,
  familyPreviewHeaders,
  originalHeaders,
  setZipHeaders,
  IMMUTABLE_CACHE_CONTROL,
  PRIVATE_CACHE_CONTROL,
} from './headers.ts';
export type { ObjectHeaders } from './headers.ts';
export { sanitisedSvgFrom, isSanitisedSvg } from './sanitised.ts';
export type { SanitisedSvg } from './sanitised.ts';
export { createS3Client, ObjectStore, ObjectTooLargeError } from './store.ts';
export type { Buckets } from './store.ts';
export { fullSizeRenditionKey } from './full-size-keys.ts';
export { licensedSetZipKey } from './licensed-zip-keys.ts';
