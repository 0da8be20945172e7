/**
 * Object I/O for the three buckets. Every put takes its headers from headers.ts and checks that the key
 * has the layout of its kind (keys.ts), so no caller picks a bucket or a header by hand.
 */
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '../aws.ts';
import { MAX_ARCHIVE_BYTES, MAX_SVG_BYTES } from '../limits.ts';
import type { ImageFormat } from '../render/config.ts';
import { familyPreviewHeaders, originalHeaders, renditionHeaders, setZipHeaders } from './headers.ts';
import type { ObjectHeaders } from './headers.ts';
import { BUCKET_OF, isKeyOfKind } from './keys.ts';
import type { BucketRole, KeyKind } from './keys.ts';
import { isSanitisedSvg } from './sanitised.ts';
import type { SanitisedSvg } from './sanitised.ts';

/**
 * Region from AWS_REGION; with AWS_ENDPOINT_URL_S3 set (s3rver locally) path-style addressing, since
 * an emulator on localhost has no per-bucket DNS names.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const config = awsClientConfig(env, 'S3');
  return new S3Client({ ...config, forcePathStyle: config.endpoint !== undefined });
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
