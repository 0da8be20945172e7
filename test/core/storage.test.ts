import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import S3rver from 's3rver';
import { MAX_SVG_BYTES } from '../../core/limits.ts';
import {
  attachmentDisposition,
  createS3Client,
  familyPreviewKey,
  fullSizeRenditionKey,
  ObjectStore,
  ObjectTooLargeError,
  originalKey,
  parseUploadKey,
  renditionKey,
  sanitisedSvgFrom,
  setZipKey,
  svgResponseHeaders,
  uploadKey,
} from '../../core/storage/index.ts';
import type { SanitisedSvg } from '../../core/storage/index.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { iconSvg } from '../fixtures/svgs.ts';

const BUCKETS = { uploads: 'test-uploads', assets: 'test-assets', downloads: 'test-downloads' } as const;
const contributorId = randomUUID();
const uploadId = randomUUID();
const productId = randomUUID();
const imageId = randomUUID();
const familyId = randomUUID();
const secret = randomBytes(16).toString('hex');

function sanitised(svg: string): SanitisedSvg {
  const result = sanitizeSvg(Buffer.from(svg));
  if (!result.ok) throw new Error(result.reason);
  return sanitisedSvgFrom(result);
}

describe('core/storage keys', () => {
  it('lays out keys by role, versioned where the CDN caches immutably', () => {
    expect(uploadKey(contributorId, uploadId)).to.equal(`uploads/${contributorId}/${uploadId}.zip`);
    expect(originalKey(productId, imageId)).to.equal(`originals/${productId}/${imageId}.svg`);
    expect(renditionKey(productId, secret, imageId, 256, 'webp')).to.match(
      new RegExp(`^previews/${productId}/${secret}/${imageId}/r\\d+/256\\.webp$`),
    );
    expect(fullSizeRenditionKey(productId, imageId, 1280, 'png')).to.match(new RegExp(`^full-size/${productId}/${imageId}/r\\d+/1280\\.png$`));
    expect(familyPreviewKey(familyId, 1700000000000, 'png')).to.equal(`family-previews/${familyId}/1700000000000.png`);
    expect(setZipKey(productId)).to.equal(`sets/${productId}.zip`);
  });

  it('parses upload keys it made and rejects anything else', () => {
    expect(parseUploadKey(uploadKey(contributorId, uploadId))).to.deep.equal({ contributorId, uploadId });
    for (const key of [
      `uploads/${contributorId}/../${uploadId}.zip`,
      `uploads/../${contributorId}/${uploadId}.zip`,
      `uploads/${contributorId}/${uploadId}.zip/`,
      `/uploads/${contributorId}/${uploadId}.zip`,
      `uploads/${contributorId.toUpperCase()}/${uploadId}.zip`,
      `uploads/${contributorId}/${uploadId}.ZIP`,
      `uploads/${contributorId}/${uploadId}.zip\n`,
      `uploads/${contributorId}//${uploadId}.zip`,
      `uploads/${contributorId}/sub/${uploadId}.zip`,
      `uploads/${contributorId}/${uploadId}%2Ezip`,
      `uploads/alice/${uploadId}.zip`,
      `previews/${contributorId}/${uploadId}.zip`,
      '',
    ]) {
      expect(parseUploadKey(key), key).to.equal(null);
    }
  });

  it('refuses to build keys from ids that are not UUIDs', () => {
    expect(() => uploadKey('../etc', uploadId)).to.throw(TypeError, /contributorId/);
    expect(() => originalKey(productId, 'a/b')).to.throw(TypeError, /imageId/);
    expect(() => renditionKey(productId, secret, imageId, 0, 'png')).to.throw(TypeError, /size/);
    expect(() => renditionKey(productId, 'guessable', imageId, 64, 'png')).to.throw(TypeError, /previewSecret/);
    expect(() => renditionKey(productId, secret.toUpperCase(), imageId, 64, 'png')).to.throw(TypeError, /previewSecret/);
    expect(() => fullSizeRenditionKey(productId, '../x', 1280, 'png')).to.throw(TypeError, /imageId/);
    expect(() => fullSizeRenditionKey(productId, imageId, 1.5, 'png')).to.throw(TypeError, /size/);
    expect(() => familyPreviewKey(familyId, -1, 'png')).to.throw(TypeError, /version/);
  });
});

