/**
 * The dev host's secrets (under mocks): none in its user data, which Lightsail shows to anyone who
 * may read the instance and which can never change; all of them in the `devHostSecrets` output the
 * deploy writes over SSH (test/deploy/host-secrets.test.ts), rendered into exactly the variables the
 * API reads.
 */
import { expect } from 'chai';
import { parseEnv } from 'node:util';
import { devHostApiEnv, devHostFiles, devHostSecretsSchema, POSTGRES_ENV_FILE, secretValues } from '../../infra/devhost-env.ts';
import { HOST_APPS } from '../../infra/host-layout.ts';
import { TRUST_PROXY } from '../../infra/host-nginx.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun } from '../../scripts/plan/offline-run.ts';
import { OFFLINE_SECRET } from '../../scripts/plan/stack-config.ts';
import { parseDevHostOutputs } from '../../scripts/deploy/host-secrets.ts';
import { customRun, ofType, one, stackRun, TYPES } from './fixture.ts';

/** Resources whose provider makes a secret, and the attribute holding it. */
const GENERATED_SECRETS: Record<string, string> = {
  'random:index/randomPassword:RandomPassword': 'result',
  'aws:iam/accessKey:AccessKey': 'secret',
  'aws:lightsail/keyPair:KeyPair': 'privateKey',
  // The stack's database CA, PgBouncer's and the clients' keys (infra/components/database-tls.ts).
  'tls:index/privateKey:PrivateKey': 'privateKeyPem',
};

/** Every string under a value. */
function leaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [];
}

/**
 * Every secret value in a run: what the providers generate (passwords, keys), every input any
 * resource was given as a Pulumi secret (config secrets, URLs with passwords, SSM values), and the
 * secret values of the host's own output.
 */
function everySecret(run: OfflineRun): string[] {
  const generated = run.resources.flatMap((r) => {
    const attribute = GENERATED_SECRETS[r.type];
    return attribute ? [String(mockState(r.type, r.name, r.inputs, r.region ?? run.region)[attribute])] : [];
  });
  const secretInputs = run.resources.flatMap((r) =>
    r.secretInputs
      // Lambda environments are secret as a whole (DATABASE_URL); their other variables are bucket names and the like.
      .flatMap((key) => (key === 'environment' ? [(r.inputs['environment'] as { variables: Record<string, string> }).variables['DATABASE_URL']] : leaves(r.inputs[key])))
      .filter((v): v is string => typeof v === 'string'),
  );
  const output = secretValues(devHostSecretsSchema.parse(run.outputs['devHostSecrets']));
  return [...new Set([...generated, ...secretInputs, ...output, OFFLINE_SECRET])].filter((v) => v.length >= 12);
}

const runs = {
  dev: () => stackRun('dev'),
  'pr-7': () => stackRun('pr-7'),
  'dev, database on the host': () => customRun('dev', { config: { 'svg-marketplace:devDatabase': 'host' } }),
};

