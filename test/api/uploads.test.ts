/**
 * Write-once uploads and sanitiser warnings through the API, on the real local stack (PostgreSQL, s3rver,
 * fauxqs, the pipeline): the contributor's ZIP goes through the presigned POST into s3rver.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import JSZip from 'jszip';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createApiDb } from '../../app/api/database.ts';
import type { Database } from '../../core/catalog/index.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { createSqsClient, JobQueues } from '../../core/queue/sqs.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local/pipeline.ts';
import { buildUploadZip, iconSetManifest, imagesFor } from '../fixtures/uploads.ts';
import { ApiClient } from './client.ts';
import { signUpAndIn } from './sign-up.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const svg = (body: string) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">${body}</svg>`;

async function postToS3(upload: { url: string; fields: Record<string, string> }, zip: Buffer): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([zip], { type: 'application/zip' }), 'set.zip');
  return (await fetch(upload.url, { method: 'POST', body: form })).status;
}

async function readDraftEvents(url: string, cookie: string): Promise<any[]> {
  const text = await (await fetch(url, { headers: { cookie } })).text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: draft'))
    .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)));
}

describe('uploads: write-once, one form per draft, sanitiser warnings', function () {
  this.timeout(120_000);
  let dataDir: string;
  let pipeline: LocalPipeline;
  let db: Kysely<Database>;
  let server: LocalServer | undefined;
  let url: string;
  let deps: ApiDeps;
  let contributor: ApiClient;
  let buyer: ApiClient;

  async function signUp(role: 'buyer' | 'contributor', name: string): Promise<ApiClient> {
    const client = new ApiClient(url);
    await signUpAndIn(client, {
      email: `${name}@example.test`,
      password: 'correct horse battery',
      displayName: name,
      role,
      ...(role === 'contributor' ? { slug: name } : {}),
    }, role === 'contributor' ? { verifyWith: db } : {});
    return client;
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'uploads-test-'));
    pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds: 1, logLevel: 'silent' });
    const env = pipeline.services.functionEnv;
    // As deployed: the API connects as its own login (migration 0037), not as the master user.
    db = createApiDb(pipeline.componentUrls.api, { max: 4 });
    deps = {
      db,
      s3: createS3Client(env),
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: `${env.AWS_ENDPOINT_URL_S3}/${LOCAL_BUCKETS.assets}`,
      logger: pino({ level: 'silent' }),
      secureCookies: false,
      rateLimits: { auth: { requests: 1_000, windowSeconds: 60 }, upload: { requests: 1_000, windowSeconds: 60 } },
      validateResponses: true,
      jobs: {
        queues: new JobQueues(createSqsClient(env), { imageQueueUrl: env.IMAGE_QUEUE_URL!, previewQueueUrl: env.PREVIEW_QUEUE_URL! }),
        watchdogDelaySeconds: 1,
      },
    };
    server = await serveOnLocalPort(createApp(deps));
    url = server.url;
    contributor = await signUp('contributor', 'write-once-studio');
    buyer = await signUp('buyer', 'write-once-buyer');
  });

  after(async () => {
    await server?.close();
    deps?.s3.destroy();
    await db?.destroy();
    await pipeline?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** What a buyer downloads of the set: the ZIP's SVG entries, the first image's SVG and 64 px PNG. */
  async function downloads(productId: string) {
    const zip = await buyer.post('/api/downloads', { productId, format: 'zip' });
    expect(zip.status, JSON.stringify(zip.json)).to.equal(201);
    const archive = await JSZip.loadAsync(Buffer.from(await (await fetch(zip.json.url)).arrayBuffer()));
    const entries: Record<string, string> = {};
    for (const file of Object.values(archive.files).filter((f) => !f.dir)) entries[file.name] = await file.async('string');
    const imageId = (await buyer.get(`/api/products/${productId}`)).json.product.preview[0].id;
    const svgUrl = (await buyer.post('/api/downloads', { imageId, format: 'svg' })).json.url;
    const pngUrl = (await buyer.post('/api/downloads', { imageId, format: 'png', size: 64 })).json.url;
    return {
      entries,
      svg: await (await fetch(svgUrl)).text(),
      png: Buffer.from(await (await fetch(pngUrl)).arrayBuffer()).toString('base64'),
    };
  }

  it('keeps a published set as first uploaded when a second ZIP is posted to the same form, and tells the contributor', async () => {
    const { draft, upload } = (await contributor.post('/api/drafts', {})).json;
    const setA = await buildUploadZip({
      files: { 'sun.svg': svg('<circle cx="12" cy="12" r="5" fill="#f90"/>'), 'moon.svg': svg('<path d="M4 4h8v8H4z" fill="#339"/>') },
      manifest: iconSetManifest({ product: { title: 'First Set', license: 'free', price: { amount: 0, currency: 'USD' } }, images: imagesFor(['sun.svg', 'moon.svg']) }),
    });
    expect(await postToS3(upload, setA)).to.equal(204);
    const ready = (await readDraftEvents(`${url}/api/drafts/${draft.id}/events`, contributor.cookie!)).at(-1);
    expect(ready.state).to.equal('ready');
    expect((await contributor.post(`/api/products/${draft.productId}/publish`, {})).status).to.equal(200);
    const before = await downloads(draft.productId);
    expect(before.svg).to.contain('#f90');

    // The same form, still valid for minutes: a different set at the same key.
    const setB = await buildUploadZip({
      files: { 'sun.svg': svg('<rect width="24" height="24" fill="#0c0"/>'), 'moon.svg': svg('<rect width="9" height="9" fill="#c00"/>') },
      manifest: iconSetManifest({ product: { title: 'Replaced Set' }, images: imagesFor(['sun.svg', 'moon.svg']) }),
    });
    expect(await postToS3(upload, setB)).to.equal(204);
    let view: any;
    for (let i = 0; i < 100; i++) {
      view = (await contributor.get(`/api/drafts/${draft.id}`)).json.draft;
      if (view.ignoredUploads.length > 0) break;
      await sleep(100);
    }
    expect(view.ignoredUploads).to.have.length(1);
    expect(view.ignoredUploads[0].message).to.match(/^Another ZIP was posted to this draft after the first one; it was ignored/);
    expect(view.ignoredUploads[0].size).to.equal(setB.length);
    expect(view.state).to.equal('ready');

    const after = await downloads(draft.productId);
    expect(after).to.deep.equal(before);
    expect(after.svg).to.not.contain('#0c0');
    expect((await buyer.get(`/api/products/${draft.productId}`)).json.product.title).to.equal('First Set');
    // And the form is not renewed: one ZIP per draft.
    const renew = await contributor.post(`/api/drafts/${draft.id}/upload`, {});
    expect([renew.status, renew.json.error.code]).to.deep.equal([409, 'invalid_state']);
  });

  it('refuses a second form once the ZIP is in the bucket, before the pipeline has seen it', async () => {
    const { draft, upload } = (await contributor.post('/api/drafts', {})).json;
    pipeline.uploadRule.setEnabled(false);
    try {
      expect(await postToS3(upload, await buildUploadZip({ files: { 'a.svg': svg('<path d="M1 1h2"/>') }, manifest: iconSetManifest({ images: imagesFor(['a.svg']) }) }))).to.equal(204);
      const renew = await contributor.post(`/api/drafts/${draft.id}/upload`, {});
      expect([renew.status, renew.json.error.code]).to.deep.equal([409, 'invalid_state']);
    } finally {
      pipeline.uploadRule.setEnabled(true);
    }
  });

  it('accepts a set whose files lost a script, handler, external reference or foreignObject, and says per file what was removed', async () => {
    const { draft, upload } = (await contributor.post('/api/drafts', {})).json;
    const zip = await buildUploadZip({
      files: {
        'clean.svg': svg('<circle cx="12" cy="12" r="5"/>'),
        'scripted.svg': svg('<script>alert(1)</script><rect width="5" height="5" onclick="steal()"/>'),
        'linked.svg': svg('<use href="https://evil.example/x.svg#a"/><foreignObject width="5" height="5"><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject><circle r="3"/>'),
      },
      manifest: iconSetManifest({ images: imagesFor(['clean.svg', 'scripted.svg', 'linked.svg']) }),
    });
    expect(await postToS3(upload, zip)).to.equal(204);
    const events = await readDraftEvents(`${url}/api/drafts/${draft.id}/events`, contributor.cookie!);
    const last = events.at(-1);
    expect(last.state).to.equal('ready');
    expect(last.warnings.map((w: { file: string }) => w.file)).to.deep.equal(['scripted.svg', 'linked.svg']);
    expect(last.warnings[0].removed).to.deep.equal(['<script>', 'onclick attribute on <rect>']);
    expect(last.warnings[1].removed).to.deep.equal(['external href on <use>', '<foreignObject>']);
    expect(last.warnings[1].message).to.equal('sanitising removed external href on <use>; <foreignObject>');
    expect((await contributor.get(`/api/drafts/${draft.id}`)).json.draft.warnings).to.deep.equal(last.warnings);
  });

  it("retries only a failed set's failed images, for its contributor, and is safe to ask twice", async () => {
    const { draft, upload } = (await contributor.post('/api/drafts', {})).json;
    const zip = await buildUploadZip({
      files: { 'a.svg': svg('<circle cx="12" cy="12" r="5"/>'), 'b.svg': svg('<rect width="9" height="9"/>') },
      manifest: iconSetManifest({ images: imagesFor(['a.svg', 'b.svg']) }),
    });
    expect(await postToS3(upload, zip)).to.equal(204);
    expect((await readDraftEvents(`${url}/api/drafts/${draft.id}/events`, contributor.cookie!)).at(-1).state).to.equal('ready');
    // As a set left after b.svg failed (its renditions gone with it).
    const images = await db.selectFrom('images').select(['id', 'updatedAt']).where('productId', '=', draft.productId).orderBy('position').execute();
    await db.deleteFrom('renditions').where('imageId', '=', images[1]!.id).execute();
    await db.updateTable('images').set({ status: 'failed', failureReason: 'could not be processed after 3 attempts: SlowDown' }).where('id', '=', images[1]!.id).execute();
    await db.updateTable('products').set({ status: 'failed' }).where('id', '=', draft.productId).execute();
    await db.updateTable('uploads').set({ status: 'failed' }).where('id', '=', draft.id).execute();

    const stranger = await signUp('contributor', 'retry-stranger');
    expect((await stranger.post(`/api/products/${draft.productId}/retry`, {})).status).to.equal(404);
    expect((await buyer.post(`/api/products/${draft.productId}/retry`, {})).status).to.equal(403);

    const first = await contributor.post(`/api/products/${draft.productId}/retry`, {});
    expect([first.status, first.json]).to.deep.equal([
      202,
      { productId: draft.productId, images: 1, retried: [{ file: 'b.svg', reason: 'could not be processed after 3 attempts: SlowDown' }] },
    ]);
    const events = await readDraftEvents(`${url}/api/drafts/${draft.id}/events`, contributor.cookie!);
    expect(events.at(-1)).to.deep.include({ state: 'ready', problems: [] });
    expect(events.at(-1).progress).to.deep.equal({ total: 2, ready: 2, failed: 0, pending: 0 });
    const after = await db.selectFrom('images').select(['id', 'updatedAt']).where('productId', '=', draft.productId).orderBy('position').execute();
    expect(after[0]!.updatedAt.getTime(), 'the ready image was not touched').to.equal(images[0]!.updatedAt.getTime());
    expect(await db.selectFrom('renditions').select('objectKey').where('imageId', '=', images[1]!.id).execute()).to.not.deep.equal([]);

    const again = await contributor.post(`/api/products/${draft.productId}/retry`, {});
    expect([again.status, again.json.error.code]).to.deep.equal([409, 'invalid_state']);
  });
});
