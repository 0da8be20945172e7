/**
 * The API over HTTP on the real local stack: PostgreSQL, s3rver, fauxqs and the ingestion pipeline.
 * A contributor's ZIP goes through the presigned POST into s3rver and is processed by the real functions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import sharp from 'sharp';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createApiDb } from '../../app/api/database.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { apiDb } from '../../app/api/tables.ts';
import type { Database } from '../../core/catalog/index.ts';
import { MAX_ARCHIVE_BYTES, MAX_TAGS } from '../../core/limits.ts';
import { createS3Client, uploadKey } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local/pipeline.ts';
import { buildUploadZip, iconSetFiles, iconSetManifest, illustrationFiles, illustrationSetFiles, illustrationSetManifest, imagesFor } from '../fixtures/uploads.ts';
import { ApiClient } from './client.ts';
import { signUpAndIn } from './sign-up.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const listen = (deps: ApiDeps): Promise<LocalServer> => serveOnLocalPort(createApp(deps));

/** Reads server-sent `draft` events until the stream ends. */
async function readDraftEvents(url: string, cookie: string): Promise<Array<{ state: string }>> {
  const response = await fetch(url, { headers: { cookie } });
  expect(response.headers.get('content-type')).to.match(/^text\/event-stream/);
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: draft'))
    .map((block) => JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)));
}

async function postToS3(upload: { url: string; fields: Record<string, string> }, zip: Buffer): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', new Blob([zip], { type: 'application/zip' }), 'set.zip');
  const response = await fetch(upload.url, { method: 'POST', body: form });
  return response.status;
}

