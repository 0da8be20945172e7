/**
 * Migration 0049's `image_search`: exactly the ready images of published, ready, unblocked sets, with their
 * search document and their set's filter columns, and (0054) each image's ready search-result JSON, kept so by
 * triggers through every change that can add, remove or alter a row. After each change the table is compared
 * with that definition computed afresh.
 */
import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { migrateDown, migrateToLatest, type Database } from '../../core/catalog/index.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/tables.ts';
import { seedCatalog, type SeededProduct } from '../../app/api/dev/seed.ts';
import { itemSql } from '../../core/catalog/migrations/0054-image-search-items.ts';
import { settleImageReady } from '../../core/catalog/images.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

type Row = Record<string, unknown>;

/** What image_search must hold: the definition, read from the source tables. */
async function expected(db: Kysely<Database>): Promise<Row[]> {
  const { rows } = await sql<Row>`
    select i.id as image_id, i.product_id, i.position, i.title, i.search_document::text as document,
      p.kind, p.license, p.price_cents, p.family_id, p.contributor_id, ${sql.raw(itemSql)} as item
    from images i join products p on p.id = i.product_id
    join families f on f.id = p.family_id join contributors c on c.id = p.contributor_id
    where i.status = 'ready' and p.published and p.status = 'ready'
      and not exists (select 1 from product_blocks b where b.product_id = p.id)
    order by i.id`.execute(db);
  return rows;
}

async function actual(db: Kysely<Database>): Promise<Row[]> {
  const { rows } = await sql<Row>`
    select image_id, product_id, position, title, document::text as document, kind, license, price_cents, family_id, contributor_id, item
    from image_search left join image_search_items using (image_id) order by image_id`.execute(db);
  return rows;
}

