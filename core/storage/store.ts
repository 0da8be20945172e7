/**
 * Object I/O for the three buckets. Every put takes its headers from headers.ts and checks that the key
 * has the layout of its kind (keys.ts), so no caller picks a bucket or a header by hand.
 */
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { awsClientConfig } from '../aws.ts';
import { MAX_ARCHIVE_BYTES, MAX_SVG_BYTES } from '../limits.ts';
import type { ImageFormat } from '../render/config.ts';
import { customHeaders, familyPreviewHeaders, fullSizeRenditionHeaders, originalHeaders, renditionHeaders, setZipHeaders } from './headers.ts';
import type { ObjectHeaders } from './headers.ts';
import { BUCKET_OF, isKeyOfKind } from './keys.ts';
import type { BucketRole, KeyKind } from './keys.ts';
import type { RenditionPlacement } from './rendition-placement.ts';
import { isSanitisedSvg } from './sanitised.ts';
import type { SanitisedSvg } from './sanitised.ts';

/**
 * Region from AWS_REGION; with AWS_ENDPOINT_URL_S3 set (s3rver locally) path-style addressing, since
 * an emulator on localhost has no per-bucket DNS names.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env, options: S3ClientOptions = {}): S3Client {
  const config = awsClientConfig(env, 'S3');
  return new S3Client({
    ...config,
    forcePathStyle: config.endpoint !== undefined,
    ...(options.checksums === 'when-required' ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

export interface S3ClientOptions {
  /**
   * 'when-required' (the pipeline, which PUTs eight renditions per image): the SDK's flexible checksums only where
   * S3 requires one (DeleteObjects), not a CRC32 header on every PUT and a check of every GET. Each PUT body stays
   * covered by SigV4, which signs its SHA-256 (x-amz-content-sha256) and which S3 checks. Measured with 800-PUT
   * rounds against s3rver: ~0.05 ms less client CPU and ~0.1 ms less emulator CPU per PUT (the CRC itself is
   * zlib's native crc32 on this Node). Default: the SDK's ('when-supported').
   */
  checksums?: 'when-supported' | 'when-required';
}

export type Buckets = Readonly<Record<BucketRole, string>>;

/** Thrown when a stored object is larger than anything the pipeline may read into memory. */
export class ObjectTooLargeError extends Error {
  constructor(bucket: string, key: string, size: number, limit: number) {
    super(`s3://${bucket}/${key} is ${size} bytes, over the ${limit}-byte limit`);
    this.name = 'ObjectTooLargeError';
  }
}

/** An ETag without the quotes S3 puts around it (events carry it bare, headers quoted). */
export function normaliseEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** The object at a write-once key is no longer the one first seen there. */
export class ObjectReplacedError extends Error {
  constructor(key: string, expected: string, found?: string) {
    super(`${key} is no longer the object first seen there (ETag ${normaliseEtag(expected)}${found ? `, now ${normaliseEtag(found)}` : ''})`);
    this.name = 'ObjectReplacedError';
  }
}

export class ObjectStore {
  readonly #s3: S3Client;
  readonly #buckets: Buckets;

  constructor(s3: S3Client, buckets: Buckets) {
    for (const role of ['uploads', 'assets', 'downloads'] as const) {
      if (!buckets[role]) throw new TypeError(`bucket name for "${role}" is missing`);
    }
    this.#s3 = s3;
    this.#buckets = { ...buckets };
  }

  putRendition(key: string, bytes: Buffer, format: ImageFormat): Promise<void> {
    return this.#put('rendition', key, bytes, renditionHeaders(format));
  }

  /** A rendition above the preview size: private downloads bucket (full-size-keys.ts). */
  putFullSizeRendition(key: string, bytes: Buffer, format: ImageFormat): Promise<void> {
    return this.#put('fullSizeRendition', key, bytes, fullSizeRenditionHeaders(format));
  }

  /** Where placeRendition() said: a public preview or a private full-size rendition. */
  putPlacedRendition(placement: RenditionPlacement, bytes: Buffer, format: ImageFormat): Promise<void> {
    return placement.kind === 'rendition'
      ? this.putRendition(placement.key, bytes, format)
      : this.putFullSizeRendition(placement.key, bytes, format);
  }

  /**
   * Server-side copy of a preview to another preview key (same bucket; headers travel with the object).
   * Returns false when the source does not exist (nothing to move: e.g. a row whose object was never stored).
   */
  async copyRendition(fromKey: string, toKey: string): Promise<boolean> {
    const bucket = this.#bucketFor('rendition', toKey);
    this.#bucketFor('rendition', fromKey);
    try {
      await this.#s3.send(new CopyObjectCommand({ Bucket: bucket, Key: toKey, CopySource: `${bucket}/${encodeURI(fromKey)}` }));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return false;
      throw error;
    }
  }

