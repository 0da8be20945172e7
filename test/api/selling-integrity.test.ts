/**
 * Money integrity over HTTP (the holes a hostile review found, fixed): free licences after a set is priced,
 * duplicate checkouts, checkouts of sets blocked or withdrawn meanwhile, delayed payment methods, chargebacks
 * and the payout hold, and currencies Stripe charges in other minor units. Real PostgreSQL; Stripe is the
 * local stand-in (scripts/local/stripe-standin.ts) reached by the real StripeGateway, and every event is
 * signed as Stripe signs it and posted to the API's own webhook route.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/db.ts';
import { seedCatalog, type SeededProduct } from '../../app/api/dev/seed.ts';
import type { Database } from '../../core/catalog/index.ts';
import { contributorBalances, trialBalance } from '../../core/selling/ledger.ts';
import { sellingDb } from '../../core/selling/schema.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startStripeStandIn, type StripeStandIn } from '../../scripts/local/stripe-standin.ts';
import { eventually } from '../support/eventually.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from './client.ts';

const SECRET_KEY = 'sk_test_standin_integrity';
const WEBHOOK_SECRET = 'whsec_standin_integrity';
const PASSWORD = 'correct horse battery staple';

describe('selling integrity over HTTP', function () {
  this.timeout(60_000);
  let database: FreshDatabase;
  let db: Kysely<Database>;
  let server: Server;
  let baseUrl: string;
  let deps: ApiDeps;
  let stripe: StripeStandIn;
  let contributorId: string;
  let accountNumber = 0;

  const sdb = () => sellingDb(db);

  async function signIn(email: string): Promise<ApiClient> {
    const client = new ApiClient(baseUrl);
    const res = await client.post('/api/auth/signin', { email, password: PASSWORD });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    return client;
  }

  /** A new buyer account, signed in. */
  async function newBuyer(): Promise<ApiClient> {
    const email = `buyer-${++accountNumber}@example.test`;
    await createAccount(apiDb(db), { email, password: PASSWORD, displayName: `Buyer ${accountNumber}`, role: 'buyer' });
    return signIn(email);
  }

  /** A new ready, published set of the contributor's. */
  async function newSet(title: string, priceCents: number): Promise<SeededProduct> {
    const [set] = await seedCatalog(db, [{ title, priceCents, imageTitles: [`${title} one`, `${title} two`] }], { id: contributorId });
    return set!;
  }

  async function sessionOf(checkoutId: string): Promise<string> {
    const row = await sdb().selectFrom('checkouts').select('stripeSessionId').where('id', '=', checkoutId).executeTakeFirstOrThrow();
    return row.stripeSessionId!;
  }

  async function checkoutState(checkoutId: string) {
    return sdb().selectFrom('checkouts').select('status').where('id', '=', checkoutId).executeTakeFirstOrThrow();
  }

  before(async () => {
    database = await freshDatabase();
    db = database.db;
    stripe = await startStripeStandIn({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET });
    const owner = await createAccount(apiDb(db), { email: 'owner@example.test', password: PASSWORD, displayName: 'Owner', role: 'contributor', slug: 'owner-studio' });
    contributorId = owner.contributor!.id;
    await createAccount(apiDb(db), { email: 'admin@example.test', password: PASSWORD, displayName: 'Admin', role: 'admin' });
    deps = {
      db,
      s3: createS3Client({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }),
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: 'http://127.0.0.1:9/assets',
      logger: pino({ level: 'silent' }),
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
  });

  describe('F1: a free licence is good only while the set is free', () => {
    it('stops downloads once the set is priced, lets the buyer buy it, and counts again if it goes back to free', async () => {
      const set = await newSet('Launch promo icons', 0);
      const buyer = await newBuyer();
      const owner = await signIn('owner@example.test');
      expect((await buyer.post('/api/downloads', { imageId: set.imageIds[0], format: 'svg' })).status).to.equal(201);
      expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access).to.deep.equal({ download: true, licence: 'free', reason: 'free' });

      const priced = await owner.patch(`/api/products/${set.productId}`, { price: { amount: 4900, currency: 'USD' } });
      expect(priced.status, JSON.stringify(priced.json)).to.equal(200);
      expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access).to.deep.equal({ download: false, licence: null, reason: 'buy' });
      const refused = await buyer.post('/api/downloads', { imageId: set.imageIds[1], format: 'svg' });
      expect([refused.status, refused.json.error.code]).to.deep.equal([402, 'payment_required']);
      const custom = await buyer.post('/api/downloads/custom', { imageId: set.imageIds[1], format: 'png', size: 64 });
      expect([custom.status, custom.json.error.message]).to.deep.equal([403, 'Buy this set to download it.']);

      const checkout = await buyer.post('/api/checkout', { productIds: [set.productId] });
      expect(checkout.status, JSON.stringify(checkout.json)).to.equal(201);
      expect((await stripe.pay(await sessionOf(checkout.json.checkoutId))).webhookStatus).to.equal(200);
      expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access).to.deep.equal({ download: true, licence: 'standard', reason: 'purchased' });
      const licences = await sdb().selectFrom('entitlements').select(['licence', 'revokeReason']).where('productId', '=', set.productId).orderBy('grantedAt').execute();
      expect(licences).to.deep.equal([
        { licence: 'free', revokeReason: 'superseded by a purchase' },
        { licence: 'standard', revokeReason: null },
      ]);

      // Another account's free licence counts again when the set goes back to free.
      const other = await newBuyer();
      const back = await newSet('Seasonal icons', 0);
      expect((await other.post('/api/downloads', { imageId: back.imageIds[0], format: 'svg' })).status).to.equal(201);
      await owner.patch(`/api/products/${back.productId}`, { price: { amount: 900, currency: 'USD' } });
      expect((await other.post('/api/downloads', { imageId: back.imageIds[0], format: 'svg' })).status).to.equal(402);
      await owner.patch(`/api/products/${back.productId}`, { price: null });
      const again = await other.post('/api/downloads', { imageId: back.imageIds[0], format: 'svg' });
      expect([again.status, again.json.licence]).to.deep.equal([201, 'free']);
      expect(await sdb().selectFrom('entitlements').select('licence').where('productId', '=', back.productId).execute()).to.have.length(1);
    });
  });
});