describe('image_search rows (migrations 0049, 0054)', () => {
  let database: FreshDatabase;
  let db: Kysely<Database>;
  let weather: SeededProduct;
  let office: SeededProduct;
  let draft: SeededProduct;

  const titles = async () =>
    (await sql<{ title: string }>`select title from image_search order by title`.execute(db)).rows.map((row) => row.title);
  const inStep = async (what: string) => expect(await actual(db), what).to.deep.equal(await expected(db));

  before(async () => {
    database = await freshDatabase();
    db = database.db;
    [weather, office, draft] = (await seedCatalog(db, [
      { title: 'Weather Icons', imageTitles: ['Sun', 'Umbrella', 'Cloud'], imageTags: [['day'], ['rain'], []] },
      { title: 'Office Icons', imageTitles: ['Stapler', 'Printer'], familySlug: 'office' },
      { title: 'Draft Icons', imageTitles: ['Secret'], published: false },
    ])) as [SeededProduct, SeededProduct, SeededProduct];
  });

  after(async () => {
    await database?.destroy();
  });

  it('holds the ready images of visible sets once seeded, not those of an unpublished set', async () => {
    expect(await titles()).to.deep.equal(['Cloud', 'Printer', 'Stapler', 'Sun', 'Umbrella']);
    await inStep('seeded');
  });

  it('follows image renames, retags, moves and status changes, and image deletes', async () => {
    await db.updateTable('images').set({ title: 'Sunshine' }).where('id', '=', weather.imageIds[0]!).execute();
    await db.updateTable('images').set({ tags: ['parasol'] }).where('id', '=', weather.imageIds[1]!).execute();
    await db.updateTable('images').set({ position: 7 }).where('id', '=', weather.imageIds[2]!).execute();
    await inStep('renamed, retagged, moved');
    const document = await sql<{ found: boolean }>`
      select document @@ to_tsquery('english', 'parasol') as found from image_search where image_id = ${weather.imageIds[1]!}`.execute(db);
    expect(document.rows).to.deep.equal([{ found: true }]);
    await db.updateTable('images').set({ status: 'failed', failureReason: 'render failed' }).where('id', '=', office.imageIds[1]!).execute();
    expect(await titles()).to.not.include('Printer');
    await inStep('an image failed');
    await db.updateTable('images').set({ status: 'ready', failureReason: null }).where('id', '=', office.imageIds[1]!).execute();
    expect(await titles()).to.include('Printer');
    await db.deleteFrom('images').where('id', '=', weather.imageIds[2]!).execute();
    expect(await titles()).to.not.include('Cloud');
    await inStep('an image re-rendered and one deleted');
  });

  it("follows a set's publication, status, blocks and filter columns", async () => {
    await db.updateTable('products').set({ published: true }).where('id', '=', draft.productId).execute();
    expect(await titles()).to.include('Secret');
    await inStep('published');
    await db.updateTable('products').set({ status: 'failed' }).where('id', '=', draft.productId).execute();
    expect(await titles()).to.not.include('Secret');
    await inStep('set failed');

    const admin = await createAccount(apiDb(db), { role: 'admin', email: 'admin@example.test', password: 'correct horse battery', displayName: 'Admin' });
    await apiDb(db).insertInto('productBlocks').values({ productId: office.productId, reason: 'spam', blockedBy: admin.id }).execute();
    expect(await titles()).to.deep.equal(['Sunshine', 'Umbrella']);
    await inStep('blocked');
    await apiDb(db).deleteFrom('productBlocks').where('productId', '=', office.productId).execute();
    expect(await titles()).to.include.members(['Stapler', 'Printer']);
    await inStep('unblocked');

    const family = await db.selectFrom('families').select('id').where('slug', '=', 'office').executeTakeFirstOrThrow();
    // One column at a time: each must reach the rows on its own.
    const changes = [{ kind: 'illustration-set' as const }, { license: 'extended' as const }, { priceCents: 0 }, { familyId: family.id }];
    for (const change of changes) {
      await db.updateTable('products').set(change).where('id', '=', weather.productId).execute();
      await inStep(`set changed: ${JSON.stringify(change)}`);
    }
    const filters = await sql<Row>`select distinct kind, license, price_cents, family_id from image_search where product_id = ${weather.productId}`.execute(db);
    expect(filters.rows).to.deep.equal([{ kind: 'illustration-set', license: 'extended', priceCents: 0, familyId: family.id }]);
    await inStep('filter columns changed');
  });

  it("follows what an image's JSON shows: its size, its renditions, its set's title and price, family and contributor names", async () => {
    const item = async (imageId: string) =>
      // Stored open: the search appends the score and the closing brace.
      JSON.parse(`${(await sql<{ item: string }>`select item from image_search_items where image_id = ${imageId}`.execute(db)).rows[0]!.item}}`);
    const sun = weather.imageIds[0]!;
    await db.updateTable('images').set({ width: 48, height: 32 }).where('id', '=', sun).execute();
    expect(await item(sun)).to.include({ width: 48, height: 32 });
    await inStep('image resized');
    await db.updateTable('products').set({ title: 'Weather Glyphs' }).where('id', '=', weather.productId).execute();
    expect((await item(sun)).set.title).to.equal('Weather Glyphs');
    await inStep('set renamed');
    await db.updateTable('products').set({ priceCents: 1200, currency: 'EUR' }).where('id', '=', weather.productId).execute();
    expect((await item(sun)).set.price).to.deep.equal({ amount: 1200, currency: 'EUR' });
    await db.updateTable('products').set({ currency: 'GBP' }).where('id', '=', weather.productId).execute();
    expect((await item(sun)).set.price).to.deep.equal({ amount: 1200, currency: 'GBP' });
    await inStep('set repriced');

    const { familyId, contributorId } = await db.selectFrom('products').select(['familyId', 'contributorId']).where('id', '=', weather.productId).executeTakeFirstOrThrow();
    await db.updateTable('families').set({ title: 'Glyphs' }).where('id', '=', familyId).execute();
    expect((await item(sun)).family.title).to.equal('Glyphs');
    await db.updateTable('families').set({ slug: 'glyphs' }).where('id', '=', familyId).execute();
    expect((await item(sun)).family.slug).to.equal('glyphs');
    await inStep('family renamed');
    await db.updateTable('contributors').set({ displayName: 'Glyph Studio' }).where('id', '=', contributorId).execute();
    expect((await item(sun)).contributor.displayName).to.equal('Glyph Studio');
    await db.updateTable('contributors').set({ slug: 'glyph-studio' }).where('id', '=', contributorId).execute();
    expect((await item(sun)).contributor.slug).to.equal('glyph-studio');
    await inStep('contributor renamed');

    const renditions = () => db.selectFrom('renditions').select(['size', 'format', 'objectKey']).where('imageId', '=', sun).orderBy('size', 'desc').orderBy('format').execute();
    expect((await item(sun)).renditions.map((r: { url: string }) => r.url)).to.deep.equal((await renditions()).map((r) => r.objectKey));
    await db.updateTable('renditions').set({ objectKey: 'previews/moved.png' }).where('imageId', '=', sun).where('size', '=', 256).where('format', '=', 'png').execute();
    expect((await item(sun)).renditions.map((r: { url: string }) => r.url)).to.include('previews/moved.png');
    await inStep('rendition moved');
    await db.deleteFrom('renditions').where('imageId', '=', sun).where('size', '=', 64).execute();
    expect((await item(sun)).renditions).to.have.length(2);
    await inStep('renditions deleted');
    await db.insertInto('renditions').values({ imageId: sun, size: 32, format: 'png', objectKey: 'previews/32.png', width: 32, height: 32, bytes: 10 }).execute();
    expect((await item(sun)).renditions.map((r: { size: number }) => r.size)).to.deep.equal([256, 256, 32]);
    await inStep('rendition added');

    // The pipeline's settlement: the image becomes ready and its renditions are written in one statement.
    const umbrella = weather.imageIds[1]!;
    await db.updateTable('images').set({ status: 'pending' }).where('id', '=', umbrella).execute();
    await inStep('image pending again');
    const rendered = [256, 64].map((size) => ({ size, format: 'webp' as const, objectKey: `previews/rerendered-${size}.webp`, width: size, height: size, bytes: 10 }));
    await settleImageReady(db, umbrella, rendered);
    expect((await item(umbrella)).renditions.map((r: { url: string }) => r.url)).to.include.members(rendered.map((r) => r.objectKey));
    await inStep('image settled ready with its renditions');
  });

  it('adds the images of a new visible set in the statement that inserts them', async () => {
    await seedCatalog(db, [{ title: 'Travel Icons', imageTitles: ['Plane', 'Suitcase'] }]);
    expect(await titles()).to.include.members(['Plane', 'Suitcase']);
    await inStep('new set');
  });

  it('is filled from an existing catalog when applied, and dropped when undone', async () => {
    const own = await freshDatabase();
    try {
      await seedCatalog(own.db, [{ title: 'Lighthouse Keepers', imageTitles: ['Foghorn', 'Lamp'] }]);
      const withItems = await actual(own.db);
      expect(withItems.map((row) => JSON.parse(`${row.item as string}}`).title)).to.have.members(['Foghorn', 'Lamp']);
      expect(withItems).to.deep.equal(await expected(own.db));
      // Undo the later migrations too, down to and including 0049.
      for (let undone = await migrateDown(own.db); undone !== '0049-image-search-rows'; undone = await migrateDown(own.db)) {
        expect(undone !== undefined && undone > '0049-image-search-rows', `${undone} comes after 0049`).to.equal(true);
      }
      const gone = await sql<{ name: string | null }>`select to_regclass('image_search')::text as name`.execute(own.db);
      expect(gone.rows[0]!.name).to.equal(null);
      expect((await migrateToLatest(own.db))[0]).to.equal('0049-image-search-rows');
      expect(await actual(own.db)).to.have.length(2);
      expect(await actual(own.db)).to.deep.equal(await expected(own.db));
    } finally {
      await own.destroy();
    }
  });
});
