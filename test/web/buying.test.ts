/**
 * Buying in Chromium, on the marketplace as production runs it (nginx in front, the storefront's build),
 * with the Stripe stand-in's hosted checkout: a buyer buys a paid set and downloads it, then its LICENSE.txt
 * (a second download beside the shared set ZIP), another buyer cannot, and a free set downloads after signing
 * in from its page.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import JSZip from 'jszip';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { createApiDb } from '../../app/api/database.ts';
import { apiDb } from '../../app/api/tables.ts';
import { buildUploadZip, iconSetFiles, iconSetManifest } from '../fixtures/uploads.ts';
import { startMarketplace, verificationLink, verifyAddress, type Marketplace } from './stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Signs a contributor up over HTTP and publishes a set through the real upload flow; returns its id. */
async function publishSet(origin: string, cookie: string, title: string, price: number): Promise<string> {
  const headers = { 'content-type': 'application/json', cookie };
  const created = (await (await fetch(`${origin}/api/drafts`, { method: 'POST', headers, body: '{}' })).json()) as {
    draft: { id: string; productId: string };
    upload: { url: string; fields: Record<string, string> };
  };
  const zip = await buildUploadZip({
    files: iconSetFiles(3),
    manifest: iconSetManifest({ product: { title, family: { slug: 'buying' }, license: price ? 'standard' : 'free', price: { amount: price, currency: 'USD' } } }),
  });
  const form = new FormData();
  for (const [name, value] of Object.entries(created.upload.fields)) form.append(name, value);
  form.append('file', new Blob([zip], { type: 'application/zip' }), 'set.zip');
  expect((await fetch(created.upload.url, { method: 'POST', body: form })).status).to.equal(204);
  for (const deadline = Date.now() + 120_000; ; ) {
    const { draft } = (await (await fetch(`${origin}/api/drafts/${created.draft.id}`, { headers })).json()) as { draft: { state: string } };
    if (draft.state === 'ready') break;
    if (draft.state === 'rejected' || draft.state === 'failed' || Date.now() > deadline) throw new Error(`${title}: ${draft.state}`);
    await sleep(250);
  }
  expect((await fetch(`${origin}/api/products/${created.draft.productId}/publish`, { method: 'POST', headers, body: '{}' })).status).to.equal(200);
  return created.draft.productId;
}

async function downloadedZip(page: Page, click: () => Promise<void>): Promise<string[]> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), click()]);
  const zip = await JSZip.loadAsync(await readFile((await download.path())!));
  return Object.keys(zip.files);
}

/** The buyer's LICENSE.txt, downloaded from the link the set page offers after the ZIP. */
async function downloadedLicence(page: Page): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByRole('link', { name: 'LICENSE.txt' }).click()]);
  expect(download.suggestedFilename()).to.equal('LICENSE.txt');
  return readFile((await download.path())!, 'utf8');
}

