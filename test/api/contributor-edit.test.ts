/**
 * A contributor edits a published set after upload (price, licence, tags, image titles and tags) and the
 * storefront's cached lists and searches show it on the next request.
 */
import { expect } from 'chai';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import type { ApiClient } from './client.ts';
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
});
