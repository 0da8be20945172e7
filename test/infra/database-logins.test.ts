/**
 * Items 2 and 6 of issue 13 in the stacks: a database login per component, each with its own generated password
 * in its own SecureString, every component connecting as its own user and never as the master user; prod's master
 * password managed by AWS (no password in the program); and the deploy's database step told exactly what to do.
 * The real logins, grants and the step itself run on PostgreSQL in test/migrate/deploy-logins.test.ts.
 */
import { expect } from 'chai';
import { parseEnv } from 'node:util';
import { COMPONENTS, parseLoginsPlan, type Component } from '../../core/catalog/component-logins.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import { ephemeralStackConfig } from '../../scripts/plan/stack-config.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { customRun, ofType, one, stackRun, TYPES, writtenFile } from './fixture.ts';

const PARAMETER = 'aws:ssm/parameter:Parameter';
const RANDOM_PASSWORD = 'random:index/randomPassword:RandomPassword';
const STACKS = ['dev', 'pr-7', 'prod'] as const;

const stateOf = (run: OfflineRun, r: PlannedResource) => mockState(r.type, r.name, r.inputs, r.region ?? run.region);
/** The password the mocks generate for a component on a stack (what its parameter holds). */
const generated = (run: OfflineRun, component: Component) => String(stateOf(run, one(run, RANDOM_PASSWORD, `-db-${component}-password-generated`))['result']);
const parameterName = (stack: string, component: Component) => `/svg-marketplace/${stack}/database/${component}-password`;
const envOf = (fn: PlannedResource) => (fn.inputs['environment'] as { variables: Record<string, string> }).variables;

/** Every connection string or JDBC user anywhere in a resource's inputs, with who logs in. */
function loginsIn(r: PlannedResource): string[] {
  const text = JSON.stringify(r.inputs);
  const decoded = r.type === TYPES.launchTemplate ? Buffer.from(String(r.inputs['userData']), 'base64').toString() : '';
  // `postgres://user@`, `postgres://user:password@` and Logstash's env file; not a JDBC URL (`//host:5432/`, no user in it).
  return [...`${text}\n${decoded}`.matchAll(/postgres(?:ql)?:\/\/([a-z_0-9]+)(?::[A-Za-z0-9%]*)?@|JDBC_USER=([a-z_0-9]+)/g)].map((m) => m[1] ?? m[2]!);
}

