/**
 * The S3 key layout, in one place. Buckets are named by role:
 * - uploads (private): raw contributor ZIPs,
 * - assets (public through the CDN, cached as immutable): preview renditions and family previews,
 * - downloads (private, presigned only): sanitised original SVGs, the set ZIP and customised renders.
 * Keys of immutably cached objects carry a version (rendition profile, family preview version), so a
 * changed object always gets a new key instead of a stale cached copy.
 */
import { RENDITION_PROFILE } from '../render/config.ts';
import type { ImageFormat } from '../render/config.ts';

export type BucketRole = 'uploads' | 'assets' | 'downloads';

/** Lower-case RFC 4122 form, as `randomUUID()` and `core/ids.ts` produce. Nothing else enters a key. */
const ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ID_PATTERN = new RegExp(`^${ID}$`);
const UPLOAD_KEY_PATTERN = new RegExp(`^uploads/(${ID})/(${ID})\\.zip$`);
const FORMATS: readonly ImageFormat[] = ['png', 'webp'];

function assertId(name: string, value: string): void {
  if (!ID_PATTERN.test(value)) throw new TypeError(`${name} must be a lower-case UUID, got ${JSON.stringify(value)}`);
}

function assertFormat(format: ImageFormat): void {
  if (!FORMATS.includes(format)) throw new TypeError(`format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
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

/** assets bucket: `previews/<productId>/<imageId>/r<profile>/<size>.<format>` */
export function renditionKey(productId: string, imageId: string, size: number, format: ImageFormat): string {
  assertId('productId', productId);
  assertId('imageId', imageId);
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`size must be a positive integer, got ${size}`);
  assertFormat(format);
  return `previews/${productId}/${imageId}/r${RENDITION_PROFILE}/${size}.${format}`;
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
export type KeyKind = 'upload' | 'original' | 'rendition' | 'familyPreview' | 'setZip' | 'custom';

const KEY_PATTERNS: Record<KeyKind, RegExp> = {
  upload: UPLOAD_KEY_PATTERN,
  original: new RegExp(`^originals/${ID}/${ID}\\.svg$`),
  rendition: new RegExp(`^previews/${ID}/${ID}/r\\d+/[1-9]\\d*\\.(png|webp)$`),
  familyPreview: new RegExp(`^family-previews/${ID}/\\d+\\.(png|webp)$`),
  setZip: new RegExp(`^sets/${ID}\\.zip$`),
  custom: new RegExp(`^custom/${ID}/${ID}/[0-9a-f]{64}\\.(png|webp)$`),
};

export const BUCKET_OF: Readonly<Record<KeyKind, BucketRole>> = {
  upload: 'uploads',
  original: 'downloads',
  rendition: 'assets',
  familyPreview: 'assets',
  setZip: 'downloads',
  custom: 'downloads',
};

export function isKeyOfKind(key: string, kind: KeyKind): boolean {
  return KEY_PATTERNS[kind].test(key);
}