describe('api over HTTP', function () {
  let dataDir: string;
  let pipeline: LocalPipeline;
  let db: Kysely<Database>;
  let app: LocalServer;
  let deps: ApiDeps;
  const anonymous = () => new ApiClient(app.url);
  let contributor: ApiClient;
  let rival: ApiClient;
  let buyer: ApiClient;
  let admin: ApiClient;
  let productId: string;

  async function signUp(role: 'buyer' | 'contributor', name: string): Promise<ApiClient> {
    const client = anonymous();
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
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'api-test-'));
    pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds: 1, logLevel: 'silent' });
    const env = pipeline.services.functionEnv;
    // The pool production runs (start.ts): every read below goes through prepared statements.
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
    };
    app = await listen(deps);
    contributor = await signUp('contributor', 'studio-north');
    rival = await signUp('contributor', 'studio-south');
    buyer = await signUp('buyer', 'buyer-one');
    await createAccount(apiDb(db), { email: 'admin@example.test', password: 'admin password 123', displayName: 'Admin', role: 'admin' });
    admin = anonymous();
    expect((await admin.post('/api/auth/signin', { email: 'ADMIN@example.test', password: 'admin password 123' })).status).to.equal(200);
  });

  after(async () => {
    await app?.close();
    deps?.s3.destroy();
    await db?.destroy();
    await pipeline?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('operations', () => {
    it('answers health and readiness, with security headers and a request id', async () => {
      const health = await anonymous().get('/api/health');
      expect(health.status).to.equal(200);
      expect(health.json).to.deep.equal({ status: 'ok' });
      expect(health.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(health.headers.get('x-powered-by')).to.equal(null);
      expect(health.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      const ready = await anonymous().get('/api/ready');
      expect(ready.json).to.deep.equal({ status: 'ready', checks: { database: 'ok', storage: 'ok', search: 'ok' } });
    });

    it('serves an OpenAPI 3.1 document covering every route, from the same schemas', async () => {
      const res = await anonymous().get('/api/openapi.json');
      expect(res.json.openapi).to.equal('3.1.0');
      expect(Object.keys(res.json.paths)).to.include.members([
        '/api/auth/signup',
        '/api/products',
        '/api/products/{productId}',
        '/api/search',
        '/api/drafts',
        '/api/drafts/{draftId}/events',
        '/api/downloads',
        '/api/admin/products/{productId}/block',
      ]);
      const signup = res.json.paths['/api/auth/signup'].post;
      const body = signup.requestBody.content['application/json'].schema;
      expect(body.properties.password.minLength).to.equal(12);
      expect(signup.responses).to.have.keys('202', '400', '409', '429', '500');
      expect(res.json.components.schemas).to.include.keys('ProductSummary', 'Draft', 'Error');
    });

    it('answers unknown routes, bad JSON, form posts and oversized bodies with the error body', async () => {
      const client = anonymous();
      const unknown = await client.get('/api/nope');
      expect(unknown.status).to.equal(404);
      expect(unknown.json.error.code).to.equal('not_found');
      const badJson = await client.request('POST', '/api/auth/signin', '{"email":', { 'content-type': 'application/json' });
      expect([badJson.status, badJson.json.error.code]).to.deep.equal([400, 'invalid_json']);
      const form = await client.request('POST', '/api/auth/signin', 'email=a&password=b', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect([form.status, form.json.error.code]).to.deep.equal([415, 'unsupported_media_type']);
      const big = await client.post('/api/auth/signin', { email: 'a@b.c', password: 'x'.repeat(70_000) });
      expect([big.status, big.json.error.code]).to.deep.equal([413, 'payload_too_large']);
    });
  });

  describe('accounts', () => {
    it('lists every validation issue of a sign-up at once', async () => {
      const res = await anonymous().post('/api/auth/signup', { email: 'not-an-email', password: 'short', displayName: '', role: 'contributor', extra: 1 });
      expect(res.status).to.equal(400);
      expect(res.json.error.code).to.equal('validation_failed');
      const paths = res.json.error.issues.map((issue: { path: string }) => issue.path);
      expect(paths).to.include.members(['body.email', 'body.password', 'body.displayName', 'body']);
      const noSlug = await anonymous().post('/api/auth/signup', { email: 'x@example.test', password: 'long enough password', displayName: 'X', role: 'contributor' });
      expect(noSlug.json.error.issues).to.deep.equal([{ path: 'body.slug', message: 'contributors need a slug for their public page' }]);
    });

    it('sets an HttpOnly SameSite=Lax session cookie, and signs out', async () => {
      const client = anonymous();
      const res = await signUpAndIn(client, { email: 'cookie@example.test', password: 'correct horse battery', displayName: 'C', role: 'buyer' });
      const cookie = res.headers.getSetCookie()[0]!;
      expect(cookie).to.match(/^sid=[\w-]{43};/).and.to.contain('HttpOnly').and.to.contain('SameSite=Lax').and.to.contain('Path=/');
      expect(cookie).not.to.contain('Secure');
      const me = await client.get('/api/auth/me');
      expect(me.json.account).to.include({ email: 'cookie@example.test', role: 'buyer', contributor: null });
      const stolen = client.cookie!;
      expect((await client.post('/api/auth/signout')).status).to.equal(204);
      const after = new ApiClient(app.url);
      after.cookie = stolen;
      expect((await after.get('/api/auth/me')).json).to.deep.equal({ account: null });
    });

    it('answers a taken e-mail (any case) as a new one, refuses a taken slug, and a wrong password without saying which part was wrong', async () => {
      const taken = await anonymous().post('/api/auth/signup', { email: 'Studio-North@example.test', password: 'correct horse battery', displayName: 'Y', role: 'buyer' });
      expect(taken.status).to.equal(202);
      const slug = await anonymous().post('/api/auth/signup', { email: 'other@example.test', password: 'correct horse battery', displayName: 'Y', role: 'contributor', slug: 'studio-north' });
      expect(slug.json.error.message).to.contain('slug');
      const wrong = await anonymous().post('/api/auth/signin', { email: 'studio-north@example.test', password: 'wrong password!!' });
      const unknown = await anonymous().post('/api/auth/signin', { email: 'nobody@example.test', password: 'wrong password!!' });
      expect([wrong.status, wrong.json]).to.deep.equal([unknown.status, unknown.json]);
      expect(wrong.json.error.code).to.equal('invalid_credentials');
    });

    it('rate-limits sign-in attempts per client with a 429 error body', async () => {
      const limited = await listen({ ...deps, rateLimits: { auth: { requests: 2, windowSeconds: 60 } } });
      try {
        const client = new ApiClient(limited.url);
        const statuses: number[] = [];
        for (let i = 0; i < 3; i++) statuses.push((await client.post('/api/auth/signin', { email: 'a@b.c', password: 'nope' })).status);
        expect(statuses).to.deep.equal([401, 401, 429]);
        const res = await client.post('/api/auth/signin', { email: 'a@b.c', password: 'nope' });
        expect(res.json.error.code).to.equal('rate_limited');
        expect(res.headers.get('ratelimit-policy')).to.contain('2');
      } finally {
        await limited.close();
      }
    });
  });

  describe('permissions', () => {
    it('matches routes to roles: anonymous 401, wrong role 403', async () => {
      const cases: Array<[ApiClient, string, string, number]> = [
        [anonymous(), 'POST', '/api/drafts', 401],
        [buyer, 'POST', '/api/drafts', 403],
        [admin, 'POST', '/api/drafts', 403],
        [anonymous(), 'GET', '/api/me/products', 401],
        [buyer, 'GET', '/api/me/products', 403],
        [anonymous(), 'POST', '/api/downloads', 401],
        [anonymous(), 'GET', '/api/admin/products', 401],
        [buyer, 'GET', '/api/admin/products', 403],
        [contributor, 'GET', '/api/admin/products', 403],
        [admin, 'GET', '/api/admin/products', 200],
        [contributor, 'GET', '/api/me/products', 200],
        [buyer, 'GET', '/api/me/downloads', 200],
      ];
      for (const [client, method, route, status] of cases) {
        const res = await client.request(method, route, method === 'POST' ? {} : undefined);
        expect(res.status, `${method} ${route}`).to.equal(status);
      }
    });
  });

  describe('contributor flow', () => {
    let draftId: string;

    it('creates a draft with a presigned POST bound to the key, size and type', async () => {
      const res = await contributor.post('/api/drafts', {});
      expect(res.status).to.equal(201);
      const { draft, upload } = res.json;
      draftId = draft.id;
      productId = draft.productId;
      expect(draft.state).to.equal('awaiting-upload');
      const me = (await contributor.get('/api/auth/me')).json.account;
      expect(upload.fields.key).to.equal(uploadKey(me.contributor.id, draft.id));
      expect(upload.maxBytes).to.equal(MAX_ARCHIVE_BYTES);
      const policy = JSON.parse(Buffer.from(upload.fields.Policy, 'base64').toString('utf8'));
      expect(policy.conditions).to.deep.include({ key: upload.fields.key });
      expect(policy.conditions).to.deep.include({ bucket: LOCAL_BUCKETS.uploads });
      expect(policy.conditions).to.deep.include(['content-length-range', 1, MAX_ARCHIVE_BYTES]);
      expect(policy.conditions).to.deep.include(['eq', '$Content-Type', 'application/zip']);
      expect(Date.parse(policy.expiration) - Date.now()).to.be.within(14 * 60_000, 15 * 60_000 + 1_000);
    });

    it('hides a draft from other contributors', async () => {
      expect((await rival.get(`/api/drafts/${draftId}`)).status).to.equal(404);
      expect((await rival.post(`/api/drafts/${draftId}/upload`, {})).status).to.equal(404);
    });

    it('takes the ZIP through S3, streams processing until ready, and keeps the set private until published', async () => {
      const zip = await buildUploadZip({
        files: iconSetFiles(3),
        manifest: iconSetManifest({ product: { title: 'Harbour Weather Icons', tags: ['harbour', 'weather'], family: { slug: 'harbour' } } }),
      });
      expect(await postToS3((await contributor.post(`/api/drafts/${draftId}/upload`, {})).json.upload, zip)).to.equal(204);

      const events = await readDraftEvents(`${app.url}/api/drafts/${draftId}/events`, contributor.cookie!);
      expect(events.at(-1)).to.deep.include({ state: 'ready', problems: [] });
      expect((events.at(-1) as any).progress).to.deep.equal({ total: 3, ready: 3, failed: 0, pending: 0 });

      const again = await contributor.post(`/api/drafts/${draftId}/upload`, {});
      expect([again.status, again.json.error.code]).to.deep.equal([409, 'invalid_state']);

      expect((await anonymous().get(`/api/products/${productId}`)).status).to.equal(404);
      const own = await contributor.get(`/api/products/${productId}`);
      expect(own.json.product).to.include({ status: 'ready', published: false, title: 'Harbour Weather Icons' });
      expect(own.json.product.preview).to.have.length(3);
      const rendition = own.json.product.preview[0].renditions[0];
      const image = await fetch(rendition.url);
      expect(image.status).to.equal(200);
      expect(image.headers.get('content-type')).to.equal(rendition.format === 'png' ? 'image/png' : 'image/webp');
    });

    it('reports every rejection reason of a bad upload', async () => {
      const { draft, upload } = (await contributor.post('/api/drafts', {})).json;
      const svg = Object.values(iconSetFiles(1))[0]!;
      const zip = await buildUploadZip({
        files: { 'sun.svg': svg, 'stray.svg': svg },
        manifest: iconSetManifest({ images: imagesFor(['sun.svg', 'missing.svg']) }),
      });
      expect(await postToS3(upload, zip)).to.equal(204);
      const events = await readDraftEvents(`${app.url}/api/drafts/${draft.id}/events`, contributor.cookie!);
      const last = events.at(-1) as any;
      expect(last.state).to.equal('rejected');
      expect(last.problems.length).to.be.greaterThan(1);
      const reasons = JSON.stringify(last.problems);
      expect(reasons).to.contain('missing.svg').and.to.contain('stray.svg');
    });

    it("hides an unpublished set from another contributor's edits, and validates edits like the manifest", async () => {
      expect((await rival.patch(`/api/products/${productId}`, { title: 'Mine now' })).status).to.equal(404);
      expect((await rival.post(`/api/products/${productId}/publish`, {})).status).to.equal(404);
      const bad = await contributor.patch(`/api/products/${productId}`, {
        title: 'x'.repeat(121),
        tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`),
        price: 5,
        owner: 'me',
      });
      expect(bad.status).to.equal(400);
      // price is editable (an object or null), owner is no field at all.
      expect(bad.json.error.issues.map((i: { path: string }) => i.path)).to.include.members(['body.title', 'body.tags', 'body.price', 'body']);
      const empty = await contributor.patch(`/api/products/${productId}`, {});
      expect(empty.status).to.equal(400);
      const bidi = await contributor.patch(`/api/products/${productId}`, { title: 'abc\u202Edef' });
      expect(bidi.json.error.issues[0].message).to.contain('U+202E');
    });

    it('edits titles and tags (lower-cased, de-duplicated), then publishes', async () => {
      const edited = await contributor.patch(`/api/products/${productId}`, { title: 'Harbour Weather', tags: ['Harbour', 'harbour', 'Sea'], description: null });
      expect(edited.json.product).to.include({ title: 'Harbour Weather', description: null });
      expect(edited.json.product.tags).to.deep.equal(['harbour', 'sea']);
      const imageId = edited.json.product.preview[0].id;
      const image = await contributor.patch(`/api/products/${productId}/images/${imageId}`, { title: 'Lighthouse', tags: ['Beacon'] });
      expect(image.json.image).to.include({ title: 'Lighthouse' });
      expect(image.json.image.tags).to.deep.equal(['beacon']);

      const published = await contributor.post(`/api/products/${productId}/publish`);
      expect(published.json.product.published).to.equal(true);
      // Now visible to all, still changeable only by its owner.
      const rivalEdit = await rival.patch(`/api/products/${productId}`, { title: 'Mine now' });
      expect([rivalEdit.status, rivalEdit.json.error.code]).to.deep.equal([403, 'forbidden']);
      expect((await rival.post(`/api/products/${productId}/unpublish`)).status).to.equal(403);
      expect((await buyer.patch(`/api/products/${productId}`, { title: 'Mine now' })).status).to.equal(403);
      const list = await anonymous().get('/api/products?contributor=studio-north');
      expect(list.json.items.map((p: { id: string }) => p.id)).to.deep.equal([productId]);
      expect(list.json.items[0].cover.title).to.equal('Lighthouse');
      const search = await anonymous().get('/api/search?type=sets&q=lighthous');
      expect(search.json.items[0]).to.include({ id: productId });
      const typo = await anonymous().get('/api/search?type=sets&q=harbor');
      expect(typo.json.items.map((p: { id: string }) => p.id)).to.include(productId);
      const families = await anonymous().get('/api/families?contributor=studio-north');
      expect(families.json.items[0]).to.include({ slug: 'harbour', setCount: 1, imageCount: 3 });
      const page = await anonymous().get('/api/contributors/studio-north');
      expect(page.json.families).to.have.length(1);
    });

    it('builds list and search pages in PostgreSQL that equal the summaries the detail route builds', async () => {
      const seeded = await seedCatalog(db, [
        { title: 'Quokka Parade', tags: ['quokka', 'marsupial'], kind: 'illustration-set', license: 'extended', familySlug: 'quokkas', imageTitles: ['Quokka one', 'Quokka two'] },
        { title: 'Quokka Sketches "Quoted" \\', tags: ['quokka'], familySlug: 'quokkas' },
        { title: 'Axolotl Doodles', tags: ['axolotl', 'quokka'], familySlug: 'axolotls' },
      ]);
      const ids = seeded.map((set) => set.productId);
      // One free set: price null, not an object with zero.
      await db.updateTable('products').set({ priceCents: 0, currency: null }).where('id', '=', ids[2]!).execute();
      const client = anonymous();
      const detail = async (id: string) => {
        const { description: _description, preview: _preview, ...summary } = (await client.get(`/api/products/${id}`)).json.product;
        return summary;
      };
      const expected = await Promise.all(ids.map(detail));

      const byTag = await client.get('/api/products?tag=quokka&sort=title&limit=2');
      expect(byTag.headers.get('content-type')).to.equal('application/json; charset=utf-8');
      expect(byTag.json.items).to.deep.equal([expected[2], expected[0]]);
      const rest = await client.get(`/api/products?tag=quokka&sort=title&limit=2&cursor=${byTag.json.nextCursor}`);
      expect(rest.json).to.deep.equal({ items: [expected[1]], nextCursor: null });

      // newest and oldest page through the same sets in opposite orders, one at a time.
      const orders: Record<string, string[]> = {};
      for (const sort of ['newest', 'oldest'] as const) {
        const seen: string[] = [];
        let cursor: string | null = '';
        while (cursor !== null) {
          const page = await client.get(`/api/products?tag=quokka&sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
          seen.push(...page.json.items.map((item: { id: string }) => item.id));
          cursor = page.json.nextCursor;
        }
        orders[sort] = seen;
      }
      expect(orders.newest).to.have.members(ids);
      expect(orders.oldest).to.deep.equal([...orders.newest!].reverse());
      const twoNewest = await client.get('/api/products?tag=quokka&sort=newest&limit=2');
      expect(twoNewest.json.items.map((item: { id: string }) => item.id)).to.deep.equal(orders.newest!.slice(0, 2));
      const filtered = await client.get('/api/products?tag=quokka&kind=illustration-set&license=extended');
      expect(filtered.json.items).to.deep.equal([expected[0]]);
      const family = await client.get(`/api/products?family=${expected[2].family.id}`);
      expect(family.json.items).to.deep.equal([expected[2]]);
      const empty = await client.get('/api/products?contributor=nobody-at-all');
      expect(empty.json).to.deep.equal({ items: [], nextCursor: null });

      const search = await client.get('/api/search?type=sets&q=quokka&limit=2');
      expect(search.json.items.map(({ score: _score, ...summary }: { score: number }) => summary)).to.have.deep.members(
        expected.filter((summary) => search.json.items.some((item: { id: string }) => item.id === summary.id)),
      );
      expect(search.json.items.map((item: { score: number }) => typeof item.score)).to.deep.equal(['number', 'number']);
      expect(search.json.nextCursor).to.be.a('string');
    });

    it('pages images and lists with opaque cursors, and rejects forged ones', async () => {
      const first = await anonymous().get(`/api/products/${productId}/images?limit=2`);
      expect(first.json.items.map((i: { position: number }) => i.position)).to.deep.equal([0, 1]);
      const second = await anonymous().get(`/api/products/${productId}/images?limit=2&cursor=${first.json.nextCursor}`);
      expect(second.json.items.map((i: { position: number }) => i.position)).to.deep.equal([2]);
      expect(second.json.nextCursor).to.equal(null);
      const forged = await anonymous().get('/api/products?cursor=not-a-cursor&limit=500&sort=best');
      expect(forged.status).to.equal(400);
      expect(forged.json.error.issues.map((i: { path: string }) => i.path)).to.include.members(['query.limit', 'query.sort']);
    });
  });

  describe('downloads', () => {
    it('gives short-lived presigned URLs for the ZIP, an SVG and a PNG, and logs each per account', async () => {
      // A paid set: the buyer has no entitlement (test/api/selling.test.ts buys one); its contributor downloads it.
      const refused = await buyer.post('/api/downloads', { productId, format: 'zip' });
      expect([refused.status, refused.json.error.code]).to.deep.equal([402, 'payment_required']);
      const zip = await contributor.post('/api/downloads', { productId, format: 'zip' });
      expect(zip.status).to.equal(201);
      expect(new URL(zip.json.url).searchParams.get('X-Amz-Expires')).to.equal('300');
      const zipObject = await fetch(zip.json.url);
      expect(zipObject.status).to.equal(200);
      expect(zipObject.headers.get('content-type')).to.equal('application/zip');
      expect(zipObject.headers.get('content-disposition')).to.contain('attachment');

      const imageId = (await anonymous().get(`/api/products/${productId}`)).json.product.preview[0].id;
      const svg = await contributor.post('/api/downloads', { imageId, format: 'svg' });
      const svgObject = await fetch(svg.json.url);
      expect(svgObject.headers.get('content-type')).to.equal('image/svg+xml');
      expect(await svgObject.text()).to.contain('<svg');

      const png = await contributor.post('/api/downloads', { imageId, format: 'png', size: 64 });
      expect(png.json.fileName).to.equal('Lighthouse 64px.png');
      const pngObject = await fetch(png.json.url);
      expect(pngObject.headers.get('content-type')).to.equal('image/png');
      expect(pngObject.headers.get('content-disposition')).to.contain('attachment');
      const wrongSize = await contributor.post('/api/downloads', { imageId, format: 'png', size: 999 });
      expect(wrongSize.json.error.issues[0]).to.include({ path: 'body.size' });

      const log = await contributor.get('/api/me/downloads');
      expect(log.json.items.map((d: { format: string }) => d.format)).to.deep.equal(['png', 'svg', 'zip']);
      expect((await buyer.get('/api/me/downloads')).json.items).to.deep.equal([]);
    });

    it("offers an illustration's full-size 1280 px PNG and WebP from private storage, never as a public preview", async () => {
      const { draft } = (await contributor.post('/api/drafts', {})).json;
      const zip = await buildUploadZip({ files: illustrationSetFiles(1), manifest: illustrationSetManifest({ images: [{ file: illustrationFiles(1)[0]!, title: 'Dune', tags: ['hills'] }] }) });
      expect(await postToS3((await contributor.post(`/api/drafts/${draft.id}/upload`, {})).json.upload, zip)).to.equal(204);
      expect((await readDraftEvents(`${app.url}/api/drafts/${draft.id}/events`, contributor.cookie!)).at(-1)).to.deep.include({ state: 'ready' });

      const own = (await contributor.get(`/api/products/${draft.productId}`)).json.product;
      const imageId = own.preview[0].id;
      // The public previews stop at 640 px; 1280 px is the product.
      expect(own.preview[0].renditions.map((r: { size: number }) => r.size).sort()).to.deep.equal([320, 320, 640, 640]);
      const page = (await contributor.get(`/api/images/${imageId}`)).json.downloads;
      expect([page.pngSizes, page.webpSizes]).to.deep.equal([[320, 640, 1280], [320, 640, 1280]]);

      for (const format of ['png', 'webp'] as const) {
        const full = await contributor.post('/api/downloads', { imageId, format, size: 1280 });
        expect(full.status, JSON.stringify(full.json)).to.equal(201);
        expect(full.json.fileName).to.equal(`Dune 1280px.${format}`);
        expect(new URL(full.json.url).pathname).to.match(new RegExp(`^/${LOCAL_BUCKETS.downloads}/`));
        const bytes = Buffer.from(await (await fetch(full.json.url)).arrayBuffer());
        const { width, height, format: decoded } = await sharp(bytes).metadata();
        expect([Math.max(width!, height!), decoded]).to.deep.equal([1280, format]);
      }
      // No size named: the largest.
      expect((await contributor.post('/api/downloads', { imageId, format: 'png' })).json.fileName).to.equal('Dune 1280px.png');
      // Not published: for anyone else the image does not exist.
      expect((await buyer.post('/api/downloads', { imageId, format: 'png', size: 1280 })).status).to.equal(404);
    });

    it('refuses downloads of sets the caller may not see', async () => {
      const { draft } = (await rival.post('/api/drafts', {})).json;
      const res = await buyer.post('/api/downloads', { productId: draft.productId, format: 'zip' });
      expect(res.status).to.equal(404);
      const bad = await buyer.post('/api/downloads', { productId, format: 'tar' });
      expect(bad.status).to.equal(400);
    });
  });

  describe('moderation', () => {
    it('lets an admin block a set: off the storefront, not publishable, until unblocked', async () => {
      const blocked = await admin.post(`/api/admin/products/${productId}/block`, { reason: 'Trademark complaint' });
      expect(blocked.json.product).to.include({ blocked: true, published: false });
      expect((await anonymous().get(`/api/products/${productId}`)).status).to.equal(404);
      expect((await anonymous().get('/api/search?type=sets&q=harbour')).json.items).to.deep.equal([]);
      const republish = await contributor.post(`/api/products/${productId}/publish`);
      expect([republish.status, republish.json.error.code]).to.deep.equal([409, 'invalid_state']);
      const listed = await admin.get('/api/admin/products?blocked=true');
      expect(listed.json.items.map((p: { id: string }) => p.id)).to.deep.equal([productId]);

      expect((await admin.delete(`/api/admin/products/${productId}/block`)).json.product.blocked).to.equal(false);
      expect((await contributor.post(`/api/products/${productId}/publish`)).json.product.published).to.equal(true);
      expect((await admin.post(`/api/products/${productId}/unpublish`)).json.product.published).to.equal(false);
    });
  });
});
