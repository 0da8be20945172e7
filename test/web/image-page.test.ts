/**
 * The image page in a real browser (Debian's Chromium) against the real stack: from a set to an image, its
 * breadcrumb, previous/next and related icons; then a customised (recoloured) PNG downloaded through the
 * page, whose pixels are checked with sharp.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { validIconSetZip } from '../fixtures/uploads.ts';
import { startMarketplace, verifyAddress, type Marketplace } from './stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('image page in Chromium: related icons and a recoloured download', function () {
  let market: Marketplace;
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  let productId: string;
  /** The set's image titles in manifest order. */
  let titles: string[];
  const pageErrors: string[] = [];

  before(async function () {
    this.timeout(900_000);
    market = await startMarketplace({ previewDelaySeconds: 1 });
    profile = await mkdtemp(path.join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));

    // A contributor's set, uploaded and published over the API (the upload UI has its own test).
    const api = context.request;
    const signUp = await api.post(`${market.url}/api/auth/signup`, {
      data: { email: 'ada@example.com', password: 'correct horse battery staple', displayName: 'Ada Lines', role: 'contributor', slug: 'ada-lines' },
    });
    // Sign-up answers 202 without a session (issue 14); the new, unverified account signs in.
    expect(signUp.status()).to.equal(202);
    expect((await api.post(`${market.url}/api/auth/signin`, { data: { email: 'ada@example.com', password: 'correct horse battery staple' } })).status()).to.equal(200);
    // Uploading needs the confirmed address: the link the sign-up mailed.
    await verifyAddress(market, 'ada@example.com');
    const { draft, upload } = await (await api.post(`${market.url}/api/drafts`, { data: {} })).json();
    const posted = await api.post(upload.url, {
      multipart: { ...upload.fields, file: { name: 'set.zip', mimeType: 'application/zip', buffer: await validIconSetZip(6) } },
    });
    expect(posted.status()).to.equal(204);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { draft: now } = await (await api.get(`${market.url}/api/drafts/${draft.id}`)).json();
      if (now.state === 'ready') break;
      if (now.state === 'rejected' || now.state === 'failed' || Date.now() > deadline) throw new Error(`the set did not become ready: ${JSON.stringify(now)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    productId = draft.productId;
    // Free, so the buyer below may download it (buying a paid set: test/web/buying.test.ts).
    expect((await api.patch(`${market.url}/api/products/${productId}`, { data: { license: 'free', price: null } })).status()).to.equal(200);
    expect((await api.post(`${market.url}/api/products/${productId}/publish`, { data: {} })).status()).to.equal(200);
    titles = (await (await api.get(`${market.url}/api/products/${productId}/images`)).json()).items.map((image: { title: string }) => image.title);
    expect(titles).to.have.length(6);
    // A buyer downloads: signing in replaces the contributor's session in this browser.
    const buyer = await api.post(`${market.url}/api/auth/signup`, {
      data: { email: 'bo@example.com', password: 'correct horse battery staple', displayName: 'Bo Buyer', role: 'buyer' },
    });
    expect(buyer.status()).to.equal(202);
    expect((await api.post(`${market.url}/api/auth/signin`, { data: { email: 'bo@example.com', password: 'correct horse battery staple' } })).status()).to.equal(200);
  });

  after(async function () {
    this.timeout(60_000);
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await market?.stop();
  });

  it('leads from a set to an image, its breadcrumb, previous/next and related icons', async function () {
    this.timeout(60_000);
    await page.goto(`${market.url}/sets/${productId}`);
    await page.locator('.preview-grid a').first().click();
    await page.waitForURL('**/images/**');
    await page.getByRole('heading', { level: 1, name: titles[0], exact: true }).waitFor();
    const crumbs = await page.locator('nav[aria-label="Breadcrumb"] li').allInnerTexts();
    expect(crumbs.map((text) => text.replace(/^›\s*/, '').trim())).to.deep.equal(['Weather', 'Weather Line Icons', titles[0]]);
    expect(await page.locator('a[rel="prev"]').count()).to.equal(0);
    expect((await page.locator('a[rel="next"]').innerText()).trim()).to.equal(`${titles[1]} →`);

    const related = page.getByRole('list', { name: 'Related icons' }).getByRole('link');
    expect(await related.count()).to.equal(5); // every other icon shares the tag "weather"
    expect(await page.getByRole('list', { name: 'More from this set' }).getByRole('link').count()).to.equal(5);
    const first = related.first();
    const title = (await first.locator('.preview-title').innerText()).trim();
    await first.click();
    await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
    expect(page.url()).to.match(/\/images\/[0-9a-f-]{36}$/);
    expect(await page.locator('a[rel="prev"]').count()).to.equal(1);
  });

  it('downloads a PNG recoloured to the chosen colour', async function () {
    this.timeout(60_000);
    await page.goto(`${market.url}/sets/${productId}`);
    await page.locator('.preview-grid a').first().click();
    await page.getByRole('heading', { level: 1, name: titles[0], exact: true }).waitFor();
    // The local front door proxies presigned uploads but not downloads (production links go to S3 itself):
    // stand in for that location by passing the browser's request to the S3 emulator.
    await page.route(`${market.url}/s3/**`, async (route) => {
      const target = route.request().url().replace(`${market.url}/s3`, market.pipeline.services.s3Endpoint);
      await route.fulfill({ response: await route.fetch({ url: target }) });
    });
    await page.getByLabel('Colour (hex)').fill('#e11d48');
    await page.getByLabel('Size (px)').fill('128');
    await page.getByLabel('Format').selectOption('png');
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download customised' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).to.equal(`${titles[0]} 128px e11d48.png`);
    const file = await readFile((await download.path())!);
    const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).to.deep.equal([128, 128]);
    const opaque = new Set<string>();
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 255) {
        opaque.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
        count++;
      }
    }
    expect(count).to.be.greaterThan(200);
    expect([...opaque]).to.deep.equal(['225,29,72']);
    expect(pageErrors).to.deep.equal([]);
  });
});
