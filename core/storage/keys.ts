/**
 * The S3 key layout, in one place. Buckets are named by role:
 * - uploads (private): raw contributor ZIPs,
 * - assets (public through the CDN, cached as immutable): preview renditions and family previews,
 * - downloads (private, presigned only): sanitised original SVGs, full-size renditions (full-size-keys.ts),
 *   the set ZIP and customised renders.
 * Keys of immutably cached objects carry a version (rendition profile, family preview version), so a
 * changed object always gets a new key instead of a stale cached copy.
 */
import { RENDITION_PROFILE } from '../render/config.ts';
import type { ImageFormat } from '../render/config.ts';
import { FULL_SIZE_RENDITION_KEY_PATTERN } from './full-size-keys.ts';
import { assertFormat, assertId, assertSize, ID } from './key-parts.ts';

export type BucketRole = 'uploads' | 'assets' | 'downloads';

const UPLOAD_KEY_PATTERN = new RegExp(`^uploads/(${ID})/(${ID})\\.zip$`);
/** A set's preview secret: 32 lower-case hex digits (128 bits, 122 of them random). */
const SECRET = '[0-9a-f]{32}';
const SECRET_PATTERN = new RegExp(`^${SECRET}$`);
const RENDITION_KEY_PATTERN = new RegExp(`^previews/(${ID})/(${SECRET})/(${ID}/r\\d+/[1-9]\\d*\\.(?:png|webp))$`);

function assertSecret(value: string): void {
  if (!SECRET_PATTERN.test(value)) throw new TypeError(`previewSecret must be 32 lower-case hex digits, got ${JSON.stringify(value)}`);
}

/** uploads bucket: `uploads/<contributorId>/<uploadId>.zip` */
export function uploadKey(contributorId: string, uploadId: string): string {
  assertId('contributorId', contributorId);
  assertId('uploadId', uploadId);
  return `uploads/${contributorId}/${uploadId}.zip`;
}

/** The ids in an upload key, or null for any key this layout did not make (traversal, odd ids, encoding). */
export function parseUploadKey(key: string): { contributorId: string; uploadId: string } | null {
  const match = UPLOAD_KEY_PATTERN.exec(key);
  if (!match) return null;
  return { contributorId: match[1]!, uploadId: match[2]! };
}

/** downloads bucket: the sanitised original. Image ids never repeat across uploads. */
export function originalKey(productId: string, imageId: string): string {
  assertId('productId', productId);
  assertId('imageId', imageId);
  return `originals/${productId}/${imageId}.svg`;
}

/**
 * assets bucket: `previews/<productId>/<previewSecret>/<imageId>/r<profile>/<size>.<format>`, previews only
 * (sizes up to PREVIEW_MAX_EDGE; larger ones go to fullSizeRenditionKey in the downloads bucket).
 *
 * `previewSecret` is random per set and kept in the catalog (products.preview_secret, migration 0020): the
 * ids alone are derivable (uuidv5 of the upload id), so without it anyone could fetch the previews of a set
 * that is not published. The API hands the URLs out only for visible sets (and to the owner and admins);
 * hiding a set (unpublish, block) gives it a new secret and deletes the objects under the old one
 * (app/api/catalog/preview-exposure.ts).
 */
export function renditionKey(productId: string, previewSecret: string, imageId: string, size: number, format: ImageFormat): string {
  assertId('productId', productId);
  assertSecret(previewSecret);
  assertId('imageId', imageId);
  assertSize(size);
  assertFormat(format);
  return `previews/${productId}/${previewSecret}/${imageId}/r${RENDITION_PROFILE}/${size}.${format}`;
}

/** Every preview object of a set, whatever its secret or layout, starts with this (listing, sweeping, CDN paths). */
export function productPreviewPrefix(productId: string): string {
  assertId('productId', productId);
  return `previews/${productId}/`;
}

/** The previews of a set under one secret start with this; anything else under productPreviewPrefix is stale. */
export function previewSecretPrefix(productId: string, previewSecret: string): string {
  assertSecret(previewSecret);
  return `${productPreviewPrefix(productId)}${previewSecret}/`;
}

/** The same rendition under another secret (a hidden set's previews move to a fresh secret). */
export function withPreviewSecret(key: string, previewSecret: string): string {
  assertSecret(previewSecret);
  const match = RENDITION_KEY_PATTERN.exec(key);
  if (!match) throw new TypeError(`${JSON.stringify(key)} is not a rendition key`);
  return `previews/${match[1]}/${previewSecret}/${match[3]}`;
}

/** assets bucket: one family preview per version (e.g. a timestamp), so every new sample gets a new URL. */
export function familyPreviewKey(familyId: string, version: number, format: ImageFormat): string {
  assertId('familyId', familyId);
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(`version must be a non-negative integer, got ${version}`);
  }
  assertFormat(format);
  return `family-previews/${familyId}/${version}.${format}`;
}

/** downloads bucket: the whole set as one ZIP (private, never cached). */
export function setZipKey(productId: string): string {
  assertId('productId', productId);
  return `sets/${productId}.zip`;
}

/**
 * downloads bucket: one customised render (colour, stroke, size, format) of an image, named by the hash of
 * what decides its bytes (core/render/customise.ts `customKeyHash`), so equal requests share one object.
 */
export function customKey(productId: string, imageId: string, hash: string, format: ImageFormat): string {
  assertId('productId', productId);
  assertId('imageId', imageId);
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new TypeError(`hash must be 64 lower-case hex digits, got ${JSON.stringify(hash)}`);
  assertFormat(format);
  return `custom/${productId}/${imageId}/${hash}.${format}`;
}

/** Which layout a key belongs to; the store refuses to write a key into the wrong bucket. */
export type KeyKind = 'upload' | 'original' | 'rendition' | 'fullSizeRendition' | 'familyPreview' | 'setZip' | 'custom';

const KEY_PATTERNS: Record<KeyKind, RegExp> = {
  upload: UPLOAD_KEY_PATTERN,
  original: new RegExp(`^originals/${ID}/${ID}\\.svg$`),
  rendition: RENDITION_KEY_PATTERN,
  fullSizeRendition: FULL_SIZE_RENDITION_KEY_PATTERN,
  familyPreview: new RegExp(`^family-previews/${ID}/\\d+\\.(png|webp)$`),
  setZip: new RegExp(`^sets/${ID}\\.zip$`),
  custom: new RegExp(`^custom/${ID}/${ID}/[0-9a-f]{64}\\.(png|webp)$`),
};

export const BUCKET_OF: Readonly<Record<KeyKind, BucketRole>> = {
  upload: 'uploads',
  original: 'downloads',
  rendition: 'assets',
  fullSizeRendition: 'downloads',
  familyPreview: 'assets',
  setZip: 'downloads',
  custom: 'downloads',
};

export function isKeyOfKind(key: string, kind: KeyKind): boolean {
  return KEY_PATTERNS[kind].test(key);
}
