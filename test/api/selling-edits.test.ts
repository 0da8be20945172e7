/**
 * What a contributor's edits and withdrawals do to buyers. A buyer pays for the licence the set page
 * showed when they checked out; a buyer keeps a set unpublished after they bought it (ROUTES.md) for every way
 * of taking its files. Real PostgreSQL and s3rver, the Stripe stand-in through the real StripeGateway.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/tables.ts';
import { seedCatalog, type SeededProduct } from '../../app/api/dev/seed.ts';
import type { Database, License } from '../../core/catalog/index.ts';
import { sellingDb } from '../../core/selling/schema.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';
import { createS3Client, ObjectStore, originalKey, sanitisedSvgFrom } from '../../core/storage/index.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startS3 } from '../../scripts/local/services.ts';
import { startStripeStandIn, type StripeStandIn } from '../../scripts/local/stripe-standin.ts';
import { iconSvg } from '../fixtures/svgs.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from '../api/client.ts';

const SECRET_KEY = 'sk_test_standin_edits';
const WEBHOOK_SECRET = 'whsec_standin_edits';
const PASSWORD = 'correct horse battery staple';

describe('contributor edits and withdrawals against buyers', function () {
  this.timeout(60_000);
  let database: FreshDatabase;
  let db: Kysely<Database>;
  let server: Server;
  let baseUrl: string;
  let deps: ApiDeps;
  let stripe: StripeStandIn;
  let contributorId: string;
  let accountNumber = 0;
  let s3Dir: string;
  let s3: Awaited<ReturnType<typeof startS3>>;

  const sdb = () => sellingDb(db);

  async function signIn(email: string): Promise<ApiClient> {
    const client = new ApiClient(baseUrl);
    const res = await client.post('/api/auth/signin', { email, password: PASSWORD });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    return client;
  }

  async function newBuyer(): Promise<ApiClient> {
    const email = `buyer-${++accountNumber}@example.test`;
    await createAccount(apiDb(db), { email, password: PASSWORD, displayName: `Buyer ${accountNumber}`, role: 'buyer' });
    return signIn(email);
  }

  async function newSet(title: string, priceCents: number, license: License = 'standard'): Promise<SeededProduct> {
    const [set] = await seedCatalog(db, [{ title, priceCents, license, imageTitles: [`${title} one`, `${title} two`] }], { id: contributorId });
    const store = new ObjectStore(deps.s3, LOCAL_BUCKETS);
    for (const [index, imageId] of set!.imageIds.entries()) {
      const result = sanitizeSvg(Buffer.from(iconSvg(index)));
      if (!result.ok) throw new Error(result.reason);
      await store.putOriginal(originalKey(set!.productId, imageId), sanitisedSvgFrom(result), `${imageId}.svg`);
    }
    return set!;
  }

  async function sessionOf(checkoutId: string): Promise<string> {
    const row = await sdb().selectFrom('checkouts').select('stripeSessionId').where('id', '=', checkoutId).executeTakeFirstOrThrow();
    return row.stripeSessionId!;
  }

  before(async () => {
    s3Dir = await mkdtemp(path.join(os.tmpdir(), 'selling-edits-'));
    s3 = await startS3(s3Dir, 0);
    database = await freshDatabase();
    db = database.db;
    stripe = await startStripeStandIn({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET });
    const owner = await createAccount(apiDb(db), { email: 'owner@example.test', password: PASSWORD, displayName: 'Owner', role: 'contributor', slug: 'owner-studio' });
    contributorId = owner.contributor!.id;
    deps = {
      db,
      s3: createS3Client({ AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }),
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: `${s3.endpoint}/${LOCAL_BUCKETS.assets}`,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
      secureCookies: false,
      rateLimits: { auth: { requests: 1_000, windowSeconds: 60 }, upload: { requests: 1_000, windowSeconds: 60 } },
      validateResponses: true,
      selling: {
        gateway: new StripeGateway({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, apiBase: stripe.url }),
        commissionPercent: 30,
        publicUrl: 'http://shop.example.test',
      },
    };
    server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stripe.webhookUrl = `${baseUrl}/api/stripe/webhook`;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await stripe?.close();
    deps?.s3.destroy();
    await database?.destroy();
    await s3?.stop();
    await rm(s3Dir, { recursive: true, force: true });
  });

  it('a buyer who paid for the Extended licence gets Extended, though the contributor switched the set to Standard before the payment settled', async () => {
    const set = await newSet('Brand kit', 9900, 'extended');
    const buyer = await newBuyer();
    const owner = await signIn('owner@example.test');
    const checkout = await buyer.post('/api/checkout', { productIds: [set.productId] });
    expect(checkout.status, JSON.stringify(checkout.json)).to.equal(201);
    const session = await sessionOf(checkout.json.checkoutId);
    // A delayed method (SEPA, ACH) settles days later; the contributor edits meanwhile.
    expect((await stripe.pay(session, { delayed: true })).webhookStatus).to.equal(200);
    const edited = await owner.patch(`/api/products/${set.productId}`, { license: 'standard' });
    expect(edited.status, JSON.stringify(edited.json)).to.equal(200);
    expect(await stripe.settle(session, 'succeeded')).to.equal(200);
    const access = (await buyer.get(`/api/me/access/${set.productId}`)).json.access;
    expect(access).to.deep.equal({ download: true, licence: 'extended', reason: 'purchased' });
  });

  it('a buyer keeps customised downloads and Copy SVG of a set unpublished after they bought it, as they keep its ZIP and files', async () => {
    const set = await newSet('Retired icons', 1500);
    const buyer = await newBuyer();
    const owner = await signIn('owner@example.test');
    const checkout = await buyer.post('/api/checkout', { productIds: [set.productId] });
    expect((await stripe.pay(await sessionOf(checkout.json.checkoutId))).webhookStatus).to.equal(200);
    expect((await owner.post(`/api/products/${set.productId}/unpublish`, {})).status).to.equal(200);
    // The documented rule holds for the plain download...
    expect((await buyer.post('/api/downloads', { imageId: set.imageIds[0], format: 'svg' })).status).to.equal(201);
    expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access.download).to.equal(true);
    // ...and must for the other ways of taking the same file.
    const custom = await buyer.post('/api/downloads/custom', { imageId: set.imageIds[0], format: 'png', size: 64 });
    expect(custom.status, JSON.stringify(custom.json)).to.equal(201);
    const copy = await buyer.get(`/api/images/${set.imageIds[0]}/svg`);
    expect(copy.status, JSON.stringify(copy.json)).to.equal(200);
  });
});
