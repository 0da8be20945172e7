/**
 * Abuse resistance, black-box over HTTP (issue 14): each block is one weakness a security review reproduced
 * against the running marketplace, attacked the same way here. The API runs on a real PostgreSQL; the CSRF
 * attack is a real Chromium submitting a form from a sibling origin.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/db.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import type { Database } from '../../core/catalog/index.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { safeNextPath } from '../../app/web/lib/safe-next.ts';
import { ApiClient } from './client.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'correct horse battery staple';

interface Listening {
  url: string;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<Listening> {
  const server = http.createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

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
  let api: Listening;
  let deps: ApiDeps;
  let contributorCookie: string;
  let productId: string;

  const anonymous = () => new ApiClient(api.url);
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
      for (const query of ['next=/%5Chost', 'next=/%5C%5Chost', 'next=/%09/host', 'next=/\t/host', 'next=%2F%2Fhost', 'next=//host', 'next=https://evil.example', 'next=https:evil.example', 'next=javascript:alert(1)', 'next=%0A//host', 'next=http://127.0.0.1:3001/']) {
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
});
