import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateDown, migrateToLatest, type Database } from '../../core/catalog/index.ts';
import { createApiDb } from '../../app/api/database.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { apiDb } from '../../app/api/db.ts';
import { buildSearchBody, ElasticsearchSearch } from '../../app/api/search/elasticsearch.ts';
import { PostgresSearch } from '../../app/api/search/postgres.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

describe('api search', () => {
  let database: FreshDatabase;
  let search: PostgresSearch;
  const ids: Record<string, string> = {};

  before(async () => {
    database = await freshDatabase();
    search = new PostgresSearch(apiDb(database.db));
    const seeded = await seedCatalog(database.db, [
      { title: 'Weather Line Icons', tags: ['forecast', 'sun'], description: 'Clouds, rain and sun on a 24 px grid.' },
      { title: 'Weekend Activities', tags: ['leisure'], description: 'Hiking, reading, cooking.' },
      { title: 'Office Essentials', tags: ['work'], description: 'A clear set for dashboards.', imageTitles: ['Stapler', 'Umbrella stand'] },
      { title: 'Storm Chasers', tags: ['weather'], description: 'Tornadoes and lightning.', kind: 'illustration-set', license: 'extended' },
      { title: 'Hidden Weather Drafts', tags: ['weather'], published: false },
    ]);
    ['weather', 'weekend', 'office', 'storm', 'hidden'].forEach((name, i) => (ids[name] = seeded[i]!.productId));
  });
  after(() => database.destroy());

  const find = async (text: string, extra: Partial<Parameters<PostgresSearch['search']>[0]> = {}) =>
    (await search.search({ text, limit: 10, offset: 0, ...extra })).hits.map((hit) => hit.productId);

  it('ranks a title match above a tag match, and never shows unpublished sets', async () => {
    const hits = await find('weather');
    expect(hits.slice(0, 2)).to.deep.equal([ids.weather, ids.storm]);
    expect(hits).not.to.include(ids.hidden);
  });

  it('stems words: "clouds" finds the set whose description says "Clouds"; "icon" finds "Icons"', async () => {
    expect(await find('cloud')).to.deep.equal([ids.weather]);
    expect(await find('icon')).to.deep.equal([ids.weather]);
  });

  it('matches prefixes while typing', async () => {
    expect(await find('wea')).to.include(ids.weather);
    expect(await find('offi')).to.deep.equal([ids.office]);
    // "wee" is a prefix of Weekend only (Weather may follow as a near miss).
    expect((await find('wee'))[0]).to.equal(ids.weekend);
  });

  it('tolerates typos', async () => {
    expect((await find('wether'))[0]).to.equal(ids.weather);
    expect(await find('ofice essentials')).to.deep.equal([ids.office]);
  });

  it('finds a set by the title of an image inside it', async () => {
    expect(await find('stapler')).to.deep.equal([ids.office]);
  });

  it('filters by kind and license, and pages with hasMore', async () => {
    expect(await find('weather', { kind: 'illustration-set' })).to.deep.equal([ids.storm]);
    expect(await find('weather', { license: 'standard' })).to.deep.equal([ids.weather]);
    const first = await search.search({ text: 'weather', limit: 1, offset: 0 });
    expect(first.hasMore).to.equal(true);
    const second = await search.search({ text: 'weather', limit: 1, offset: 1 });
    expect(second.hits.map((h) => h.productId)).to.deep.equal([ids.storm]);
    expect(second.hasMore).to.equal(false);
  });

  it('returns nothing, without an error, for queries made only of punctuation or stop words', async () => {
    expect(await find('!!!')).to.deep.equal([]);
    expect(await find('the')).to.deep.equal([]);
  });

  it("Logstash's statement runs on the search view and marks unpublished rows for deletion", async () => {
    const conf = await readFile(new URL('../../app/search/logstash.conf', import.meta.url), 'utf8');
    const statement = /statement => "([^"]+)"/.exec(conf)![1]!;
    const runnable = statement.replace(':sql_last_value', "'1970-01-01T00:00:00Z'");
    // A plain client: the column names must be seen as Logstash sees them, not camel-cased.
    const client = new pg.Client(database.connectionString);
    await client.connect();
    const { rows } = await client
      .query<{ id: string; searchable: boolean; tags_json: string; image_titles_json: string }>(runnable)
      .finally(() => client.end());
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(ids.hidden!)!.searchable).to.equal(false);
    expect(byId.get(ids.weather!)!.searchable).to.equal(true);
    expect(JSON.parse(byId.get(ids.office!)!.image_titles_json)).to.deep.equal(['Stapler', 'Umbrella stand']);
    expect(JSON.parse(byId.get(ids.weather!)!.tags_json)).to.deep.equal(['forecast', 'sun']);

    // Every column Logstash sends must be mapped: the index mapping is strict.
    const template = JSON.parse(await readFile(new URL('../../app/search/products-template.json', import.meta.url), 'utf8'));
    const mapped = Object.keys(template.template.mappings.properties);
    const sent = Object.keys(rows[0]!).map((column) => column.replace(/_json$/, ''));
    expect(sent.filter((column) => !mapped.includes(column))).to.deep.equal([]);
  });

  // Last: it renames and removes a fixture image.
  it('keeps image titles in the search document as images are renamed and removed (migration 0007 triggers)', async () => {
    const [umbrella] = await database.db.selectFrom('images').select('id').where('productId', '=', ids.office!).where('title', '=', 'Umbrella stand').execute();
    await database.db.updateTable('images').set({ title: 'Paperweight' }).where('id', '=', umbrella!.id).execute();
    expect(await find('paperweight')).to.deep.equal([ids.office]);
    expect(await find('umbrella')).not.to.include(ids.office);
    await database.db.deleteFrom('images').where('id', '=', umbrella!.id).execute();
    expect(await find('paperweight')).to.deep.equal([]);
    expect(await find('stapler')).to.deep.equal([ids.office]);
  });

  it('corrects typos against the catalog words, kept current as sets and images are added and renamed (migration 0009)', async () => {
    const [quokka] = await seedCatalog(database.db, [{ title: 'Quokka Portraits', imageTitles: ['Marsupial'] }]);
    expect(await find('qokka')).to.deep.equal([quokka!.productId]);
    expect(await find('marsupail')).to.deep.equal([quokka!.productId]);
    await database.db.updateTable('images').set({ title: 'Wallaby' }).where('productId', '=', quokka!.productId).execute();
    expect(await find('walaby')).to.deep.equal([quokka!.productId]);
    await database.db.updateTable('products').set({ description: 'Kangaroo cousins' }).where('id', '=', quokka!.productId).execute();
    expect(await find('kangeroo')).to.deep.equal([quokka!.productId]);
    // Nothing close enough: no correction, no results.
    expect(await find('zzyzx')).to.deep.equal([]);
  });

  it('ranks a title holding the query word as typed above one holding only its stem', async () => {
    const [plural, singular] = await seedCatalog(database.db, [
      { title: 'Paper Lanterns Collection' },
      { title: 'Lantern Festival' },
    ]);
    expect(await find('lanterns')).to.deep.equal([plural!.productId, singular!.productId]);
  });

  it('corrects a typed word to a catalog word that holds more than letters ("handdrawn" to "hand-drawn")', async () => {
    const [doodles] = await seedCatalog(database.db, [{ title: 'Hand-drawn Doodles' }]);
    expect(await find('handdrawn')).to.deep.equal([doodles!.productId]);
    expect(await find('handdrawn doodle')).to.deep.equal([doodles!.productId]);
  });

  it('searches queries of more words than the statement spells out (PLANNED_WORDS)', async () => {
    expect(await find('weather line icons with sun and rain')).to.deep.equal([ids.weather]);
    expect(await find('wether line icons with sun and rain')).to.deep.equal([ids.weather]);
  });

  it('searches in one statement, typos included, on a prepared plan PostgreSQL reuses', async () => {
    let statements = 0;
    const counted = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.connectionString, max: 1 }) }),
      log: (event) => void (event.level === 'query' && statements++),
    });
    const prepared = createApiDb(database.connectionString, { max: 1 });
    try {
      for (const text of ['wether', 'weather icons', 'offi']) {
        statements = 0;
        await new PostgresSearch(apiDb(counted)).search({ text, limit: 10, offset: 0 });
        expect(statements, text).to.equal(1);
      }
      // The plan cache switches to a generic plan after five executions when it costs no more than the
      // custom ones; a statement priced wrongly is planned anew on every request instead.
      const preparedSearch = new PostgresSearch(apiDb(prepared));
      for (const text of ['weather', 'storm', 'office', 'clouds', 'wether', 'stapler', 'sun', 'rain']) {
        await preparedSearch.search({ text, limit: 10, offset: 0 });
      }
      const plans = await sql<{ genericPlans: string }>`
        select generic_plans from pg_prepared_statements
        where statement like '%search_words%' and statement not like '%pg_prepared_statements%'`.execute(prepared);
      expect(plans.rows).to.have.length(1);
      expect(Number(plans.rows[0]!.genericPlans)).to.be.greaterThan(0);
    } finally {
      await counted.destroy();
      await prepared.destroy();
    }
  });

  it('learns typo-correction words only from visible sets, and forgets a hidden set\'s own words (migration 0021)', async () => {
    const own = await freshDatabase();
    try {
      const [weather, wetherby] = await seedCatalog(own.db, [
        { title: 'Weather Line Icons', tags: ['sun'] },
        { title: 'Wetherby Racecourse', tags: ['sun', 'paddock'], imageTitles: ['Grandstand'], published: false },
      ]);
      const ownSearch = new PostgresSearch(apiDb(own.db));
      const words = async () => (await sql<{ word: string }>`select word from search_words`.execute(own.db)).rows.map((row) => row.word);
      const find = async (text: string) => (await ownSearch.search({ text, limit: 10, offset: 0 })).hits.map((hit) => hit.productId);
      // Hidden: none of its own words; "wether" is corrected to the visible "weather", not kept as a prefix of "wetherby".
      expect(await words()).to.include.members(['weather', 'sun']).and.not.include.members(['wetherby']);
      for (const hidden of ['wetherby', 'racecourse', 'paddock', 'grandstand']) expect(await words()).not.to.include(hidden);
      expect(await find('wether')).to.deep.equal([weather!.productId]);
      // Published: its words join.
      await own.db.updateTable('products').set({ published: true }).where('id', '=', wetherby!.productId).execute();
      expect(await words()).to.include.members(['wetherby', 'racecourse', 'paddock', 'grandstand']);
      // Blocked: its own words leave; a word a visible set shares ("sun") stays.
      const admin = await sql<{ id: string }>`
        insert into accounts (email, password_hash, display_name, role) values ('words@example.test', '$argon2id$x', 'Admin', 'admin') returning id
      `.execute(own.db);
      await sql`insert into product_blocks (product_id, reason, blocked_by) values (${wetherby!.productId}, 'test', ${admin.rows[0]!.id})`.execute(own.db);
      for (const hidden of ['wetherby', 'racecourse', 'paddock', 'grandstand']) expect(await words()).not.to.include(hidden);
      expect(await words()).to.include.members(['sun', 'weather']);
      expect(await find('wether')).to.deep.equal([weather!.productId]);
    } finally {
      await own.destroy();
    }
  });

  it('fills the word list from an existing catalog when migration 0009 is applied, and drops it when undone', async () => {
    const own = await freshDatabase();
    try {
      await seedCatalog(own.db, [{ title: 'Lighthouse Keepers', imageTitles: ['Foghorn'] }]);
      // Undo the later migrations too, down to and including 0009.
      for (let undone = await migrateDown(own.db); undone !== '0009-search-words'; undone = await migrateDown(own.db)) {
        expect(undone !== undefined && undone > '0009-search-words', `${undone} comes after 0009`).to.equal(true);
      }
      const gone = await sql<{ name: string | null }>`select to_regclass('search_words')::text as name`.execute(own.db);
      expect(gone.rows[0]!.name).to.equal(null);
      expect((await migrateToLatest(own.db))[0]).to.equal('0009-search-words');
      const words = await sql<{ word: string }>`select word from search_words order by word`.execute(own.db);
      expect(words.rows.map((row) => row.word)).to.include.members(['lighthouse', 'keepers', 'foghorn']);
      const ownSearch = new PostgresSearch(apiDb(own.db));
      expect((await ownSearch.search({ text: 'foghorm', limit: 10, offset: 0 })).hits).to.have.length(1);
    } finally {
      await own.destroy();
    }
  });
});

