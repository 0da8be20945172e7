/**
 * Icon-level search (GET /api/search, type=images) over HTTP on real PostgreSQL: results are single images
 * with their set, contributor and renditions; filters, bound cursors, typo correction with "search instead",
 * suggestions, visibility, and the catalog read cache following image changes (migration 0027).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { pino } from 'pino';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { followCatalogChanges, type CatalogChangeFeed } from '../../app/api/catalog/changes.ts';
import { encodeCursor } from '../../app/api/catalog/cursor.ts';
import { CatalogReadCache } from '../../app/api/catalog/read-cache.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/tables.ts';
import type { SearchBackend } from '../../app/api/search/backend.ts';
import { PostgresSearch } from '../../app/api/search/postgres.ts';
import { seedCatalog, type SeededProduct } from '../../app/api/dev/seed.ts';
import { renditionKey } from '../../core/storage/index.ts';
import { eventually } from '../support/eventually.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from './client.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

describe('api icon-level search', () => {
  let database: FreshDatabase;
  let server: LocalServer | undefined;
  let cache: CatalogReadCache;
  let feed: CatalogChangeFeed;
  let api: ApiClient;
  let deps: ApiDeps;
  let weather: SeededProduct;
  let office: SeededProduct;
  let storms: SeededProduct;
  let hidden: SeededProduct;
  let freebies: SeededProduct;
  let otherStudio: SeededProduct;

  before(async () => {
    database = await freshDatabase();
    const seeded = await seedCatalog(database.db, [
      {
        title: 'Weather Line Icons',
        tags: ['forecast'],
        imageTitles: ['Sun', 'Umbrella', 'Cloud rain', 'Umbrella closed'],
        imageTags: [['sunny', 'day'], ['rain', 'parasol'], ['rain'], []],
        familySlug: 'line',
      },
      { title: 'Office Essentials', tags: ['work'], imageTitles: ['Stapler', 'Umbrella stand', 'Printer'], familySlug: 'filled' },
      { title: 'Storm Chasers', tags: ['forecast'], imageTitles: ['Tornado', 'Lightning'], kind: 'illustration-set', license: 'extended', familySlug: 'line' },
      { title: 'Secret Drafts', imageTitles: ['Umbrella secret', 'Zeppelinx'], published: false },
    ]);
    [weather, office, storms, hidden] = seeded as [SeededProduct, SeededProduct, SeededProduct, SeededProduct];
    freebies = (await seedCatalog(database.db, [{ title: 'Free Basics', imageTitles: ['Umbrella free'], license: 'free', priceCents: 0 }]))[0]!;
    otherStudio = (await seedCatalog(database.db, [{ title: 'Beach Day', imageTitles: ['Beach umbrella'] }]))[0]!;
    // A set blocked by an admin, and an image that failed to render: neither is shown.
    const [blocked] = await seedCatalog(database.db, [{ title: 'Blocked Set', imageTitles: ['Umbrella blocked'] }]);
    const admin = await createAccount(apiDb(database.db), { role: 'admin', email: 'admin@example.test', password: 'correct horse battery', displayName: 'Admin' });
    await apiDb(database.db).insertInto('productBlocks').values({ productId: blocked!.productId, reason: 'spam', blockedBy: admin.id }).execute();
    await database.db
      .updateTable('images')
      .set({ status: 'failed', failureReason: 'render failed' })
      .where('id', '=', office!.imageIds[2]!)
      .execute();

    cache = new CatalogReadCache({ maxBytes: 1 << 20, ttlSeconds: 60 });
    feed = followCatalogChanges({ connectionString: database.connectionString, cache, logger: pino({ level: 'silent' }), retryMs: 20 });
    await feed.ready;
    expect(cache.following).to.equal(true);
    deps = {
      db: database.db,
      s3: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
      buckets: { uploads: 'uploads', assets: 'assets', downloads: 'downloads' },
      assetsBaseUrl: 'https://assets.example.test',
      logger: pino({ level: 'silent' }),
      secureCookies: false,
      // Every reply is checked against the documented schema (ImageHit, the type union).
      validateResponses: true,
    };
    server = await serveOnLocalPort(createApp({ ...deps, catalogCache: cache }));
    api = new ApiClient(server.url);
  });

  after(async () => {
    await server?.close();
    await feed?.close();
    await database?.destroy();
  });

  const search = async (query: string) => {
    const res = await api.get(`/api/search?${query}`);
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    return res.json as {
      type: string;
      items: Array<{ id: string; title: string; set: { id: string; title: string }; contributor: { slug: string }; renditions: Array<{ url: string }> }>;
      nextCursor: string | null;
      correctedText: string | null;
      suggestions: string[];
    };
  };
  const titles = (page: { items: Array<{ title: string }> }) => page.items.map((item) => item.title);

  it('finds the icon itself, with its set, contributor and rendition URLs; shorter titles first', async () => {
    const page = await search('q=umbrella');
    expect(page.type).to.equal('images');
    expect(titles(page)[0]).to.equal('Umbrella');
    expect(titles(page).slice(1)).to.have.members(['Umbrella free', 'Beach umbrella', 'Umbrella stand', 'Umbrella closed']);
    const [first] = page.items;
    expect(first!.id).to.equal(weather.imageIds[1]);
    expect(first!.set).to.deep.equal({ id: weather.productId, title: 'Weather Line Icons', kind: 'icon-set', license: 'standard', price: { amount: 900, currency: 'USD' } });
    expect(first!.contributor.slug).to.match(/^seed-/);
    expect(first!.renditions.map((r) => r.url)).to.include(
      `https://assets.example.test/${renditionKey(weather.productId, weather.previewSecret, weather.imageIds[1]!, 256, 'png')}`,
    );
    expect(page.correctedText).to.equal(null);
    expect(page.suggestions).to.deep.equal([]);
  });

  it('never shows images of unpublished or blocked sets, or images that are not ready', async () => {
    const page = await search('q=umbrella');
    expect(titles(page)).not.to.include.members(['Umbrella secret', 'Umbrella blocked']);
    expect(titles(await search('q=printer'))).to.deep.equal([]);
    expect(titles(await search('q=stapler'))).to.deep.equal(['Stapler']);
  });

  it("matches an image's own tags, and its set's words after its own matches", async () => {
    expect(titles(await search('q=parasol'))).to.deep.equal(['Umbrella']);
    expect(titles(await search('q=sunny'))).to.deep.equal(['Sun']);
    // "rain": two images of the weather set by title or tag; "forecast" is a set tag only: every image of both
    // forecast sets, each set's first images first.
    expect(titles(await search('q=rain'))).to.have.members(['Umbrella', 'Cloud rain']);
    const forecast = await search('q=forecast');
    expect(forecast.items).to.have.length(6);
    expect(forecast.items.map((item) => item.set.id)).to.have.members([...Array(4).fill(weather.productId), storms.productId, storms.productId]);
    // An own match ranks above set matches.
    expect(titles(await search('q=tornado'))[0]).to.equal('Tornado');
  });

  it('filters by kind, licence, price, family and contributor', async () => {
    expect(titles(await search('q=forecast&kind=illustration-set'))).to.have.members(['Tornado', 'Lightning']);
    expect(titles(await search('q=umbrella&license=free'))).to.deep.equal(['Umbrella free']);
    expect(titles(await search('q=umbrella&price=free'))).to.deep.equal(['Umbrella free']);
    expect(titles(await search('q=umbrella&price=paid'))).to.not.include('Umbrella free');
    const family = await database.db.selectFrom('products').select('familyId').where('id', '=', office.productId).executeTakeFirstOrThrow();
    expect(titles(await search(`q=umbrella&family=${family.familyId}`))).to.deep.equal(['Umbrella stand']);
    const contributor = await database.db
      .selectFrom('contributors')
      .select('slug')
      .where('id', '=', otherStudio.contributorId)
      .executeTakeFirstOrThrow();
    expect(titles(await search(`q=umbrella&contributor=${contributor.slug}`))).to.deep.equal(['Beach umbrella']);
  });

  it('pages with cursors bound to their search; a cursor of another search, or a forged one, is a 400', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await search(`q=umbrella&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...titles(page));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal(titles(await search('q=umbrella')));

    const first = await search('q=umbrella&limit=2');
    const elsewhere = await api.get(`/api/search?q=umbrella&limit=2&license=free&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect([elsewhere.status, elsewhere.json.error.issues]).to.deep.equal([400, [{ path: 'query.cursor', message: 'is not a cursor this search gave out' }]]);
    const setCursor = await api.get(`/api/search?type=sets&q=umbrella&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(setCursor.status).to.equal(400);
    const deep = await api.get(`/api/search?q=umbrella&cursor=${encodeCursor({ k: 100_000, id: 'x' })}`);
    expect(deep.status).to.equal(400);
    expect((await api.get('/api/search?q=umbrella&cursor=not-a-cursor')).status).to.equal(400);
  });

  it('says which words it searched after correcting a typo, and searches the typed word on exact=1 with suggestions', async () => {
    const corrected = await search('q=umbrela');
    expect(corrected.correctedText).to.equal('umbrella');
    expect(titles(corrected)[0]).to.equal('Umbrella');
    const exact = await search('q=umbrela&exact=1');
    expect(exact.items).to.deep.equal([]);
    expect(exact.correctedText).to.equal(null);
    expect(exact.suggestions).to.include('umbrella');
    // A mistyped image tag is corrected too (0027 adds image tags to the word list).
    expect((await search('q=parasl')).correctedText).to.equal('parasol');
    expect(titles(await search('q=stapler'))).to.deep.equal(['Stapler']);
  });

  it('suggests nothing for nonsense, and never a word only an unpublished set holds', async () => {
    const nonsense = await search('q=qqxqq');
    expect([nonsense.items, nonsense.suggestions, nonsense.correctedText]).to.deep.equal([[], [], null]);
    // "zeppelinx" is a word of the unpublished set only: no correction to it, no suggestion of it.
    const near = await search('q=zeppelin');
    expect([near.items, near.correctedText]).to.deep.equal([[], null]);
    expect(near.suggestions).to.not.include('zeppelinx');
  });

  it('keeps the set search as type=sets; icon-only filters are refused there', async () => {
    const sets = await search('type=sets&q=forecast');
    expect(sets.type).to.equal('sets');
    expect(sets.items.map((item) => item.id)).to.have.members([weather.productId, storms.productId]);
    const refused = await api.get('/api/search?type=sets&q=forecast&price=free');
    expect(refused.status).to.equal(400);
    expect(refused.json.error.issues).to.deep.equal([
      { path: 'query.type', message: 'price, family and contributor filter icon results (type=images), not sets' },
    ]);
  });

  it('answers alike when the backend ranks ids only and the API loads them (imageHitsJson, as for Elasticsearch)', async () => {
    // PostgreSQL search ranks and loads the page in one statement (searchImagesJson); a backend without that
    // method has its hits loaded by imageHitsJson. Both must send the same pages.
    const postgres = new PostgresSearch(apiDb(database.db));
    const idsOnly: SearchBackend = {
      name: 'ids-only',
      search: (request) => postgres.search(request),
      searchImages: (request) => postgres.searchImages(request),
      suggest: (text, limit) => postgres.suggest(text, limit),
      ping: () => postgres.ping(),
    };
    const other = await serveOnLocalPort(createApp({ ...deps, search: idsOnly }));
    try {
      const otherApi = new ApiClient(other.url);
      const first = await search('q=umbrella&limit=2');
      // Exactly a page: no next page.
      expect((await search('q=umbrella&limit=5')).nextCursor).to.equal(null);
      const queries = ['q=umbrella', 'q=umbrella&limit=5', 'q=forecast', 'q=umbrela', 'q=rain&kind=icon-set', 'q=umbrella&price=free', 'q=qqxqq', 'q=umbrela&exact=1',
        `q=umbrella&limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`];
      for (const query of queries) {
        const [mine, theirs] = [await api.get(`/api/search?${query}`), await otherApi.get(`/api/search?${query}`)];
        expect(theirs.status, query).to.equal(200);
        expect(theirs.json, query).to.deep.equal(mine.json);
        expect((mine.json as { items: unknown[] }).items.length > 0 || query.includes('qqxqq') || query.includes('exact'), query).to.equal(true);
      }
    } finally {
      await other.close();
    }
  });

  it('is cached, and shows image changes made elsewhere once notified (tags, status, new images)', async () => {
    const before = cache.stats;
    await search('q=gazebo');
    await search('q=gazebo');
    expect(cache.stats.hits - before.hits).to.equal(1);
    await database.db.updateTable('images').set({ tags: ['gazebo'] }).where('id', '=', weather.imageIds[3]!).execute();
    await eventually(() => search('q=gazebo'), (page) => titles(page).includes('Umbrella closed'), 'the retagged image found');
    await database.db
      .updateTable('images')
      .set({ status: 'failed', failureReason: 'render failed' })
      .where('id', '=', weather.imageIds[3]!)
      .execute();
    await eventually(() => search('q=gazebo'), (page) => page.items.length === 0, 'the failed image gone');
    expect(freebies.productId).to.be.a('string');
    expect(hidden.productId).to.be.a('string');
  });
});
