/**
 * Stored summaries (migration 0008): after every kind of write that changes what a summary shows, the stored
 * text must equal the summary the API builds in JavaScript from the tables (`presentProducts`).
 */
import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { apiDb } from '../../app/api/tables.ts';
import { presentProducts, productRows } from '../../app/api/catalog/products.ts';
import { AssetUrls } from '../../app/api/catalog/urls.ts';
import { listPageJson } from '../../app/api/catalog/summary-json.ts';
import { migrateDown, migrateToLatest, type Database } from '../../core/catalog/index.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

const urls = new AssetUrls('https://assets.example.test/');

describe('api stored summaries (migration 0008)', () => {
  let database: FreshDatabase;
  let db: Kysely<Database>;
  let ids: string[];
  let imageIds: string[];

  before(async () => {
    database = await freshDatabase();
    db = database.db;
    const seeded = await seedCatalog(db, [
      { title: 'Harbour Lights', tags: ['sea'], familySlug: 'harbour', imageTitles: ['Lighthouse', 'Buoy', 'Anchor'] },
      { title: 'Other Set', familySlug: 'other' },
    ]);
    ids = seeded.map((set) => set.productId);
    imageIds = seeded[0]!.imageIds;
  });
  after(() => database.destroy());

  /** The stored summary with URLs completed as the list route completes them, and the JavaScript one. */
  async function storedAndBuilt(id: string) {
    const { rows } = await sql<{ summary: string }>`select summary from product_summaries where product_id = ${id}`.execute(db);
    const stored = rows[0] && JSON.parse(rows[0].summary.replaceAll('"url" : "', `"url" : "${urls.base}/`));
    const built = await productRows(apiDb(db)).where('p.id', '=', id).execute();
    return { stored, built: JSON.parse(JSON.stringify(presentProducts(urls, built)))[0] };
  }

  async function expectCurrent(id = ids[0]!) {
    const { stored, built } = await storedAndBuilt(id);
    expect(built, 'the set exists').to.be.an('object');
    expect(stored).to.deep.equal(built);
    return stored;
  }

  it('stores a summary for every set written, cover and renditions included', async () => {
    const summary = await expectCurrent();
    expect(summary.cover.title).to.equal('Lighthouse');
    expect(summary.cover.renditions).to.have.length(4);
    await expectCurrent(ids[1]);
  });

  it('follows writes to the set, its cover and the cover’s renditions', async () => {
    await db.updateTable('products').set({ title: 'Harbour Nights', priceCents: 900, currency: 'EUR' }).where('id', '=', ids[0]!).execute();
    expect((await expectCurrent()).title).to.equal('Harbour Nights');
    await db.updateTable('images').set({ title: 'Beacon' }).where('id', '=', imageIds[0]!).execute();
    expect((await expectCurrent()).cover.title).to.equal('Beacon');
    await db.deleteFrom('renditions').where('imageId', '=', imageIds[0]!).where('format', '=', 'webp').execute();
    expect((await expectCurrent()).cover.renditions.map((r: { format: string }) => r.format)).to.deep.equal(['png', 'png']);
    await db.updateTable('renditions').set({ objectKey: sql`object_key || '.v2'` }).where('imageId', '=', imageIds[0]!).execute();
    expect((await expectCurrent()).cover.renditions[0].url).to.match(/\.v2$/);
  });

  it('follows the cover moving away from position 0 and another taking its place', async () => {
    await db.updateTable('images').set({ position: 9 }).where('id', '=', imageIds[0]!).execute();
    expect((await expectCurrent()).cover).to.equal(null);
    await db.updateTable('images').set({ position: 0 }).where('id', '=', imageIds[1]!).execute();
    expect((await expectCurrent()).cover.title).to.equal('Buoy');
    await db.deleteFrom('images').where('id', '=', imageIds[1]!).execute();
    expect((await expectCurrent()).cover).to.equal(null);
  });

  it('follows family and contributor renames, and blocks', async () => {
    const product = await db.selectFrom('products').select(['familyId', 'contributorId']).where('id', '=', ids[0]!).executeTakeFirstOrThrow();
    await db.updateTable('families').set({ title: 'Harbours & Ports' }).where('id', '=', product.familyId).execute();
    expect((await expectCurrent()).family.title).to.equal('Harbours & Ports');
    await db.updateTable('contributors').set({ displayName: 'Studio "North"' }).where('id', '=', product.contributorId).execute();
    expect((await expectCurrent()).contributor.displayName).to.equal('Studio "North"');
    await expectCurrent(ids[1]);

    const admin = await createAccount(apiDb(db), { email: 'admin@example.test', password: 'a long enough password', displayName: 'Admin', role: 'admin' });
    await sql`insert into product_blocks (product_id, reason, blocked_by) values (${ids[0]}, 'test', ${admin.id})`.execute(db);
    expect((await expectCurrent()).blocked).to.equal(true);
    await sql`delete from product_blocks where product_id = ${ids[0]}`.execute(db);
    expect((await expectCurrent()).blocked).to.equal(false);
  });

  it('lists from stored summaries with full rendition URLs', async () => {
    const page = await listPageJson(apiDb(db), { filters: {}, sort: 'title', limit: 24, assetsBase: urls.base });
    const items = JSON.parse(page.itemsJson);
    expect(items.map((item: { id: string }) => item.id)).to.deep.equal(ids);
    expect(items[1].cover.renditions[0].url).to.equal(urls.of(items[1].cover.renditions[0].url.slice(urls.base.length + 1)));
    expect(items[1].cover.renditions[0].url.startsWith(`${urls.base}/`)).to.equal(true);
  });

  it('is undone by its down migration and backfilled when applied to an existing catalog', async () => {
    // Down to 0008, whatever later migrations exist.
    for (let name = await migrateDown(db); name !== '0008-product-summaries'; name = await migrateDown(db)) {
      expect(name, 'ran down past every migration').not.to.equal(undefined);
    }
    const { rows } = await sql<{ exists: string | null }>`select to_regclass('product_summaries')::text as exists`.execute(db);
    expect(rows[0]!.exists).to.equal(null);
    await db.updateTable('products').set({ title: 'Renamed while summaries were gone' }).where('id', '=', ids[1]!).execute();
    expect(await migrateToLatest(db)).to.include('0008-product-summaries');
    expect((await expectCurrent(ids[1])).title).to.equal('Renamed while summaries were gone');
    await expectCurrent();
  });

  it('drops the summary with its set', async () => {
    await db.deleteFrom('products').where('id', '=', ids[1]!).execute();
    expect((await storedAndBuilt(ids[1]!)).stored).to.equal(undefined);
  });
});
