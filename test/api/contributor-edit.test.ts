/**
 * A contributor edits a published set after upload (price, licence, tags, image titles and tags) and the
 * storefront's cached lists and searches show it on the next request; not while an admin blocks the set.
 */
import { expect } from 'chai';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { apiDb } from '../../app/api/tables.ts';
import { ApiClient } from './client.ts';
import { startImageStack, type ImageStack } from './image-stack.ts';

describe('api contributor edits reach the storefront at once', function () {
  let stack: ImageStack;
  let owner: ApiClient;
  let rival: ApiClient;
  let set: { productId: string; imageIds: string[] };

  before(async function () {
    this.timeout(60_000);
    stack = await startImageStack({ catalogCache: true });
    owner = await stack.signUp('contributor', 'studio-north');
    rival = await stack.signUp('contributor', 'studio-south');
    const me = await owner.get('/api/auth/me');
    set = (await seedCatalog(stack.db, [{ title: 'Harbour Line Icons', imageTitles: ['Anchor', 'Buoy'] }], { id: me.json.account.contributor.id }))[0]!;
  });
  after(async function () {
    this.timeout(30_000);
    await stack?.stop();
  });

  const searchHit = async (q: string) => (await stack.anonymous().get(`/api/search?type=sets&q=${encodeURIComponent(q)}`)).json.items.find((item: { id: string }) => item.id === set.productId);

  it('changes price and licence: search and lists show them on the next request', async () => {
    expect((await searchHit('harbour')).price).to.deep.equal({ amount: 900, currency: 'USD' });
    expect((await stack.anonymous().get('/api/products?license=free')).json.items).to.deep.equal([]);

    const res = await owner.patch(`/api/products/${set.productId}`, { price: { amount: 1500, currency: 'EUR' }, license: 'extended' });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    expect(res.json.product).to.include({ license: 'extended' });
    expect(res.json.product.price).to.deep.equal({ amount: 1500, currency: 'EUR' });
    expect(await searchHit('harbour')).to.deep.include({ license: 'extended', price: { amount: 1500, currency: 'EUR' } });

    await owner.patch(`/api/products/${set.productId}`, { price: null, license: 'free' });
    expect((await searchHit('harbour')).price).to.equal(null);
    expect((await stack.anonymous().get('/api/products?license=free')).json.items.map((item: { id: string }) => item.id)).to.deep.equal([set.productId]);
  });

  it('renames an image and retags it: search finds the set by the new title at once', async () => {
    expect(await searchHit('lighthouse')).to.equal(undefined);
    const res = await owner.patch(`/api/products/${set.productId}/images/${set.imageIds[1]}`, { title: 'Lighthouse', tags: ['Coast', 'coast', 'light'] });
    expect(res.status).to.equal(200);
    expect(res.json.image).to.include({ title: 'Lighthouse' });
    expect(res.json.image.tags).to.deep.equal(['coast', 'light']);
    expect(await searchHit('lighthouse')).to.not.equal(undefined);
    const page = await stack.anonymous().get(`/api/images/${set.imageIds[1]}`);
    expect(page.json.image).to.deep.include({ title: 'Lighthouse', tags: ['coast', 'light'] });
  });

  it('rejects bad prices and licences with exact reasons, and other contributors', async () => {
    const bad = await owner.patch(`/api/products/${set.productId}`, { price: { amount: 100_001, currency: 'usd' }, license: 'gpl' });
    expect(bad.status).to.equal(400);
    expect(bad.json.error.issues).to.deep.equal([
      { path: 'body.license', message: 'Invalid option: expected one of "free"|"standard"|"extended"' },
      { path: 'body.price.amount', message: 'Too big: expected number to be <=100000' },
      { path: 'body.price.currency', message: '"usd" is not an ISO 4217 currency code; write it in capitals: "USD"' },
    ]);
    const theirs = await rival.patch(`/api/products/${set.productId}`, { price: null });
    expect(theirs.status).to.equal(403);
    const image = await rival.patch(`/api/products/${set.productId}/images/${set.imageIds[0]}`, { title: 'Mine' });
    expect(image.status).to.equal(403);
  });

  it('refuses edits and retries of a set an admin blocked, saying why, and takes them again once the block is lifted', async () => {
    await createAccount(apiDb(stack.db), { email: 'edit-admin@example.test', password: 'admin password 123', displayName: 'Admin', role: 'admin' });
    const admin = new ApiClient(stack.url);
    expect((await admin.post('/api/auth/signin', { email: 'edit-admin@example.test', password: 'admin password 123' })).status).to.equal(200);
    expect((await admin.post(`/api/admin/products/${set.productId}/block`, { reason: 'stolen artwork' })).status).to.equal(200);
    const titles = async () => (await stack.db.selectFrom('images').select('title').where('productId', '=', set.productId).orderBy('title').execute()).map((r) => r.title);
    const [titleBefore, imagesBefore] = [(await owner.get(`/api/products/${set.productId}`)).json.product.title, await titles()];

    const message = 'An admin blocked this set; it cannot be edited while it is blocked. Ask the marketplace to review the block.';
    const edit = await owner.patch(`/api/products/${set.productId}`, { title: 'Innocent Icons', price: { amount: 100, currency: 'USD' } });
    expect([edit.status, edit.json.error.code, edit.json.error.message]).to.deep.equal([409, 'invalid_state', message]);
    const image = await owner.patch(`/api/products/${set.productId}/images/${set.imageIds[0]}`, { title: 'Innocent' });
    expect([image.status, image.json.error.message]).to.deep.equal([409, message]);
    const retry = await owner.post(`/api/products/${set.productId}/retry`, {});
    expect([retry.status, retry.json.error.message]).to.deep.equal([409, message]);
    expect((await owner.get(`/api/products/${set.productId}`)).json.product.title).to.equal(titleBefore);
    expect(await titles()).to.deep.equal(imagesBefore);

    expect((await admin.delete(`/api/admin/products/${set.productId}/block`)).status).to.equal(200);
    expect((await owner.patch(`/api/products/${set.productId}/images/${set.imageIds[0]}`, { title: 'Anchor Again' })).status).to.equal(200);
  });
});
