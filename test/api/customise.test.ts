/**
 * Customisation at download on real PostgreSQL and s3rver: flags per image, recoloured pixels, stroke
 * width, PNG and WebP at any size, the S3 cache (a repeat writes nothing), exact rejections.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { sql } from 'kysely';
import sharp from 'sharp';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { iconSvg, illustrationSvg } from '../fixtures/svgs.ts';
import type { ApiClient } from './client.ts';
import { startImageStack, type ImageStack } from './image-stack.ts';
import { CUSTOM_DOWNLOAD_RATE_LIMIT, CUSTOM_DOWNLOADS_PER_DAY, CUSTOM_RENDER_RETENTION_DAYS, CUSTOM_RENDER_RETRY_AFTER_SECONDS } from '../../core/limits.ts';
import { Slots } from '../../app/api/downloads/slots.ts';
import { gate } from '../support/gate.ts';

const FILLED_ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M4 4h16v16H4z"/><circle style="fill:#000" cx="12" cy="12" r="3"/></svg>';

/** Opaque pixels by colour ("r,g,b" -> count) of a PNG or WebP file. */
async function opaqueColours(file: Buffer): Promise<{ width: number; height: number; colours: Map<string, number>; opaque: number }> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const colours = new Map<string, number>();
  let opaque = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] !== 255) continue;
    opaque++;
    const key = `${data[i]},${data[i + 1]},${data[i + 2]}`;
    colours.set(key, (colours.get(key) ?? 0) + 1);
  }
  return { width: info.width, height: info.height, colours, opaque };
}

