/**
 * Money integrity over HTTP (the holes a hostile review found, fixed): free licences after a set is priced,
 * duplicate checkouts, checkouts of sets blocked or withdrawn meanwhile, delayed payment methods, chargebacks
 * and the payout hold, currencies Stripe charges in other minor units, and contributors' edits against
 * buyers. Real PostgreSQL; Stripe is the local stand-in (scripts/local/stripe-standin.ts) reached by the real StripeGateway, and every event is
 * signed as Stripe signs it and posted to the API's own webhook route.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/tables.ts';
import { seedCatalog, type SeededProduct } from '../../app/api/dev/seed.ts';
import type { Database, License } from '../../core/catalog/index.ts';
import { contributorBalances, trialBalance } from '../../core/selling/ledger.ts';
import { readPayoutEnvironment } from '../../core/selling/payout-environment.ts';
import { runPayouts } from '../../core/selling/payouts.ts';
import { sellingDb } from '../../core/selling/schema.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';
import { createS3Client, ObjectStore, originalKey, sanitisedSvgFrom } from '../../core/storage/index.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startS3 } from '../../scripts/local/services.ts';
import { startStripeStandIn, type StripeStandIn } from '../../scripts/local/stripe-standin.ts';
import { iconSvg } from '../fixtures/svgs.ts';
import { eventually } from '../support/eventually.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from './client.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const SECRET_KEY = 'sk_test_standin_integrity';
const WEBHOOK_SECRET = 'whsec_standin_integrity';
const PASSWORD = 'correct horse battery staple';

describe('selling integrity over HTTP', function () {
  this.timeout(60_000);
  let database: FreshDatabase;
  let db: Kysely<Database>;
  let server: LocalServer | undefined;
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

  /** A new buyer account, signed in. */
  async function newBuyer(): Promise<ApiClient> {
    const email = `buyer-${++accountNumber}@example.test`;
    await createAccount(apiDb(db), { email, password: PASSWORD, displayName: `Buyer ${accountNumber}`, role: 'buyer' });
    return signIn(email);
  }

  /** A new ready, published set of the contributor's. */
  async function newSet(title: string, priceCents: number, license: License = 'standard'): Promise<SeededProduct> {
    const [set] = await seedCatalog(db, [{ title, priceCents, license, imageTitles: [`${title} one`, `${title} two`] }], { id: contributorId });
    return set!;
  }

  /** The same, with its sanitised originals stored (what Copy SVG and customised renders read). */
  async function newSetWithFiles(title: string, priceCents: number, license: License = 'standard'): Promise<SeededProduct> {
    const set = await newSet(title, priceCents, license);
    const store = new ObjectStore(deps.s3, LOCAL_BUCKETS);
    for (const [index, imageId] of set.imageIds.entries()) {
      const result = sanitizeSvg(Buffer.from(iconSvg(index)));
      if (!result.ok) throw new Error(result.reason);
      await store.putOriginal(originalKey(set.productId, imageId), sanitisedSvgFrom(result), `${imageId}.svg`);
    }
    return set;
  }

  async function sessionOf(checkoutId: string): Promise<string> {
    const row = await sdb().selectFrom('checkouts').select('stripeSessionId').where('id', '=', checkoutId).executeTakeFirstOrThrow();
    return row.stripeSessionId!;
  }

  async function checkoutState(checkoutId: string) {
    return sdb().selectFrom('checkouts').select('status').where('id', '=', checkoutId).executeTakeFirstOrThrow();
  }

  before(async () => {
    s3Dir = await mkdtemp(path.join(os.tmpdir(), 'selling-integrity-'));
    s3 = await startS3(s3Dir, 0);
    database = await freshDatabase();
    db = database.db;
    stripe = await startStripeStandIn({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET });
    const owner = await createAccount(apiDb(db), { email: 'owner@example.test', password: PASSWORD, displayName: 'Owner', role: 'contributor', slug: 'owner-studio' });
    contributorId = owner.contributor!.id;
    await createAccount(apiDb(db), { email: 'admin@example.test', password: PASSWORD, displayName: 'Admin', role: 'admin' });
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
    server = await serveOnLocalPort(createApp(deps));
    baseUrl = server.url;
    stripe.webhookUrl = `${baseUrl}/api/stripe/webhook`;
  });

  after(async () => {
    await server?.close();
    await stripe?.close();
    deps?.s3.destroy();
    await database?.destroy();
    await s3?.stop();
    await rm(s3Dir, { recursive: true, force: true });
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

  describe('F2: one set, one payment', () => {
    it('closes an older unpaid checkout of the same set at Stripe when the buyer checks out again, so only one can be paid', async () => {
      const set = await newSet('Double click icons', 1900);
      const buyer = await newBuyer();
      const first = await buyer.post('/api/checkout', { productIds: [set.productId] });
      expect(first.status, JSON.stringify(first.json)).to.equal(201);
      const firstSession = await sessionOf(first.json.checkoutId);
      const second = await buyer.post('/api/checkout', { productIds: [set.productId] });
      expect(second.status, JSON.stringify(second.json)).to.equal(201);
      expect(stripe.requests.filter((r) => r.path === `/checkout/sessions/${firstSession}/expire`).map((r) => r.method)).to.deep.equal(['POST']);
      expect(await checkoutState(first.json.checkoutId)).to.deep.equal({ status: 'expired' });
      expect((await buyer.get(`/api/checkout/${first.json.checkoutId}`)).json.checkout).to.include({ status: 'expired', orderId: null });
      const page = await fetch(`${stripe.url}/_local/checkout/${firstSession}`);
      expect(page.status, 'the first tab\'s Stripe page no longer takes payment').to.equal(410);
      const error = await stripe.pay(firstSession).then(() => null, (e: Error) => e.message);
      expect(error).to.equal(`checkout session ${firstSession} has expired`);

      expect((await stripe.pay(await sessionOf(second.json.checkoutId))).webhookStatus).to.equal(200);
      const orders = await sdb().selectFrom('orders as o').innerJoin('checkouts as c', 'c.id', 'o.checkoutId').select(['o.status', 'o.totalCents']).where('c.accountId', '=', (await buyer.get('/api/auth/me')).json.account.id).execute();
      expect(orders).to.deep.equal([{ status: 'paid', totalCents: 1900 }]);
      expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access).to.deep.equal({ download: true, licence: 'standard', reason: 'purchased' });
    });

    it('refuses a second checkout while a delayed payment for the set is under way', async () => {
      const set = await newSet('Bank transfer icons', 1900);
      const buyer = await newBuyer();
      const first = await buyer.post('/api/checkout', { productIds: [set.productId] });
      expect((await stripe.pay(await sessionOf(first.json.checkoutId), { delayed: true })).webhookStatus).to.equal(200);
      const second = await buyer.post('/api/checkout', { productIds: [set.productId] });
      expect([second.status, second.json.error.message]).to.deep.equal([409, 'Some sets in the cart are already in a checkout being paid.']);
      expect(second.json.error.issues).to.deep.equal([
        { path: 'body.productIds.0', message: 'a payment for "Bank transfer icons" is already under way: it is yours once it completes' },
      ]);
      expect(await checkoutState(first.json.checkoutId)).to.deep.equal({ status: 'open' });
    });

    it('refunds in full, at once, an order for a set the buyer already bought, keeping the first licence', async () => {
      const set = await newSet('Paid twice icons', 1900);
      const buyer = await newBuyer();
      const accountId = (await buyer.get('/api/auth/me')).json.account.id;
      const bought = await buyer.post('/api/checkout', { productIds: [set.productId] });
      // A second session for the set that the checkout route never saw (opened before this rule, or by a race
      // the lock cannot see): Stripe takes its payment all the same.
      const stray = await sdb().insertInto('checkouts').values({ accountId, currency: 'USD', totalCents: 1900, stripeSessionId: null, completedAt: null }).returning('id').executeTakeFirstOrThrow();
      await sdb().insertInto('checkoutItems').values({ checkoutId: stray.id, productId: set.productId, priceCents: 1900, licence: 'standard' }).execute();
      const straySession = await deps.selling!.gateway!.createCheckoutSession({
        checkoutId: stray.id,
        currency: 'USD',
        lines: [{ productId: set.productId, title: 'Paid twice icons', priceCents: 1900 }],
        buyerEmail: 'x@example.test',
        successUrl: 'http://shop.example.test/checkout/success',
        cancelUrl: 'http://shop.example.test/cart',
      });
      await sdb().updateTable('checkouts').set({ stripeSessionId: straySession.id }).where('id', '=', stray.id).execute();
      expect((await stripe.pay(await sessionOf(bought.json.checkoutId))).webhookStatus).to.equal(200);
      const balanceBefore = await contributorBalances(sdb(), contributorId);
      expect((await stripe.pay(straySession.id)).webhookStatus).to.equal(200);

      const orders = await sdb().selectFrom('orders').select(['id', 'checkoutId', 'status', 'stripePaymentIntentId']).where('accountId', '=', accountId).execute();
      const strayOrder = orders.find((o) => o.checkoutId === stray.id)!;
      expect(orders.map((o) => [o.checkoutId, o.status]).sort()).to.deep.equal([[bought.json.checkoutId, 'paid'], [stray.id, 'refunded']].sort());
      const refundCall = stripe.requests.filter((r) => r.path === '/refunds').at(-1)!;
      expect(refundCall.idempotencyKey).to.equal(`unfulfillable-${stray.id}`);
      expect(refundCall.body).to.deep.include({ payment_intent: strayOrder.stripePaymentIntentId, reason: 'duplicate' });
      const refunds = await sdb().selectFrom('refunds').select(['status', 'reason', 'amountCents', 'requestedBy']).where('orderId', '=', strayOrder.id).execute();
      expect(refunds).to.deep.equal([{ status: 'succeeded', reason: 'Refunded automatically: "Paid twice icons" was already bought in another checkout', amountCents: 1900, requestedBy: null }]);
      const live = await sdb().selectFrom('entitlements as e').innerJoin('orderItems as oi', 'oi.id', 'e.orderItemId').innerJoin('orders as o', 'o.id', 'oi.orderId').select(['o.checkoutId', 'e.licence']).where('e.accountId', '=', accountId).where('e.revokedAt', 'is', null).execute();
      expect(live).to.deep.equal([{ checkoutId: bought.json.checkoutId, licence: 'standard' }]);
      expect(await contributorBalances(sdb(), contributorId), 'the duplicate sale is reversed').to.deep.equal(balanceBefore);
      expect(await trialBalance(sdb())).to.deep.equal({ USD: 0 });
      // Stripe's charge.refunded for the automatic refund changes nothing more.
      await eventually(
        () => sdb().selectFrom('stripeEvents').select('id').where('type', '=', 'charge.refunded').execute(),
        (rows) => rows.length >= 1,
        'charge.refunded delivered',
      );
      expect(await contributorBalances(sdb(), contributorId)).to.deep.equal(balanceBefore);
      expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access).to.deep.equal({ download: true, licence: 'standard', reason: 'purchased' });
    });
  });

  describe('F8: a set withdrawn while a checkout is open', () => {
    it('closes open checkouts of a set an admin blocks, and refunds one paid meanwhile without crediting anyone', async () => {
      const set = await newSet('Infringing icons', 1500);
      const buyer = await newBuyer();
      const other = await newBuyer();
      const accountId = (await other.get('/api/auth/me')).json.account.id;
      const open = await buyer.post('/api/checkout', { productIds: [set.productId] });
      const paying = await other.post('/api/checkout', { productIds: [set.productId] });
      // The other buyer already paid by bank transfer: that session is complete and cannot be closed.
      const payingSession = await sessionOf(paying.json.checkoutId);
      expect((await stripe.pay(payingSession, { delayed: true })).webhookStatus).to.equal(200);
      const balanceBefore = await contributorBalances(sdb(), contributorId);

      const admin = await signIn('admin@example.test');
      const blocked = await admin.post(`/api/admin/products/${set.productId}/block`, { reason: 'copyright claim' });
      expect(blocked.status, JSON.stringify(blocked.json)).to.equal(200);
      expect(await checkoutState(open.json.checkoutId)).to.deep.equal({ status: 'expired' });
      expect(await checkoutState(paying.json.checkoutId)).to.deep.equal({ status: 'open' });
      expect(await stripe.pay(await sessionOf(open.json.checkoutId)).then(() => 'paid', () => 'refused')).to.equal('refused');

      // The bank transfer settles after the block: the order is recorded and refunded in full, no licence.
      expect(await stripe.settle(payingSession, 'succeeded')).to.equal(200);
      const order = await sdb().selectFrom('orders').select(['id', 'status']).where('checkoutId', '=', paying.json.checkoutId).executeTakeFirstOrThrow();
      expect(order.status).to.equal('refunded');
      expect(await sdb().selectFrom('refunds').select(['status', 'reason']).where('orderId', '=', order.id).execute()).to.deep.equal([
        { status: 'succeeded', reason: 'Refunded automatically: "Infringing icons" was blocked before the payment completed' },
      ]);
      const refundCall = stripe.requests.filter((r) => r.path === '/refunds').at(-1)!;
      expect(refundCall.idempotencyKey).to.equal(`unfulfillable-${paying.json.checkoutId}`);
      expect(refundCall.body.reason).to.equal(undefined);
      expect(await sdb().selectFrom('entitlements').select('id').where('accountId', '=', accountId).execute()).to.deep.equal([]);
      expect(await contributorBalances(sdb(), contributorId)).to.deep.equal(balanceBefore);
      expect(await trialBalance(sdb())).to.deep.equal({ USD: 0 });
    });

    it('closes open checkouts of a set its contributor unpublishes', async () => {
      const set = await newSet('Retired icons', 1500);
      const buyer = await newBuyer();
      const open = await buyer.post('/api/checkout', { productIds: [set.productId] });
      const owner = await signIn('owner@example.test');
      expect((await owner.post(`/api/products/${set.productId}/unpublish`)).status).to.equal(200);
      expect(await checkoutState(open.json.checkoutId)).to.deep.equal({ status: 'expired' });
      const session = await sessionOf(open.json.checkoutId);
      expect(stripe.requests.filter((r) => r.path === `/checkout/sessions/${session}/expire`)).to.have.length(1);
    });
  });

  describe('F3: delayed payment methods', () => {
    it('fulfils when the delayed payment succeeds, and closes the checkout when it fails', async () => {
      const set = await newSet('SEPA icons', 1900);
      const buyer = await newBuyer();
      const started = await buyer.post('/api/checkout', { productIds: [set.productId] });
      const session = await sessionOf(started.json.checkoutId);
      expect((await stripe.pay(session, { delayed: true })).webhookStatus).to.equal(200);
      expect((await buyer.get(`/api/checkout/${started.json.checkoutId}`)).json.checkout).to.include({ status: 'open', orderId: null });
      expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access.download).to.equal(false);
      expect(await stripe.settle(session, 'succeeded')).to.equal(200);
      const done = (await buyer.get(`/api/checkout/${started.json.checkoutId}`)).json.checkout;
      expect(done.status).to.equal('completed');
      expect(done.orderId).to.match(/^[0-9a-f-]{36}$/);
      expect((await buyer.get(`/api/me/access/${set.productId}`)).json.access).to.deep.equal({ download: true, licence: 'standard', reason: 'purchased' });

      const failing = await newBuyer();
      const failed = await failing.post('/api/checkout', { productIds: [set.productId] });
      const failedSession = await sessionOf(failed.json.checkoutId);
      await stripe.pay(failedSession, { delayed: true });
      expect(await stripe.settle(failedSession, 'failed')).to.equal(200);
      expect((await failing.get(`/api/checkout/${failed.json.checkoutId}`)).json.checkout).to.include({ status: 'expired', orderId: null });
      expect((await failing.get(`/api/me/access/${set.productId}`)).json.access.download).to.equal(false);
      // Closed, so a new checkout of the set is not refused as "under way".
      expect((await failing.post('/api/checkout', { productIds: [set.productId] })).status).to.equal(201);
    });
  });

  describe('F4: chargebacks and the payout hold', () => {
    it('suspends the licence during a dispute, reverses the sale when it is lost, restores it when won, and holds young or disputed sales from payouts', async () => {
      const studio = await createAccount(apiDb(db), { email: 'chargeback-studio@example.test', password: PASSWORD, displayName: 'Chargeback Studio', role: 'contributor', slug: 'chargeback-studio' });
      const studioId = studio.contributor!.id;
      const [set] = await seedCatalog(db, [{ title: 'Disputed icons', priceCents: 2000, imageTitles: ['Anchor'] }], { id: studioId });
      const contributor = await signIn('chargeback-studio@example.test');
      const link = await contributor.post('/api/me/connect/onboarding');
      const stripeAccount = new URL(link.json.url).pathname.split('/').at(-1)!;
      await stripe.completeOnboarding(stripeAccount);
      const gateway = deps.selling!.gateway!;
      const linesOf = (report: Awaited<ReturnType<typeof runPayouts>>) =>
        [...report.paid, ...report.skipped, ...report.failed].filter((line) => line.contributorId === studioId).map(({ amountCents, reason }) => ({ amountCents, reason }));

      const buy = async (buyer: ApiClient) => {
        const started = await buyer.post('/api/checkout', { productIds: [set!.productId] });
        expect((await stripe.pay(await sessionOf(started.json.checkoutId))).webhookStatus).to.equal(200);
        return sdb().selectFrom('orders').select(['id', 'stripePaymentIntentId']).where('checkoutId', '=', started.json.checkoutId).executeTakeFirstOrThrow();
      };
      const fraudster = await newBuyer();
      const honest = await newBuyer();
      const lostOrder = await buy(fraudster);
      const wonOrder = await buy(honest);
      expect(await contributorBalances(sdb(), studioId)).to.deep.equal([{ contributorId: studioId, currency: 'USD', balanceCents: 2800 }]);

      // Both sales are younger than the 14-day hold: nothing is paid yet.
      const young = await runPayouts({ db: sdb(), gateway, thresholdCents: 500, holdDays: 14 });
      expect(linesOf(young)).to.deep.equal([
        { amountCents: 0, reason: 'balance below the 500-cent threshold after 2800 held (sales within the 14-day hold, under dispute, or of blocked sets)' },
      ]);

      const lost = await stripe.openDispute(lostOrder.stripePaymentIntentId!);
      expect(lost.webhookStatus).to.equal(200);
      const won = await stripe.openDispute(wonOrder.stripePaymentIntentId!);
      expect((await fraudster.get(`/api/me/access/${set!.productId}`)).json.access).to.deep.equal({ download: false, licence: null, reason: 'buy' });
      expect((await honest.post('/api/downloads', { imageId: set!.imageIds[0], format: 'svg' })).status).to.equal(402);
      // Past the hold, the disputed sales are still held.
      const disputed = await runPayouts({ db: sdb(), gateway, thresholdCents: 500, holdDays: 0 });
      expect(linesOf(disputed)).to.deep.equal([
        { amountCents: 0, reason: 'balance below the 500-cent threshold after 2800 held (sales within the 0-day hold, under dispute, or of blocked sets)' },
      ]);

      expect(await stripe.closeDispute(lost.disputeId, 'lost')).to.equal(200);
      expect(await sdb().selectFrom('orders').select('status').where('id', '=', lostOrder.id).executeTakeFirstOrThrow()).to.deep.equal({ status: 'refunded' });
      expect(await sdb().selectFrom('refunds').select(['status', 'reason', 'amountCents']).where('orderId', '=', lostOrder.id).execute()).to.deep.equal([
        { status: 'succeeded', reason: `Chargeback lost (Stripe dispute ${lost.disputeId})`, amountCents: 2000 },
      ]);
      expect(await contributorBalances(sdb(), studioId)).to.deep.equal([{ contributorId: studioId, currency: 'USD', balanceCents: 1400 }]);
      expect(await trialBalance(sdb())).to.deep.equal({ USD: 0 });
      expect((await fraudster.get(`/api/me/access/${set!.productId}`)).json.access.download).to.equal(false);

      expect(await stripe.closeDispute(won.disputeId, 'won')).to.equal(200);
      expect((await honest.get(`/api/me/access/${set!.productId}`)).json.access).to.deep.equal({ download: true, licence: 'standard', reason: 'purchased' });
      expect(await sdb().selectFrom('disputes').select(['id', 'status']).where('orderId', 'in', [lostOrder.id, wonOrder.id]).orderBy('status').execute()).to.deep.equal([
        { id: lost.disputeId, status: 'lost' },
        { id: won.disputeId, status: 'won' },
      ]);
      // The won sale, past the hold, is paid; the lost one is gone from the balance.
      const paid = await runPayouts({ db: sdb(), gateway, thresholdCents: 500, holdDays: 0 });
      expect(linesOf(paid)).to.deep.equal([{ amountCents: 1400, reason: undefined }]);
      expect(stripe.transfers.filter((t) => t.destination === stripeAccount).map((t) => t.amount)).to.deep.equal([1400]);
    });

    it('holds 14 days unless PAYOUT_HOLD_DAYS says otherwise', () => {
      const base = { DATABASE_URL: 'postgres://x/y', STRIPE_SECRET_KEY: 'sk_test_x' };
      expect(readPayoutEnvironment(base).PAYOUT_HOLD_DAYS).to.equal(14);
      expect(readPayoutEnvironment({ ...base, PAYOUT_HOLD_DAYS: '30' }).PAYOUT_HOLD_DAYS).to.equal(30);
      expect(() => readPayoutEnvironment({ ...base, PAYOUT_HOLD_DAYS: '-1' })).to.throw(/PAYOUT_HOLD_DAYS/);
    });
  });

  // A buyer pays for the licence the set page showed at checkout, and keeps a set unpublished after they
  // bought it (ROUTES.md) for every way of taking its files.
  describe('contributor edits and withdrawals against buyers', () => {
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
      const set = await newSetWithFiles('Retired icons', 1500);
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
});
