/**
 * Abuse resistance, black-box over HTTP (issue 14): each block is one weakness a security review reproduced
 * against the running marketplace, attacked the same way here. The API runs on a real PostgreSQL; the CSRF
 * attack is a real Chromium submitting a form from a sibling origin.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/tables.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import type { Database } from '../../core/catalog/index.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../scripts/local/aws-resources.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { safeNextPath } from '../../app/web/lib/safe-next.ts';
import { startFrontDoor, type FrontDoor } from '../../scripts/local/front-door.ts';
import { startFrontDoorStack, type FrontDoorStack } from '../support/front-door-stack.ts';
import { startSqsEmulator } from '../../scripts/local/services.ts';
import { followUploadChanges, type UploadChangeFeed } from '../../app/api/contributor/upload-events.ts';
import { ApiClient } from './client.ts';
import { startAuthHousekeeping } from '../../app/api/auth/housekeeping.ts';
import { SesSender } from '../../app/api/mail/sender.ts';
import { startSesStandIn, type SesStandIn } from '../../scripts/local/ses-standin.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'correct horse battery staple';

const listen = serveOnLocalPort;

function apiDeps(db: Kysely<Database>, overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    db,
    // Presigning needs no reachable S3; nothing here stores objects.
    s3: createS3Client({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }),
    buckets: LOCAL_BUCKETS,
    assetsBaseUrl: 'http://127.0.0.1:9/assets',
    logger: pino({ level: 'silent' }),
    secureCookies: false,
    rateLimits: { auth: { requests: 1_000, windowSeconds: 60 }, upload: { requests: 1_000, windowSeconds: 60 } },
    validateResponses: true,
    ...overrides,
  };
}

describe('security: abuse resistance over HTTP', function () {
  let database: FreshDatabase;
  let api: LocalServer;
  let deps: ApiDeps;
  let contributorCookie: string;
  let productId: string;

  const anonymous = () => new ApiClient(api.url);
  async function signInAt(url: string, email: string, password = PASSWORD): Promise<ApiClient> {
    const client = new ApiClient(url);
    const res = await client.post('/api/auth/signin', { email, password });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    return client;
  }
  async function signIn(email: string, password = PASSWORD): Promise<ApiClient> {
    const client = anonymous();
    const res = await client.post('/api/auth/signin', { email, password });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    return client;
  }

  before(async () => {
    database = await freshDatabase();
    const db = apiDb(database.db);
    const owner = await createAccount(db, { email: 'owner@example.test', password: PASSWORD, displayName: 'Owner', role: 'contributor', slug: 'owner-studio' });
    const seeded = await seedCatalog(
      database.db,
      [
        { title: 'Weather icons', published: true, imageTitles: ['Sun', 'Rain', 'Snow'] },
        { title: 'Arrow icons', published: true },
        { title: 'Zodiac icons', published: true },
      ],
      owner.contributor!,
    );
    productId = seeded[0]!.productId;
    await createAccount(db, { email: 'buyer@example.test', password: PASSWORD, displayName: 'Buyer', role: 'buyer' });
    await createAccount(db, { email: 'admin@example.test', password: PASSWORD, displayName: 'Admin', role: 'admin' });
    deps = apiDeps(database.db);
    api = await listen(createApp(deps));
    contributorCookie = (await signIn('owner@example.test')).cookie!;
  });

  after(async () => {
    await api?.close();
    deps?.s3.destroy();
    await database?.destroy();
  });

  async function published(): Promise<boolean> {
    const row = await database.db.selectFrom('products').select('published').where('id', '=', productId).executeTakeFirstOrThrow();
    return row.published;
  }

  describe('CSRF: mutations from another origin are refused', () => {
    it('an auto-submitted empty form from a sibling origin (another port on 127.0.0.1) does not unpublish a set', async function () {
      this.timeout(60_000);
      const target = `${api.url}/api/products/${productId}/unpublish`;
      const attacker = await listen((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><form method="post" action="${target}"></form><script>document.forms[0].submit()</script>`);
      });
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      try {
        const context = await browser.newContext();
        const [name, value] = contributorCookie.split('=') as [string, string];
        await context.addCookies([{ name, value, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Lax' }]);
        const page = await context.newPage();
        const landed = page.waitForResponse((response) => response.url() === target);
        await page.goto(attacker.url);
        const response = await landed;
        expect(response.status()).to.equal(403);
        expect(((await response.json()) as { error: { message: string } }).error.message).to.equal('Cross-origin request refused (Sec-Fetch-Site is same-site).');
        expect(await published()).to.equal(true);
      } finally {
        await browser.close();
        await attacker.close();
      }
    });

    it('refuses by Origin when a browser sends no Sec-Fetch-Site, and lets same-origin and header-less requests through', async () => {
      const owner = new ApiClient(api.url);
      owner.cookie = contributorCookie;
      const path = `/api/products/${productId}`;
      const edit = (headers: Record<string, string>) => owner.request('PATCH', path, { title: 'Weather icons' }, headers);

      const foreign = await edit({ origin: 'http://127.0.0.1:3497' });
      expect(foreign.status).to.equal(403);
      expect(foreign.json.error.message).to.equal('Cross-origin request refused (Origin http://127.0.0.1:3497 is not this marketplace).');
      expect((await edit({ origin: 'null' })).status).to.equal(403);
      expect((await edit({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).to.equal(403);
      // Sec-Fetch-Site decides when present, whatever Origin says.
      expect((await edit({ 'sec-fetch-site': 'same-site', origin: api.url })).status).to.equal(403);

      expect((await edit({ 'sec-fetch-site': 'same-origin', origin: api.url })).status).to.equal(200);
      expect((await edit({ 'sec-fetch-site': 'none' })).status).to.equal(200);
      expect((await edit({ origin: api.url })).status).to.equal(200);
      expect((await edit({})).status).to.equal(200);
      // Reads are never checked.
      expect((await owner.request('GET', path, undefined, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).to.equal(200);
    });

    it('trusts the configured public origin even when a proxy rewrote Host', async () => {
      const app = await listen(createApp({ ...deps, publicOrigin: 'https://marketplace.example' }));
      try {
        const client = new ApiClient(app.url);
        client.cookie = contributorCookie;
        const edit = (origin: string) => client.request('PATCH', `/api/products/${productId}`, { title: 'Weather icons' }, { origin });
        expect((await edit('https://marketplace.example')).status).to.equal(200);
        expect((await edit('https://evil.example')).status).to.equal(403);
        expect((await edit('http://marketplace.example')).status).to.equal(403);
      } finally {
        await app.close();
      }
    });
  });

  describe('cursors and control characters: bad input is a 400 that names the field, never a 500', () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    let owner: ApiClient;
    let buyer: ApiClient;
    let admin: ApiClient;
    before(async () => {
      owner = await signIn('owner@example.test');
      buyer = await signIn('buyer@example.test');
      admin = await signIn('admin@example.test');
    });

    const listings = () => [
      { client: anonymous(), path: '/api/products?' },
      { client: anonymous(), path: '/api/products?sort=title&' },
      { client: anonymous(), path: '/api/products?sort=oldest&' },
      { client: anonymous(), path: `/api/products/${productId}/images?` },
      { client: anonymous(), path: '/api/search?q=icons&' },
      { client: anonymous(), path: '/api/families?' },
      { client: owner, path: '/api/me/drafts?' },
      { client: owner, path: '/api/me/products?' },
      { client: buyer, path: '/api/me/downloads?' },
      { client: admin, path: '/api/admin/products?' },
    ];

    it('refuses a cursor it did not issue on every listing route (the review: {"k":"not-a-date","id":"x"} gave 500s)', async () => {
      const bad = [
        forged({ k: 'not-a-date', id: 'x' }),
        `${forged({ k: 'not-a-date', id: 'x' })}.AAAAAAAAAAAAAAAAAAAAAA`,
        'not base64 at all!',
        '.',
      ];
      for (const { client, path } of listings()) {
        for (const cursor of bad) {
          const res = await client.get(`${path}cursor=${encodeURIComponent(cursor)}`);
          expect(res.status, `${path} ${cursor}: ${JSON.stringify(res.json)}`).to.equal(400);
          expect(res.json.error.issues).to.deep.equal([{ path: 'query.cursor', message: 'is not a cursor this API gave out for this listing' }]);
        }
      }
    });

    it('follows the cursors it issues, and refuses one issued for a listing of another kind', async () => {
      const titles: string[] = [];
      let next: string | null = null;
      do {
        const res = await anonymous().get(`/api/products?sort=title&limit=1${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
        expect(res.status).to.equal(200);
        titles.push(...res.json.items.map((item: { title: string }) => item.title));
        next = res.json.nextCursor;
      } while (next);
      expect(titles).to.deep.equal(['Arrow icons', 'Weather icons', 'Zodiac icons']);

      const newest = (await anonymous().get('/api/products?limit=1')).json.nextCursor as string;
      expect((await anonymous().get(`/api/products?limit=1&cursor=${encodeURIComponent(newest)}`)).status).to.equal(200);
      // A created_at cursor is no image position, and a title is no timestamp.
      expect((await anonymous().get(`/api/products/${productId}/images?cursor=${encodeURIComponent(newest)}`)).status).to.equal(400);
      const byTitle = (await anonymous().get('/api/products?sort=title&limit=1')).json.nextCursor as string;
      expect((await anonymous().get(`/api/products?cursor=${encodeURIComponent(byTitle)}`)).status).to.equal(400);
      // A valid cursor with one character changed in its payload.
      const [payload, mac] = newest.split('.') as [string, string];
      const tampered = `${payload.slice(0, -2)}${payload.at(-2) === 'A' ? 'B' : 'A'}${payload.at(-1)}.${mac}`;
      expect((await anonymous().get(`/api/products?cursor=${encodeURIComponent(tampered)}`)).status).to.equal(400);
    });

    it('answers a NUL in q, tag, a sign-in e-mail or any JSON field with a 400 naming the field', async () => {
      const search = await anonymous().get('/api/search?q=sun%00');
      expect(search.status).to.equal(400);
      expect(search.json.error.issues).to.deep.equal([{ path: 'query.q', message: 'must not contain U+0000 (NUL)' }]);
      const tag = await anonymous().get('/api/products?tag=%00');
      expect(tag.status).to.equal(400);
      expect(tag.json.error.issues).to.deep.equal([{ path: 'query.tag', message: 'must not contain U+0000 (NUL)' }]);
      const signin = await anonymous().post('/api/auth/signin', { email: 'owner@example.test\u0000', password: PASSWORD });
      expect(signin.status).to.equal(400);
      expect(signin.json.error.issues).to.deep.equal([{ path: 'body.email', message: 'must not contain U+0000 (NUL)' }]);
      const edit = await owner.patch(`/api/products/${productId}`, { tags: ['ok', 'no\u0000pe'] });
      expect(edit.status).to.equal(400);
      expect(edit.json.error.issues).to.deep.equal([{ path: 'body.tags.1', message: 'must not contain U+0000 (NUL)' }]);
    });

    it('refuses bidi overrides and controls in display names, as manifests do', async () => {
      for (const [name, found] of [
        ['Studio \u202Eevil', 'U+202E at position 8'],
        ['Studio \u2066x', 'U+2066 at position 8'],
        ['Studio\u0007', 'U+0007 at position 7'],
      ] as const) {
        const res = await anonymous().post('/api/auth/signup', { email: `${found.length}${name.length}@example.test`, password: PASSWORD, displayName: name, role: 'buyer' });
        expect(res.status).to.equal(400);
        expect(res.json.error.issues).to.deep.equal([{ path: 'body.displayName', message: `must not contain control or text-direction characters (found ${found})` }]);
      }
    });
  });

  describe('open redirect after sign-in: `next` must resolve to this origin', () => {
    const origin = 'http://127.0.0.1:3000';
    /** What AuthForm reads: the query parameter as URLSearchParams decodes it. */
    const nextOf = (query: string) => safeNextPath(new URLSearchParams(query).get('next'), origin);

    it('refuses every way out of the origin the review found, and the classic ones', () => {
      for (const query of ['next=/%5Chost', 'next=/%5C%5Chost', 'next=/%09/host', 'next=/\t/host', 'next=%2F%2Fhost', 'next=//host', 'next=https://evil.example', 'next=https:evil.example', 'next=javascript:alert(1)', 'next=%0A//host', 'next=http://127.0.0.1:3001/', 'next=/.//host/login', 'next=/..//host/login', 'next=/a/..//host/login', 'next=/%2e//host/login', 'next=/./%5Chost']) {
        expect(nextOf(query), query).to.equal(null);
      }
    });

    it('keeps paths of this origin, normalised', () => {
      expect(nextOf('next=/dashboard')).to.equal('/dashboard');
      expect(nextOf('next=%2Fdashboard%2Fsets%2Fx%3Fa%3D1')).to.equal('/dashboard/sets/x?a=1');
      expect(nextOf('next=/a/../dashboard')).to.equal('/dashboard');
      expect(nextOf('')).to.equal(null);
    });
  });

  describe('brute force: limits key on the viewer, accounts back off, weak passwords are refused', () => {
    const attempt = (url: string, email: string, headers: Record<string, string> = {}, password = 'wrong password guess') =>
      new ApiClient(url).request('POST', '/api/auth/signin', { email, password }, headers);
    const strictAuth = { auth: { requests: 3, windowSeconds: 60 }, upload: { requests: 1_000, windowSeconds: 60 } };

    it('locally, a spoofed X-Forwarded-For through the front door does not reset the limit', async () => {
      const app = await listen(createApp({ ...deps, rateLimits: strictAuth }));
      const door = await startFrontDoor({ host: '127.0.0.1', port: 0, api: app.url, web: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9', assetsBucket: 'assets', s3Credentials: { ...LOCAL_CREDENTIALS, region: LOCAL_REGION }, pipelineStatus: () => ({}) });
      try {
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push((await attempt(door.url, `spoof-${i}@example.test`, { 'x-forwarded-for': `198.51.100.${i}` })).status);
        expect(statuses).to.deep.equal([401, 401, 401, 429, 429]);
      } finally {
        await door.close();
        await app.close();
      }
    });

    it('behind CloudFront, keys on CloudFront-Viewer-Address from a trusted hop, not on the edge in X-Forwarded-For', async () => {
      const app = await listen(createApp({ ...deps, rateLimits: strictAuth, trustProxy: 'loopback', clientAddressHeader: 'CloudFront-Viewer-Address' }));
      try {
        const viewer = (address: string, edge: number) => ({ 'cloudfront-viewer-address': address, 'x-forwarded-for': `203.0.113.${edge}, 10.0.1.${edge}` });
        // One viewer rotating through edges keeps its one budget...
        const a = [];
        for (let i = 0; i < 4; i++) a.push((await attempt(app.url, `cf-a-${i}@example.test`, viewer('198.51.100.7:40000', i))).status);
        expect(a).to.deep.equal([401, 401, 401, 429]);
        // ...and another viewer behind the same edge has its own (IPv6 with its port after the last colon).
        expect((await attempt(app.url, 'cf-b@example.test', viewer('2001:db8:77::1:40001', 0))).status).to.equal(401);
        expect((await attempt(app.url, 'cf-c@example.test', viewer('198.51.100.8:40002', 0))).status).to.equal(401);
      } finally {
        await app.close();
      }
      // A request whose own hop is no trusted proxy: the header is whatever its sender chose, so it is ignored.
      const direct = await listen(createApp({ ...deps, rateLimits: strictAuth, trustProxy: '10.0.0.0/8', clientAddressHeader: 'CloudFront-Viewer-Address' }));
      try {
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await attempt(direct.url, `cf-d-${i}@example.test`, { 'cloudfront-viewer-address': `198.51.100.${i}:1` })).status);
        expect(statuses).to.deep.equal([401, 401, 401, 429]);
      } finally {
        await direct.close();
      }
    });

    it('backs off per account across API hosts, the same for an e-mail without an account, and clears on success', async function () {
      this.timeout(60_000);
      await createAccount(apiDb(database.db), { email: 'victim@example.test', password: PASSWORD, displayName: 'Victim', role: 'buyer' });
      const other = await listen(createApp(deps)); // a second API host on the same database
      try {
        const hosts = [api.url, other.url];
        const run = async (email: string) => {
          const statuses = [];
          for (let i = 0; i < 6; i++) statuses.push((await attempt(hosts[i % 2]!, email)).status);
          return statuses;
        };
        expect(await run('victim@example.test')).to.deep.equal([401, 401, 401, 401, 401, 401]);
        expect(await run('nobody-here@example.test')).to.deep.equal([401, 401, 401, 401, 401, 401]);
        // The sixth failure locked both for 30 s: even the right password is not checked now, on either host.
        const locked = await attempt(other.url, 'VICTIM@example.test', {}, PASSWORD);
        expect(locked.status).to.equal(429);
        expect(locked.json.error.message).to.match(/^Too many failed sign-ins for this e-mail; try again in \d+ s\.$/);
        expect(Number(locked.headers.get('retry-after'))).to.be.within(1, 30);
        expect((await attempt(api.url, 'nobody-here@example.test')).status).to.equal(429);
        // The lock runs out (moved into the past rather than waited for).
        await database.db.withTables<{ sign_in_failures: { locked_until: Date } }>().updateTable('sign_in_failures').set({ locked_until: new Date(Date.now() - 1_000) }).execute();
        expect((await attempt(api.url, 'victim@example.test', {}, PASSWORD)).status).to.equal(200);
        // Success cleared the count: the next failure is a plain 401 again, not a longer lock.
        expect((await attempt(api.url, 'victim@example.test')).status).to.equal(401);
        expect((await attempt(api.url, 'victim@example.test', {}, PASSWORD)).status).to.equal(200);
      } finally {
        await other.close();
      }
    });

    it('refuses common and trivially weak passwords at sign-up with a clear message', async function () {
      this.timeout(30_000);
      const signUp = (email: string, password: string) => anonymous().post('/api/auth/signup', { email, password, displayName: 'Weak', role: 'buyer' });
      const repeated = await signUp('weak-1@example.test', 'aaaaaaaaaaaa');
      expect(repeated.status).to.equal(400);
      expect(repeated.json.error.issues).to.deep.equal([
        {
          path: 'body.password',
          message: 'is too easy to guess: Repeated characters like "aaa" are easy to guess. Add more words that are less common. Avoid repeated words and characters. Use a longer phrase of uncommon words.',
        },
      ]);
      for (const weak of ['password1234', 'qwertyuiop12', 'weak-2@example.test']) {
        const res = await signUp('weak-2@example.test', weak);
        expect(res.status, weak).to.equal(400);
        expect(res.json.error.issues[0].path).to.equal('body.password');
      }
      // The sample accounts' password (README, npm start) is strong enough.
      expect((await signUp('strong@example.test', 'sample-password-1234')).status).to.equal(202);
    });
  });

  describe('local front door: only presigned uploads and reads reach the S3 emulator', function () {
    this.timeout(60_000);
    let stack: FrontDoorStack;
    let door: FrontDoor;
    let viaDoor: S3Client;
    let direct: S3Client;
    const zipKey = 'uploads/c/draft.zip';

    before(async () => {
      stack = await startFrontDoorStack();
      ({ door, viaDoor, direct } = stack);
      await direct.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: 'paid/set.zip', Body: 'paid zip', ContentType: 'application/zip' }));
    });

    after(async () => {
      await stack?.stop();
    });

    /** A policy like the API's (contributor/drafts.ts) with a small size range. */
    const presignPost = (expires = 60) =>
      createPresignedPost(viaDoor, {
        Bucket: LOCAL_BUCKETS.uploads,
        Key: zipKey,
        Conditions: [['content-length-range', 1, 1_000], ['eq', '$Content-Type', 'application/zip']],
        Fields: { 'Content-Type': 'application/zip' },
        Expires: expires,
      });
    async function post(upload: { url: string; fields: Record<string, string> }, file: Buffer | undefined, change: Record<string, string> = {}, url = upload.url) {
      const form = new FormData();
      for (const [name, value] of Object.entries({ ...upload.fields, ...change })) form.append(name, value);
      if (file) form.append('file', new Blob([file]), 'set.zip');
      const response = await fetch(url, { method: 'POST', body: form });
      return { status: response.status, text: await response.text() };
    }
    const stored = (bucket: string, key: string) => direct.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false);

    it('passes a presigned POST that keeps its policy, and refuses each broken condition', async () => {
      const upload = await presignPost();
      const refused = async (file: Buffer | undefined, change: Record<string, string>, reason: string, url?: string) => {
        const res = await post(upload, file, change, url);
        expect(res.status, res.text).to.equal(403);
        expect(res.text).to.equal(`the upload breaks its presigned policy: ${reason}\n`);
      };
      await refused(Buffer.alloc(10), { key: 'uploads/c/other.zip' }, 'key must be uploads/c/draft.zip');
      await refused(Buffer.alloc(10), { 'Content-Type': 'text/html' }, 'Content-Type must be application/zip');
      await refused(Buffer.alloc(0), {}, 'the file is 0 bytes; the policy allows 1–1000');
      await refused(Buffer.alloc(1_001), {}, 'the file is 1001 bytes; the policy allows 1–1000');
      await refused(undefined, {}, 'no file');
      await refused(Buffer.alloc(10), { acl: 'public-read' }, 'form field acl is not allowed by the policy');
      await refused(Buffer.alloc(10), {}, `bucket must be ${LOCAL_BUCKETS.uploads}`, `${door.url}/s3/${LOCAL_BUCKETS.assets}`);
      const policy = JSON.parse(Buffer.from(upload.fields.Policy!, 'base64').toString());
      policy.conditions = policy.conditions.filter((c: unknown) => !Array.isArray(c) || c[0] !== 'content-length-range');
      await refused(Buffer.alloc(10), { Policy: Buffer.from(JSON.stringify(policy)).toString('base64') }, 'the policy signature does not match');
      expect(await stored(LOCAL_BUCKETS.uploads, zipKey)).to.equal(false);

      const ok = await post(upload, Buffer.alloc(10, 1));
      expect(ok.status, ok.text).to.be.within(200, 204);
      expect(await stored(LOCAL_BUCKETS.uploads, zipKey)).to.equal(true);

      const expiring = await presignPost(1);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const late = await post(expiring, Buffer.alloc(10));
      expect(late.text).to.equal('the upload breaks its presigned policy: the policy has expired\n');
    });

    it('passes presigned GETs and the API\'s signed reads; refuses listing, unsigned or altered reads, and writes', async () => {
      const url = await getSignedUrl(viaDoor, new GetObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: 'paid/set.zip' }), { expiresIn: 60 });
      const got = await fetch(url);
      expect(got.status).to.equal(200);
      expect(await got.text()).to.equal('paid zip');
      await viaDoor.send(new HeadBucketCommand({ Bucket: LOCAL_BUCKETS.uploads }));

      const status = async (input: string, init?: RequestInit) => {
        const response = await fetch(input, init);
        return `${response.status} ${await response.text()}`;
      };
      expect(await status(`${door.url}/s3/`)).to.equal('403 not a validly signed read: not a presigned URL and no SigV4 Authorization header\n');
      expect(await status(`${door.url}/s3/${LOCAL_BUCKETS.downloads}/paid/set.zip`)).to.match(/^403 /);
      expect(await status(`${door.url}/s3/${LOCAL_BUCKETS.uploads}/${zipKey}`)).to.match(/^403 /);
      expect(await status(url.replace('paid/set.zip', 'paid/other.zip'))).to.equal('403 not a validly signed read: the signature does not match\n');
      const short = await getSignedUrl(viaDoor, new GetObjectCommand({ Bucket: LOCAL_BUCKETS.downloads, Key: 'paid/set.zip' }), { expiresIn: 1 });
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      expect(await status(short)).to.equal('403 not a validly signed read: the presigned URL has expired\n');

      // Writing HTML into a bucket served on the marketplace's origin: not unsigned, not even signed.
      const html = { method: 'PUT', body: '<script>alert(1)</script>', headers: { 'content-type': 'text/html' } };
      expect(await status(`${door.url}/s3/${LOCAL_BUCKETS.assets}/x.html`, html)).to.match(/^403 /);
      expect(await status(`${door.url}/assets/x.html`, html)).to.equal('405 PUT is not allowed on /assets\n');
      const signedPut = await viaDoor.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: 'x.html', Body: '<script>', ContentType: 'text/html' })).then(() => 'stored', (error: Error) => error.name);
      expect(signedPut).to.not.equal('stored');
      expect(await stored(LOCAL_BUCKETS.assets, 'x.html')).to.equal(false);

      // Out of /assets into the paid bucket, with the dot segments a URL parser would have removed.
      const raw = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: new URL(door.url).port, path: `/assets/%2e%2e/${LOCAL_BUCKETS.downloads}/paid/set.zip` }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on('error', reject);
      });
      expect(raw).to.equal(400);
    });

    it('binds the SQS/SNS emulator to loopback only', async () => {
      const sqs = await startSqsEmulator(0);
      try {
        expect(new URL(sqs.address).hostname).to.equal('127.0.0.1');
        const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
        if (external) {
          const reached = await new Promise<boolean>((resolve) => {
            const socket = net.connect(sqs.port, external.address, () => {
              socket.destroy();
              resolve(true);
            });
            socket.on('error', () => resolve(false));
          });
          expect(reached, `reachable on ${external.address}`).to.equal(false);
        }
      } finally {
        await sqs.stop();
      }
    });
  });

  describe('draft event streams: pushed by NOTIFY, end with the session, capped per account, limited in time', function () {
    this.timeout(60_000);
    let feed: UploadChangeFeed;
    let app: LocalServer;
    let contributorId: string;

    /** An event stream read as it arrives. */
    async function openStream(url: string, cookie: string) {
      const controller = new AbortController();
      const response = await fetch(url, { headers: { cookie }, signal: controller.signal });
      let text = '';
      let ended = false;
      const reading = (async () => {
        if (!response.body) return;
        const decoder = new TextDecoder();
        try {
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk);
        } catch {
          // aborted
        }
        ended = true;
      })();
      const states = () =>
        text
          .split('\n\n')
          .filter((block) => block.startsWith('event: draft'))
          .map((block) => (JSON.parse(block.split('\n')[1]!.slice('data: '.length)) as { state: string }).state);
      const within = async (ms: number, condition: () => boolean, what: string) => {
        const until = Date.now() + ms;
        while (!condition()) {
          if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what} (states ${states().join(', ')}, ended ${ended})`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      };
      return { status: response.status, states, ended: () => ended, within, close: () => (controller.abort(), reading) };
    }

    before(async () => {
      feed = followUploadChanges({ connectionString: database.connectionString, logger: pino({ level: 'silent' }) });
      await feed.ready;
      // Polling every minute: whatever arrives sooner was pushed.
      app = await listen(createApp({ ...deps, uploadChanges: feed, draftStreams: { maxPerAccount: 2, maxSeconds: 4, pollMs: 60_000 } }));
      contributorId = (await database.db.selectFrom('contributors').select('id').where('slug', '=', 'owner-studio').executeTakeFirstOrThrow()).id;
    });

    after(async () => {
      await app?.close();
      await feed?.close();
    });

    async function newDraft(client: ApiClient): Promise<string> {
      const res = await client.post('/api/drafts');
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      return res.json.draft.id;
    }
    const owner = async () => {
      const client = new ApiClient(app.url);
      expect((await client.post('/api/auth/signin', { email: 'owner@example.test', password: PASSWORD })).status).to.equal(200);
      return client;
    };

    it('pushes each change of the upload at once (no 500 ms polling) and ends at a terminal state', async () => {
      const client = await owner();
      const draftId = await newDraft(client);
      const stream = await openStream(`${app.url}/api/drafts/${draftId}/events`, client.cookie!);
      await stream.within(2_000, () => stream.states().length === 1, 'the first event');
      await database.db.insertInto('uploads').values({ id: draftId, contributorId, objectKey: `uploads/${contributorId}/${draftId}.zip`, status: 'received' }).execute();
      await stream.within(2_000, () => stream.states().includes('received'), 'the pushed change');
      await database.db.updateTable('uploads').set({ status: 'rejected' }).where('id', '=', draftId).execute();
      await stream.within(2_000, () => stream.ended(), 'the end at a terminal state');
      expect(stream.states()).to.deep.equal(['awaiting-upload', 'received', 'rejected']);
    });

    it('ends the stream promptly when its session signs out', async () => {
      const client = await owner();
      const draftId = await newDraft(client);
      const stream = await openStream(`${app.url}/api/drafts/${draftId}/events`, client.cookie!);
      await stream.within(2_000, () => stream.states().length === 1, 'the first event');
      const cookie = client.cookie!;
      expect((await client.post('/api/auth/signout')).status).to.equal(204);
      await stream.within(2_000, () => stream.ended(), 'the end after sign-out');
      expect((await fetch(`${app.url}/api/drafts/${draftId}/events`, { headers: { cookie } })).status).to.equal(401);
    });

    it('caps open streams per account and ends each after its maximum lifetime', async () => {
      const client = await owner();
      const draftId = await newDraft(client);
      const url = `${app.url}/api/drafts/${draftId}/events`;
      const first = await openStream(url, client.cookie!);
      const second = await openStream(url, client.cookie!);
      await first.within(2_000, () => first.states().length === 1 && second.states().length === 1, 'two streams');
      const third = await fetch(url, { headers: { cookie: client.cookie! } });
      expect(third.status).to.equal(429);
      expect(((await third.json()) as { error: { message: string } }).error.message).to.equal('At most 2 draft event streams may be open per account; close one first.');
      // Closing one frees its place (once the server has seen the connection go).
      await second.close();
      let again = await openStream(url, client.cookie!);
      for (let attempt = 0; again.status === 429 && attempt < 40; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        again = await openStream(url, client.cookie!);
      }
      expect(again.status).to.equal(200);
      // Opened about the same time, limited to 4 s: both end on their own, unchanged.
      await first.within(6_000, () => first.ended() && again.ended(), 'the lifetime end');
      expect(first.states()).to.deep.equal(['awaiting-upload']);
    });
  });
  describe('accounts: neutral sign-up, verified addresses, sessions that end when they should', function () {
    const LINK_ORIGIN = 'http://shop.example.test';
    let ses: SesStandIn;
    let sender: SesSender;
    let mailApi: LocalServer;
    const client = () => new ApiClient(mailApi.url);
    const mailsTo = (address: string) => ses.mails.filter((mail) => mail.to.includes(address));
    const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

    before(async () => {
      ses = await startSesStandIn();
      // Production's sender (SESv2 SendEmail through the SDK), pointed at the stand-in.
      sender = new SesSender({ from: 'Marketplace <no-reply@shop.example.test>', region: 'us-east-1', endpoint: ses.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      mailApi = await listen(createApp(apiDeps(database.db, { mail: { sender, linkOrigin: LINK_ORIGIN } })));
    });

    after(async () => {
      await mailApi?.close();
      sender?.close();
      await ses?.close();
    });

    it('answers sign-up the same for a new and a taken address: status, body, no session; the owner of a taken one gets a notice', async () => {
      const fresh = await client().post('/api/auth/signup', { email: 'newcomer@example.test', password: PASSWORD, displayName: 'New', role: 'buyer' });
      const taken = await client().post('/api/auth/signup', { email: 'Buyer@Example.test', password: 'another good passphrase 9', displayName: 'Again', role: 'buyer' });
      expect(fresh.status).to.equal(202);
      expect(taken.status).to.equal(202);
      expect(taken.json).to.deep.equal(fresh.json);
      expect(fresh.headers.getSetCookie()).to.deep.equal([]);
      expect(taken.headers.getSetCookie()).to.deep.equal([]);
      // The new address is asked to confirm; the existing account's owner is told, with no link that verifies anything.
      const [confirm] = mailsTo('newcomer@example.test');
      expect(confirm!.subject).to.equal('Confirm your e-mail address');
      expect(confirm!.links[0]).to.match(new RegExp(`^${LINK_ORIGIN}/verify-email\\?token=[A-Za-z0-9_-]{43}$`));
      const [notice] = mailsTo('buyer@example.test');
      expect(notice!.subject).to.equal('Someone tried to sign up with your address');
      expect(notice!.links).to.deep.equal([`${LINK_ORIGIN}/signin`]);
      // The taken account keeps its password.
      expect((await client().post('/api/auth/signin', { email: 'buyer@example.test', password: PASSWORD })).status).to.equal(200);
    });

    it('refuses a taken slug before looking at the address, so the 409 says nothing about e-mails', async () => {
      const newAddress = await client().post('/api/auth/signup', { email: 'slugger@example.test', password: PASSWORD, displayName: 'S', role: 'contributor', slug: 'owner-studio' });
      const takenAddress = await client().post('/api/auth/signup', { email: 'owner@example.test', password: PASSWORD, displayName: 'S', role: 'contributor', slug: 'owner-studio' });
      expect([newAddress.status, newAddress.json.error.code]).to.deep.equal([409, 'conflict']);
      expect(takenAddress.json).to.deep.equal(newAddress.json);
    });

    it('builds mail links on the configured origin, whatever Host the request names', async () => {
      await client().request('POST', '/api/auth/signup', { email: 'hosted@example.test', password: PASSWORD, displayName: 'H', role: 'buyer' }, { host: 'evil.example' });
      expect(new URL(mailsTo('hosted@example.test')[0]!.links[0]!).origin).to.equal(LINK_ORIGIN);
    });

    it('lets an unverified account sign in; its single-use, expiring link (stored hashed) verifies it, and a second click changes nothing', async () => {
      const email = 'verify-me@example.test';
      expect((await client().post('/api/auth/signup', { email, password: PASSWORD, displayName: 'V', role: 'contributor', slug: 'verify-me' })).status).to.equal(202);
      const session = client();
      const signIn = await session.post('/api/auth/signin', { email, password: PASSWORD });
      expect(signIn.json.account.emailVerified).to.equal(false);
      const token = tokenOf(mailsTo(email)[0]!.links[0]!);
      const stored = await apiDb(database.db).selectFrom('emailVerifications').selectAll().execute();
      expect(JSON.stringify(stored)).not.to.contain(token);
      expect(stored.map((row) => row.tokenHash)).to.include(createHash('sha256').update(token).digest('hex'));

      const first = await client().post('/api/auth/verify-email', { token });
      const second = await client().post('/api/auth/verify-email', { token });
      expect([first.status, first.json]).to.deep.equal([200, { status: 'verified' }]);
      expect([second.status, second.json]).to.deep.equal([200, { status: 'verified' }]);
      expect((await session.get('/api/auth/me')).json.account.emailVerified).to.equal(true);
      expect((await session.post('/api/auth/verify-email/resend')).json).to.deep.equal({ status: 'already_verified' });

      const unknown = await client().post('/api/auth/verify-email', { token: 'A'.repeat(43) });
      expect([unknown.status, unknown.json.error.code]).to.deep.equal([400, 'invalid_token']);
      const malformed = await client().post('/api/auth/verify-email', { token: 'short' });
      expect(malformed.json.error.issues.map((issue: { path: string }) => issue.path)).to.deep.equal(['body.token']);
    });

    it('refuses an expired link, and mails a fresh one on request', async () => {
      const email = 'late@example.test';
      await client().post('/api/auth/signup', { email, password: PASSWORD, displayName: 'L', role: 'buyer' });
      const token = tokenOf(mailsTo(email)[0]!.links[0]!);
      await sql`update email_verifications set expires_at = now() - interval '1 second' where token_hash = ${createHash('sha256').update(token).digest('hex')}`.execute(database.db);
      const expired = await client().post('/api/auth/verify-email', { token });
      expect([expired.status, expired.json.error.code]).to.deep.equal([400, 'invalid_token']);
      const session = await (async () => {
        const c = client();
        await c.post('/api/auth/signin', { email, password: PASSWORD });
        return c;
      })();
      expect((await session.post('/api/auth/verify-email/resend')).json).to.deep.equal({ status: 'verification_sent' });
      const fresh = tokenOf(mailsTo(email)[1]!.links[0]!);
      expect((await client().post('/api/auth/verify-email', { token: fresh })).status).to.equal(200);
      expect((await session.get('/api/auth/me')).json.account.emailVerified).to.equal(true);
    });

    it('answers /api/auth/me for a visitor with 200 and a null account (anonymous pages log no 401)', async () => {
      const me = await client().get('/api/auth/me');
      expect([me.status, me.json]).to.deep.equal([200, { account: null }]);
    });

    it('"sign out everywhere" ends every session of the account, this one included, and no one else\'s', async () => {
      const here = await signInAt(mailApi.url, 'buyer@example.test');
      const there = await signInAt(mailApi.url, 'buyer@example.test');
      const someoneElse = await signInAt(mailApi.url, 'admin@example.test');
      const hereCookie = here.cookie;
      const out = await here.post('/api/auth/signout-everywhere');
      expect(out.status).to.equal(204);
      expect(out.headers.getSetCookie()[0]).to.match(/^sid=;/);
      // Both sessions are gone on the server, this one too (not only its cookie cleared).
      for (const cookie of [hereCookie, there.cookie]) {
        const stale = new ApiClient(mailApi.url);
        stale.cookie = cookie;
        expect((await stale.get('/api/auth/me')).json).to.deep.equal({ account: null });
      }
      expect((await someoneElse.get('/api/auth/me')).json.account.email).to.equal('admin@example.test');
      expect((await client().post('/api/auth/signout-everywhere')).status).to.equal(401);
    });

    it('changes a password only with the current one, keeps this session, ends the others, and tells the owner', async () => {
      const email = 'changer@example.test';
      await createAccount(apiDb(database.db), { email, password: PASSWORD, displayName: 'Changer', role: 'buyer' });
      const here = await signInAt(mailApi.url, email);
      const there = await signInAt(mailApi.url, email);
      const wrong = await here.post('/api/auth/password', { currentPassword: 'not the password at all', newPassword: 'a brand new passphrase 42' });
      expect([wrong.status, wrong.json.error.code]).to.deep.equal([401, 'invalid_credentials']);
      const weak = await here.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'aaaaaaaaaaaa' });
      expect([weak.status, weak.json.error.issues[0].path]).to.deep.equal([400, 'body.newPassword']);
      const changed = await here.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase 42' });
      expect(changed.status).to.equal(204);
      expect((await here.get('/api/auth/me')).json.account.email).to.equal(email);
      expect((await there.get('/api/auth/me')).json).to.deep.equal({ account: null });
      expect((await client().post('/api/auth/signin', { email, password: PASSWORD })).status).to.equal(401);
      expect((await client().post('/api/auth/signin', { email, password: 'a brand new passphrase 42' })).status).to.equal(200);
      expect(mailsTo(email).map((mail) => mail.subject)).to.deep.equal(['Your password was changed']);
    });

    it('backs off guesses of the current password as it does sign-ins, so a stolen session cannot brute-force it', async () => {
      const email = 'guessed@example.test';
      await createAccount(apiDb(database.db), { email, password: PASSWORD, displayName: 'G', role: 'buyer' });
      const thief = await signInAt(mailApi.url, email);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await thief.post('/api/auth/password', { currentPassword: `guess number ${i}`, newPassword: 'a brand new passphrase 42' })).status);
      expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 401, 429]);
      // Locked: even the right password is not checked now.
      expect((await thief.post('/api/auth/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase 42' })).status).to.equal(429);
    });

    it('purges expired sessions, old verification links and idle sign-in failures on a timer, and keeps live ones', async function () {
      this.timeout(20_000);
      const db = apiDb(database.db);
      const account = await createAccount(db, { email: 'purged@example.test', password: PASSWORD, displayName: 'P', role: 'buyer' });
      const live = await signInAt(mailApi.url, 'purged@example.test');
      await db.insertInto('sessions').values({ id: 'e'.repeat(64), accountId: account.id, expiresAt: new Date(Date.now() - 1000) }).execute();
      await db.insertInto('emailVerifications').values({ tokenHash: 'f'.repeat(64), accountId: account.id, email: account.email, expiresAt: new Date(Date.now() - 8 * 86_400_000) }).execute();
      await db.insertInto('signInFailures').values({ emailHash: 'd'.repeat(64), failures: 3, lastFailureAt: new Date(Date.now() - 2 * 3_600_000), lockedUntil: null }).execute();
      const housekeeping = startAuthHousekeeping(db, pino({ level: 'silent' }), 1, { expireUnverifiedAccounts: true });
      try {
        for (const deadline = Date.now() + 10_000; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
          const left = await db.selectFrom('sessions').select('id').where('id', '=', 'e'.repeat(64)).execute();
          if (left.length === 0) break;
          if (Date.now() > deadline) throw new Error('the expired session was not purged');
        }
      } finally {
        await housekeeping.stop();
      }
      expect(await db.selectFrom('emailVerifications').select('tokenHash').where('tokenHash', '=', 'f'.repeat(64)).execute()).to.deep.equal([]);
      expect(await db.selectFrom('signInFailures').select('emailHash').where('emailHash', '=', 'd'.repeat(64)).execute()).to.deep.equal([]);
      expect((await live.get('/api/auth/me')).json.account.email).to.equal('purged@example.test');
    });
  });
});
