import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { COMPONENT_GROUP, COMPONENTS, type Component } from '../../core/catalog/component-logins.ts';
import { catalogMigrations, createDb } from '../../core/catalog/index.ts';
import type { LocalPostgres } from '../../scripts/local/postgres.ts';
import { buildMigrateProgram } from '../../scripts/migrate/cli.ts';
import { attempt, connectAs } from '../support/logins.ts';
import { testPostgres } from '../support/postgres.ts';
import { startSecretsStandIn, type SecretsStandIn } from '../support/secrets-standin.ts';

/**
 * The deploy's database step on real PostgreSQL, as on-hosts.sh runs it with the stack output `databaseMigration`:
 * the master user (CREATEROLE, not superuser, owner of the database: RDS's and Lightsail's master) logs in with
 * the password from the secret RDS manages (prod) or from an SSM parameter (dev), runs `migrate up`, then
 * `migrate logins` sets every component's login from its own SSM parameter. Secrets Manager and SSM are the
 * stand-in the functions' credentials test uses; everything else is real.
 */
describe('deploy step: migrate up and logins as the managed master user', function () {
  this.timeout(180_000);
  const suffix = process.pid;
  const master = `deploy_master_${suffix}`;
  const masterPassword = 'Managed-By-RDS-0123456789abcdef';
  const database = `deploy_logins_${suffix}`;
  const secretArn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-${suffix}-AbCdEf`;
  const masterParameter = '/svg-marketplace/dev/database/master-password';
  const user = (component: Component) => `${component}_login_${suffix}`;
  const parameter = (component: Component) => `/svg-marketplace/prod/database/${component}-password`;
  const password = (component: Component, generation = 1) => `${component}-generation-${generation}-0123456789`;
  let server: LocalPostgres;
  let standIn: SecretsStandIn;
  let urlWithoutPassword: string;
  let superuser: Kysely<unknown>;
  const opened: Kysely<unknown>[] = [];

  const plan = () => JSON.stringify(COMPONENTS.map((component) => ({ component, user: user(component), passwordParameter: parameter(component) })));
  function deployEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      DATABASE_URL: urlWithoutPassword,
      DATABASE_SECRET_ARN: secretArn,
      DATABASE_LOGINS: plan(),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.endpoint,
      AWS_ENDPOINT_URL_SSM: standIn.endpoint,
      ...extra,
    };
  }
  async function cli(args: string[], env: NodeJS.ProcessEnv = deployEnv()): Promise<string[]> {
    const lines: string[] = [];
    await buildMigrateProgram({ env, print: (line) => lines.push(line) }).parseAsync(args, { from: 'user' });
    return lines;
  }
  const connect = (component: Component, secret: string) => connectAs(urlWithoutPassword, user(component), secret, opened);

  before(async () => {
    server = await testPostgres();
    standIn = await startSecretsStandIn();
    superuser = createDb(server.connectionString('postgres'), { max: 1 }) as unknown as Kysely<unknown>;
    await sql`create role ${sql.id(master)} login createrole password ${sql.lit(masterPassword)}`.execute(superuser);
    await sql`create database ${sql.id(database)} owner ${sql.id(master)}`.execute(superuser);
    // 0037's groups belong to the cluster and the test cluster's superuser made them (migrating the template):
    // on PostgreSQL 16+ only a role's creator may grant it, so the master gets what creating them would give it.
    for (const group of Object.values(COMPONENT_GROUP)) await sql`grant ${sql.id(group)} to ${sql.id(master)} with admin option`.execute(superuser);
    const url = new URL(server.connectionString(database));
    url.username = master;
    url.password = '';
    urlWithoutPassword = url.toString();
    // The shape of RDS's managed master secret.
    standIn.secrets.set(secretArn, JSON.stringify({ username: master, password: masterPassword }));
    standIn.parameters.set(masterParameter, masterPassword);
    for (const component of COMPONENTS) standIn.parameters.set(parameter(component), password(component));
  });

  after(async () => {
    for (const db of opened) await db.destroy();
    await standIn?.close();
    await server.dropDatabase(database);
    for (const component of COMPONENTS) await sql`drop role if exists ${sql.id(user(component))}`.execute(superuser);
    // Group roles of 0037 are the cluster's, shared with the other tests: only the master's grants on them go.
    await sql`drop owned by ${sql.id(master)}`.execute(superuser).catch(() => undefined);
    await sql`drop role if exists ${sql.id(master)}`.execute(superuser).catch(() => undefined);
    await superuser?.destroy();
  });

  it('up runs every migration as the master user, with the password read from the managed secret', async () => {
    const names = Object.keys(catalogMigrations);
    expect(await cli(['up'])).to.deep.equal(names.map((name) => `applied ${name}`));
    expect(standIn.calls.filter((c) => c.target === 'secretsmanager.GetSecretValue').map((c) => c.body['SecretId'])).to.deep.equal([secretArn]);
  });

  it('logins creates each component login from its parameter, in its group only', async () => {
    expect(await cli(['logins'])).to.deep.equal(COMPONENTS.map((c) => `created ${user(c)} in ${COMPONENT_GROUP[c]}`));
    const { rows } = await sql<{ user: string; groups: string[]; super: boolean; createrole: boolean }>`
      select r.rolname as user, r.rolsuper as super, r.rolcreaterole as createrole,
             array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1) as groups
      from pg_roles r where r.rolname = any(${COMPONENTS.map(user)}::text[]) order by r.rolname`.execute(superuser);
    expect(rows).to.deep.equal(
      COMPONENTS.map((c) => ({ user: user(c), super: false, createrole: false, groups: [COMPONENT_GROUP[c]] })).sort((a, b) => a.user.localeCompare(b.user)),
    );
  });

  it('each login connects with its own password and does its component’s work, not another’s', async () => {
    const as = Object.fromEntries(COMPONENTS.map((c) => [c, connect(c, password(c))])) as Record<Component, Kysely<unknown>>;
    expect(await attempt(as.api, `insert into contributors (id, slug, display_name, email) values ('00000000-0000-4000-8000-0000000000d1', 'deploy-roles', 'Deploy', 'deploy@example.test')`)).to.equal('allowed');
    expect(await attempt(as.api, 'select count(*) from accounts')).to.equal('allowed');
    expect(await attempt(as.pipeline, `insert into uploads (id, contributor_id, object_key, status) values ('00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-0000000000d1', 'uploads/d/e.zip', 'received')`)).to.equal('allowed');
    expect(await attempt(as.pipeline, 'select password_hash from accounts')).to.equal('permission denied for table accounts');
    expect(await attempt(as.search, 'select * from search_products limit 1')).to.equal('allowed');
    expect(await attempt(as.search, 'update products set updated_at = now() where false')).to.equal('permission denied for table products');
    expect(await attempt(as.payouts, 'select count(*) from ledger_entries')).to.equal('allowed');
    expect(await attempt(as.payouts, 'select 1 from sessions')).to.equal('permission denied for table sessions');
    // The master password is nobody's but the deploy's: a component's password does not open it.
    const url = new URL(urlWithoutPassword);
    url.password = password('api');
    const wrong = createDb(url.toString(), { max: 1 }) as unknown as Kysely<unknown>;
    opened.push(wrong);
    expect(await attempt(wrong, 'select 1')).to.equal(`password authentication failed for user "${master}"`);
  });

  it('a rerun changes nothing; a new password in a parameter (a new keeper) is a rotation', async () => {
    expect(await cli(['up'])).to.deep.equal([`up to date (${Object.keys(catalogMigrations).length} applied, nothing to run)`]);
    expect(await cli(['logins'])).to.deep.equal(COMPONENTS.map((c) => `updated ${user(c)} in ${COMPONENT_GROUP[c]}`));
    expect(await attempt(connect('pipeline', password('pipeline')), 'select 1')).to.equal('allowed');

    standIn.parameters.set(parameter('pipeline'), password('pipeline', 2));
    await cli(['logins']);
    expect(await attempt(connect('pipeline', password('pipeline')), 'select 1')).to.equal(`password authentication failed for user "${user('pipeline')}"`);
    expect(await attempt(connect('pipeline', password('pipeline', 2)), 'select count(*) from images')).to.equal('allowed');
    expect(await attempt(connect('search', password('search')), 'select 1'), 'the others keep theirs').to.equal('allowed');
  });

  it('dev: the master password from an SSM parameter works the same way', async () => {
    const { DATABASE_SECRET_ARN: _, ...dev } = deployEnv({ DATABASE_PASSWORD_PARAMETER: masterParameter });
    expect(await cli(['status'], dev)).to.have.length(Object.keys(catalogMigrations).length + 1);
    expect(await cli(['logins'], dev)).to.have.length(COMPONENTS.length);
  });

  it('a missing parameter changes no login; a plan without a component is refused', async () => {
    // A rotation of the pipeline's password with the payout job's parameter gone: the pipeline comes first in
    // the plan, and must not be rotated by a run that fails.
    standIn.parameters.set(parameter('pipeline'), password('pipeline', 3));
    standIn.parameters.delete(parameter('payouts'));
    const missing = await cli(['logins']).catch((error: Error) => error.message);
    standIn.parameters.set(parameter('payouts'), password('payouts'));
    standIn.parameters.set(parameter('pipeline'), password('pipeline', 2));
    expect(missing).to.match(/ParameterNotFound|Parameter \/svg-marketplace\/prod\/database\/payouts-password not found/);
    expect(await attempt(connect('pipeline', password('pipeline', 2)), 'select 1'), 'the pipeline kept its password').to.equal('allowed');
    expect(await attempt(connect('pipeline', password('pipeline', 3)), 'select 1')).to.equal(`password authentication failed for user "${user('pipeline')}"`);

    const withoutSearch = JSON.stringify(JSON.parse(plan()).filter((l: { component: string }) => l.component !== 'search'));
    expect(await cli(['logins'], deployEnv({ DATABASE_LOGINS: withoutSearch })).catch((error: Error) => error.message)).to.equal(
      'DATABASE_LOGINS: (list): must name each component exactly once (api, pipeline, search, payouts)',
    );
    const master = JSON.stringify([...JSON.parse(plan()).slice(1), { component: 'api', user: 'marketplace_api', passwordParameter: parameter('api') }]);
    expect(await cli(['logins'], deployEnv({ DATABASE_LOGINS: master })).catch((error: Error) => error.message)).to.equal('login user "marketplace_api" is a group role name');
  });
});