  /** Every key in the assets bucket under `prefix` (paged through ListObjectsV2). */
  async listAssetKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#s3.send(
        new ListObjectsV2Command({ Bucket: this.#buckets.assets, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /**
   * Deletes objects from the assets bucket (1,000 per request, S3's limit). Takes any key under `previews/`
   * or `family-previews/`, including layouts older than this one: withdrawing must reach stale objects too.
   * Deleting a missing key succeeds, so a retry is harmless.
   */
  async deleteAssets(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      if (!/^(previews|family-previews)\/[0-9a-f-]+\//.test(key)) throw new TypeError(`${JSON.stringify(key)} is not a preview key`);
    }
    for (let start = 0; start < keys.length; start += 1000) {
      const chunk = keys.slice(start, start + 1000);
      const result = await this.#s3.send(
        new DeleteObjectsCommand({ Bucket: this.#buckets.assets, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (result.Errors && result.Errors.length > 0) {
        const reasons = result.Errors.map((e) => `${e.Key}: ${e.Code}`).join('; ');
        throw new Error(`S3 did not delete ${result.Errors.length} object(s): ${reasons}`);
      }
    }
  }

  putFamilyPreview(key: string, bytes: Buffer, format: ImageFormat): Promise<void> {
    return this.#put('familyPreview', key, bytes, familyPreviewHeaders(format));
  }

  /** `fileName` names the download (`Content-Disposition`); the bytes must come from the sanitiser. */
  putOriginal(key: string, svg: SanitisedSvg, fileName: string): Promise<void> {
    if (!isSanitisedSvg(svg)) {
      return Promise.reject(new TypeError('putOriginal takes only SVG that went through sanitisedSvgFrom()'));
    }
    return this.#put('original', key, svg, originalHeaders(fileName));
  }

  /** `title` names the download. */
  putSetZip(key: string, zip: Buffer, title: string): Promise<void> {
    return this.#put('setZip', key, zip, setZipHeaders(title));
  }

  /** A customised render; `name` names the download (the extension follows the format). */
  putCustom(key: string, bytes: Buffer, format: ImageFormat, name: string): Promise<void> {
    return this.#put('custom', key, bytes, customHeaders(name, format));
  }

  getUpload(key: string): Promise<Buffer> {
    return this.#get('upload', key, MAX_ARCHIVE_BYTES);
  }

  /**
   * The upload ZIP, only if it is still the object with `etag` (write-once uploads: the pipeline reads the
   * object it first saw, never a later one posted to the same key). S3 checks `If-Match` itself (412); the
   * ETag of the answer is compared too, for stores that ignore the header.
   */
  async getPinnedUpload(key: string, etag: string): Promise<Buffer> {
    try {
      const { bytes, etag: served } = await this.#getWithEtag('upload', key, MAX_ARCHIVE_BYTES, etag);
      if (served !== undefined && normaliseEtag(served) !== normaliseEtag(etag)) throw new ObjectReplacedError(key, etag, served);
      return bytes;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412) throw new ObjectReplacedError(key, etag);
      throw error;
    }
  }

  /** The ETag of an upload as it is now (for events that carry none). */
  async uploadEtag(key: string): Promise<string> {
    const head = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucketFor('upload', key), Key: key }));
    if (!head.ETag) throw new Error(`s3://${this.#bucketFor('upload', key)}/${key} has no ETag`);
    return normaliseEtag(head.ETag);
  }

  getOriginal(key: string): Promise<Buffer> {
    return this.#get('original', key, MAX_SVG_BYTES);
  }

  /** Whether the set ZIP at `key` exists and was stored for a set of this title (its download name says so). */
  async setZipMadeFor(key: string, title: string): Promise<boolean> {
    try {
      const head = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucketFor('setZip', key), Key: key }));
      return head.ContentDisposition === setZipHeaders(title).ContentDisposition;
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return false;
      // Without s3:ListBucket (PreviewMaker has none) S3 answers a HEAD of a missing key with 403, not 404:
      // either way the ZIP is not known to be there, and writing it again needs only s3:PutObject.
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403) return false;
      throw error;
    }
  }

  /** Whether an object of that kind exists (the handlers' idempotency checks use this). */
  async exists(kind: KeyKind, key: string): Promise<boolean> {
    try {
      await this.#s3.send(new HeadObjectCommand({ Bucket: this.#bucketFor(kind, key), Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || (error as { name?: string }).name === 'NotFound') return false;
      throw error;
    }
  }

  #bucketFor(kind: KeyKind, key: string): string {
    if (!isKeyOfKind(key, kind)) throw new TypeError(`${JSON.stringify(key)} is not a ${kind} key`);
    return this.#buckets[BUCKET_OF[kind]];
  }

  async #put(kind: KeyKind, key: string, body: Buffer, headers: ObjectHeaders): Promise<void> {
    await this.#s3.send(new PutObjectCommand({ Bucket: this.#bucketFor(kind, key), Key: key, Body: body, ...headers }));
  }

  async #get(kind: KeyKind, key: string, limit: number): Promise<Buffer> {
    return (await this.#getWithEtag(kind, key, limit)).bytes;
  }

  async #getWithEtag(kind: KeyKind, key: string, limit: number, ifMatch?: string): Promise<{ bytes: Buffer; etag?: string }> {
    const bucket = this.#bucketFor(kind, key);
    const response = await this.#s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(ifMatch ? { IfMatch: `"${normaliseEtag(ifMatch)}"` } : {}) }),
    );
    const size = response.ContentLength ?? 0;
    if (size > limit || !response.Body) {
      // Free the connection before failing; the body is never read into memory.
      response.Body?.transformToWebStream().cancel().catch(() => undefined);
      if (!response.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      throw new ObjectTooLargeError(bucket, key, size, limit);
    }
    const bytes = Buffer.from(await response.Body.transformToByteArray());
    if (bytes.length > limit) throw new ObjectTooLargeError(bucket, key, bytes.length, limit);
    return { bytes, etag: response.ETag };
  }
}
