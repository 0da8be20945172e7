import { sql, type Kysely } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * A database role per component, each with only what it needs (issue 13). They are NOLOGIN group roles:
 * a deployment gives each component a login user that is a member of its group (`npm run migrate -- login`,
 * core/catalog/component-logins.ts), with a password from the stack's secrets. The same SQL runs on RDS,
 * Lightsail's managed PostgreSQL (the master user has CREATEROLE, not superuser) and locally.
 *
 * - marketplace_api: reads and writes every table (it is the marketplace), no DDL, not the migrations' tables;
 *   tables later migrations create reach it through default privileges.
 * - marketplace_pipeline: the catalog only (uploads, sets, images, renditions and what their triggers keep
 *   current); nothing of accounts, sessions, orders, downloads or money. Later migrations grant it explicitly.
 * - marketplace_search (Logstash): reads the search views and the two columns its change query filters on.
 * - marketplace_payouts: balances from the ledger, contributors' Stripe accounts, its own payout rows.
 *
 * Roles belong to the cluster, so `up` creates them only when missing; `down` revokes this database's grants
 * and leaves the roles (another database of the cluster may use them).
 */
export const COMPONENT_GROUPS = ['marketplace_api', 'marketplace_pipeline', 'marketplace_search', 'marketplace_payouts'] as const;

/** Catalog tables the pipeline writes, and those its writes' triggers keep current (0008, 0009, 0027). */
const PIPELINE_WRITES = ['uploads', 'families', 'products', 'images', 'renditions', 'product_summaries', 'search_words'];
// upload_drafts: ImageBatcher ingests only an upload a draft reserved for that contributor.
const PIPELINE_READS = ['contributors', 'product_blocks', 'upload_drafts'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function grants(db: Kysely<any>): Promise<void> {
  const q = (text: string) => sql.raw(text).execute(db);
  const migrations = ['kysely_migration', 'kysely_migration_lock'];
  const tables = await sql<{ name: string }>`
    select tablename as name from pg_tables where schemaname = 'public' and tablename <> all(${migrations}::text[]) order by tablename`.execute(db);
  for (const group of COMPONENT_GROUPS) {
    await q(`revoke all on schema public from ${group}`);
    await q(`grant usage on schema public to ${group}`);
  }
  for (const { name } of tables.rows) await q(`grant select, insert, update, delete on table "${name}" to marketplace_api`);
  const views = await sql<{ name: string }>`select viewname as name from pg_views where schemaname = 'public' order by viewname`.execute(db);
  for (const { name } of views.rows) await q(`grant select on "${name}" to marketplace_api`);
  await q('grant usage, select on all sequences in schema public to marketplace_api');
  await q('alter default privileges in schema public grant select, insert, update, delete on tables to marketplace_api');
  await q('alter default privileges in schema public grant usage, select on sequences to marketplace_api');

  await q(`grant select, insert, update, delete on ${PIPELINE_WRITES.join(', ')} to marketplace_pipeline`);
  await q(`grant select on ${PIPELINE_READS.join(', ')} to marketplace_pipeline`);

  await q('grant select on search_products, search_images to marketplace_search');
  await q('grant select (id, product_id, updated_at) on images to marketplace_search');
  await q('grant select (id, updated_at) on products to marketplace_search');

  // Held-back shares (core/selling/payouts.ts): recent sales, open disputes, blocked sets.
  await q('grant select on contributors, connect_accounts, orders, order_items, product_blocks to marketplace_payouts');
  await q('grant select, insert on ledger_transactions, ledger_entries to marketplace_payouts');
  await q('grant select, insert, update on payouts to marketplace_payouts');
}

export const componentRoles: CatalogMigration = {
  destructive: false,

  async up(db) {
    for (const group of COMPONENT_GROUPS) {
      await sql`
        do $$ begin
          if not exists (select from pg_roles where rolname = ${sql.lit(group)}) then create role ${sql.id(group)} nologin; end if;
        end $$`.execute(db);
    }
    await grants(db);
  },

  async down(db) {
    const q = (text: string) => sql.raw(text).execute(db);
    await q('alter default privileges in schema public revoke all on tables from marketplace_api');
    await q('alter default privileges in schema public revoke all on sequences from marketplace_api');
    for (const group of COMPONENT_GROUPS) {
      await q(`revoke all on all tables in schema public from ${group}`);
      await q(`revoke all on all sequences in schema public from ${group}`);
      await q(`revoke all on schema public from ${group}`);
    }
  },
};
