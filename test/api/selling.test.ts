/**
 * Selling over HTTP on the real local stack (PostgreSQL, s3rver, the ingestion pipeline), with the Stripe
 * adapter talking to the Stripe stand-in (scripts/local/stripe-standin.ts) through the SDK's host/port:
 * entitlement checks on downloads, LICENSE.txt, checkout priced from the catalog, the signed webhook
 * (idempotent by event id), refunds that revoke, the ledger, Connect onboarding and payouts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import JSZip from 'jszip';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import Stripe from 'stripe';
import { createApp, type ApiDeps } from '../../app/api/app.ts';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { createApiDb } from '../../app/api/database.ts';
import { apiDb } from '../../app/api/tables.ts';
import { createDb, type Database } from '../../core/catalog/index.ts';
import { DOWNLOAD_RATE_LIMIT } from '../../core/limits.ts';
import { contributorBalances, trialBalance } from '../../core/selling/ledger.ts';
import { formatPayoutReport, runPayouts } from '../../core/selling/payouts.ts';
import { createPayoutRunnerHandler } from '../../functions/payout-runner/handler.ts';
import { sellingDb } from '../../core/selling/schema.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startLocalPipeline, type LocalPipeline } from '../../scripts/local/pipeline.ts';
import { startStripeStandIn, type StripeStandIn } from '../../scripts/local/stripe-standin.ts';
import { buildUploadZip, iconSetFiles, iconSetManifest } from '../fixtures/uploads.ts';
import { eventually } from '../support/eventually.ts';
import { ApiClient } from './client.ts';
import { signUpAndIn } from './sign-up.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const SECRET_KEY = 'sk_test_standin_selling';
const WEBHOOK_SECRET = 'whsec_standin_selling';

describe('selling over HTTP', function () {
  let dataDir: string;
  let pipeline: LocalPipeline;
  let db: Kysely<Database>;
  /** The payout job's own login (migration 0037's marketplace_payouts), as the deployed Lambda connects. */
  let payoutsDb: ReturnType<typeof sellingDb>;
  let server: LocalServer | undefined;
  let baseUrl: string;
  let deps: ApiDeps;
  let stripe: StripeStandIn;
  let contributor: ApiClient;
  let buyer: ApiClient;
  let otherBuyer: ApiClient;
  let admin: ApiClient;
  let paidSet: string;
  let freeSet: string;
  let hiddenSet: string;
  let contributorId: string;

  async function signUp(role: 'buyer' | 'contributor', name: string): Promise<ApiClient> {
    const client = new ApiClient(baseUrl);
    await signUpAndIn(client, {
      email: `${name}@example.test`,
      password: 'correct horse battery',
      displayName: name,
      role,
      ...(role === 'contributor' ? { slug: name } : {}),
    }, role === 'contributor' ? { verifyWith: db } : {});
    return client;
  }

  /** Uploads a set through the contributor flow and waits until the pipeline made it ready. */
  async function uploadSet(title: string, product: Record<string, unknown>, publish: boolean): Promise<string> {
    const { draft, upload } = (await contributor.post('/api/drafts', {})).json;
    const zip = await buildUploadZip({ files: iconSetFiles(3), manifest: iconSetManifest({ product: { title, family: { slug: 'selling' }, ...product } }) });
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields as Record<string, string>)) form.append(name, value);
    form.append('file', new Blob([zip], { type: 'application/zip' }), 'set.zip');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).to.equal(204);
    for (const deadline = Date.now() + 120_000; ; ) {
      const state = (await contributor.get(`/api/drafts/${draft.id}`)).json.draft.state;
      if (state === 'ready') break;
      if (state === 'rejected' || state === 'failed' || Date.now() > deadline) throw new Error(`set ${title}: ${state}`);
      await sleep(200);
    }
    if (publish) expect((await contributor.post(`/api/products/${draft.productId}/publish`)).status).to.equal(200);
    return draft.productId;
  }

  async function objectKeys(bucket: string): Promise<string[]> {
    const listed = await deps.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function zipEntries(url: string): Promise<Record<string, string>> {
    const response = await fetch(url);
    expect(response.status).to.equal(200);
    const zip = await JSZip.loadAsync(await response.arrayBuffer());
    const entries: Record<string, string> = {};
    for (const [name, file] of Object.entries(zip.files)) if (!file.dir) entries[name] = await file.async('string');
    return entries;
  }

  function signedPost(payload: string, secret = WEBHOOK_SECRET) {
    return fetch(`${baseUrl}/api/stripe/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }) },
      body: payload,
    });
  }

  before(async function () {
    this.timeout(240_000);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'selling-test-'));
    pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds: 1, logLevel: 'silent' });
    stripe = await startStripeStandIn({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET });
    const env = pipeline.services.functionEnv;
    // As deployed: the API connects as its own login (migration 0037), not as the master user.
    db = createApiDb(pipeline.componentUrls.api, { max: 4 });
    payoutsDb = sellingDb(createDb(pipeline.componentUrls.payouts, { max: 2 }));
    deps = {
      db,
      s3: createS3Client(env),
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: `${env.AWS_ENDPOINT_URL_S3}/${LOCAL_BUCKETS.assets}`,
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
    server = await serveOnLocalPort(createApp(deps));
    baseUrl = server.url;
    stripe.webhookUrl = `${baseUrl}/api/stripe/webhook`;

    contributor = await signUp('contributor', 'selling-studio');
    buyer = await signUp('buyer', 'first-buyer');
    otherBuyer = await signUp('buyer', 'second-buyer');
    await createAccount(apiDb(db), { email: 'selling-admin@example.test', password: 'admin password 123', displayName: 'Admin', role: 'admin' });
    admin = new ApiClient(baseUrl);
    expect((await admin.post('/api/auth/signin', { email: 'selling-admin@example.test', password: 'admin password 123' })).status).to.equal(200);
    contributorId = (await contributor.get('/api/auth/me')).json.account.contributor.id;

    paidSet = await uploadSet('Paid Harbour Icons', { license: 'standard', price: { amount: 900, currency: 'USD' } }, true);
    freeSet = await uploadSet('Free Harbour Icons', { license: 'free', price: { amount: 0, currency: 'USD' } }, true);
    hiddenSet = await uploadSet('Unpublished Harbour Icons', { license: 'standard', price: { amount: 500, currency: 'USD' } }, false);
  });

  after(async () => {
    await server?.close();
    await stripe?.close();
    deps?.s3.destroy();
    await db?.destroy();
    await payoutsDb?.destroy();
    await pipeline?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('downloads under entitlements', () => {
    it('refuses a paid set without a purchase with 402 and a link to buy it', async () => {
      const res = await buyer.post('/api/downloads', { productId: paidSet, format: 'zip' });
      expect(res.status).to.equal(402);
      expect(res.json.error.code).to.equal('payment_required');
      expect(res.json.error.message).to.equal(
        '"Paid Harbour Icons" is a paid set ($9.00, standard licence): buy it on its page to download it. After checkout it is in your account.',
      );
      expect(res.json.error.action).to.deep.equal({ label: 'Buy this set', href: `/sets/${paidSet}` });
      const imageId = (await buyer.get(`/api/products/${paidSet}`)).json.product.preview[0].id;
      for (const body of [{ imageId, format: 'svg' }, { imageId, format: 'png' }]) {
        expect((await buyer.post('/api/downloads', body)).status).to.equal(402);
      }
      expect((await new ApiClient(baseUrl).post('/api/downloads', { productId: freeSet, format: 'zip' })).status).to.equal(401);
    });

    it('gives a free set to any signed-in account under the free licence: the shared set ZIP, and LICENSE.txt beside it', async () => {
      const res = await buyer.post('/api/downloads', { productId: freeSet, format: 'zip' });
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      expect(res.json).to.include({ licence: 'free', fileName: 'Free Harbour Icons.zip' });
      expect(new URL(res.json.url).pathname).to.equal(`/${LOCAL_BUCKETS.downloads}/sets/${freeSet}.zip`);
      const entries = await zipEntries(res.json.url);
      expect(Object.keys(entries).filter((name) => name.endsWith('.svg'))).to.have.length(3);
      expect(res.json.licenceFile.url).to.match(/^\/api\/entitlements\/[0-9a-f-]{36}\/licence\.txt$/);
      const licence = (await buyer.get(res.json.licenceFile.url)).json as string;
      expect(licence).to.contain('FREE LICENCE');
      expect(licence).to.contain(`Set:          Free Harbour Icons (${freeSet})`);
      expect(licence).to.contain('Contributor:  selling-studio (http://shop.example.test/contributors/selling-studio)');
      expect(licence).to.contain('Licensee:     first-buyer <first-buyer@example.test>');
      expect(licence).to.contain('Order:        none (free licence)');
      expect(licence).to.contain('Terms:        http://shop.example.test/licence/free');

      const again = await buyer.post('/api/downloads', { productId: freeSet, format: 'zip' });
      expect(new URL(again.json.url).pathname).to.equal(new URL(res.json.url).pathname);
      const live = await sellingDb(db).selectFrom('entitlements').select(['id', 'licence']).where('productId', '=', freeSet).execute();
      expect(live.map((e) => e.licence)).to.deep.equal(['free']);
      const log = (await buyer.get('/api/me/downloads')).json.items;
      expect(log.map((d: { entitlementId: string }) => d.entitlementId)).to.deep.equal([live[0]!.id, live[0]!.id]);
      expect(log[0]).to.include({ productTitle: 'Free Harbour Icons', format: 'zip' });
    });

    it('stores nothing per account when throwaway accounts download a free set, and limits downloads per account', async () => {
      const before = await objectKeys(LOCAL_BUCKETS.downloads);
      const throwaways = await Promise.all([1, 2, 3].map((n) => signUp('buyer', `throwaway-${n}`)));
      const urls = [];
      for (const [n, account] of throwaways.entries()) {
        const res = await account.post('/api/downloads', { productId: freeSet, format: 'zip' });
        expect(res.status).to.equal(201);
        urls.push(new URL(res.json.url).pathname);
        expect((await account.get(res.json.licenceFile.url)).json).to.contain(`Licensee:     throwaway-${n + 1} <throwaway-${n + 1}@example.test>`);
      }
      expect(new Set(urls).size).to.equal(1);
      expect(await objectKeys(LOCAL_BUCKETS.downloads)).to.deep.equal(before);

      // DOWNLOAD_RATE_LIMIT per account: the downloads and licence fetches above count too; then 429, others unaffected.
      const [greedy, patient] = throwaways as [ApiClient, ApiClient, ApiClient];
      let made = 2;
      let status: number;
      do {
        status = (await greedy.post('/api/downloads', { productId: freeSet, format: 'zip' })).status;
        made++;
      } while (status === 201 && made <= DOWNLOAD_RATE_LIMIT.requests + 1);
      expect([status, made]).to.deep.equal([429, DOWNLOAD_RATE_LIMIT.requests + 1]);
      expect((await patient.post('/api/downloads', { productId: freeSet, format: 'zip' })).status).to.equal(201);
    });

    it('lets the contributor download their own sets without an entitlement, and hides unpublished sets from others', async () => {
      const own = await contributor.post('/api/downloads', { productId: hiddenSet, format: 'zip' });
      expect(own.status).to.equal(201);
      expect(own.json.licence).to.equal(null);
      expect((await buyer.post('/api/downloads', { productId: hiddenSet, format: 'zip' })).status).to.equal(404);
    });
  });

  describe('checkout', () => {
    let checkoutId: string;

    it('refuses own, free, unpublished and repeated sets, naming each', async () => {
      const own = await contributor.post('/api/checkout', { productIds: [paidSet] });
      expect(own.status).to.equal(409);
      expect(own.json.error.issues).to.deep.equal([{ path: 'body.productIds.0', message: '"Paid Harbour Icons" is your own set' }]);
      const mixed = await buyer.post('/api/checkout', { productIds: [freeSet, hiddenSet] });
      expect(mixed.json.error.issues).to.deep.equal([
        { path: 'body.productIds.0', message: '"Free Harbour Icons" is free: download it from its page' },
        { path: 'body.productIds.1', message: 'this set is not for sale (not found or not published)' },
      ]);
      const twice = await buyer.post('/api/checkout', { productIds: [paidSet, paidSet] });
      expect(twice.status).to.equal(400);
      const priced = await buyer.post('/api/checkout', { productIds: [paidSet], price: 1 });
      expect(priced.status).to.equal(400);
    });

    it('opens a Stripe Checkout Session priced from the catalog', async () => {
      const res = await buyer.post('/api/checkout', { productIds: [paidSet] });
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      checkoutId = res.json.checkoutId;
      expect(res.json.url).to.match(new RegExp(`^${stripe.url}/_local/checkout/cs_test_[0-9a-f]+$`));
      const call = stripe.requests.filter((r) => r.path === '/checkout/sessions').at(-1)!;
      expect(call.idempotencyKey).to.equal(`checkout-${checkoutId}`);
      expect(call.body).to.deep.include({
        mode: 'payment',
        client_reference_id: checkoutId,
        customer_email: 'first-buyer@example.test',
        success_url: `http://shop.example.test/checkout/success?checkout=${checkoutId}`,
        cancel_url: 'http://shop.example.test/cart',
      });
      expect(call.body.line_items).to.deep.equal([
        { quantity: '1', price_data: { currency: 'usd', unit_amount: '900', product_data: { name: 'Paid Harbour Icons', metadata: { productId: paidSet } } } },
      ]);
      const status = await buyer.get(`/api/checkout/${checkoutId}`);
      expect(status.json.checkout).to.include({ status: 'open', orderId: null, totalCents: 900, currency: 'USD' });
      expect((await otherBuyer.get(`/api/checkout/${checkoutId}`)).status).to.equal(404);
    });

    it('turns the paid session into an order, an entitlement and a balanced sale through the signed webhook', async () => {
      const sessionId = (await sellingDb(db).selectFrom('checkouts').select('stripeSessionId').where('id', '=', checkoutId).executeTakeFirstOrThrow()).stripeSessionId!;
      const paid = await stripe.pay(sessionId);
      expect(paid.webhookStatus).to.equal(200);
      expect(paid.successUrl).to.equal(`http://shop.example.test/checkout/success?checkout=${checkoutId}`);
      const status = (await buyer.get(`/api/checkout/${checkoutId}`)).json.checkout;
      expect(status.status).to.equal('completed');
      expect(status.orderId).to.match(/^[0-9a-f-]{36}$/);

      const sdb = sellingDb(db);
      const items = await sdb.selectFrom('orderItems').select(['priceCents', 'platformCents', 'contributorCents', 'licence']).where('orderId', '=', status.orderId).execute();
      expect(items).to.deep.equal([{ priceCents: 900, platformCents: 270, contributorCents: 630, licence: 'standard' }]);
      expect(await trialBalance(sdb)).to.deep.equal({ USD: 0 });
      expect(await contributorBalances(sdb, contributorId)).to.deep.equal([{ contributorId, currency: 'USD', balanceCents: 630 }]);

      const zip = await buyer.post('/api/downloads', { productId: paidSet, format: 'zip' });
      expect(zip.status).to.equal(201);
      expect(zip.json.licence).to.equal('standard');
      expect(Object.keys(await zipEntries(zip.json.url)).filter((name) => name.endsWith('LICENSE.txt'))).to.deep.equal([]);
      const licence = (await buyer.get(zip.json.licenceFile.url)).json as string;
      expect(licence).to.contain('STANDARD LICENCE').and.to.contain(`Order:        ${status.orderId}`);

      const imageId = (await buyer.get(`/api/products/${paidSet}`)).json.product.preview[0].id;
      const svg = await buyer.post('/api/downloads', { imageId, format: 'svg' });
      expect(svg.status).to.equal(201);
      expect(svg.json.licenceFile.url).to.match(/^\/api\/entitlements\/[0-9a-f-]{36}\/licence\.txt$/);
      const text = await buyer.get(svg.json.licenceFile.url);
      expect(text.headers.get('content-disposition')).to.equal('attachment; filename="LICENSE.txt"');
      expect(text.json).to.contain(`Order:        ${status.orderId}`);
      expect((await otherBuyer.get(svg.json.licenceFile.url)).status).to.equal(404);
      const png = await buyer.post('/api/downloads', { imageId, format: 'png' });
      expect(png.status).to.equal(201);
      expect((await fetch(png.json.url)).headers.get('content-type')).to.equal('image/png');

      expect((await otherBuyer.post('/api/downloads', { productId: paidSet, format: 'zip' })).status).to.equal(402);
      const again = await buyer.post('/api/checkout', { productIds: [paidSet] });
      expect(again.json.error.issues).to.deep.equal([{ path: 'body.productIds.0', message: 'you already own "Paid Harbour Icons"' }]);
    });

    it('applies an event once, however often it arrives, and rejects unsigned or altered bodies', async () => {
      const event = JSON.stringify({ id: 'evt_replayed_1', object: 'event', type: 'checkout.session.completed', data: { object: { id: 'cs_unknown', object: 'checkout.session' } } });
      const first = await signedPost(event);
      expect([first.status, await first.json()]).to.deep.equal([200, { received: true, outcome: 'unknown_checkout' }]);
      const second = await signedPost(event);
      expect(await second.json()).to.deep.equal({ received: true, outcome: 'duplicate' });

      const forged = await signedPost(event.replace('evt_replayed_1', 'evt_forged_1'), 'whsec_not_ours');
      expect(forged.status).to.equal(400);
      const altered = await fetch(`${baseUrl}/api/stripe/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: event, secret: WEBHOOK_SECRET }) },
        body: event.replace('cs_unknown', 'cs_other'),
      });
      expect(altered.status).to.equal(400);
      expect(((await altered.json()) as { error: { message: string } }).error.message).to.equal('The Stripe signature does not match this body.');
      const unsigned = await fetch(`${baseUrl}/api/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: event });
      expect(unsigned.status).to.equal(400);
      const orders = await sellingDb(db).selectFrom('orders').select('id').execute();
      expect(orders).to.have.length(1);
    });

    it('refunds through Stripe: the webhook revokes the licence and reverses the sale', async () => {
      const order = await sellingDb(db).selectFrom('orders').select('id').executeTakeFirstOrThrow();
      expect((await buyer.post(`/api/admin/orders/${order.id}/refund`, { reason: 'asked' })).status).to.equal(403);
      const refund = await admin.post(`/api/admin/orders/${order.id}/refund`, { reason: 'Bought by mistake' });
      expect(refund.status, JSON.stringify(refund.json)).to.equal(202);
      const call = stripe.requests.filter((r) => r.path === '/refunds').at(-1)!;
      expect(String(call.body.payment_intent)).to.match(/^pi_/);
      await eventually(
        () => buyer.post('/api/downloads', { productId: paidSet, format: 'zip' }),
        (res) => res.status === 402,
        'the refunded set is no longer downloadable',
      );
      const sdb = sellingDb(db);
      expect(await sdb.selectFrom('orders').select('status').where('id', '=', order.id).executeTakeFirstOrThrow()).to.deep.equal({ status: 'refunded' });
      expect(await sdb.selectFrom('refunds').select(['status', 'reason', 'amountCents']).where('orderId', '=', order.id).execute()).to.deep.equal([
        { status: 'succeeded', reason: 'Bought by mistake', amountCents: 900 },
      ]);
      expect(await trialBalance(sdb)).to.deep.equal({ USD: 0 });
      expect(await contributorBalances(sdb, contributorId)).to.deep.equal([{ contributorId, currency: 'USD', balanceCents: 0 }]);
      const twice = await admin.post(`/api/admin/orders/${order.id}/refund`, { reason: 'again' });
      expect([twice.status, twice.json.error.code]).to.deep.equal([409, 'invalid_state']);
    });
  });

  describe('contributor money', () => {
    it('shows sales, earnings and balance, onboards a Connect Express account, and pays the balance out once', async () => {
      const checkout = await otherBuyer.post('/api/checkout', { productIds: [paidSet] });
      const session = await sellingDb(db).selectFrom('checkouts').select('stripeSessionId').where('id', '=', checkout.json.checkoutId).executeTakeFirstOrThrow();
      expect((await stripe.pay(session.stripeSessionId!)).webhookStatus).to.equal(200);

      const earnings = (await contributor.get('/api/me/earnings')).json;
      expect(earnings.totals).to.deep.equal([{ currency: 'USD', sales: 1, grossCents: 900, earningsCents: 630, balanceCents: 630 }]);
      expect(earnings.sales.map((s: { refunded: boolean }) => s.refunded)).to.deep.equal([false, true]);
      expect(earnings.connect).to.deep.equal({ status: 'none', accountId: null });
      expect((await buyer.get('/api/me/earnings')).status).to.equal(403);

      const sdb = sellingDb(db);
      const gateway = deps.selling!.gateway!;
      const before = await runPayouts({ db: payoutsDb, gateway, thresholdCents: 500, holdDays: 0 });
      expect(before.skipped).to.deep.equal([{ contributorId, slug: 'selling-studio', currency: 'USD', amountCents: 630, reason: 'no payout account' }]);

      // Payouts need a proven address (issue 14): refused while the address is unverified (here: marked so, as uploading
      // verified it), allowed once the mailed link was used.
      await apiDb(db).updateTable('accounts').set({ emailVerifiedAt: null }).where('email', '=', 'selling-studio@example.test').execute();
      const unverified = await contributor.post('/api/me/connect/onboarding');
      expect([unverified.status, unverified.json.error.code]).to.deep.equal([403, 'forbidden']);
      await apiDb(db).updateTable('accounts').set({ emailVerifiedAt: new Date() }).where('email', '=', 'selling-studio@example.test').execute();
      const link = await contributor.post('/api/me/connect/onboarding');
      expect(link.status).to.equal(201);
      const accountId = new URL(link.json.url).pathname.split('/').at(-1)!;
      expect(new URL(link.json.url).searchParams.get('return_url')).to.equal('http://shop.example.test/dashboard/earnings?connect=done');
      expect((await contributor.post('/api/me/connect/onboarding')).json.url).to.contain(accountId);
      await stripe.completeOnboarding(accountId);
      expect((await contributor.get('/api/me/earnings')).json.connect).to.deep.equal({ status: 'enabled', accountId });

      const high = await runPayouts({ db: payoutsDb, gateway, thresholdCents: 1000, holdDays: 0 });
      expect(high.skipped.map((l) => l.reason)).to.deep.equal(['balance below the 1000-cent threshold']);
      const run = await runPayouts({ db: payoutsDb, gateway, thresholdCents: 500, holdDays: 0 });
      expect(run.paid).to.have.length(1);
      expect(run.paid[0]).to.include({ contributorId, currency: 'USD', amountCents: 630 });
      expect(run.totals).to.deep.equal({ USD: 630 });
      expect(stripe.transfers.map((t) => [t.amount, t.currency, t.destination])).to.deep.equal([[630, 'usd', accountId]]);
      expect(stripe.requests.filter((r) => r.path === '/transfers').map((r) => r.idempotencyKey)).to.deep.equal([`payout-${run.paid[0]!.payoutId}`]);
      expect(formatPayoutReport(run)).to.contain('paid     selling-studio').and.to.contain('6.30 USD');

      const again = await runPayouts({ db: payoutsDb, gateway, thresholdCents: 500, holdDays: 0 });
      expect([again.paid, again.failed, again.skipped]).to.deep.equal([[], [], []]);
      expect(stripe.transfers).to.have.length(1);
      expect(await contributorBalances(sdb, contributorId)).to.deep.equal([{ contributorId, currency: 'USD', balanceCents: 0 }]);
      expect(await trialBalance(sdb)).to.deep.equal({ USD: 0 });

      const sales = (await admin.get('/api/admin/sales')).json.items;
      expect(sales).to.deep.equal([
        {
          contributor: { id: contributorId, slug: 'selling-studio', displayName: 'selling-studio' },
          currency: 'USD',
          sales: 1,
          refunds: 1,
          grossCents: 900,
          platformCents: 270,
          contributorCents: 630,
          balanceCents: 0,
        },
      ]);
      expect((await buyer.get('/api/admin/sales')).status).to.equal(403);
    });

    it('retries a payout left pending with the same idempotency key, paying once', async () => {
      const sdb = sellingDb(db);
      const checkout = await buyer.post('/api/checkout', { productIds: [paidSet] });
      const session = await sdb.selectFrom('checkouts').select('stripeSessionId').where('id', '=', checkout.json.checkoutId).executeTakeFirstOrThrow();
      await stripe.pay(session.stripeSessionId!);
      const gateway = deps.selling!.gateway!;
      // A run that got Stripe's transfer but died before committing: the transfer exists, the payout is pending.
      let transfers = 0;
      const crashing = { transfer: async (request: Parameters<typeof gateway.transfer>[0]) => { transfers++; await gateway.transfer(request); throw Object.assign(new Error('connection reset'), { statusCode: undefined }); } };
      const crashed = await runPayouts({ db: payoutsDb, gateway: crashing, thresholdCents: 500, holdDays: 0 });
      expect(crashed.failed[0]!.reason).to.equal('connection reset (left pending; the next run retries it)');
      const before = stripe.transfers.length;
      const retried = await runPayouts({ db: payoutsDb, gateway, thresholdCents: 500, holdDays: 0 });
      expect(retried.paid.map((l) => l.payoutId)).to.deep.equal([crashed.failed[0]!.payoutId]);
      expect(stripe.transfers.length).to.equal(before);
      expect(transfers).to.equal(1);
      expect(await contributorBalances(sdb, contributorId)).to.deep.equal([{ contributorId, currency: 'USD', balanceCents: 0 }]);
    });
  });

  describe('the payout Lambda', () => {
    it('runs the same payout job from its environment and returns the report', async () => {
      const checkout = await buyer.post('/api/checkout', { productIds: [paidSet] });
      expect(checkout.status, JSON.stringify(checkout.json)).to.equal(409); // still owned from the retry test
      const order = await sellingDb(db).selectFrom('orders').select('id').where('status', '=', 'paid').orderBy('createdAt', 'desc').executeTakeFirstOrThrow();
      expect((await admin.post(`/api/admin/orders/${order.id}/refund`, { reason: 'test' })).status).to.equal(202);
      await eventually(() => contributorBalances(sellingDb(db), contributorId), (b) => b[0]!.balanceCents === -630, 'the refund reached the ledger');
      const handler = createPayoutRunnerHandler({
        DATABASE_URL: pipeline.componentUrls.payouts,
        STRIPE_SECRET_KEY: SECRET_KEY,
        STRIPE_API_BASE: stripe.url,
        PAYOUT_THRESHOLD_CENTS: '500',
        LOG_LEVEL: 'silent',
      });
      // A balance owed by the contributor (refund after payout) is not paid, and not an error.
      const report = await handler({});
      expect([report.paid, report.failed, report.skipped]).to.deep.equal([[], [], []]);
      expect(report.thresholdCents).to.equal(500);
    });
  });

  describe('the Stripe adapter', () => {
    it('fails loudly with a wrong secret key', async () => {
      const wrong = new StripeGateway({ secretKey: 'sk_test_wrong', webhookSecret: WEBHOOK_SECRET, apiBase: stripe.url });
      const error = await wrong.createExpressAccount({ id: '00000000-0000-4000-8000-000000000000', email: 'x@example.test' }).then(() => null, (e: Error) => e);
      expect(error?.message).to.equal('Invalid API Key provided.');
    });
  });
});