describe('api customised downloads: colour, stroke, size, format', function () {
  let stack: ImageStack;
  let icons: { productId: string; imageIds: string[] };
  let paid: { productId: string; imageIds: string[] };
  let buyer: ApiClient;
  const [LINE, FILLED, ILLUSTRATION] = [0, 1, 2];

  async function download(body: Record<string, unknown>) {
    const res = await buyer.post('/api/downloads/custom', body);
    if (res.status !== 201) return { res, file: undefined };
    const file = await fetch(res.json.url);
    expect(file.status).to.equal(200);
    return { res, file: Buffer.from(await file.arrayBuffer()), headers: file.headers };
  }

  async function customObjects() {
    const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: LOCAL_BUCKETS.downloads, Prefix: 'custom/' }));
    return (listed.Contents ?? []).map((object) => `${object.Key} ${object.ETag} ${object.LastModified?.toISOString()}`).sort();
  }

  before(async function () {
    this.timeout(60_000);
    stack = await startImageStack();
    const seeded = await seedCatalog(stack.db, [
      { title: 'Free Icons', imageTitles: ['Sun', 'Square', 'Landscape'] },
      { title: 'Paid Icons', imageTitles: ['Moon'] },
    ]);
    [icons, paid] = [seeded[0]!, seeded[1]!];
    await sql`update products set price_cents = 0, currency = null, license = 'free' where id = ${icons.productId}`.execute(stack.db);
    await stack.putOriginal(icons.productId, icons.imageIds[LINE]!, iconSvg(0));
    await stack.putOriginal(icons.productId, icons.imageIds[FILLED]!, FILLED_ICON);
    await stack.putOriginal(icons.productId, icons.imageIds[ILLUSTRATION]!, illustrationSvg(0));
    await stack.putOriginal(paid.productId, paid.imageIds[0]!, iconSvg(3));
    buyer = await stack.signUp('buyer', 'buyer-one');
  });
  after(async function () {
    this.timeout(30_000);
    await stack?.stop();
  });

  it('says per image whether it can be recoloured and take another stroke width, and remembers it', async () => {
    const flags = async (index: number) => (await stack.anonymous().get(`/api/images/${icons.imageIds[index]}`)).json.downloads.customisable;
    expect(await flags(LINE)).to.deep.equal({ colour: true, stroke: true });
    expect(await flags(FILLED)).to.deep.equal({ colour: true, stroke: false });
    expect(await flags(ILLUSTRATION)).to.deep.equal({ colour: false, stroke: false });
    const stored = await sql`
      select image_id, colour, colour_reason, stroke, stroke_reason from image_customisation where image_id = ${icons.imageIds[ILLUSTRATION]}
    `.execute(stack.db);
    expect(stored.rows).to.deep.equal([{
      imageId: icons.imageIds[ILLUSTRATION],
      colour: false,
      colourReason: 'it uses a gradient',
      stroke: false,
      strokeReason: 'it has no strokes (a filled icon)',
    }]);
  });

  it('recolours a currentColor line icon: every opaque pixel of the PNG has the chosen colour', async () => {
    const { res, file, headers } = await download({ imageId: icons.imageIds[LINE], format: 'png', size: 64, colour: '#e11d48' });
    expect(res.status, JSON.stringify(res.json)).to.equal(201);
    expect(res.json).to.include({ fileName: 'Sun 64px e11d48.png' });
    expect(headers!.get('content-type')).to.equal('image/png');
    expect(headers!.get('content-disposition')).to.equal(`attachment; filename="Sun 64px e11d48.png"; filename*=UTF-8''Sun%2064px%20e11d48.png`);
    const pixels = await opaqueColours(file!);
    expect([pixels.width, pixels.height]).to.deep.equal([64, 64]);
    expect(pixels.opaque).to.be.greaterThan(100);
    expect([...pixels.colours.keys()]).to.deep.equal(['225,29,72']);
    const logged = await buyer.get('/api/me/downloads');
    expect(logged.json.items[0]).to.include({ imageId: icons.imageIds[LINE], format: 'png', size: 64 });
    const row = await sql<{ options: unknown }>`select options from downloads order by created_at desc limit 1`.execute(stack.db);
    expect(row.rows[0]!.options).to.deep.equal({ colour: '#e11d48' });
  });

  it('recolours the default black fill and explicit fills of a filled icon', async () => {
    const { file } = await download({ imageId: icons.imageIds[FILLED], format: 'png', size: 48, colour: '#2563EB' });
    const pixels = await opaqueColours(file!);
    expect([...pixels.colours.keys()]).to.deep.equal(['37,99,235']);
    expect(pixels.opaque).to.be.greaterThan(900);
  });

  it('serves a repeat from the S3 cache and writes nothing new, however the colour is spelled', async () => {
    const before = await customObjects();
    expect(before).to.have.length(2);
    const again = await download({ imageId: icons.imageIds[FILLED], format: 'png', size: 48, colour: '#2563eb' });
    expect(again.res.status).to.equal(201);
    const short = await download({ imageId: icons.imageIds[LINE], format: 'png', size: 64, colour: '#E11D48' });
    expect(short.res.status).to.equal(201);
    expect(await customObjects()).to.deep.equal(before);
    const listed = await sql<{ count: string }>`select count(*) from custom_renders`.execute(stack.db);
    expect(Number(listed.rows[0]!.count)).to.equal(2);
    // A different option is a different file.
    await download({ imageId: icons.imageIds[FILLED], format: 'png', size: 49, colour: '#2563eb' });
    expect(await customObjects()).to.have.length(3);
  });

  it('changes the stroke width of a stroke-based icon', async () => {
    const thin = await opaqueColours((await download({ imageId: icons.imageIds[LINE], format: 'png', size: 96, strokeWidth: 1 })).file!);
    const thick = await opaqueColours((await download({ imageId: icons.imageIds[LINE], format: 'png', size: 96, strokeWidth: 3 })).file!);
    expect(thick.opaque).to.be.greaterThan(thin.opaque * 2);
  });

  it('renders WebP and PNG at any size from 16 to 2048 px', async () => {
    const webp = await download({ imageId: icons.imageIds[ILLUSTRATION], format: 'webp', size: 100 });
    expect(webp.headers!.get('content-type')).to.equal('image/webp');
    const meta = await sharp(webp.file!).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['webp', 100, 75]);
    const large = await download({ imageId: icons.imageIds[LINE], format: 'png', size: 2048 });
    expect((await sharp(large.file!).metadata()).width).to.equal(2048);
    const small = await download({ imageId: icons.imageIds[LINE], format: 'webp', size: 16 });
    expect((await sharp(small.file!).metadata()).width).to.equal(16);
  });

  it('rejects bad options with every reason at once', async () => {
    const res = await buyer.post('/api/downloads/custom', { imageId: 'nope', format: 'gif', size: 8, colour: 'red', strokeWidth: 0.3, quality: 90 });
    expect(res.status).to.equal(400);
    expect(res.json.error.issues).to.deep.equal([
      { path: 'body.format', message: 'Invalid option: expected one of "png"|"webp"' },
      { path: 'body.size', message: 'Too small: expected number to be >=16' },
      { path: 'body.colour', message: 'must be a hex colour such as "#1d4ed8" or "#fff"' },
      { path: 'body.strokeWidth', message: 'Invalid number: must be a multiple of 0.25' },
      { path: 'body.imageId', message: 'Invalid UUID' },
      { path: 'body', message: 'Unrecognized key: "quality"' },
    ]);
    const big = await buyer.post('/api/downloads/custom', { imageId: icons.imageIds[LINE], format: 'png', size: 2049, strokeWidth: 16.25 });
    expect(big.json.error.issues).to.deep.equal([
      { path: 'body.size', message: 'Too big: expected number to be <=2048' },
      { path: 'body.strokeWidth', message: 'Too big: expected number to be <=16' },
    ]);
  });

  it('refuses options an image does not allow, saying why', async () => {
    const stroke = await buyer.post('/api/downloads/custom', { imageId: icons.imageIds[FILLED], format: 'png', size: 64, strokeWidth: 2 });
    expect(stroke.status).to.equal(400);
    expect(stroke.json.error.issues).to.deep.equal([
      { path: 'body.strokeWidth', message: 'this image has no adjustable stroke width: it has no strokes (a filled icon)' },
    ]);
    const colour = await buyer.post('/api/downloads/custom', { imageId: icons.imageIds[ILLUSTRATION], format: 'png', size: 64, colour: '#000000' });
    expect(colour.json.error.issues).to.deep.equal([{ path: 'body.colour', message: 'this image cannot be recoloured: it uses a gradient' }]);
  });

  it('lets nothing but a hex colour through: markup or CSS in the colour is refused before any SVG is touched', async () => {
    const before = await customObjects();
    for (const colour of ['#000" onload="alert(1)', '#000;background:url(https://evil.test/x)', '#000"/><script>alert(1)</script>', 'url(#x)', '#0000000']) {
      const res = await buyer.post('/api/downloads/custom', { imageId: icons.imageIds[LINE], format: 'png', size: 64, colour });
      expect(res.status, colour).to.equal(400);
      expect(res.json.error.issues, colour).to.deep.equal([{ path: 'body.colour', message: 'must be a hex colour such as "#1d4ed8" or "#fff"' }]);
    }
    expect(await customObjects()).to.deep.equal(before);
  });

  it('needs a session, and hides images of sets nobody may see', async () => {
    const anonymous = await stack.anonymous().post('/api/downloads/custom', { imageId: icons.imageIds[LINE], format: 'png', size: 64 });
    expect(anonymous.status).to.equal(401);
    await sql`update products set published = false where id = ${paid.productId}`.execute(stack.db);
    const hidden = await buyer.post('/api/downloads/custom', { imageId: paid.imageIds[0], format: 'png', size: 64 });
    expect(hidden.status).to.equal(404);
  });

  it('renders again a file whose listing is older than the bucket keeps custom renders', async () => {
    const options = { imageId: icons.imageIds[FILLED], format: 'png', size: 48, colour: '#2563eb' };
    const listed = async () => (await sql<{ createdAt: Date }>`select created_at from custom_renders where image_id = ${icons.imageIds[FILLED]} and size = 48`.execute(stack.db)).rows;
    const kept = await listed();
    await download(options);
    expect(await listed()).to.deep.equal(kept);
    await sql`update custom_renders set created_at = now() - make_interval(days => ${CUSTOM_RENDER_RETENTION_DAYS})`.execute(stack.db);
    const again = await download(options);
    expect((await opaqueColours(again.file!)).colours.has('37,99,235')).to.equal(true);
    const fresh = await sql<{ fresh: boolean }>`select bool_and(created_at > now() - interval '1 minute') as fresh from custom_renders where image_id = ${icons.imageIds[FILLED]} and size = 48`.execute(stack.db);
    expect(fresh.rows[0]!.fresh).to.equal(true);
  });

  it("does not tell an account whether another already rendered the same options: the reply of a repeat is the reply of a first render", async () => {
    const [first, second] = [await stack.signUp('buyer', 'first-renderer'), await stack.signUp('buyer', 'curious-buyer')];
    const options = { imageId: icons.imageIds[LINE], format: 'webp', size: 77, colour: '#0f766e' };
    const objects = (await customObjects()).length;
    const made = await first.post('/api/downloads/custom', options);
    expect(await customObjects()).to.have.length(objects + 1);
    // The second account asks for what the first made (served from the cache) and for something new.
    const repeat = await second.post('/api/downloads/custom', options);
    const fresh = await second.post('/api/downloads/custom', { ...options, size: 78 });
    expect(await customObjects()).to.have.length(objects + 2);
    for (const res of [made, repeat, fresh]) {
      expect(res.status).to.equal(201);
      expect(Object.keys(res.json).sort()).to.deep.equal(['expiresAt', 'fileName', 'url']);
    }
    expect(repeat.json.fileName).to.equal('Sun 77px 0f766e.webp');
  });

  it('caps customised downloads per account: a burst per minute, and a number per day', async () => {
    const greedy = await stack.signUp('buyer', 'greedy-buyer');
    const greedyId = (await greedy.get('/api/auth/me')).json.account.id;
    // The day's cap counts the account's customised downloads of the last 24 hours, and no one else's.
    await sql`
      insert into downloads (account_id, product_id, image_id, format, size, customised, created_at)
      select ${greedyId}, ${icons.productId}, ${icons.imageIds[LINE]}, 'png', 16 + n, true, now() - interval '23 hours'
      from generate_series(1, ${CUSTOM_DOWNLOADS_PER_DAY}) n
    `.execute(stack.db);
    const capped = await greedy.post('/api/downloads/custom', { imageId: icons.imageIds[LINE], format: 'png', size: 300 });
    expect([capped.status, capped.json.error.message]).to.deep.equal([
      429,
      `You have made ${CUSTOM_DOWNLOADS_PER_DAY} customised downloads in the last 24 hours, the most an account may. ` +
        'Download the set ZIP or the stored sizes instead, or try again tomorrow.',
    ]);
    await sql`update downloads set created_at = now() - interval '25 hours' where account_id = ${greedyId}`.execute(stack.db);
    expect((await greedy.post('/api/downloads/custom', { imageId: icons.imageIds[LINE], format: 'png', size: 300 })).status).to.equal(201);

    // The burst limit answers before the body is even read: bad requests count too (two went above).
    const statuses: number[] = [];
    for (let i = 2; i < CUSTOM_DOWNLOAD_RATE_LIMIT.requests; i++) statuses.push((await greedy.post('/api/downloads/custom', { imageId: 'x' })).status);
    expect(new Set(statuses)).to.deep.equal(new Set([400]));
    const burst = await greedy.post('/api/downloads/custom', { imageId: icons.imageIds[LINE], format: 'png', size: 64 });
    expect([burst.status, burst.json.error.code]).to.deep.equal([429, 'rate_limited']);
    // Another account is not held back.
    expect((await buyer.post('/api/downloads/custom', { imageId: icons.imageIds[LINE], format: 'png', size: 64 })).status).to.equal(201);
  });

  describe('when renders queue up', () => {
    let busyStack: ImageStack;
    let imageId: string;
    const slots = new Slots(1, 1);

    before(async function () {
      this.timeout(60_000);
      busyStack = await startImageStack({ customRenderSlots: slots });
      const [set] = await seedCatalog(busyStack.db, [{ title: 'Queue Icons', imageTitles: ['Star'] }]);
      await sql`update products set price_cents = 0, currency = null, license = 'free' where id = ${set!.productId}`.execute(busyStack.db);
      imageId = set!.imageIds[0]!;
      await busyStack.putOriginal(set!.productId, imageId, iconSvg(1));
    });
    after(async function () {
      this.timeout(30_000);
      await busyStack?.stop();
    });

    it('refuses a new render with 503 and Retry-After while the line is full, serves renders already made, and renders again once it clears', async () => {
      const client = await busyStack.signUp('buyer', 'queued-buyer');
      const made = await client.post('/api/downloads/custom', { imageId, format: 'png', size: 32 });
      expect(made.status).to.equal(201);
      // Another request's render holds the one slot, a third waits: the line is full.
      const held = [gate(), gate()];
      const holding = held.map((g) => slots.run(() => g.promise));
      expect([slots.running, slots.waiting]).to.deep.equal([1, 1]);

      const refused = await client.post('/api/downloads/custom', { imageId, format: 'png', size: 33 });
      expect([refused.status, refused.json.error.code, refused.headers.get('retry-after')]).to.deep.equal([503, 'busy', String(CUSTOM_RENDER_RETRY_AFTER_SECONDS)]);
      expect((await client.post('/api/downloads/custom', { imageId, format: 'png', size: 32 })).status).to.equal(201);

      for (const g of held) g.resolve();
      await Promise.all(holding);
      expect((await client.post('/api/downloads/custom', { imageId, format: 'png', size: 33 })).status).to.equal(201);
    });
  });
});
