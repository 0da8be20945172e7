import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { COMPONENT_GROUP, COMPONENTS, ensureComponentLogin, parseLoginsPlan, type Component } from '../../core/catalog/component-logins.ts';
import { createDb } from '../../core/catalog/index.ts';
import { attempt, connectAs } from '../support/logins.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

/**
 * Hostile review 3 (REVIEW3.md), on real PostgreSQL: what `migrate logins` (ensureComponentLogin) does with a
 * login user that already exists, and what of the password reaches the server. The deploy connects as a master
 * user with CREATEROLE and CREATEDB that is not a superuser (RDS, Lightsail): made here the same way. (That master
 * naming itself as a login is refused by PostgreSQL 16+ already: it may not alter its own attributes.)
 */
describe('component logins under attack (hostile review 3)', function () {
  this.timeout(120_000);
  const suffix = process.pid;
  const master = `review_master_${suffix}`;
  const masterPassword = 'Review-Master-0123456789abcdef';
  const name = (what: string) => `${what}_review_${suffix}`;
  const secret = (what: string) => `${what}-Review-Password-0123456789`;
  let fresh: FreshDatabase;
  let asMaster: Kysely<unknown>;
  const opened: Kysely<unknown>[] = [];
  const made: string[] = [];

  const connect = (user: string, password: string, database = fresh.connectionString) => connectAs(database, user, password, opened);
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      (value) => String(value),
      (error: Error) => error.message,
    );
  async function groupsOf(user: string): Promise<string[]> {
    const { rows } = await sql<{ name: string }>`
      select g.rolname as name from pg_auth_members m join pg_roles g on g.oid = m.roleid join pg_roles r on r.oid = m.member
      where r.rolname = ${user} order by 1`.execute(fresh.db);
    return rows.map((r) => r.name);
  }

  before(async () => {
    fresh = await freshDatabase();
    await sql`create role ${sql.id(master)} login createrole createdb password ${sql.lit(masterPassword)}`.execute(fresh.db);
    made.push(master);
    // What creating 0037's groups gives RDS's master (PostgreSQL 16+: ADMIN on the roles it made).
    for (const group of Object.values(COMPONENT_GROUP)) await sql`grant ${sql.id(group)} to ${sql.id(master)} with admin option`.execute(fresh.db);
    asMaster = connect(master, masterPassword);
  });

  after(async () => {
    for (const db of opened) await db.destroy();
    await fresh?.destroy();
    const url = new URL(fresh.connectionString);
    url.pathname = '/postgres';
    const admin = createDb(url.toString(), { max: 1 }) as unknown as Kysely<unknown>;
    for (const user of made.reverse()) await sql`drop role if exists ${sql.id(user)}`.execute(admin).catch(() => undefined);
    await admin.destroy();
  });

  it('finding 1: an existing login that can create roles or databases is refused, not adopted', async () => {
    const admin = name('ops');
    await sql`create role ${sql.id(admin)} login createdb password ${sql.lit(secret('ops'))}`.execute(asMaster);
    made.push(admin);
    const result = await outcome(ensureComponentLogin(asMaster, { component: 'pipeline', user: admin, password: secret('pipeline') }));
    expect(result).to.equal(`refusing to use "${admin}" as a component login: it has CREATEDB`);
  });

  it('finding 1: a login moved to another component leaves its old group (the pipeline no longer reads password hashes)', async () => {
    const user = name('pipeline_login');
    made.push(user);
    // An operator's slip (`migrate login api pipeline_login_…`), then the deploy's logins step with the right plan.
    expect(await ensureComponentLogin(asMaster, { component: 'api', user, password: secret('pipeline') })).to.equal('created');
    expect(await ensureComponentLogin(asMaster, { component: 'pipeline', user, password: secret('pipeline') })).to.equal('updated');
    expect(await groupsOf(user)).to.deep.equal([COMPONENT_GROUP.pipeline]);
    expect(await attempt(connect(user, secret('pipeline')), 'select password_hash from accounts')).to.equal('permission denied for table accounts');
  });

  it('finding 1: a login that was given another role (pg_read_all_data) is refused, not reported "updated"', async () => {
    const user = name('search_login');
    made.push(user);
    await ensureComponentLogin(asMaster, { component: 'search', user, password: secret('search') });
    await sql`grant pg_read_all_data to ${sql.id(user)}`.execute(fresh.db);
    const result = await outcome(ensureComponentLogin(asMaster, { component: 'search', user, password: secret('search') }));
    expect(result).to.equal(`refusing to use "${user}" as a component login: it is a member of pg_read_all_data`);
  });

  it('finding 1: a plan naming one user for two components is refused (it would join both groups)', () => {
    const plan = COMPONENTS.map((component: Component) => ({ component, user: component === 'pipeline' ? 'api_login' : `${component}_login`, passwordParameter: `/p/${component}` }));
    expect(() => parseLoginsPlan(JSON.stringify(plan))).to.throw('DATABASE_LOGINS: (list): must name a different user for each component');
  });

  it('finding 2: the plaintext password never reaches the server (pg_stat_activity, statement logs, Performance Insights)', async () => {
    const user = name('payouts_login');
    made.push(user);
    await ensureComponentLogin(asMaster, { component: 'payouts', user, password: secret('first') });
    // Hold the role's row so the next ALTER ROLE waits, and read its text as a monitor (pg_read_all_stats) would.
    const seen = await fresh.db.connection().execute(async (held) => {
      await sql`begin`.execute(held);
      await sql`alter role ${sql.id(user)} connection limit -1`.execute(held);
      const rotation = ensureComponentLogin(asMaster, { component: 'payouts', user, password: secret('second') });
      let text = '';
      for (let tries = 0; tries < 100 && !text; tries++) {
        const { rows } = await sql<{ query: string }>`
          select query from pg_stat_activity where usename = ${master} and wait_event_type = 'Lock' and query ilike 'alter role%'`.execute(fresh.db);
        text = rows[0]?.query ?? '';
        if (!text) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await sql`rollback`.execute(held);
      await rotation;
      return text;
    });
    expect(seen, 'the waiting statement').to.match(/^alter role/);
    expect(seen).to.not.contain(secret('second'));
    expect(seen).to.match(/SCRAM-SHA-256\$4096:/);
    expect(await attempt(connect(user, secret('second')), 'select count(*) from payouts'), 'the login works with the new password').to.equal('allowed');
  });

  it('finding 8: two hosts running the logins step at once both succeed (prod runs it on every API instance)', async () => {
    const user = name('api_login');
    made.push(user);
    const other = connect(master, masterPassword);
    const failures: string[] = [];
    for (let round = 0; round < 8; round++) {
      const results = await Promise.all(
        [asMaster, other].map((db, host) => outcome(ensureComponentLogin(db, { component: 'api', user, password: secret(`round-${round}-${host}`) }))),
      );
      failures.push(...results.filter((result) => result !== 'created' && result !== 'updated'));
    }
    expect(failures).to.deep.equal([]);
  });
});
