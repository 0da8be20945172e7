/**
 * Only what is published is public (issue 12, item 6), over HTTP as a visitor reaches it: the API, and the
 * assets bucket as served by s3rver (the CDN's origin; locally the front door proxies it uncached). One test
 * per leak the review found:
 * - an unpublished set's icons in a public family preview;
 * - an unpublished set's renditions at a key derived from its ids (uuidv5 of the upload id);
 * - a blocked (or unpublished) set's renditions still reachable at the URLs handed out while it was public;
 * - the full-size PNG of a paid illustration public under /assets/previews.
 * (Typo-correction words from hidden sets: test/api/search.test.ts.)
 * The real pipeline renders the sets and rebuilds family previews from the API's queue jobs; CloudFront
 * invalidations go to a local CreateInvalidation stand-in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createApiDb } from '../../app/api/database.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/tables.ts';
import { CloudFrontInvalidator } from '../../core/cdn/invalidation.ts';
import type { Database } from '../../core/catalog/index.ts';
import { imageIdFor } from '../../core/ids.ts';
import { createSqsClient, JobQueues } from '../../core/queue/sqs.ts';
import { RENDITION_PROFILE } from '../../core/render/config.ts';
import { createS3Client, fullSizeRenditionKey } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local/pipeline.ts';
import { startCloudFrontStandIn, type CloudFrontStandIn } from '../support/cloudfront-standin.ts';
import { buildUploadZip, iconFiles, iconSetFiles, imagesFor, iconSetManifest, illustrationSetFiles, illustrationSetManifest } from '../fixtures/uploads.ts';
import { ApiClient } from './client.ts';
import { signUpAndIn } from './sign-up.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const DISTRIBUTION = 'E2VISIBILITYTEST';

/** Retries `attempt` (assertions inside) until it passes or `timeoutMs` runs out; the pipeline works asynchronously. */
async function eventually<T>(attempt: () => Promise<T>, { timeoutMs }: { timeoutMs: number }): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('only what is published is public (API, s3rver, pipeline, CloudFront stand-in)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let pipeline: LocalPipeline;
  let db: Kysely<Database>;
  let server: LocalServer | undefined;
  let apiUrl: string;
  let assetsBase: string;
  let cloudfront: CloudFrontStandIn;
  let deps: ApiDeps;
  let contributor: ApiClient;
  let admin: ApiClient;
  const anonymous = () => new ApiClient(apiUrl);

  /** What a visitor's browser gets for a URL (no cookies, no signature). */
  const publicStatus = async (url: string) => (await fetch(url)).status;
  const publicBytes = async (url: string) => Buffer.from(await (await fetch(url)).arrayBuffer());

  async function uploadSet(zip: Buffer): Promise<string> {
    const draft = (await contributor.post('/api/drafts', {})).json.draft;
    const { upload } = (await contributor.post(`/api/drafts/${draft.id}/upload`, {})).json;
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields as Record<string, string>)) form.append(name, value);
    form.append('file', new Blob([zip], { type: 'application/zip' }), 'set.zip');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).to.equal(204);
    await eventually(async () => expect((await contributor.get(`/api/products/${draft.productId}`)).json.product?.status).to.equal('ready'), {
      timeoutMs: 60_000,
    });
    return draft.productId;
  }

  const iconSet = (title: string, icons: number) =>
    buildUploadZip({
      files: iconSetFiles(icons),
      manifest: iconSetManifest({ product: { title, tags: ['harbour'], family: { slug: 'harbour', title: 'Harbour' } }, images: imagesFor(iconFiles(icons)) }),
    });

  /** The family's public preview PNG URL, or null when the family (or its preview) is not public. */
  async function familyPreviewUrl(familyId: string): Promise<string | null> {
    const res = await anonymous().get(`/api/families/${familyId}`);
    if (res.status === 404) return null;
    return res.json.family.preview?.png ?? null;
  }

  const ownPreviewUrls = async (productId: string): Promise<string[]> =>
    (await contributor.get(`/api/products/${productId}`)).json.product.preview.flatMap((image: { renditions: Array<{ url: string }> }) =>
      image.renditions.map((rendition) => rendition.url),
    );

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'visibility-test-'));
    pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds: 1, logLevel: 'silent' });
    cloudfront = await startCloudFrontStandIn([DISTRIBUTION]);
    const env = pipeline.services.functionEnv;
    // As deployed: the API connects as its own login (migration 0037), not as the master user.
    db = createApiDb(pipeline.componentUrls.api, { max: 4 });
    assetsBase = `${env.AWS_ENDPOINT_URL_S3}/${LOCAL_BUCKETS.assets}`;
    const queues = new JobQueues(createSqsClient(env), { imageQueueUrl: env.IMAGE_QUEUE_URL!, previewQueueUrl: env.PREVIEW_QUEUE_URL! });
    deps = {
      db,
      s3: createS3Client(env),
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: assetsBase,
      logger: pino({ level: 'silent' }),
      secureCookies: false,
      rateLimits: { auth: { requests: 1_000, windowSeconds: 60 }, upload: { requests: 1_000, windowSeconds: 60 } },
      validateResponses: true,
      cdn: new CloudFrontInvalidator(
        new CloudFrontClient({ region: 'us-east-1', endpoint: cloudfront.endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } }),
        DISTRIBUTION,
        'https://d111111abcdef8.cloudfront.net/assets',
      ),
      familyPreviews: { request: (job) => queues.sendPreviewJob(job, 0) },
    };
    server = await serveOnLocalPort(createApp(deps));
    apiUrl = server.url;
    contributor = anonymous();
    await signUpAndIn(contributor, { email: 'harbour@example.test', password: 'correct horse battery', displayName: 'Harbour', role: 'contributor', slug: 'harbour-studio' }, { verifyWith: db });
    await createAccount(apiDb(db), { email: 'admin@example.test', password: 'admin password 123', displayName: 'Admin', role: 'admin' });
    admin = anonymous();
    expect((await admin.post('/api/auth/signin', { email: 'admin@example.test', password: 'admin password 123' })).status).to.equal(200);
  });

  after(async () => {
    await server?.close();
    deps?.s3.destroy();
    await db?.destroy();
    await pipeline?.stop();
    await cloudfront?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  let lighthouse: string; // published, one icon
  let drafts: string; // three icons, unpublished, then published, then blocked
  let familyId: string;
  let lighthouseOnly: Buffer;

  it('never puts an unpublished set in its family preview, and has none while no set is public', async () => {
    lighthouse = await uploadSet(await iconSet('Lighthouse', 1));
    drafts = await uploadSet(await iconSet('Harbour Drafts', 3));
    familyId = (await contributor.get(`/api/products/${drafts}`)).json.product.family.id;
    expect(await familyPreviewUrl(familyId), 'no visible set: no public family').to.equal(null);
    const stored = await db.selectFrom('families').select('previewKeys').where('id', '=', familyId).executeTakeFirstOrThrow();
    expect(stored.previewKeys, 'nothing rendered from hidden sets').to.equal(null);

    expect((await contributor.post(`/api/products/${lighthouse}/publish`)).status).to.equal(200);
    const url = await eventually(async () => {
      const found = await familyPreviewUrl(familyId);
      expect(found).to.be.a('string');
      return found!;
    }, { timeoutMs: 30_000 });
    expect(await publicStatus(url)).to.equal(200);
    // The family's only visible set has one icon: the preview is that icon alone (rendering is deterministic),
    // not a sample that includes the unpublished set's three.
    lighthouseOnly = await publicBytes(url);
  });

  it("does not answer a key derived from an unpublished set's ids (the old uuidv5 layout, or any key without its secret)", async () => {
    const imageId = imageIdFor(drafts, 0);
    for (const size of [32, 64, 128, 256]) {
      expect(await publicStatus(`${assetsBase}/previews/${drafts}/${imageId}/r${RENDITION_PROFILE}/${size}.png`)).to.equal(404);
    }
    expect((await anonymous().get(`/api/products/${drafts}`)).status).to.equal(404);
    expect((await anonymous().get(`/api/products/${drafts}/images`)).status).to.equal(404);
    expect((await anonymous().get(`/api/images/${imageId}`)).status).to.equal(404);
    expect(JSON.stringify((await anonymous().get('/api/search?q=harbour')).json)).not.to.include(drafts);
    expect(JSON.stringify((await anonymous().get('/api/products?limit=100')).json)).not.to.include(drafts);
    // The owner sees working previews, under a 32-hex-digit secret nobody else is given.
    const own = await ownPreviewUrls(drafts);
    expect(own).to.have.length(3 * 8);
    expect(own[0]).to.match(new RegExp(`/previews/${drafts}/[0-9a-f]{32}/${imageId}/`));
    expect(await publicStatus(own[0]!)).to.equal(200);
  });

  let publishedUrls: string[];
  let previewWithDrafts: string;

  it('withdraws the URLs a set had while public when it is unpublished, and invalidates them on the CDN', async () => {
    expect((await contributor.post(`/api/products/${drafts}/publish`)).status).to.equal(200);
    publishedUrls = (await anonymous().get(`/api/products/${drafts}`)).json.product.preview.flatMap((image: { renditions: Array<{ url: string }> }) =>
      image.renditions.map((rendition) => rendition.url),
    );
    for (const url of publishedUrls) expect(await publicStatus(url)).to.equal(200);
    // Published: the family preview now samples both sets.
    previewWithDrafts = await eventually(async () => {
      const url = await familyPreviewUrl(familyId);
      expect(url).to.be.a('string');
      expect((await publicBytes(url!)).equals(lighthouseOnly)).to.equal(false);
      return url!;
    }, { timeoutMs: 30_000 });

    cloudfront.invalidations.length = 0;
    expect((await contributor.post(`/api/products/${drafts}/unpublish`)).json.product.published).to.equal(false);
    for (const url of publishedUrls) expect(await publicStatus(url), url).to.equal(404);
    expect(cloudfront.invalidations.map((i) => i.paths)).to.deep.equal([[`/assets/previews/${drafts}/*`]]);
    // The owner keeps previews, under a new secret.
    const own = await ownPreviewUrls(drafts);
    expect(own.some((url) => publishedUrls.includes(url))).to.equal(false);
    for (const url of own.slice(0, 4)) expect(await publicStatus(url)).to.equal(200);
    // And the family preview is rebuilt without it: the old card is gone, the new one is the lighthouse alone.
    await eventually(async () => {
      const url = await familyPreviewUrl(familyId);
      expect(url).to.be.a('string').and.not.equal(previewWithDrafts);
      expect((await publicBytes(url!)).equals(lighthouseOnly)).to.equal(true);
    }, { timeoutMs: 30_000 });
    expect(await publicStatus(previewWithDrafts)).to.equal(404);
  });

  it("withdraws a blocked set's renditions and rebuilds the family preview without it", async () => {
    expect((await contributor.post(`/api/products/${drafts}/publish`)).status).to.equal(200);
    const urls = (await anonymous().get(`/api/products/${drafts}`)).json.product.preview.flatMap((image: { renditions: Array<{ url: string }> }) =>
      image.renditions.map((rendition) => rendition.url),
    );
    for (const url of urls.slice(0, 4)) expect(await publicStatus(url)).to.equal(200);
    const withDrafts = await eventually(async () => {
      const url = await familyPreviewUrl(familyId);
      expect((await publicBytes(url!)).equals(lighthouseOnly)).to.equal(false);
      return url!;
    }, { timeoutMs: 30_000 });

    cloudfront.invalidations.length = 0;
    const blocked = await admin.post(`/api/admin/products/${drafts}/block`, { reason: 'Trademark complaint' });
    expect(blocked.json.product).to.include({ blocked: true, published: false });
    for (const url of urls) expect(await publicStatus(url), url).to.equal(404);
    expect(cloudfront.invalidations.map((i) => i.paths)).to.deep.equal([[`/assets/previews/${drafts}/*`]]);
    const stored = await deps.s3.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKETS.assets, Prefix: `previews/${drafts}/` }));
    const secret = (await db.selectFrom('products').select('previewSecret').where('id', '=', drafts).executeTakeFirstOrThrow()).previewSecret;
    expect((stored.Contents ?? []).every((object) => object.Key!.startsWith(`previews/${drafts}/${secret}/`))).to.equal(true);
    await eventually(async () => {
      const url = await familyPreviewUrl(familyId);
      expect(url).to.not.equal(withDrafts);
      expect((await publicBytes(url!)).equals(lighthouseOnly)).to.equal(true);
    }, { timeoutMs: 30_000 });
    expect(await publicStatus(withDrafts)).to.equal(404);
  });

  it("keeps a paid illustration's full-size PNG out of the public bucket: previews stop at 640 px", async () => {
    const productId = await uploadSet(
      await buildUploadZip({ files: illustrationSetFiles(1), manifest: illustrationSetManifest({ images: [{ file: 'landscape-1.svg', title: 'Landscape 1' }] }) }),
    );
    expect((await contributor.post(`/api/products/${productId}/publish`)).status).to.equal(200);
    const product = (await anonymous().get(`/api/products/${productId}`)).json.product;
    expect(product.price).to.deep.equal({ amount: 2500, currency: 'EUR' });
    const renditions: Array<{ size: number; url: string }> = product.preview[0].renditions;
    expect([...new Set(renditions.map((r) => r.size))].sort((a, b) => a - b)).to.deep.equal([320, 640]);
    const png640 = renditions.find((r) => r.size === 640 && r.url.endsWith('.png'))!;
    expect(await publicStatus(png640.url)).to.equal(200);
    // The same key at 1280 px, knowing the secret from a public URL: nothing there, nor under any public key.
    expect(await publicStatus(png640.url.replace(/\/640\.png$/, '/1280.png'))).to.equal(404);
    const imageId = product.preview[0].id;
    const fullSize = fullSizeRenditionKey(productId, imageId, 1280, 'png');
    expect(await publicStatus(`${assetsBase}/${fullSize}`)).to.equal(404);
    const publicKeys = await deps.s3.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKETS.assets, Prefix: `previews/${productId}/` }));
    expect((publicKeys.Contents ?? []).filter((object) => /\/1280\.(png|webp)$/.test(object.Key!))).to.deep.equal([]);
    // It exists privately, for entitled downloads.
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: fullSize }));
    expect(head.ContentType).to.equal('image/png');
    expect(head.CacheControl).to.equal('private, no-store');
  });
});
