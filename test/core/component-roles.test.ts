import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { COMPONENT_GROUP, ensureComponentLogin, type Component } from '../../core/catalog/component-logins.ts';
import { createDb } from '../../core/catalog/index.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

/**
 * Migration 0037's per-component roles on real PostgreSQL: each component's login user does what the
 * component does and is refused what it must not (exact PostgreSQL errors).
 */
describe('database roles per component (migration 0037)', () => {
  let fresh: FreshDatabase;
  const users: Record<Component, string> = {
    api: `api_login_${process.pid}`,
    pipeline: `pipeline_login_${process.pid}`,
    search: `search_login_${process.pid}`,
    payouts: `payouts_login_${process.pid}`,
  };
  const password = (component: Component) => `${component}-password-0123456789`;
  const as: Partial<Record<Component, Kysely<unknown>>> = {};

  function connect(component: Component, secret = password(component)): Kysely<unknown> {
    const url = new URL(fresh.connectionString);
    url.username = users[component];
    url.password = secret;
    return createDb(url.toString(), { max: 1 }) as unknown as Kysely<unknown>;
  }
  const db = (component: Component) => (as[component] ??= connect(component));
  const run = (component: Component, text: string) => sql.raw(text).execute(db(component));
  async function refusal(component: Component, text: string): Promise<string> {
    return run(component, text).then(
      () => 'allowed',
      (error: Error) => error.message,
    );
  }

  /** INSERT, UPDATE and DELETE all granted (some tables refuse the statements themselves, e.g. the append-only ledger). */
  async function writable(user: string, table: string): Promise<boolean> {
    const { rows } = await sql<{ ok: boolean }>`
      select has_table_privilege(${user}, ${table}, 'INSERT') and has_table_privilege(${user}, ${table}, 'UPDATE')
         and has_table_privilege(${user}, ${table}, 'DELETE') as ok`.execute(fresh.db);
    return rows[0]!.ok;
  }

  before(async () => {
    fresh = await freshDatabase();
    for (const component of Object.keys(users) as Component[]) {
      expect(await ensureComponentLogin(fresh.db, { component, user: users[component], password: password(component) })).to.equal('created');
    }
    // A contributor with a set and an image, as the API and the pipeline make them.
    await sql`insert into contributors (id, slug, display_name, email) values ('00000000-0000-4000-8000-000000000001', 'c-roles', 'Roles', 'roles@example.test')`.execute(fresh.db);
  });

  after(async () => {
    for (const handle of Object.values(as)) await handle?.destroy();
    await fresh.destroy();
    const admin = createAdmin();
    for (const user of Object.values(users)) await sql`drop role if exists ${sql.id(user)}`.execute(admin);
    await admin.destroy();
  });
  // Roles outlive the database; an admin connection to the cluster's maintenance database drops them.
  function createAdmin(): Kysely<unknown> {
    const url = new URL(fresh.connectionString);
    url.pathname = '/postgres';
    return createDb(url.toString(), { max: 1 }) as unknown as Kysely<unknown>;
  }

  it('every login belongs to exactly its group and is no superuser, creates no roles or databases', async () => {
    const { rows } = await sql<{ user: string; groups: string[]; super: boolean; createrole: boolean; createdb: boolean }>`
      select r.rolname as user, array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1) as groups,
             r.rolsuper as super, r.rolcreaterole as createrole, r.rolcreatedb as createdb
      from pg_roles r where r.rolname = any(${Object.values(users)}::text[]) order by r.rolname`.execute(fresh.db);
    expect(rows).to.deep.equal(
      (Object.keys(users) as Component[])
        .map((c) => ({ user: users[c], groups: [COMPONENT_GROUP[c]], super: false, createrole: false, createdb: false }))
        .sort((a, b) => a.user.localeCompare(b.user)),
    );
  });

  it('pipeline: writes uploads, sets, images and renditions; cannot read accounts, sessions, orders or money', async () => {
    expect(await refusal('pipeline', `select count(*) from contributors`)).to.equal('allowed');
    expect(
      await refusal('pipeline', `insert into uploads (id, contributor_id, object_key, status) values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', 'uploads/x/y.zip', 'received')`),
    ).to.equal('allowed');
    for (const table of ['families', 'products', 'images', 'renditions', 'uploads', 'product_summaries', 'search_words', 'image_search', 'image_search_items']) {
      expect(await refusal('pipeline', `select count(*) from ${table}`), table).to.equal('allowed');
    }
    for (const table of ['renditions', 'product_summaries', 'search_words', 'image_search']) {
      expect(await refusal('pipeline', `delete from ${table} where false`), table).to.equal('allowed');
    }
    // Sets, families, uploads and images are the API's to delete (0056; test/core/pipeline-grants-review.test.ts).
    for (const table of ['families', 'products', 'images', 'uploads']) {
      expect(await refusal('pipeline', `delete from ${table} where false`), table).to.equal(`permission denied for table ${table}`);
    }
    for (const table of ['accounts', 'sessions', 'sign_in_failures', 'orders', 'entitlements', 'downloads', 'ledger_entries', 'payouts', 'connect_accounts', 'stripe_events']) {
      expect(await refusal('pipeline', `select 1 from ${table} limit 1`), table).to.equal(`permission denied for table ${table}`);
    }
    expect(await refusal('pipeline', `delete from contributors`)).to.equal('permission denied for table contributors');
    expect(await refusal('pipeline', `create table pipeline_scratch (id int)`)).to.equal('permission denied for schema public');
    expect(await refusal('pipeline', `drop table images`)).to.equal('must be owner of table images');
  });

  it('search (Logstash): runs its pipeline statements on the views; reads no other column and writes nothing', async () => {
    const conf = await readFile(new URL('../../app/search/logstash.conf', import.meta.url), 'utf8');
    const statements = [...conf.matchAll(/statement => "([^"]+)"/g)].map((m) => m[1]!.replaceAll(':sql_last_value', `'1970-01-01T00:00:00Z'`));
    expect(statements).to.have.length(2);
    for (const statement of statements) expect(await refusal('search', statement), statement.slice(0, 60)).to.equal('allowed');
    expect(await refusal('search', `select title from products`)).to.equal('permission denied for table products');
    expect(await refusal('search', `select * from images`)).to.equal('permission denied for table images');
    expect(await refusal('search', `update products set updated_at = now() where false`)).to.equal('permission denied for table products');
    expect(await refusal('search', `insert into search_words (word) values ('x')`)).to.equal('permission denied for table search_words');
    expect(await refusal('search', `select 1 from accounts`)).to.equal('permission denied for table accounts');
  });

  it('payouts: reads balances and Stripe accounts, records ledger rows and payouts; cannot change the ledger or read accounts', async () => {
    // Orders, blocks and disputes: the share of recent, blocked or disputed sales is held back.
    for (const table of ['contributors', 'connect_accounts', 'ledger_transactions', 'ledger_entries', 'payouts', 'orders', 'order_items', 'product_blocks', 'disputes']) {
      expect(await refusal('payouts', `select count(*) from ${table}`), table).to.equal('allowed');
    }
    expect(await refusal('payouts', `update payouts set status = status where false`)).to.equal('allowed');
    // A ledger row takes its id from a bigserial: INSERT alone would fail on the sequence (0046).
    expect(await refusal('payouts', `select nextval('ledger_entries_id_seq')`)).to.equal('allowed');
    expect(await refusal('pipeline', `select nextval('ledger_entries_id_seq')`)).to.equal('permission denied for sequence ledger_entries_id_seq');
    expect(await refusal('payouts', `update ledger_entries set amount_cents = 0 where false`)).to.equal('permission denied for table ledger_entries');
    expect(await refusal('payouts', `delete from ledger_transactions where false`)).to.equal('permission denied for table ledger_transactions');
    for (const table of ['accounts', 'sessions', 'images', 'downloads', 'entitlements']) expect(await refusal('payouts', `select 1 from ${table}`), table).to.equal(`permission denied for table ${table}`);
    expect(await refusal('payouts', `update orders set status = status where false`)).to.equal('permission denied for table orders');
  });

  it('api: reads and writes every table and view, not the migrations, and changes no schema', async () => {
    const { rows } = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind::text as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'v') and c.relname not like 'kysely_migration%' order by 1`.execute(fresh.db);
    expect(rows.length).to.be.greaterThan(25);
    for (const { name, kind } of rows) {
      expect(await refusal('api', `select 1 from "${name}" limit 1`), name).to.equal('allowed');
      if (kind === 'r') expect(await writable(users.api, name), name).to.equal(true);
    }
    expect(await refusal('api', `select * from kysely_migration`)).to.equal('permission denied for table kysely_migration');
    expect(await refusal('api', `create table api_scratch (id int)`)).to.equal('permission denied for schema public');
    expect(await refusal('api', `alter table accounts add column x int`)).to.equal('must be owner of table accounts');
  });

  it('a table a later migration creates reaches the api by default privileges, not the pipeline', async () => {
    await sql`create table later_feature (id int)`.execute(fresh.db);
    expect(await refusal('api', `insert into later_feature values (1)`)).to.equal('allowed');
    expect(await refusal('pipeline', `select * from later_feature`)).to.equal('permission denied for table later_feature');
  });

  it('a rotation sets the new password: the old one is refused, the new one logs in', async () => {
    expect(await ensureComponentLogin(fresh.db, { component: 'pipeline', user: users.pipeline, password: 'rotated-pipeline-password-42' })).to.equal('updated');
    const old = connect('pipeline');
    const rotated = connect('pipeline', 'rotated-pipeline-password-42');
    try {
      expect(await sql`select 1`.execute(old).then(() => 'allowed', (e: Error) => e.message)).to.equal(`password authentication failed for user "${users.pipeline}"`);
      expect(await sql`select 1`.execute(rotated).then(() => 'allowed', (e: Error) => e.message)).to.equal('allowed');
    } finally {
      await old.destroy();
      await rotated.destroy();
    }
  });

  it('refuses a group name, a superuser, a malformed user or a short password as a login', async () => {
    const attempt = (login: Parameters<typeof ensureComponentLogin>[1]) => ensureComponentLogin(fresh.db, login).then(() => 'done', (e: Error) => e.message);
    expect(await attempt({ component: 'api', user: 'marketplace_pipeline', password: 'x'.repeat(20) })).to.equal('login user "marketplace_pipeline" is a group role name');
    expect(await attempt({ component: 'api', user: 'postgres', password: 'x'.repeat(20) })).to.equal('refusing to use "postgres" as a component login: it is the user running this');
    expect(await attempt({ component: 'api', user: 'Robert"; drop', password: 'x'.repeat(20) })).to.equal('login user "Robert"; drop" must match /^[a-z_][a-z0-9_]{0,62}$/');
    expect(await attempt({ component: 'api', user: users.api, password: 'short' })).to.equal('a component password must be at least 16 characters');
    // Sent as a SCRAM verifier (SASLprep would change other characters on the server's side only).
    expect(await attempt({ component: 'api', user: users.api, password: 'pässwörd-0123456789' })).to.equal('a component password must be printable ASCII');
  });
});
