export {
  uploadKey,
  parseUploadKey,
  originalKey,
  renditionKey,
  productPreviewPrefix,
  previewSecretPrefix,
  withPreviewSecret,
  familyPreviewKey,
  setZipKey,
  customKey,
  isKeyOfKind,
  BUCKET_OF,
} from './keys.ts';
export type { BucketRole, KeyKind } from './keys.ts';
export { fullSizeRenditionKey, FULL_SIZE_RENDITION_BUCKET } from './full-size-keys.ts';
export { placeRendition } from './rendition-placement.ts';
export type { RenditionOwner, RenditionPlacement } from './rendition-placement.ts';
export {
  svgResponseHeaders,
  attachmentDisposition,
  renditionHeaders,
  familyPreviewHeaders,
  fullSizeRenditionHeaders,
  originalHeaders,
  setZipHeaders,
  customHeaders,
  IMMUTABLE_CACHE_CONTROL,
  PRIVATE_CACHE_CONTROL,
} from './headers.ts';
export type { ObjectHeaders } from './headers.ts';
export { sanitisedSvgFrom, isSanitisedSvg } from './sanitised.ts';
export type { SanitisedSvg } from './sanitised.ts';
export { createS3Client, normaliseEtag, ObjectReplacedError, ObjectStore, ObjectTooLargeError } from './store.ts';
export type { S3ClientOptions } from './store.ts';
export type { Buckets } from './store.ts';