async function signUpBuyer(page: Page, name: string): Promise<void> {
  // Arriving from a set page: the sign-in page keeps where to return, and sign-up makes a buyer.
  // The link carries `next` once the page has hydrated.
  await page.locator('a[href^="/signup?next="]').click();
  await page.waitForURL('**/signup?next=*');
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('E-mail').fill(`${name.toLowerCase().replace(/\W+/g, '-')}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();
}

describe('storefront in Chromium: buying and downloading', function () {
  let market: Marketplace;
  let profile: string;
  let context: BrowserContext;
  let paidSet: string;
  let freeSet: string;

  before(async function () {
    this.timeout(600_000);
    market = await startMarketplace({ previewDelaySeconds: 1, directS3: true });
    const signup = await fetch(`${market.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'seller@example.com', password: 'correct horse battery', displayName: 'Seller', role: 'contributor', slug: 'seller' }),
    });
    expect(signup.status).to.equal(202);
    // Uploading and publishing need the confirmed address: the link the sign-up mailed.
    await verifyAddress(market, 'seller@example.com');
    const signin = await fetch(`${market.url}/api/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'seller@example.com', password: 'correct horse battery' }),
    });
    const cookie = signin.headers.get('set-cookie')!.split(';')[0]!;
    paidSet = await publishSet(market.url, cookie, 'Paid Compass Icons', 900);
    freeSet = await publishSet(market.url, cookie, 'Free Compass Icons', 0);
    profile = await mkdtemp(path.join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, acceptDownloads: true });
  });

  after(async function () {
    this.timeout(60_000);
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await market?.stop();
  });

  it('a buyer buys a paid set through checkout and downloads it and its LICENSE.txt', async function () {
    this.timeout(120_000);
    const page = await context.newPage();
    await page.goto(`${market.url}/sets/${paidSet}`);
    expect(await page.getByRole('link', { name: 'Standard licence' }).first().getAttribute('href')).to.equal('/licence/standard');
    await page.getByRole('button', { name: 'Buy for $9.00' }).click();
    await page.waitForURL(`**/signin?next=${encodeURIComponent(`/sets/${paidSet}`)}`);
    await signUpBuyer(page, 'First Buyer');
    await page.waitForURL(`**/sets/${paidSet}`);
    expect((await (await page.request.get(`${market.url}/api/auth/me`)).json()).account.role).to.equal('buyer');

    await page.getByRole('button', { name: 'Buy for $9.00' }).click();
    await page.waitForURL(`${market.stripe.url}/_local/checkout/*`);
    await page.getByRole('button', { name: 'Pay $9.00' }).click();
    await page.waitForURL('**/checkout/success?checkout=*');
    await page.getByRole('heading', { name: 'Thank you: your sets are ready' }).waitFor({ timeout: 30_000 });

    await page.goto(`${market.url}/sets/${paidSet}`);
    const names = await downloadedZip(page, () => page.getByRole('button', { name: 'Download set (ZIP)' }).click());
    expect(names.filter((name) => name.endsWith('.svg'))).to.have.length(3);
    const licence = await downloadedLicence(page);
    expect(licence).to.contain('STANDARD LICENCE').and.to.contain('Set:          Paid Compass Icons').and.to.contain('Licensee:     First Buyer <first-buyer@example.com>');

    await page.goto(`${market.url}/account`);
    await page.getByRole('link', { name: 'Paid Compass Icons' }).first().waitFor();
    expect(await page.locator('.download-history').innerText()).to.contain('Paid Compass Icons · ZIP');
    await page.close();
  });

  it('another buyer cannot download it, and a free set downloads after signing in from its page', async function () {
    this.timeout(120_000);
    await context.clearCookies();
    const page = await context.newPage();
    await page.goto(`${market.url}/sets/${freeSet}`);
    await page.getByRole('link', { name: 'Sign in to download' }).click();
    await page.waitForURL(`**/signin?next=${encodeURIComponent(`/sets/${freeSet}`)}`);
    await signUpBuyer(page, 'Second Buyer');
    await page.waitForURL(`**/sets/${freeSet}`);
    const names = await downloadedZip(page, () => page.getByRole('button', { name: 'Download set (ZIP)' }).click());
    expect(names.filter((name) => name.endsWith('.svg'))).to.have.length(3);
    expect(await downloadedLicence(page)).to.contain('FREE LICENCE').and.to.contain('Licensee:     Second Buyer <second-buyer@example.com>');

    await page.goto(`${market.url}/sets/${paidSet}`);
    await page.getByRole('button', { name: 'Buy for $9.00' }).waitFor();
    expect(await page.getByRole('button', { name: 'Download set (ZIP)' }).count()).to.equal(0);
    const refused = await page.evaluate(async (productId) => {
      const response = await fetch('/api/downloads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ productId, format: 'zip' }) });
      return { status: response.status, body: (await response.json()) as { error: { action?: unknown } } };
    }, paidSet);
    expect(refused.status).to.equal(402);
    expect(refused.body.error.action).to.deep.equal({ label: 'Buy this set', href: `/sets/${paidSet}` });
    await page.close();
  });

  it('an admin sees the sale under its contributor and refunds the order from the sales page; the refund webhook marks it refunded', async function () {
    this.timeout(120_000);
    const db = createApiDb(market.pipeline.services.functionEnv['DATABASE_URL']!, { max: 1 });
    try {
      await createAccount(apiDb(db), { email: 'admin@example.com', password: 'admin password 123', displayName: 'Admin', role: 'admin' });
    } finally {
      await db.destroy();
    }
    await context.clearCookies();
    const page = await context.newPage();
    const signin = await page.request.post(`${market.url}/api/auth/signin`, { data: { email: 'admin@example.com', password: 'admin password 123' } });
    expect(signin.status()).to.equal(200);
    await page.goto(`${market.url}/admin/sales`);
    const sales = page.getByRole('table', { name: 'Sales per contributor' });
    await sales.waitFor();
    const row = sales.getByRole('row', { name: /Seller/ });
    expect((await row.innerText()).split('\t').map((cell) => cell.trim())).to.deep.equal(['Seller', 'USD', '1', '0', '$9.00', '$2.70', '$6.30', '$6.30']);

    const order = page.getByRole('table', { name: 'Orders' }).getByRole('row', { name: /Paid Compass Icons/ });
    await order.getByPlaceholder('Reason').fill('Bought by mistake');
    await order.getByRole('button', { name: 'Refund' }).click();
    await page.getByRole('status').filter({ hasText: 'Stripe accepted the refund' }).waitFor();
    // The stand-in sends charge.refunded to the webhook, as Stripe does; the page shows it on its next load.
    for (const deadline = Date.now() + 30_000; ; ) {
      await page.reload();
      const status = await page.getByRole('table', { name: 'Orders' }).getByRole('row', { name: /Paid Compass Icons/ }).locator('td').nth(4).innerText();
      if (status === 'refunded') break;
      if (Date.now() > deadline) throw new Error(`the order is still ${status}`);
      await sleep(500);
    }
    const after = (await sales.getByRole('row', { name: /Seller/ }).innerText()).split('\t').map((cell) => cell.trim());
    // One refund, and the contributor's share reversed: nothing owed.
    expect([after[0], after[3], after[7]]).to.deep.equal(['Seller', '1', '$0.00']);
    await page.close();
  });

  it('a claim link for a squatted address asks for the password of the sign-up it answers, and takes only that one', async function () {
    this.timeout(60_000);
    const email = 'squatted@example.com';
    // Straight to the API: the browser's requests below are what nginx's auth limit is kept for.
    const signUp = (password: string) =>
      fetch(`${market.api.url}/api/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, displayName: 'Squatted Owner', role: 'buyer' }),
      });
    expect((await signUp('a squatter typed this one 1')).status).to.equal(202);
    expect((await signUp('the owner typed this one 22')).status).to.equal(202);
    await context.clearCookies();
    const page = await context.newPage();
    await page.goto(verificationLink(market, email));
    await page.getByText('This link finishes a sign-up: enter the password you chose when you signed up.').waitFor();
    await page.getByLabel('Password').fill('a squatter typed this one 1');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('This link finishes a sign-up').waitFor();
    await page.getByLabel('Password').fill('the owner typed this one 22');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Your address is confirmed.').waitFor();
    const signIn = await fetch(`${market.api.url}/api/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'the owner typed this one 22' }),
    });
    expect(((await signIn.json()) as { account: { emailVerified: boolean } }).account.emailVerified).to.equal(true);
    await page.close();
  });
});