describe('database logins per component (infra, under mocks)', () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      it('generates one 40-character letters-and-digits password per component, kept in state and rotated by databaseLoginRotation', async () => {
        const run = await stackRun(stack);
        const passwords = ofType(run, RANDOM_PASSWORD).filter((r) => /-db-[a-z]+-password-generated$/.test(r.name));
        expect(passwords.map((p) => p.name).sort()).to.deep.equal(COMPONENTS.map((c) => `svg-marketplace-${stack}-db-${c}-password-generated`).sort());
        for (const p of passwords) expect(p.inputs).to.deep.include({ length: 40, special: false, keepers: { rotation: '1' } });
        const config = { 'svg-marketplace:databaseLoginRotation': '2026-12-02' };
        const rotated = await customRun(stack, stack === 'pr-7' ? { stackFile: ephemeralStackConfig(stack), config } : { config });
        for (const component of COMPONENTS) expect(one(rotated, RANDOM_PASSWORD, `-db-${component}-password-generated`).inputs['keepers']).to.deep.equal({ rotation: '2026-12-02' });
      });

      it("stores each password as that component's SecureString under /<project>/<stack>/database/", async () => {
        const run = await stackRun(stack);
        for (const component of COMPONENTS) {
          const parameter = one(run, PARAMETER, `-db-${component}-password`);
          expect(parameter.inputs).to.include({ name: parameterName(stack, component), type: 'SecureString', value: generated(run, component) });
          expect(parameter.secretInputs).to.include('value');
          expect(parameter.deleteBeforeReplace).to.equal(true);
        }
      });

      it(`the pipeline functions and the payout job connect as their own users, ${stack === 'prod' ? 'password from their own parameter' : 'with their own client certificate (no password)'}`, async () => {
        const run = await stackRun(stack);
        for (const fn of ofType(run, TYPES.fn)) {
          const component: Component = fn.name.endsWith('-payout-runner') ? 'payouts' : 'pipeline';
          const env = envOf(fn);
          expect(new URL(env['DATABASE_URL']!).username, fn.name).to.equal(`${component}_login`);
          expect(new URL(env['DATABASE_URL']!).password, fn.name).to.equal('');
          if (stack === 'prod') expect(env['DATABASE_PASSWORD_PARAMETER'], fn.name).to.equal(parameterName(stack, component));
          else expect([env['DATABASE_PASSWORD_PARAMETER'], env['DATABASE_TLS_PARAMETER']], fn.name).to.deep.equal([undefined, `/svg-marketplace/${stack}/database/${component}-client-tls`]);
        }
      });

      it('no component connection string or JDBC user names the master user; only the deploy step and outputs do', async () => {
        const run = await stackRun(stack);
        // The dev host's first-boot env file is being moved out of its user data (branch devhost13), onto apiDatabaseUrl.
        const components = run.resources.filter((r) => r.type !== TYPES.lightsailInstance);
        expect(components.filter((r) => loginsIn(r).includes('marketplace')).map((r) => r.name)).to.deep.equal([]);
        const users = new Set(components.flatMap(loginsIn));
        expect([...users].sort()).to.deep.equal(stack === 'prod' ? ['api_login', 'payouts_login', 'pipeline_login', 'search_login'] : ['payouts_login', 'pipeline_login']);
      });

      it('databaseMigration tells the deploy step the master URL without its password, where it is, and every login', async () => {
        const run = await stackRun(stack);
        const env = run.outputs['databaseMigration'] as Record<string, string>;
        const master = stack === 'prod'
          ? { DATABASE_SECRET_ARN: String((stateOf(run, one(run, TYPES.rds, '-db'))['masterUserSecrets'] as { secretArn: string }[])[0]!.secretArn) }
          : { DATABASE_PASSWORD_PARAMETER: `/svg-marketplace/${stack}/database/master-password` };
        expect(Object.keys(env).sort()).to.deep.equal(['AWS_REGION', 'DATABASE_LOGINS', 'DATABASE_URL', ...Object.keys(master)].sort());
        expect(env).to.include({ AWS_REGION: 'us-east-1', ...master });
        // A managed database (RDS, Lightsail): verified fully against the Amazon RDS CAs (core/catalog/db.ts connectionConfig).
        const address = stack === 'prod' ? stateOf(run, one(run, TYPES.rds, '-db'))['address'] : stateOf(run, one(run, TYPES.lightsailDatabase, '-db'))['masterEndpointAddress'];
        expect(env['DATABASE_URL']).to.equal(`postgres://marketplace@${String(address)}:5432/marketplace?sslmode=verify-full&sslrootcert=aws-rds`);
        // Parsed by the same code the step runs (`migrate logins`).
        expect(parseLoginsPlan(env['DATABASE_LOGINS'])).to.deep.equal(
          COMPONENTS.map((component) => ({ component, user: `${component}_login`, passwordParameter: parameterName(stack, component) })),
        );
        // Names only: no password of any login, nor the master's, in the output.
        const text = JSON.stringify(env);
        for (const component of COMPONENTS) expect(text).to.not.contain(generated(run, component));
      });
    });
  }

  describe('prod', () => {
    it('RDS keeps the master password in Secrets Manager: no password input, none generated, none in state or outputs', async () => {
      const run = await stackRun('prod');
      const db = one(run, TYPES.rds, '-db');
      expect(db.inputs).to.include({ manageMasterUserPassword: true, username: 'marketplace' });
      expect(db.inputs).to.not.have.property('password');
      expect(db.secretInputs).to.deep.equal([]);
      // Only the four logins' passwords, the API's cursor key and CloudFront's origin secret are generated: no master password.
      expect(ofType(run, RANDOM_PASSWORD).map((r) => r.name).sort()).to.deep.equal(
        [...COMPONENTS.map((c) => `svg-marketplace-prod-db-${c}-password-generated`), 'svg-marketplace-prod-api-cursor-secret', 'svg-marketplace-prod-web-origin-secret'].sort(),
      );
      expect(ofType(run, PARAMETER).map((p) => p.inputs['name'])).to.not.include('/svg-marketplace/prod/database/master-password');
      expect(new URL(String(run.outputs['databaseUrl'])).password).to.equal('');
    });

    it("the API's DATABASE_URL parameter holds api_login's URL with its own password", async () => {
      const run = await stackRun('prod');
      const parameter = one(run, PARAMETER, '-api-database-url');
      const url = new URL(String(parameter.inputs['value']));
      expect([url.username, url.password, url.pathname, url.search]).to.deep.equal(['api_login', generated(run, 'api'), '/marketplace', '?sslmode=verify-full&sslrootcert=aws-rds']);
      expect(parameter.secretInputs).to.include('value');
    });

    it('Logstash connects as search_login with the password from its parameter', async () => {
      const run = await stackRun('prod');
      const script = String(one(run, TYPES.ec2, '-logstash').inputs['userData']);
      const env = parseEnv(writtenFile(script, '/opt/logstash/env'));
      expect(env).to.include({ JDBC_USER: 'search_login' });
      expect(env['JDBC_URL']).to.match(/^jdbc:postgresql:\/\/[a-z0-9.-]+\.rds\.amazonaws\.com:5432\/marketplace\?sslmode=verify-full&sslrootcert=\/usr\/share\/logstash\/drivers\/rds-ca\.pem$/);
      // The region's RDS CA bundle, fetched at boot into the folder the container mounts as its drivers'.
      expect(script).to.contain('\ncurl -fsSL -o /opt/logstash/drivers/rds-ca.pem https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem\n');
      expect(script).to.contain('-v /opt/logstash/drivers:/usr/share/logstash/drivers:ro');
      expect(script).to.contain(`--name '${parameterName('prod', 'search')}'`);
      expect(script).to.not.contain(generated(run, 'search'));
    });
  });

  describe('dev', () => {
    it('the host gets the API login as apiDatabaseUrl (a secret stack output), the master password only in its SecureString', async () => {
      const run = await stackRun('dev');
      const url = new URL(String(run.outputs['apiDatabaseUrl']));
      const lightsail = stateOf(run, one(run, TYPES.lightsailDatabase, '-db'));
      expect([url.username, url.password, url.hostname, url.search]).to.deep.equal(['api_login', generated(run, 'api'), lightsail['masterEndpointAddress'], '?sslmode=verify-full&sslrootcert=aws-rds']);
      const master = one(run, PARAMETER, '-db-master-password');
      expect(master.inputs).to.include({ name: '/svg-marketplace/dev/database/master-password', type: 'SecureString' });
      expect(master.secretInputs).to.include('value');
      expect(master.inputs['value']).to.equal(one(run, TYPES.lightsailDatabase, '-db').inputs['masterPassword']);
    });

    it('PgBouncer logs in to the Lightsail database, as the logins that have client certificates', async () => {
      const run = await stackRun('dev');
      const lightsail = stateOf(run, one(run, TYPES.lightsailDatabase, '-db'));
      const pgbouncer = (run.outputs['devHostSecrets'] as { pgbouncer: { upstream: unknown; logins: unknown } }).pgbouncer;
      expect(pgbouncer.upstream).to.deep.equal({ host: lightsail['masterEndpointAddress'], port: 5432, database: 'marketplace' });
      expect(pgbouncer.logins).to.deep.equal([
        { user: 'pipeline_login', password: generated(run, 'pipeline') },
        { user: 'payouts_login', password: generated(run, 'payouts') },
      ]);
    });

    it('with PostgreSQL on the host, nothing reaches it from outside the host: the deploy step on its loopback, the API and PgBouncer by its container name, the functions through PgBouncer', async () => {
      const run = await customRun('dev', { config: { 'svg-marketplace:devDatabase': 'host' } });
      const ip = String(stateOf(run, one(run, 'aws:lightsail/staticIp:StaticIp', '-host-ip'))['ipAddress']);
      const hostAndPort = (url: string) => { const u = new URL(url); return `${u.hostname}:${u.port}`; };
      expect(hostAndPort((run.outputs['databaseMigration'] as Record<string, string>)['DATABASE_URL']!)).to.equal('127.0.0.1:5432');
      expect(hostAndPort(String(run.outputs['databaseUrl']))).to.equal('127.0.0.1:5432');
      expect(hostAndPort(String(run.outputs['apiDatabaseUrl']))).to.equal('postgres:5432');
      // In clear, on the host only: the host's own PostgreSQL never leaves the loopback or the Docker network.
      for (const url of [(run.outputs['databaseMigration'] as Record<string, string>)['DATABASE_URL']!, String(run.outputs['databaseUrl']), String(run.outputs['apiDatabaseUrl'])]) {
        expect(new URL(url).search).to.equal('?sslmode=disable');
      }
      expect((run.outputs['devHostSecrets'] as { pgbouncer: { upstream: unknown } }).pgbouncer.upstream).to.deep.equal({ host: 'postgres', port: 5432, database: 'marketplace' });
      for (const fn of ofType(run, TYPES.fn)) expect(hostAndPort(envOf(fn)['DATABASE_URL']!), fn.name).to.equal(`${ip}:6432`);
    });
  });
});
