/**
 * The cache of public catalog reads (app/api/catalog/read-cache.ts) with the change feed of migration 0010,
 * on real PostgreSQL: repeated reads come from memory, and every committed change, whoever makes it, shows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { expect } from 'chai';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { followCatalogChanges, type CatalogChangeFeed } from '../../app/api/catalog/changes.ts';
import { CatalogReadCache } from '../../app/api/catalog/read-cache.ts';
import { apiDb } from '../../app/api/tables.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { JsonText } from '../../app/api/http/route.ts';
import { CATALOG_CHANGES_CHANNEL } from '../../core/catalog/index.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { eventually } from '../support/eventually.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from './client.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('api catalog read cache', () => {
  describe('CatalogReadCache', () => {
    const options = { maxBytes: 1 << 20, ttlSeconds: 60 };

    it('keeps nothing until it follows changes', async () => {
      const cache = new CatalogReadCache(options);
      let reads = 0;
      const load = async () => new JsonText(`[${++reads}]`);
      expect((await cache.reply('k', load)).text).to.equal('[1]');
      expect((await cache.reply('k', load)).text).to.equal('[2]');
      cache.following = true;
      expect((await cache.reply('k', load)).text).to.equal('[3]');
      expect((await cache.reply('k', load)).text).to.equal('[3]');
      expect(cache.stats).to.include({ hits: 1, misses: 3, entries: 1 });
    });

    it('shares one read among concurrent misses, and does not keep a read a change overtook', async () => {
      const cache = new CatalogReadCache(options);
      cache.following = true;
      let reads = 0;
      const gate = deferred<void>();
      const load = async () => {
        reads++;
        await gate.promise;
        return new JsonText('"before"');
      };
      const first = cache.reply('k', load);
      const second = cache.reply('k', load);
      cache.drop();
      gate.resolve();
      expect((await first).text).to.equal('"before"');
      expect((await second).text).to.equal('"before"');
      expect(reads).to.equal(1);
      const after = await cache.reply('k', async () => new JsonText('"after"'));
      expect(after.text, 'the read begun before the change was not kept').to.equal('"after"');
    });

    it('does not keep a failed read', async () => {
      const cache = new CatalogReadCache(options);
      cache.following = true;
      let reads = 0;
      const failing = async (): Promise<JsonText> => {
        reads++;
        throw new Error('database down');
      };
      await cache.reply('k', failing).then(
        () => expect.fail('should have failed'),
        (error: Error) => expect(error.message).to.equal('database down'),
      );
      expect((await cache.reply('k', async () => new JsonText('1'))).text).to.equal('1');
      expect(reads).to.equal(1);
    });

    it('drops everything when it stops following, and keeps within its memory bound', async () => {
      const cache = new CatalogReadCache({ maxBytes: 10_000, ttlSeconds: 60 });
      cache.following = true;
      for (let i = 0; i < 20; i++) await cache.reply(`k${i}`, async () => new JsonText(`"${'x'.repeat(1_000)}"`));
      expect(cache.stats.bytes).to.be.at.most(10_000);
      expect(cache.stats.entries).to.be.within(1, 9);
      cache.following = false;
      expect(cache.stats.entries).to.equal(0);
    });
  });

  describe('over HTTP with the change feed', () => {
    let database: FreshDatabase;
    let server: LocalServer | undefined;
    let feed: CatalogChangeFeed;
    let cache: CatalogReadCache;
    let anonymous: ApiClient;
    let productIds: string[];
    // Blocking a set withdraws its previews from the assets bucket (list, delete): a real S3 emulator.
    let s3rver: S3rver;
    let s3Dir: string;
    let s3: S3Client;
    const buckets = { uploads: 'uploads', assets: 'assets', downloads: 'downloads' };

    before(async () => {
      s3Dir = await mkdtemp(path.join(os.tmpdir(), 'catalog-cache-s3-'));
      s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: s3Dir, silent: true, configureBuckets: Object.values(buckets).map((name) => ({ name, configs: [] })) });
      const { port } = (await s3rver.run()) as { port: number };
      s3 = createS3Client({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
      database = await freshDatabase();
      const seeded = await seedCatalog(database.db, [
        { title: 'Harbour Lights', tags: ['sea'], imageTitles: ['Lighthouse', 'Buoy'] },
        { title: 'Mountain Trails', tags: ['hiking'], imageTitles: ['Summit', 'Boot'] },
      ]);
      productIds = seeded.map((set) => set.productId);
      cache = new CatalogReadCache({ maxBytes: 1 << 20, ttlSeconds: 60 });
      feed = followCatalogChanges({ connectionString: database.connectionString, cache, logger: pino({ level: 'silent' }), retryMs: 20 });
      await feed.ready;
      expect(cache.following).to.equal(true);
      server = await serveOnLocalPort(createApp({ ...appDeps(), catalogCache: cache }));
      anonymous = new ApiClient(server.url);
    });

    after(async () => {
      await server?.close();
      await feed.close();
      await database.destroy();
      s3.destroy();
      await s3rver.close();
      await rm(s3Dir, { recursive: true, force: true });
    });

    const appDeps = (): ApiDeps => ({
      db: database.db,
      s3,
      buckets,
      assetsBaseUrl: 'https://assets.example.test',
      logger: pino({ level: 'silent' }),
      secureCookies: false,
      validateResponses: true,
    });
    const titles = (res: { json: { items: Array<{ title: string }> } }) => res.json.items.map((item) => item.title).sort();

    it('answers a repeated list or search from memory, with an ETag that revalidates to 304', async () => {
      const before = cache.stats;
      const first = await anonymous.get('/api/products?limit=10');
      const second = await anonymous.get('/api/products?limit=10');
      expect(titles(first)).to.deep.equal(['Harbour Lights', 'Mountain Trails']);
      expect(second.json).to.deep.equal(first.json);
      await anonymous.get('/api/search?type=sets&q=harbour');
      // Validated input is the key: surrounding spaces and case do not make another entry.
      const search = await anonymous.get('/api/search?type=sets&q=%20harbour%20');
      expect(titles(search)).to.deep.equal(['Harbour Lights']);
      expect(cache.stats.misses - before.misses).to.equal(2);
      expect(cache.stats.hits - before.hits).to.equal(2);

      // fetch() asks for gzip as browsers do and inflates it; a client that does not gets the same JSON as is.
      expect(second.headers.get('content-encoding')).to.equal('gzip');
      expect(second.headers.get('vary')).to.match(/accept-encoding/i);
      const plain = await anonymous.request('GET', '/api/products?limit=10', undefined, { 'accept-encoding': 'identity' });
      expect(plain.headers.get('content-encoding')).to.equal(null);
      expect(plain.json).to.deep.equal(first.json);
      expect(plain.headers.get('etag'), 'each representation has its own validator').to.not.equal(second.headers.get('etag'));

      const etag = second.headers.get('etag');
      expect(etag).to.match(/^"[\w-]+"$/);
      // As a browser revalidates (fetch() alone would add `Cache-Control: no-cache`, which forbids a 304).
      const revalidated = await anonymous.request('GET', '/api/products?limit=10', undefined, { 'if-none-match': etag!, 'cache-control': 'max-age=0' });
      expect(revalidated.status).to.equal(304);
      expect(revalidated.json).to.equal('');
    });

    it('shows a change committed by another process (the pipeline, a script) once it is notified', async () => {
      await anonymous.get('/api/products?limit=10');
      await database.db.updateTable('products').set({ title: 'Harbour Nights' }).where('id', '=', productIds[0]!).execute();
      const list = await eventually(() => anonymous.get('/api/products?limit=10'), (res) => titles(res).includes('Harbour Nights'), 'the renamed set listed');
      expect(titles(list)).to.deep.equal(['Harbour Nights', 'Mountain Trails']);
      await eventually(() => anonymous.get('/api/search?type=sets&q=nights'), (res) => titles(res).includes('Harbour Nights'), 'the renamed set found');
    });

    it('a rolled-back change notifies nobody', async () => {
      const listener = new pg.Client({ connectionString: database.connectionString });
      await listener.connect();
      const heard: string[] = [];
      listener.on('notification', (message) => heard.push(message.payload ?? ''));
      await listener.query(`listen ${CATALOG_CHANGES_CHANNEL}`);
      await database.db
        .transaction()
        .execute(async (trx) => {
          await trx.updateTable('products').set({ title: 'Never' }).where('id', '=', productIds[0]!).execute();
          throw new Error('roll back');
        })
        .catch(() => {});
      // Notifications arrive in commit order: hearing this later one means the rolled-back one was never sent.
      await sql`select pg_notify(${CATALOG_CHANGES_CHANNEL}, 'marker')`.execute(database.db);
      await eventually(async () => heard.length, (n) => n > 0, 'the marker heard');
      await listener.end();
      expect(heard).to.deep.equal(['marker']);
    });

    it("shows the API's own changes on the very next request, before any notification", async () => {
      // A cache that follows no feed: only the API's own drop after a change can make the block show.
      const own = new CatalogReadCache({ maxBytes: 1 << 20, ttlSeconds: 60 });
      own.following = true;
      const ownServer = await serveOnLocalPort(createApp({ ...appDeps(), catalogCache: own }));
      const url = ownServer.url;
      try {
        const email = 'admin@example.test';
        await createAccount(apiDb(database.db), { role: 'admin', email, password: 'correct horse battery', displayName: 'Admin' });
        const admin = new ApiClient(url);
        const visitor = new ApiClient(url);
        expect((await admin.post('/api/auth/signin', { email, password: 'correct horse battery' })).status).to.equal(200);

        expect(titles(await visitor.get('/api/products?limit=10'))).to.have.length(2);
        expect((await visitor.get('/api/search?type=sets&q=mountain')).json.items).to.have.length(1);
        expect((await admin.post(`/api/admin/products/${productIds[1]}/block`, { reason: 'spam' })).status).to.equal(200);
        expect(titles(await visitor.get('/api/products?limit=10'))).to.deep.equal(['Harbour Nights']);
        expect((await visitor.get('/api/search?type=sets&q=mountain')).json.items).to.deep.equal([]);
      } finally {
        await ownServer.close();
      }
    });

    it('keeps its entries through writes that change nothing it shows: an anonymous sign-out, a failed sign-in', async () => {
      // Anyone may call these: emptying the cache on each would put every visitor's search on the uncached path.
      await anonymous.get('/api/search?q=lighthouse');
      await anonymous.get('/api/products?limit=5');
      const before = cache.stats.entries;
      expect(before).to.be.at.least(2);
      expect((await new ApiClient(anonymous.baseUrl).post('/api/auth/signout')).status).to.equal(204);
      expect((await new ApiClient(anonymous.baseUrl).post('/api/auth/signin', { email: 'nobody@example.test', password: 'not the password' })).status).to.equal(401);
      expect(cache.stats.entries, 'entries left after the writes').to.equal(before);
    });

    it('answers as an uncached route while its cache follows no feed', async () => {
      const idle = new CatalogReadCache({ maxBytes: 1 << 20, ttlSeconds: 60 });
      const idleServer = await serveOnLocalPort(createApp({ ...appDeps(), catalogCache: idle }));
      try {
        const visitor = new ApiClient(idleServer.url);
        const res = await visitor.get('/api/products?limit=10');
        expect(res.status).to.equal(200);
        // The earlier test blocked the other set.
        expect(titles(res)).to.deep.equal(['Harbour Nights']);
        expect(idle.stats).to.include({ hits: 0, misses: 0, entries: 0 });
      } finally {
        await idleServer.close();
      }
    });

    it('keeps nothing while the feed is down, and caches again once it reconnects', async () => {
      const { rows } = await sql<{ pid: number }>`
        select pid from pg_stat_activity where datname = current_database() and query ilike ${`listen ${CATALOG_CHANGES_CHANNEL}`}
      `.execute(database.db);
      expect(rows, 'the feed holds one listening connection').to.have.length(1);
      await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(database.db);
      await eventually(async () => cache.following, (following) => !following, 'the loss noticed');
      await eventually(async () => cache.following, (following) => following, 'the feed back');
      const misses = cache.stats.misses;
      await anonymous.get('/api/products?limit=5');
      await anonymous.get('/api/products?limit=5');
      expect(cache.stats.misses - misses).to.equal(1);
    });
  });
});
