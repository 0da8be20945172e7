/**
 * The image page's API on real PostgreSQL and s3rver: neighbours in the set, related images from visible
 * sets only, and Copy SVG (the sanitised original) for free sets and for accounts allowed to download.
 */
import { expect } from 'chai';
import { sql } from 'kysely';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { RELATED_CANDIDATES } from '../../app/api/catalog/image-page.ts';
import { apiDb } from '../../app/api/tables.ts';
import { iconSvg } from '../fixtures/svgs.ts';
import type { ApiClient } from './client.ts';
import { startImageStack, type ImageStack } from './image-stack.ts';

describe('api image page: neighbours, related images, Copy SVG', function () {
  let stack: ImageStack;
  let weather: { productId: string; imageIds: string[] };
  let summer: { productId: string; imageIds: string[] };
  let hidden: { productId: string; imageIds: string[] };
  let buyer: ApiClient;

  before(async function () {
    this.timeout(60_000);
    stack = await startImageStack();
    const seeded = await seedCatalog(stack.db, [
      { title: 'Weather Line', imageTitles: ['Sun', 'Cloud Rain', 'Bright Sun', 'Snowflake'] },
      { title: 'Summer Free', imageTitles: ['Sun Hat', 'Beach Ball'] },
      { title: 'Hidden Drafts', imageTitles: ['Sun Sketch'], published: false },
    ]);
    [weather, summer, hidden] = [seeded[0]!, seeded[1]!, seeded[2]!];
    await sql`update products set price_cents = 0, currency = null, license = 'free' where id = ${summer.productId}`.execute(stack.db);
    await sql`update images set tags = '{sun,weather}' where id = ${weather.imageIds[0]}`.execute(stack.db);
    await sql`update images set tags = '{weather}' where id = ${weather.imageIds[1]}`.execute(stack.db);
    await sql`update images set tags = '{summer}' where id = ${summer.imageIds[0]}`.execute(stack.db);
    for (const set of [weather, summer, hidden]) {
      for (const [index, imageId] of set.imageIds.entries()) await stack.putOriginal(set.productId, imageId, iconSvg(index));
    }
    buyer = await stack.signUp('buyer', 'buyer-one');
  });
  after(async function () {
    this.timeout(30_000);
    await stack?.stop();
  });

  it('gives an image its neighbours in manifest order, none before the first or after the last', async () => {
    const second = await stack.anonymous().get(`/api/images/${weather.imageIds[1]}`);
    expect(second.status).to.equal(200);
    expect(second.json.neighbours.previous.id).to.equal(weather.imageIds[0]);
    expect(second.json.neighbours.next.id).to.equal(weather.imageIds[2]);
    expect(second.json.product.family).to.include({ slug: 'general', title: 'General' });
    expect(second.json.downloads).to.deep.include({ svg: true, pngSizes: [64, 256], webpSizes: [64, 256] });
    const first = await stack.anonymous().get(`/api/images/${weather.imageIds[0]}`);
    expect(first.json.neighbours.previous).to.equal(null);
    const last = await stack.anonymous().get(`/api/images/${weather.imageIds[3]}`);
    expect(last.json.neighbours.next).to.equal(null);
  });

  it('relates images by shared tags and title words, most shared first, from visible sets only', async () => {
    const res = await stack.anonymous().get(`/api/images/${weather.imageIds[0]}/related`);
    expect(res.status).to.equal(200);
    const items: Array<{ id: string; title: string; shared: number; setTitle: string }> = res.json.items;
    // "Sun" (tags sun, weather): Cloud Rain shares "weather"; Bright Sun and Sun Hat share "sun".
    // The hidden set's "Sun Sketch" and the image itself never appear; Snowflake and Beach Ball share nothing.
    expect(items.map((item) => [item.title, item.shared])).to.deep.equal([
      ['Sun Hat', 1],
      ['Cloud Rain', 1],
      ['Bright Sun', 1],
    ]);
    expect(items[0]!.setTitle).to.equal('Summer Free');
    const limited = await stack.anonymous().get(`/api/images/${weather.imageIds[0]}/related?limit=1`);
    expect(limited.json.items).to.have.length(1);
    const tooMany = await stack.anonymous().get(`/api/images/${weather.imageIds[0]}/related?limit=49`);
    expect(tooMany.status).to.equal(400);
    expect(tooMany.json.error.issues).to.deep.equal([{ path: 'query.limit', message: 'Too big: expected number to be <=48' }]);
  });

  it('ranks an image sharing two keywords above those sharing one', async () => {
    // "sun" is already a title word of Bright Sun: as a tag too it still counts once; "weather" adds one.
    await sql`update images set tags = '{sun,weather}' where id = ${weather.imageIds[2]}`.execute(stack.db);
    const again = await stack.anonymous().get(`/api/images/${weather.imageIds[0]}/related`);
    expect(again.json.items[0]).to.include({ title: 'Bright Sun', shared: 2 });
  });

  it('keeps visible related images when hidden sets hold more images sharing the word than it ranks', async function () {
    this.timeout(60_000);
    // More hidden "Sun …" images than the candidates the ranking looks at (unpublished: never reviewed).
    await seedCatalog(
      stack.db,
      Array.from({ length: 12 }, (_, s) => ({ title: `Sun spam ${s}`, published: false, imageTitles: Array.from({ length: RELATED_CANDIDATES / 10 }, (_, i) => `Sun ${s}-${i}`) })),
    );
    // Rewritten rows go after the hidden ones in the table, as rows edited after a flood of uploads would.
    await sql`update images set title = title || '' where product_id in (${weather.productId}, ${summer.productId})`.execute(stack.db);
    const items: Array<{ title: string }> = (await stack.anonymous().get(`/api/images/${weather.imageIds[0]}/related`)).json.items;
    expect(items.map((item) => item.title)).to.have.members(['Bright Sun', 'Sun Hat', 'Cloud Rain']);
  });

  it('hides related images and the page of an image in a set nobody may see', async () => {
    expect((await stack.anonymous().get(`/api/images/${hidden.imageIds[0]}`)).status).to.equal(404);
    expect((await stack.anonymous().get(`/api/images/${hidden.imageIds[0]}/related`)).status).to.equal(404);
    expect((await stack.anonymous().get(`/api/images/${hidden.imageIds[0]}/svg`)).status).to.equal(404);
  });

  it('copies the sanitised SVG of a free set for anyone, as an attachment that cannot run as a page', async () => {
    const page = await stack.anonymous().get(`/api/images/${summer.imageIds[0]}`);
    expect(page.json.downloads.copySvg).to.equal(true);
    const res = await stack.anonymous().get(`/api/images/${summer.imageIds[0]}/svg`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('image/svg+xml; charset=utf-8');
    expect(res.headers.get('content-security-policy')).to.equal("default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox");
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="image-0\.svg"/);
    const stored = await stack.store.getOriginal(`originals/${summer.productId}/${summer.imageIds[0]}.svg`);
    expect(res.json).to.equal(stored.toString('utf8'));
  });

  it('copies a paid set only for an account allowed to download it, and logs the copy', async () => {
    const anonymousPage = await stack.anonymous().get(`/api/images/${weather.imageIds[0]}`);
    expect(anonymousPage.json.downloads.copySvg).to.equal(false);
    const refused = await stack.anonymous().get(`/api/images/${weather.imageIds[0]}/svg`);
    expect(refused.status).to.equal(403);
    expect(refused.json.error).to.deep.equal({ code: 'forbidden', message: 'Buy this set to copy its SVG.' });

    // A signed-in buyer without an entitlement is refused too (canDownload: the download rule).
    expect((await buyer.get(`/api/images/${weather.imageIds[0]}`)).json.downloads.copySvg).to.equal(false);
    expect((await buyer.get(`/api/images/${weather.imageIds[0]}/svg`)).status).to.equal(403);

    const admin = stack.anonymous();
    await createAccount(apiDb(stack.db), { role: 'admin', email: 'admin@example.test', password: 'correct horse battery staple', displayName: 'Admin' });
    expect((await admin.post('/api/auth/signin', { email: 'admin@example.test', password: 'correct horse battery staple' })).status).to.equal(200);
    expect((await admin.get(`/api/images/${weather.imageIds[0]}`)).json.downloads.copySvg).to.equal(true);
    const copied = await admin.get(`/api/images/${weather.imageIds[0]}/svg`);
    expect(copied.status).to.equal(200);
    expect(copied.json).to.match(/^<svg /);
    const logged = await admin.get('/api/me/downloads');
    expect(logged.json.items.map((row: { imageId: string; format: string }) => [row.imageId, row.format])).to.deep.equal([[weather.imageIds[0], 'svg']]);
  });
});
