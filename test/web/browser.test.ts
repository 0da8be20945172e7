/**
 * One contributor journey in a real browser (Debian's Chromium through playwright-core) against the
 * real stack: sign up, upload a ZIP through the UI with a progress bar, watch the pipeline process it
 * live, publish, and find its icons in the storefront search (a typo corrected, pages, the Sets tab) with
 * their previews, and reach Browse from the header.
 */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { PipelineRuntime } from '../../core/pipeline/environment.ts';
import type { PipelineFunctionName } from '../../scripts/local/pipeline.ts';
import { buildUploadZip, iconSetFiles, iconSetManifest, imagesFor, validIconSetZip } from '../fixtures/uploads.ts';
import { startMarketplace, verificationLink, type Marketplace } from './stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/** axe-core's serious and critical violations on the page as it stands (WCAG 2.x A/AA and best practices). */
async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run((globalThis as unknown as InPage).document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`);
}

/** WCAG relative luminance contrast of two `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const luminance = (colour: string) => {
    const [r, g, bl] = colour.match(/[\d.]+/g)!.slice(0, 3).map((part) => {
      const c = Number(part) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high! + 0.05) / (low! + 0.05);
}

/** Screenshots land here for a human to look at (CI can keep them as artifacts). */
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? path.join(tmpdir(), 'marketplace-screenshots');

/** The browser globals the in-page callbacks touch: this project's tsconfig has no DOM library. */
interface InPageImage {
  complete: boolean;
  naturalWidth: number;
  currentSrc: string;
  src: string;
}
interface InPage {
  document: {
    querySelectorAll(selector: string): Iterable<InPageImage>;
    querySelector(selector: string): { textContent: string | null } | null;
    body: unknown;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
  progressSeen: string[];
}

/** Every <img> on the page has loaded real pixels (a broken rendition URL has naturalWidth 0). */
async function imagesLoaded(page: Page, selector: string): Promise<{ count: number; broken: string[]; sources: string[] }> {
  await page.waitForFunction(
    (sel) => [...(globalThis as unknown as InPage).document.querySelectorAll(sel)].every((img) => img.complete),
    selector,
  );
  return page.$$eval(selector, (elements) => {
    const images = elements as unknown as InPageImage[];
    return {
      count: images.length,
      broken: images.filter((img) => img.naturalWidth === 0).map((img) => img.currentSrc || img.src),
      sources: images.map((img) => img.currentSrc),
    };
  });
}

/**
 * A storage outage for one image: while armed, ImageProcessor's writes of the renditions of the first image
 * it renders (and only that image) fail, at its real S3 client, so the job fails on each delivery and reaches
 * the dead-letter queue through fauxqs' redrive as in AWS.
 */
class OneImageOutage {
  #armed = false;
  #image: string | undefined;
  readonly refused: string[] = [];

  arm() {
    this.#armed = true;
    this.#image = undefined;
  }

  disarm() {
    this.#armed = false;
  }

  attach(name: PipelineFunctionName, runtime: PipelineRuntime) {
    if (name !== 'image-processor') return;
    runtime.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        const image = /^previews\/[^/]+\/[^/]+\/([^/]+)\//.exec(key)?.[1];
        if (this.#armed && context.commandName === 'PutObjectCommand' && image && image === (this.#image ??= image)) {
          this.refused.push(key);
          throw new Error('simulated storage outage');
        }
        return next(args);
      },
      { step: 'initialize', name: 'testOneImageOutage' },
    );
  }
}

describe('storefront in Chromium: a contributor uploads a set and buyers find it', function () {
  const outage = new OneImageOutage();
  let market: Marketplace;
  let context: BrowserContext;
  let profile: string;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    // A production build of the storefront (Docker's RUN step) when its sources changed; see the report in the log.
    this.timeout(600_000);
    market = await startMarketplace({
      previewDelaySeconds: 1,
      // A failing image job comes back after 4 s (not 6 × the function timeout) and is dead-lettered on its third receive.
      pipeline: { queueSettings: { image: { visibilityTimeoutSeconds: 4 } }, instrument: (name, runtime) => outage.attach(name, runtime) },
    });
    if (market.webBuild.seconds > 0) console.log(`      (next build: ${market.webBuild.seconds.toFixed(1)} s)`);
    profile = await mkdtemp(path.join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  });

  after(async function () {
    this.timeout(60_000);
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await market?.stop();
  });

  it('signs a contributor up, uploads a ZIP with progress, shows processing live, and publishes', async function () {
    this.timeout(120_000);
    await page.goto(`${market.url}/`);
    await page.getByRole('link', { name: 'Sell your icons' }).click();
    await page.waitForURL('**/signup');
    await page.getByLabel('Your name').fill('Ada Lines');
    await page.getByLabel(/Shop address/).fill('ada-lines');
    await page.getByLabel('E-mail').fill('ada@example.com');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/dashboard');
    await expect(await page.getByRole('heading', { name: 'Your sets' }).isVisible()).to.equal(true);

    await page.getByRole('link', { name: 'New set' }).click();
    await page.waitForURL('**/dashboard/new');
    // An unconfirmed address cannot upload yet: the page says so and offers a new link.
    await page.getByText('Confirm your e-mail address before you upload').waitFor();
    expect(await page.locator('#archive').count()).to.equal(0);
    const mailed = market.ses.mails.length;
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page.getByText('We sent a new link to your address.').waitFor();
    expect(market.ses.mails.length).to.equal(mailed + 1);
    // The contributor opens the link from their mailbox, then comes back to upload.
    await page.goto(verificationLink(market, 'ada@example.com'));
    await page.getByText('Your address is confirmed.').waitFor();
    await page.goto(`${market.url}/dashboard/new`);
    await page.setInputFiles('#archive', { name: 'weather-line-icons.zip', mimeType: 'application/zip', buffer: await validIconSetZip(6) });
    // Record every progress text the page shows: the upload is fast on loopback, the bar is brief.
    await page.evaluate(() => {
      const browser = globalThis as unknown as InPage;
      const seen: string[] = (browser.progressSeen = []);
      new browser.MutationObserver(() => {
        const text = browser.document.querySelector('[data-testid="upload-percent"]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(browser.document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Upload' }).click();

    // Live status from the API's event stream, until the pipeline has rendered every image.
    const status = page.locator('.draft-status');
    await status.waitFor({ timeout: 30_000 });
    await page.locator('.draft-status[data-state="ready"]').waitFor({ timeout: 90_000 });
    expect(await status.innerText()).to.include('6 of 6 images ready');
    const progress = await page.evaluate(() => (globalThis as unknown as InPage).progressSeen);
    expect(progress.at(-1)).to.equal('100% uploaded');

    await page.getByRole('button', { name: 'Publish set' }).click();
    await page.getByText('Published.').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'contributor-published.png') });
  });

  it('finds the icon itself in the storefront search, server-rendered, with its preview', async function () {
    this.timeout(60_000);
    await page.goto(`${market.url}/`);
    await page.locator('#site-search').fill('thermometer');
    await page.locator('#site-search').press('Enter');
    await page.waitForURL('**/search?q=thermometer');
    const card = page.getByTestId('icon-card').first();
    await card.waitFor();
    // The icon, not the set that holds it.
    expect(await card.innerText()).to.include('Thermometer 5').and.include('in Weather Line Icons').and.include('by Ada Lines');
    expect(await page.getByTestId('product-card').count()).to.equal(0);

    const covers = await imagesLoaded(page, '[data-testid="icon-card"] img');
    expect(covers.count).to.be.greaterThan(0);
    expect(covers.broken).to.deep.equal([]);
    // Served through nginx's /assets/, and the browser picked the WebP the layout needs (96 px at 1x → 128 px).
    for (const source of covers.sources) expect(source).to.match(new RegExp(`^${market.url}/assets/.+\\.webp$`));
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'search.png'), fullPage: true });

    await card.click();
    await page.waitForURL('**/images/**');
  });

  it('says which word it searched for a typo, searches the typed word on request, and suggests words', async function () {
    this.timeout(60_000);
    await page.goto(`${market.url}/search?q=thermometr`);
    expect(await page.getByTestId('corrected').innerText()).to.include('Showing results for thermometer');
    expect(await page.getByTestId('icon-card').first().innerText()).to.include('Thermometer 5');
    await page.getByRole('link', { name: 'Search instead for “thermometr”' }).click();
    await page.waitForURL('**exact=1**');
    const empty = page.getByTestId('no-results');
    expect(await empty.innerText()).to.include('No icons or illustrations match “thermometr”');
    await empty.getByRole('link', { name: 'thermometer' }).click();
    await page.waitForURL('**/search?q=thermometer');
    await page.getByTestId('icon-card').first().waitFor();
  });

  it("does not prefetch the pages behind a grid's cards or the header's links (each prefetch is a server render; a page of them met nginx's 429)", async function () {
    this.timeout(60_000);
    const prefetched: string[] = [];
    const record = (request: { headers(): Record<string, string>; url(): string }) => {
      if (request.headers()['next-router-prefetch']) prefetched.push(new URL(request.url()).pathname);
    };
    page.on('request', record);
    try {
      await page.goto(`${market.url}/search?q=weather`);
      await page.getByTestId('icon-card').first().waitFor();
      await page.getByRole('link', { name: 'Sets' }).click();
      await page.getByTestId('product-card').first().waitFor();
      await page.goto(`${market.url}${await page.getByTestId('product-card').first().locator('a').first().getAttribute('href')}`);
      await page.locator('.preview-grid a').first().waitFor();
      await page.waitForLoadState('networkidle');
      // Cards' pages, and the header's links (on every page) are never prefetched; a breadcrumb's few may be.
      const header = ['/', '/browse', '/signin', '/signup', '/cart', '/account', '/dashboard', '/dashboard/earnings'];
      expect(prefetched.filter((path) => /^\/(images|sets)\//.test(path) || header.includes(path))).to.deep.equal([]);
    } finally {
      page.off('request', record);
    }
  });

  it('pages through icon results, and shows sets on the Sets tab', async function () {
    this.timeout(60_000);
    await page.goto(`${market.url}/search?q=weather&limit=4`);
    const titles = () => page.locator('[data-testid="icon-card"] .card-title').allInnerTexts();
    const first = await titles();
    expect(first).to.have.length(4);
    await page.getByRole('link', { name: 'Next page →' }).click();
    await page.waitForURL('**cursor=**');
    const second = await titles();
    expect(second).to.have.length(2);
    expect([...first, ...second].sort()).to.deep.equal(['Bolt 3', 'Cloud Rain 2', 'Moon 4', 'Snowflake 6', 'Sun 1', 'Thermometer 5']);
    expect(await page.getByRole('link', { name: 'Next page →' }).count()).to.equal(0);

    await page.getByRole('link', { name: 'Sets' }).click();
    await page.waitForURL('**type=sets**');
    const card = page.getByTestId('product-card').filter({ hasText: 'Weather Line Icons' });
    await card.waitFor();
    expect(await card.innerText()).to.include('by Ada Lines').and.include('$9.00').and.include('6 images');
    await card.click();
    await page.waitForURL('**/sets/**');
    await page.getByRole('heading', { name: 'Weather Line Icons', level: 1 }).waitFor();
    const previews = await imagesLoaded(page, '.preview-grid img');
    expect(previews.count).to.equal(6);
    expect(previews.broken).to.deep.equal([]);

    await page.getByRole('link', { name: '128 px' }).click();
    await page.waitForURL('**size=128**');
    const large = await imagesLoaded(page, '.preview-grid img');
    expect(large.broken).to.deep.equal([]);
    const widths = await page.$$eval('.preview-grid img', (images) => images.map((img) => img.getBoundingClientRect().width));
    expect(widths.every((width) => Math.round(width) === 128)).to.equal(true);
  });

  it('reaches Browse from the header, with kind and sort filters', async function () {
    this.timeout(60_000);
    await page.goto(`${market.url}/`);
    await page.getByRole('navigation', { name: 'Catalog' }).getByRole('link', { name: 'Browse' }).click();
    await page.waitForURL('**/browse');
    await page.getByRole('heading', { name: 'Browse sets' }).waitFor();
    await page.getByLabel('Kind').selectOption('illustration-set');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL('**kind=illustration-set**');
    expect(await page.getByTestId('product-card').count()).to.equal(0);
    await page.getByLabel('Kind').selectOption('icon-set');
    await page.getByLabel('Sort').selectOption('title');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL('**sort=title**');
    expect(await page.getByTestId('product-card').count()).to.equal(1);
  });

  it('shows the storefront home with the new family and set', async function () {
    this.timeout(60_000);
    await page.goto(`${market.url}/`);
    await page.getByRole('heading', { name: 'New sets' }).waitFor();
    const loaded = await imagesLoaded(page, 'main img');
    expect(loaded.broken).to.deep.equal([]);
    expect(await page.getByTestId('product-card').count()).to.equal(1);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'storefront.png'), fullPage: true });
    expect(pageErrors).to.deep.equal([]);
  });
  it('passes axe-core (no serious or critical violation) on the main pages, signed in and not', async function () {
    this.timeout(180_000);
    await page.goto(`${market.url}/`);
    const setHref = await page.getByTestId('product-card').first().locator('a').first().getAttribute('href');
    await page.goto(`${market.url}${setHref}`);
    const imageHref = await page.locator('a[href^="/images/"]').first().getAttribute('href');
    const pages = ['/', '/browse', '/search?q=thermometer', setHref!, imageHref!, '/account', '/dashboard'];
    const found: Record<string, string[]> = {};
    for (const path of pages) {
      await page.goto(`${market.url}${path}`);
      await page.waitForLoadState('networkidle');
      const violations = await seriousAxeViolations(page);
      if (violations.length > 0) found[path] = violations;
    }
    // The sign-in page as a visitor sees it (this browser is signed in as the contributor).
    const visitorContext = await chromium.launchPersistentContext('', { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const guest = await visitorContext.newPage();
      for (const path of ['/signin', '/signup']) {
        await guest.goto(`${market.url}${path}`);
        await guest.waitForLoadState('networkidle');
        const violations = await seriousAxeViolations(guest);
        if (violations.length > 0) found[`${path} (visitor)`] = violations;
      }
    } finally {
      await visitorContext.close();
    }
    expect(found).to.deep.equal({});
  });

  it('keeps the storefront details right: label contrast, focus outline, the phone search, favicon, no 401 for visitors', async function () {
    this.timeout(120_000);
    // The SVG button's "vector" label against the button's own colour.
    const setHref = await (async () => {
      await page.goto(`${market.url}/`);
      return page.getByTestId('product-card').first().locator('a').first().getAttribute('href');
    })();
    await page.goto(`${market.url}${setHref}`);
    await page.goto(`${market.url}${await page.locator('a[href^="/images/"]').first().getAttribute('href')}`);
    const label = page.getByRole('button', { name: /SVG/ }).locator('.muted');
    // No helper functions inside evaluate callbacks: the test's transpiler would wrap them in a __name() the page lacks.
    const [labelColour, buttonColour] = await label.evaluate((element) => [
      (globalThis as unknown as { getComputedStyle(n: unknown): { color: string } }).getComputedStyle(element).color,
      (globalThis as unknown as { getComputedStyle(n: unknown): { backgroundColor: string } }).getComputedStyle((element as unknown as { parentElement: unknown }).parentElement)
        .backgroundColor,
    ]);
    expect(contrast(labelColour, buttonColour), `${labelColour} on ${buttonColour}`).to.be.at.least(4.5);

    // The keyboard focus outline against white.
    await page.goto(`${market.url}/`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const browser = globalThis as unknown as { document: { activeElement: unknown }; getComputedStyle(n: unknown): { outlineColor: string; outlineStyle: string } };
      const style = browser.getComputedStyle(browser.document.activeElement);
      return { colour: style.outlineColor, style: style.outlineStyle };
    });
    expect(outline.style).to.equal('solid');
    expect(contrast(outline.colour, 'rgb(255, 255, 255)'), outline.colour).to.be.at.least(3);

    // A visitor on a 390 px phone: the home page's search button stays inside its card; no 401 is logged.
    const phone = await chromium.launchPersistentContext('', { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 390, height: 844 } });
    try {
      const visitor = await phone.newPage();
      const meStatuses: number[] = [];
      const failures: string[] = [];
      visitor.on('response', (response) => {
        if (response.url().endsWith('/api/auth/me')) meStatuses.push(response.status());
        if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
      });
      await visitor.goto(`${market.url}/`);
      await visitor.waitForLoadState('networkidle');
      const card = (await visitor.locator('.hero').boundingBox())!;
      const button = (await visitor.locator('.hero-search button').boundingBox())!;
      expect(button.x).to.be.at.least(card.x);
      expect(button.x + button.width, `button ends at ${button.x + button.width}, its card at ${card.x + card.width}`).to.be.at.most(card.x + card.width);
      await visitor.screenshot({ path: path.join(SCREENSHOT_DIR, 'home-390.png') });
      await visitor.goto(`${market.url}/browse`);
      await visitor.waitForLoadState('networkidle');
      expect(meStatuses.length).to.be.greaterThan(0);
      expect(meStatuses.every((status) => status === 200)).to.equal(true);
      expect(failures).to.deep.equal([]);
      const favicon = await visitor.request.get(`${market.url}/favicon.ico`);
      expect(favicon.status()).to.equal(200);
      expect(favicon.headers()['content-type']).to.match(/^image\/(x-icon|vnd\.microsoft\.icon)/);
    } finally {
      await phone.close();
    }
  });
  it("shows a failed set's reason on the dashboard and renders only its failed image again on Retry", async function () {
    this.timeout(120_000);
    const files = iconSetFiles(4);
    const zip = await buildUploadZip({ files, manifest: iconSetManifest({ product: { title: 'Storm Line Icons' }, images: imagesFor(Object.keys(files)) }) });
    outage.arm();
    await page.goto(`${market.url}/dashboard/new`);
    await page.setInputFiles('#archive', { name: 'storm-line-icons.zip', mimeType: 'application/zip', buffer: zip });
    await page.getByRole('button', { name: 'Upload' }).click();
    // Three deliveries 4 s apart, then the watchdog fails the set naming the dead-lettered image.
    await page.locator('.draft-status[data-state="failed"]').waitFor({ timeout: 90_000 });
    outage.disarm();
    const broken = new Set(outage.refused.map((key) => key.split('/')[3]));
    expect(broken.size, 'one image was refused').to.equal(1);

    await page.goto(`${market.url}/dashboard`);
    const failed = page.locator('.draft-status[data-state="failed"]');
    await failed.waitFor();
    expect(await failed.locator('.progress-row').innerText()).to.include('3 of 4 images ready, 1 failed');
    const problems = await failed.locator('.problems li').allInnerTexts();
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^line\/\S+\.svg .*simulated storage outage/);
    const refusedBefore = outage.refused.length;

    await page.getByRole('button', { name: 'Retry failed images' }).click();
    expect(await page.locator(".retry-result").innerText()).to.include(problems[0]!.split(' ')[0]!);
    await page.locator('.draft-status[data-state="ready"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('.draft-status .progress-row').innerText()).to.include('4 of 4 images ready');
    expect(outage.refused.length, 'nothing was refused after the outage ended').to.equal(refusedBefore);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'contributor-retried.png') });
  });
});
