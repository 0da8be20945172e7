/**
 * Stripe's secrets in AWS come from SSM SecureString parameters (infra/components/stripe-secrets.ts): the API
 * reads both when it starts, the payout job the key on a cold start. Against a local SSM stand-in
 * (test/support/ssm-standin.ts), with the API on a real PostgreSQL: a configured stack verifies webhooks with
 * the parameter's secret, a stack that still holds the placeholder answers 503, a missing parameter stops the start.
 */
import { expect } from 'chai';
import Stripe from 'stripe';
import { startApi } from '../../app/api/start.ts';
import { createSsmClient, readStripeParameters, STRIPE_PARAMETER_PLACEHOLDER, stripeParameterNames } from '../../core/selling/stripe-parameters.ts';
import { createPayoutRunnerHandler } from '../../functions/payout-runner/handler.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { startSsmStandIn, type SsmStandIn } from '../support/ssm-standin.ts';

const NAMES = stripeParameterNames('svg-marketplace', 'test');
const CONFIGURED = { secretKey: 'sk_test_from_ssm', webhookSecret: 'whsec_from_ssm' };
/** What a signed-in SDK needs to sign requests; the stand-in checks a signature is there. */
const AWS_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDSTANDIN', AWS_SECRET_ACCESS_KEY: 'standin-secret', AWS_REGION: 'us-east-1' };

describe('Stripe secrets from SSM SecureString parameters', function () {
  this.timeout(60_000);
  let ssm: SsmStandIn;
  let database: FreshDatabase;

  const setParameters = (secretKey: string, webhookSecret: string) => {
    ssm.parameters.set(NAMES.secretKey, { type: 'SecureString', value: secretKey });
    ssm.parameters.set(NAMES.webhookSecret, { type: 'SecureString', value: webhookSecret });
  };

  before(async () => {
    ssm = await startSsmStandIn({});
    database = await freshDatabase();
  });
  after(async () => {
    await ssm?.close();
    await database?.destroy();
  });
  beforeEach(() => {
    ssm.parameters.clear();
    ssm.reads.length = 0;
  });

  describe('readStripeParameters', () => {
    const read = () => {
      const client = createSsmClient({ ...AWS_CREDENTIALS, AWS_ENDPOINT_URL_SSM: ssm.endpoint });
      return readStripeParameters(client, NAMES).finally(() => client.destroy());
    };

    it('returns both secrets, read decrypted, once configured', async () => {
      setParameters(CONFIGURED.secretKey, CONFIGURED.webhookSecret);
      expect(await read()).to.deep.equal(CONFIGURED);
      expect(ssm.reads.map((r) => [r.name, r.withDecryption]).sort()).to.deep.equal([
        [NAMES.secretKey, true],
        [NAMES.webhookSecret, true],
      ]);
    });

    it('returns nothing while either parameter holds the placeholder', async () => {
      setParameters(STRIPE_PARAMETER_PLACEHOLDER, STRIPE_PARAMETER_PLACEHOLDER);
      expect(await read()).to.equal(undefined);
      setParameters(CONFIGURED.secretKey, STRIPE_PARAMETER_PLACEHOLDER);
      expect(await read()).to.equal(undefined);
    });

    it('fails naming the parameter when it is missing or holds something else than its secret', async () => {
      ssm.parameters.set(NAMES.secretKey, { type: 'SecureString', value: CONFIGURED.secretKey });
      expect(await read().then(() => '', (e: Error) => e.message)).to.equal(`SSM parameter ${NAMES.webhookSecret} does not exist`);
      setParameters('pk_test_publishable', CONFIGURED.webhookSecret);
      expect(await read().then(() => '', (e: Error) => e.message)).to.equal(`SSM parameter ${NAMES.secretKey} does not hold a Stripe secret key (sk_...)`);
      setParameters(CONFIGURED.secretKey, 'we_endpoint_id');
      expect(await read().then(() => '', (e: Error) => e.message)).to.equal(`SSM parameter ${NAMES.webhookSecret} does not hold a Stripe webhook secret (whsec_...)`);
    });
  });

  describe('the API at start', () => {
    const env = () => ({
      ...AWS_CREDENTIALS,
      AWS_ENDPOINT_URL_SSM: ssm.endpoint,
      DATABASE_URL: database.connectionString,
      UPLOADS_BUCKET: 'uploads-bucket',
      ASSETS_BUCKET: 'assets-bucket',
      DOWNLOADS_BUCKET: 'downloads-bucket',
      PORT: '0',
      LOG_LEVEL: 'silent',
      CATALOG_CACHE_MB: '0',
      STRIPE_SECRET_KEY_PARAMETER: NAMES.secretKey,
      STRIPE_WEBHOOK_SECRET_PARAMETER: NAMES.webhookSecret,
    });
    /** An event Stripe signed with `secret` that the API applies as a no-op (a type it does not act on). */
    const postEvent = (url: string, secret: string) => {
      const payload = JSON.stringify({ id: 'evt_ssm_test', object: 'event', type: 'customer.created', created: 1, data: { object: { id: 'cus_1', object: 'customer' } } });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
      return fetch(`${url}/api/stripe/webhook`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': signature }, body: payload });
    };

    it('verifies webhooks with the webhook secret read from its parameter', async () => {
      setParameters(CONFIGURED.secretKey, CONFIGURED.webhookSecret);
      const api = await startApi(env());
      try {
        expect((await postEvent(api.url, CONFIGURED.webhookSecret)).status).to.equal(200);
        expect((await postEvent(api.url, 'whsec_someone_else')).status).to.equal(400);
      } finally {
        await api.close();
      }
    });

    it('answers 503 while the parameters hold the placeholder', async () => {
      setParameters(STRIPE_PARAMETER_PLACEHOLDER, STRIPE_PARAMETER_PLACEHOLDER);
      const api = await startApi(env());
      try {
        const res = await postEvent(api.url, CONFIGURED.webhookSecret);
        expect(res.status).to.equal(503);
      } finally {
        await api.close();
      }
    });

    it('does not start when a parameter cannot be read', async () => {
      const error = await startApi(env()).then(() => null, (e: Error) => e);
      expect(error?.message).to.equal(`SSM parameter ${NAMES.secretKey} does not exist`);
    });
  });

  describe('the payout job', () => {
    it('pays nothing and succeeds while the key parameter holds the placeholder', async () => {
      ssm.parameters.set(NAMES.secretKey, { type: 'SecureString', value: STRIPE_PARAMETER_PLACEHOLDER });
      const previous = { ...process.env };
      // Powertools builds its SSM client from the process environment.
      Object.assign(process.env, AWS_CREDENTIALS, { AWS_ENDPOINT_URL_SSM: ssm.endpoint });
      try {
        const handler = createPayoutRunnerHandler({ DATABASE_URL: database.connectionString, STRIPE_SECRET_KEY_PARAMETER: NAMES.secretKey, LOG_LEVEL: 'silent' });
        const report = await handler({});
        expect([report.runId, report.paid, report.failed, report.skipped, report.totals]).to.deep.equal(['not-configured', [], [], [], {}]);
        expect(ssm.reads).to.deep.equal([{ name: NAMES.secretKey, withDecryption: true }]);
      } finally {
        for (const key of Object.keys(process.env)) if (!(key in previous)) delete process.env[key];
        Object.assign(process.env, previous);
      }
    });
  });
});