describe('core/storage attachmentDisposition', () => {
  it('gives an ASCII filename and an RFC 5987 filename* for any name', () => {
    expect(attachmentDisposition('line/sun.svg', '.svg')).to.equal(`attachment; filename="sun.svg"; filename*=UTF-8''sun.svg`);
    expect(attachmentDisposition('Météo "Pro"; v2', '.zip')).to.equal(
      `attachment; filename="Meteo _Pro__ v2.zip"; filename*=UTF-8''M%C3%A9t%C3%A9o%20%22Pro%22%3B%20v2.zip`,
    );
    expect(attachmentDisposition('天气\u202e.svg', '.svg')).to.match(/^attachment; filename="__\.svg"; filename\*=UTF-8''%E5%A4%A9%E6%B0%94\.svg$/);
    expect(attachmentDisposition('', '.svg')).to.equal(`attachment; filename="download.svg"; filename*=UTF-8''download.svg`);
  });
});

describe('core/storage ObjectStore against s3rver', () => {
  let server: S3rver;
  let directory: string;
  let s3: S3Client;
  let store: ObjectStore;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'storage-test-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory,
      silent: true,
      configureBuckets: Object.values(BUCKETS).map((name) => ({ name, configs: [] })),
    });
    const { port } = (await server.run()) as { port: number };
    env = {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };
    s3 = createS3Client(env);
    store = new ObjectStore(s3, BUCKETS);
  });

  after(async () => {
    s3?.destroy();
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  const head = (bucket: string, key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

  it('uses path-style addressing for a local endpoint', async () => {
    expect(await s3.config.forcePathStyle).to.equal(true);
    expect(await createS3Client({ AWS_REGION: 'eu-west-1' }).config.forcePathStyle).to.equal(false);
  });

  it("a pipeline client ('when-required') puts renditions without a checksum header, signs each body's SHA-256, and still checksums deletes", async () => {
    /** Headers of each request as sent (signed), per client. */
    const recording = (client: S3Client) => {
      const sent: Array<Record<string, string>> = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
          return next(args);
        },
        { step: 'deserialize', name: 'recordSentHeaders' },
      );
      return sent;
    };
    const checksumHeaders = (headers: Record<string, string>) =>
      Object.keys(headers).filter((name) => name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm' || name === 'content-md5');
    const key = renditionKey(productId, secret, randomUUID(), 32, 'png');
    const bytes = randomBytes(300);

    const pipelineClient = createS3Client(env, { checksums: 'when-required' });
    const sent = recording(pipelineClient);
    const pipelineStore = new ObjectStore(pipelineClient, BUCKETS);
    await pipelineStore.putRendition(key, bytes, 'png');
    await pipelineStore.deleteAssets([key]);
    const [put, deleted] = sent;
    expect(checksumHeaders(put!), 'PUT').to.deep.equal([]);
    expect(put!['x-amz-content-sha256']).to.equal(createHash('sha256').update(bytes).digest('hex'));
    expect(put!.authorization).to.match(/SignedHeaders=[^,]*x-amz-content-sha256/);
    expect(checksumHeaders(deleted!), 'DeleteObjects (S3 requires a checksum)').to.not.deep.equal([]);
    expect(await store.exists('rendition', key)).to.equal(false);

    // Other clients (the API's) keep the SDK's default.
    const defaultClient = createS3Client(env);
    const sentByDefault = recording(defaultClient);
    await new ObjectStore(defaultClient, BUCKETS).putRendition(key, bytes, 'png');
    expect(checksumHeaders(sentByDefault[0]!)).to.include('x-amz-checksum-crc32');
    pipelineClient.destroy();
    defaultClient.destroy();
  });

  it('stores a rendition in the assets bucket as immutable, typed, nosniff', async () => {
    const key = renditionKey(productId, secret, imageId, 64, 'webp');
    const bytes = Buffer.from('RIFF....WEBPVP8 fake-bytes-are-fine-for-storage');
    await store.putRendition(key, bytes, 'webp');
    const stored = await head(BUCKETS.assets, key);
    expect(stored.ContentType).to.equal('image/webp');
    expect(stored.CacheControl).to.equal('public, max-age=31536000, immutable');
    expect(stored.Metadata).to.deep.include({ 'x-content-type-options': 'nosniff' });
    expect(stored.ContentLength).to.equal(bytes.length);
    expect(await store.exists('rendition', key)).to.equal(true);
    expect(await store.exists('rendition', renditionKey(productId, secret, imageId, 32, 'webp'))).to.equal(false);
  });

  it('round-trips a sanitised original with download headers and the SVG response headers in metadata', async () => {
    const key = originalKey(productId, imageId);
    const svg = sanitised(iconSvg(2));
    await store.putOriginal(key, svg, 'line/cloud-rain.svg');
    expect((await store.getOriginal(key)).equals(svg)).to.equal(true);
    const stored = await head(BUCKETS.downloads, key);
    expect(stored.ContentType).to.equal('image/svg+xml');
    expect(stored.CacheControl).to.equal('private, no-store');
    expect(stored.ContentDisposition).to.equal(`attachment; filename="cloud-rain.svg"; filename*=UTF-8''cloud-rain.svg`);
    expect(stored.Metadata).to.deep.equal({
      'x-content-type-options': svgResponseHeaders['X-Content-Type-Options'],
      'content-security-policy': svgResponseHeaders['Content-Security-Policy'],
    });
  });

  it('refuses raw bytes as an original, even when cast to the sanitised type', async () => {
    const raw = Buffer.from(iconSvg(1)) as SanitisedSvg;
    const error = await store.putOriginal(originalKey(productId, randomUUID()), raw, 'x.svg').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TypeError);
  });

  it('stores family previews and the set ZIP with their headers', async () => {
    const previewKey = familyPreviewKey(familyId, 1, 'png');
    await store.putFamilyPreview(previewKey, Buffer.from('png'), 'png');
    const preview = await head(BUCKETS.assets, previewKey);
    // Withdrawn without a CDN invalidation when a set is hidden: five minutes in shared caches, not a year.
    expect([preview.ContentType, preview.CacheControl]).to.deep.equal(['image/png', 'public, max-age=300']);

    const zipKey = setZipKey(productId);
    await store.putSetZip(zipKey, Buffer.from('PK\u0003\u0004'), 'Weather Line Icons');
    const zip = await head(BUCKETS.downloads, zipKey);
    expect(zip.ContentType).to.equal('application/zip');
    expect(zip.CacheControl).to.equal('private, no-store');
    expect(zip.ContentDisposition).to.equal(
      `attachment; filename="Weather Line Icons.zip"; filename*=UTF-8''Weather%20Line%20Icons.zip`,
    );
  });

  it('reads uploads, and refuses keys of the wrong kind instead of touching another bucket', async () => {
    const key = uploadKey(contributorId, uploadId);
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.uploads, Key: key, Body: Buffer.from('zip bytes') }));
    expect((await store.getUpload(key)).toString()).to.equal('zip bytes');
    await store.getUpload(originalKey(productId, imageId)).then(
      () => expect.fail('read an original as an upload'),
      (e: unknown) => expect(e).to.be.instanceOf(TypeError),
    );
    await store.putRendition(setZipKey(productId), Buffer.from('x'), 'png').then(
      () => expect.fail('wrote a rendition to a set ZIP key'),
      (e: unknown) => expect(e).to.be.instanceOf(TypeError),
    );
  });

  it('refuses to read an original larger than the SVG limit', async () => {
    const key = originalKey(productId, randomUUID());
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.downloads, Key: key, Body: Buffer.alloc(MAX_SVG_BYTES + 1) }));
    const error = await store.getOriginal(key).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ObjectTooLargeError);
  });
});