describe('dev host secrets: out of user data, into the deploy’s SSH write', () => {
  for (const [title, load] of Object.entries(runs)) {
    describe(title, () => {
      let run: OfflineRun;
      before(async () => {
        run = await load();
      });

      it('the user data holds no secret: not marked secret, and no secret value of the stack in it', () => {
        const host = one(run, TYPES.lightsailInstance, '-host');
        expect(host.secretInputs).to.not.include('userData');
        const userData = String(host.inputs['userData']);
        const secrets = everySecret(run);
        // The host user's key, the cursor secret, the database password (and the SSH key) at least.
        expect(secrets.length).to.be.greaterThanOrEqual(4);
        for (const secret of secrets) expect(userData.includes(secret), `user data contains ${secret.slice(0, 6)}…`).to.equal(false);
        expect(userData).to.not.match(/aws_secret_access_key|AWS_SECRET_ACCESS_KEY|POSTGRES_PASSWORD|DATABASE_URL|CURSOR_SECRET/);
      });

      it('the stack’s outputs parse as the deploy reads them (secret on the wire: test/infra/engine.test.ts)', () => {
        expect(run.outputs['devHostSecrets']).to.be.an('object');
        const outputs = parseDevHostOutputs(JSON.stringify(run.outputs));
        expect(outputs?.apiRepositoryUrl).to.equal(run.outputs['apiRepositoryUrl']);
      });

      it('renders the API exactly its variables: the host user’s key, the API’s own database login and its own cursor secret', () => {
        const secrets = devHostSecretsSchema.parse(run.outputs['devHostSecrets']);
        const env = parseEnv(devHostFiles(secrets).find((f) => f.path === HOST_APPS.api.envFile)!.content);
        const key = one(run, 'aws:iam/accessKey:AccessKey', '-host-key');
        const cursor = one(run, 'random:index/randomPassword:RandomPassword', '-api-cursor-secret');
        expect(Object.keys(env).sort()).to.deep.equal(
          [
            'PORT', 'HOST', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'TRUST_PROXY', 'DATABASE_URL', 'CURSOR_SECRET',
            'UPLOADS_BUCKET', 'ASSETS_BUCKET', 'DOWNLOADS_BUCKET', 'ASSETS_BASE_URL', 'COOKIE_SECURE', 'PUBLIC_ORIGIN', 'EVENTS_TOPIC_ARN',
            'PREVIEW_QUEUE_URL', 'IMAGE_QUEUE_URL', 'CLOUDFRONT_DISTRIBUTION_ID', 'LOG_LEVEL', 'SEARCH_BACKEND', 'PLATFORM_COMMISSION_PERCENT',
            'STRIPE_SECRET_KEY_PARAMETER', 'STRIPE_WEBHOOK_SECRET_PARAMETER',
          ].sort(),
        );
        expect(env).to.include({
          AWS_ACCESS_KEY_ID: `accesskey-${key.name}`,
          AWS_SECRET_ACCESS_KEY: String(mockState(key.type, key.name, key.inputs, run.region)['secret']),
          CURSOR_SECRET: String(mockState(cursor.type, cursor.name, cursor.inputs, run.region)['result']),
          // Its own login (infra/components/database-logins.ts), not the master user's databaseUrl.
          DATABASE_URL: String(run.outputs['apiDatabaseUrl']),
          TRUST_PROXY,
          AWS_REGION: run.region,
        });
        expect(env['CURSOR_SECRET']).to.have.length(48);
      });

      it('a host database gets its password from the same output, and only then', () => {
        const secrets = devHostSecretsSchema.parse(run.outputs['devHostSecrets']);
        const postgres = devHostFiles(secrets).find((f) => f.path === POSTGRES_ENV_FILE);
        const onHost = one(run, TYPES.lightsailInstance, '-host').inputs['userData'];
        if (title.includes('on the host')) {
          const password = one(run, 'random:index/randomPassword:RandomPassword', '-db-password');
          const plain = String(mockState(password.type, password.name, password.inputs, run.region)['result']);
          expect(postgres?.content).to.equal(`POSTGRES_DB=marketplace\nPOSTGRES_USER=marketplace\nPOSTGRES_PASSWORD=${plain}\n`);
          expect(postgres?.readers).to.deep.equal(['postgres']);
          // The boot still makes the server's TLS certificate; the deploy starts the server.
          expect(String(onHost)).to.contain('openssl req -new -x509').and.not.contain('docker run');
          expect(ofType(run, TYPES.lightsailDatabase)).to.deep.equal([]);
        } else {
          expect(postgres).to.equal(undefined);
          expect(String(onHost)).to.not.contain('openssl req');
        }
      });
    });
  }

  it('the renderer refuses API settings that would shadow what it sets (a secret cannot be overridden by a setting)', () => {
    const base = { region: 'us-east-1', awsAccessKeyId: 'AKIA0000', awsSecretAccessKey: 'x'.repeat(40), apiDatabaseUrl: 'postgres://a:b@c/d', cursorSecret: 'c'.repeat(48) };
    expect(() => devHostApiEnv({ ...base, apiSettings: { CURSOR_SECRET: 'short' } })).to.throw(/must not set CURSOR_SECRET/);
    expect(() => devHostApiEnv({ ...base, apiSettings: { AWS_ACCESS_KEY_ID: 'other' } })).to.throw(/must not set AWS_ACCESS_KEY_ID/);
  });
});