describe('api search: Elasticsearch adapter', () => {
  it('builds one bool query: searchable filter, exact words boosted over prefixes and fuzzy matches, stable sort', () => {
    const body = buildSearchBody({ text: 'wether', kind: 'icon-set', limit: 24, offset: 48 }) as any;
    expect(body.from).to.equal(48);
    expect(body.size).to.equal(25);
    expect(body.query.bool.filter).to.deep.equal([{ term: { searchable: true } }, { term: { kind: 'icon-set' } }]);
    const [exact, prefix, fuzzy] = body.query.bool.should;
    expect(exact.multi_match.boost).to.be.greaterThan(1);
    expect(prefix.multi_match.type).to.equal('bool_prefix');
    expect(fuzzy.multi_match.fuzziness).to.equal('AUTO');
    expect(body.query.bool.minimum_should_match).to.equal(1);
    expect(body.sort).to.deep.equal(['_score', { id: 'asc' }]);
  });

  it('searches only fields the index template maps', async () => {
    const template = JSON.parse(await readFile(new URL('../../app/search/products-template.json', import.meta.url), 'utf8'));
    const props = template.template.mappings.properties;
    const body = buildSearchBody({ text: 'x', limit: 1, offset: 0 }) as any;
    for (const clause of body.query.bool.should) {
      for (const field of clause.multi_match.fields as string[]) {
        const [root, sub] = field.replace(/\^\d+$/, '').split('.');
        expect(props, field).to.have.property(root!);
        if (sub) expect(props[root!].fields, field).to.have.property(sub);
      }
    }
  });

  it('posts to <url>/<index>/_search with the API key, and reads ranked ids (one more than the page = hasMore)', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const es = new ElasticsearchSearch({
      url: 'https://es.example.test/',
      index: 'products',
      apiKey: 'a2V5',
      fetch: async (url, init) => {
        calls.push({ url: String(url), init: init! });
        return Response.json({ hits: { hits: [{ _id: 'a', _score: 3 }, { _id: 'b', _score: 1 }] } });
      },
    });
    const result = await es.search({ text: 'sun', limit: 1, offset: 0 });
    expect(calls[0]!.url).to.equal('https://es.example.test/products/_search');
    expect((calls[0]!.init.headers as Record<string, string>).authorization).to.equal('ApiKey a2V5');
    expect(result).to.deep.equal({ hits: [{ productId: 'a', score: 3 }], hasMore: true });
  });

  it('fails loudly when the cluster answers an error', async () => {
    const es = new ElasticsearchSearch({
      url: 'https://es.example.test',
      index: 'products',
      fetch: async () => new Response('{"error":"index_not_found"}', { status: 404 }),
    });
    const error = await es.search({ text: 'sun', limit: 1, offset: 0 }).catch((e: unknown) => e);
    expect(String(error)).to.contain('404').and.to.contain('index_not_found');
  });
});
