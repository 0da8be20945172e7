import { expect } from 'chai';
import { sql } from 'kysely';
import { databasePasswordSource, databaseTlsSource } from '../../core/catalog/credentials.ts';
import { createPipelineRuntime } from '../../core/pipeline/environment.ts';
import { deployedFunctionEnv } from '../support/function-env.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { startSecretsStandIn, type SecretsStandIn } from '../support/secrets-standin.ts';

/** A deployed function's cold start: DATABASE_URL without a password, the password from Secrets Manager or SSM. */
describe('database credentials at cold start (Powertools Parameters against a Secrets Manager / SSM stand-in)', () => {
  const role = `cred_test_${process.pid}`;
  const password = 'Rotated-0nly-By-The-Stack-9f3c2a';
  const secretArn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:svg-marketplace-dev-db-pipeline-AbCdEf`;
  const parameterName = '/svg-marketplace/dev/database/pipeline-password';
  let fresh: FreshDatabase;
  let standIn: SecretsStandIn;
  let urlWithoutPassword: string;

  before(async () => {
    fresh = await freshDatabase();
    standIn = await startSecretsStandIn();
    await sql`create role ${sql.id(role)} login password ${sql.lit(password)}`.execute(fresh.db);
    const url = new URL(fresh.connectionString);
    url.username = role;
    url.password = '';
    urlWithoutPassword = url.toString();
  });

  after(async () => {
    await standIn.close();
    await sql`drop role if exists ${sql.id(role)}`.execute(fresh.db);
    await fresh.destroy();
  });

  const runtimeEnv = (extra: Record<string, string>) => deployedFunctionEnv(urlWithoutPassword, standIn.endpoint, extra);

  async function currentUser(env: NodeJS.ProcessEnv): Promise<string> {
    const runtime = createPipelineRuntime('image-processor', env);
    try {
      const { rows } = await sql<{ user: string }>`select current_user as user`.execute(runtime.db);
      return rows[0]!.user;
    } finally {
      await runtime.close();
    }
  }

  it('logs in with the password of a Secrets Manager secret (the RDS managed-secret shape), read once for the pool', async () => {
    standIn.secrets.set(secretArn, JSON.stringify({ username: role, password }));
    standIn.calls.length = 0;
    const runtime = createPipelineRuntime('image-processor', runtimeEnv({ DATABASE_SECRET_ARN: secretArn, DATABASE_POOL_SIZE: '3' }));
    try {
      // Three connections at once: each asks for the password, the cache answers all but the first.
      const users = await Promise.all([1, 2, 3].map(() => runtime.db.connection().execute((c) => sql<{ user: string }>`select current_user as user, pg_sleep(0.05)`.execute(c))));
      expect(users.map((r) => r.rows[0]!.user)).to.deep.equal([role, role, role]);
    } finally {
      await runtime.close();
    }
    expect(standIn.calls.map((c) => [c.target, c.body['SecretId']])).to.deep.equal([['secretsmanager.GetSecretValue', secretArn]]);
  });

  it('logs in with an SSM SecureString, asking for it decrypted', async () => {
    standIn.parameters.set(parameterName, password);
    standIn.calls.length = 0;
    expect(await currentUser(runtimeEnv({ DATABASE_PASSWORD_PARAMETER: parameterName }))).to.equal(role);
    expect(standIn.calls).to.deep.equal([{ target: 'AmazonSSM.GetParameter', body: { Name: parameterName, WithDecryption: true } }]);
  });

  it('a wrong password in the secret is refused by PostgreSQL (the secret is what logs in)', async () => {
    const wrongArn = `${secretArn}-wrong`;
    standIn.secrets.set(wrongArn, JSON.stringify({ password: 'not-the-password-at-all-000' }));
    let error: Error | undefined;
    await currentUser(runtimeEnv({ DATABASE_SECRET_ARN: wrongArn })).catch((e: Error) => (error = e));
    expect(error?.message).to.equal(`password authentication failed for user "${role}"`);
  });

  it('refuses a secret made for another database user, and a missing secret, with the reason', async () => {
    const otherArn = `${secretArn}-api`;
    standIn.secrets.set(otherArn, JSON.stringify({ username: 'marketplace_api_login', password }));
    // The reader the pool calls before it sends a password (pg leaves that socket half-open on a failure,
    // which the server drops after its authentication timeout): asked directly here.
    const read = (secretId: string) => databasePasswordSource({ DATABASE_URL: urlWithoutPassword, DATABASE_SECRET_ARN: secretId }, runtimeEnv({}))!();
    const failure = (secretId: string) => read(secretId).then(() => 'read', (e: Error) => e.message);
    expect(await failure(otherArn)).to.equal(`secret ${otherArn} is for database user "marketplace_api_login", DATABASE_URL logs in as "${role}"`);
    expect(await failure('no-such-secret')).to.equal("Secrets Manager can't find the specified secret.");
  });

  it('refuses two password sources, or a URL that carries a password as well as a secret', () => {
    expect(() => createPipelineRuntime('image-processor', runtimeEnv({ DATABASE_SECRET_ARN: secretArn, DATABASE_PASSWORD_PARAMETER: parameterName }))).to.throw(
      'set DATABASE_SECRET_ARN or DATABASE_PASSWORD_PARAMETER, not both',
    );
    expect(() => createPipelineRuntime('image-processor', runtimeEnv({ DATABASE_URL: fresh.connectionString, DATABASE_SECRET_ARN: secretArn }))).to.throw(
      'DATABASE_URL carries a password and DATABASE_SECRET_ARN is set: keep one',
    );
  });

  it('a DATABASE_TLS_PARAMETER that does not hold a CA, certificate and key is refused with its name, not its value', async () => {
    const tlsParameter = '/svg-marketplace/dev/database/pipeline-client-tls';
    standIn.parameters.set(tlsParameter, JSON.stringify({ ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n', key: 'Secret0Key0Material' }));
    const read = databaseTlsSource({ DATABASE_TLS_PARAMETER: tlsParameter }, runtimeEnv({}))!;
    expect(await read().then(() => 'read', (e: Error) => e.message)).to.equal(`SSM parameter ${tlsParameter} is not a JSON object with PEM ca, cert and key`);
    expect(databaseTlsSource({}, runtimeEnv({}))).to.equal(undefined);
  });

  it('without a secret or parameter, DATABASE_URL with its password works as before (npm start, tests)', async () => {
    standIn.calls.length = 0;
    expect(await currentUser(runtimeEnv({ DATABASE_URL: fresh.connectionString }))).to.equal('postgres');
    expect(standIn.calls).to.deep.equal([]);
  });
});
