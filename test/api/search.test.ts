import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateDown, migrateToLatest, type Database } from '../../core/catalog/index.ts';
import { createApiDb } from '../../app/api/database.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { apiDb } from '../../app/api/tables.ts';
import { buildImageSearchBody, buildSearchBody, correctedTextOf, ElasticsearchSearch } from '../../app/api/search/elasticsearch.ts';
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

  /** Each jdbc input's statement in app/search/logstash.conf, runnable from the start of time. */
  const logstashStatements = async () => {
    const conf = await readFile(new URL('../../app/search/logstash.conf', import.meta.url), 'utf8');
    return [...conf.matchAll(/statement => "([^"]+)"/g)].map((match) => match[1]!.replaceAll(':sql_last_value', "'1970-01-01T00:00:00Z'"));
  };
  /** Rows as Logstash sees them: a plain client, column names not camel-cased. */
  const logstashRows = async (statement: string) => {
    const client = new pg.Client(database.connectionString);
    await client.connect();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (await client.query<Record<string, any>>(statement).finally(() => client.end())).rows;
  };
  /** The fields a row becomes in Elasticsearch: `x_json` columns are parsed into `x` by the pipeline's filters. */
  const indexedFields = (row: Record<string, unknown>) => Object.keys(row).map((column) => column.replace(/_json$/, ''));
  const mappedFields = async () => {
    const template = JSON.parse(await readFile(new URL('../../app/search/products-template.json', import.meta.url), 'utf8'));
    return template.template.mappings.properties as Record<string, { fields?: Record<string, unknown> }>;
  };

  it("Logstash's statements run on the search views, sets and images, and mark unpublished rows for deletion", async () => {
    const statements = await logstashStatements();
    expect(statements).to.have.length(2);
    const [setRows, imageRows] = await Promise.all(statements.map(logstashRows));
    const byId = new Map(setRows!.map((row) => [row.id, row]));
    expect(byId.get(ids.hidden!)!.searchable).to.equal(false);
    expect(byId.get(ids.weather!)!.searchable).to.equal(true);
    expect(byId.get(ids.weather!)!.doc_type).to.equal('set');
    expect(JSON.parse(byId.get(ids.office!)!.image_titles_json)).to.deep.equal(['Stapler', 'Umbrella stand']);
    expect(JSON.parse(byId.get(ids.weather!)!.tags_json)).to.deep.equal(['forecast', 'sun']);

    const images = imageRows!.filter((row) => row.product_id === ids.office).sort((a, b) => a.position - b.position);
    expect(images.map((row) => [row.title, row.doc_type, row.position, row.searchable, row.product_title])).to.deep.equal([
      ['Stapler', 'image', 0, true, 'Office Essentials'],
      ['Umbrella stand', 'image', 1, true, 'Office Essentials'],
    ]);
    expect(JSON.parse(images[0]!.product_tags_json)).to.deep.equal(['work']);
    expect(imageRows!.filter((row) => row.product_id === ids.hidden).map((row) => row.searchable)).to.deep.equal([false]);

    // Every column Logstash sends must be mapped: the index mapping is strict.
    const mapped = Object.keys(await mappedFields());
    for (const rows of [setRows!, imageRows!]) expect(indexedFields(rows[0]!).filter((field) => !mapped.includes(field))).to.deep.equal([]);
  });

  it("Logstash finds an image again when it or its set changes, through the tables' updated_at", async () => {
    const [, imageStatement] = await logstashStatements();
    const since = (await sql<{ now: string }>`select (now() + interval '5 minutes')::text as now`.execute(database.db)).rows[0]!.now;
    const changedSince = (at: string) => logstashRows(imageStatement!.replaceAll("'1970-01-01T00:00:00Z'", `'${at}'`));
    expect(await changedSince(since)).to.deep.equal([]);
    // Publishing a set (which bumps products.updated_at) re-sends its images; the 5-minute overlap is undone
    // by reading from 5 minutes ahead.
    await sql`update products set updated_at = now() + interval '6 minutes' where id = ${ids.storm!}`.execute(database.db);
    expect((await changedSince(since)).map((row) => row.product_id)).to.deep.equal([ids.storm]);
    await sql`update products set updated_at = now() where id = ${ids.storm!}`.execute(database.db);
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

  it('searches, filters and sorts only on fields the index template maps, for sets and images', async () => {
    const template = JSON.parse(await readFile(new URL('../../app/search/products-template.json', import.meta.url), 'utf8'));
    const props = template.template.mappings.properties;
    const expectMapped = (field: string) => {
      const [root, sub] = field.replace(/\^[\d.]+$/, '').split('.');
      expect(props, field).to.have.property(root!);
      if (sub) expect(props[root!].fields, field).to.have.property(sub);
    };
    const bodies = [
      buildSearchBody({ text: 'x', kind: 'icon-set', license: 'free', limit: 1, offset: 0 }),
      buildImageSearchBody({ text: 'x', exact: false, kind: 'icon-set', license: 'free', price: 'paid', familyId: 'f', contributorSlug: 'c', limit: 1, offset: 0 }),
    ] as any[];
    for (const body of bodies) {
      for (const clause of body.query.bool.should) for (const field of clause.multi_match.fields as string[]) expectMapped(field);
      for (const clause of [...body.query.bool.filter, ...(body.query.bool.must_not ?? [])]) {
        for (const field of Object.keys(clause.term ?? clause.range)) expectMapped(field);
      }
      for (const sort of body.sort) if (typeof sort === 'object') for (const field of Object.keys(sort)) expectMapped(field);
      if (body.suggest) expectMapped(body.suggest.words.term.field);
    }
  });

  it('searches images only for icon results, sets only (old documents have no doc_type) for set results', () => {
    const images = buildImageSearchBody({ text: 'umbrela', exact: false, price: 'free', limit: 24, offset: 24 }) as any;
    expect(images.query.bool.filter).to.deep.equal([{ term: { searchable: true } }, { term: { doc_type: 'image' } }, { term: { price_cents: 0 } }]);
    expect(images.query.bool.should.some((clause: any) => clause.multi_match.fuzziness === 'AUTO')).to.equal(true);
    expect(images.suggest.words.term).to.include({ field: 'title', suggest_mode: 'missing' });
    const exact = buildImageSearchBody({ text: 'umbrela', exact: true, limit: 24, offset: 0 }) as any;
    expect(exact.query.bool.should.some((clause: any) => 'fuzziness' in clause.multi_match)).to.equal(false);
    expect(exact).to.not.have.property('suggest');
    const sets = buildSearchBody({ text: 'x', limit: 1, offset: 0 }) as any;
    expect(sets.query.bool.must_not).to.deep.equal([{ term: { doc_type: 'image' } }]);
  });

  it('names the corrected words from the term suggester, at their place in the typed text', () => {
    const suggest = { words: [
      { text: 'umbrela', offset: 0, length: 7, options: [{ text: 'umbrella' }] },
      { text: 'red', offset: 8, length: 3, options: [] },
    ] };
    expect(correctedTextOf('umbrela red', suggest)).to.equal('umbrella red');
    expect(correctedTextOf('umbrella', { words: [{ text: 'umbrella', offset: 0, length: 8, options: [] }] })).to.equal(null);
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

  it('reads image hits and the correction from one _search; suggestions from a size-0 suggest request', async () => {
    const bodies: any[] = [];
    const es = new ElasticsearchSearch({
      url: 'https://es.example.test',
      index: 'products',
      fetch: async (_url, init) => {
        const body = JSON.parse(String(init!.body));
        bodies.push(body);
        const words = [{ text: 'umbrela', offset: 0, length: 7, options: [{ text: 'umbrella' }, { text: 'umbrel' }] }];
        return Response.json({ hits: { hits: body.size === 0 ? [] : [{ _id: 'i1', _score: 2 }] }, suggest: { words } });
      },
    });
    const found = await es.searchImages({ text: 'umbrela', exact: false, limit: 24, offset: 0 });
    expect(found).to.deep.equal({ hits: [{ imageId: 'i1', score: 2 }], hasMore: false, correctedText: 'umbrella' });
    expect(await es.suggest('umbrela', 6)).to.deep.equal(['umbrella', 'umbrel']);
    expect(bodies[1]).to.deep.equal({ size: 0, suggest: { text: 'umbrela', words: { term: { field: 'title', suggest_mode: 'always', min_word_length: 3, size: 3 } } } });
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
