/**
 * Object I/O for the three buckets. Every put takes its headers from headers.ts and checks that the key
 * has the layout of its kind (keys.ts), so no caller picks a bucket or a header by hand.
 */
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '../aws.ts';
import { MAX_ARCHIVE_BYTES, MAX_SVG_BYTES } from '../limits.ts';
import type { ImageFormat } from '../render/config.ts';
import { customHeaders, familyPreviewHeaders, originalHeaders, renditionHeaders, setZipHeaders } from './headers.ts';
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

  /** A customised render; `name` names the download (the extension follows the format). */
  putCustom(key: string, bytes: Buffer, format: ImageFormat, name: string): Promise<void> {
    return this.#put('custom', key, bytes, customHeaders(name, format));
  }

  getUpload(key: string): Promise<Buffer> {
    return this.#get('upload', key, MAX_ARCHIVE_BYTES);
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
    const bucket = this.#bucketFor(kind, key);
    const response = await this.#s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const size = response.ContentLength ?? 0;
    if (size > limit || !response.Body) {
      // Free the connection before failing; the body is never read into memory.
      response.Body?.transformToWebStream().cancel().catch(() => undefined);
      if (!response.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      throw new ObjectTooLargeError(bucket, key, size, limit);
    }
    const bytes = Buffer.from(await response.Body.transformToByteArray());
    if (bytes.length > limit) throw new ObjectTooLargeError(bucket, key, bytes.length, limit);
    return bytes;
  }
}
