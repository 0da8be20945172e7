import { sql, type Kysely } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * INSERT on a table does not cover `nextval` on the sequence behind its serial column: 0037 gave the payout job
 * INSERT on ledger_entries (a bigserial id) but not its sequence, so a payout failed with "permission denied for
 * sequence ledger_entries_id_seq" once the job ran as its own role. Each narrow group gets USAGE on the sequences
 * owned by the tables it may insert into, and nothing else (the API has every sequence from 0037).
 */
const NARROW_GROUPS = ['marketplace_pipeline', 'marketplace_search', 'marketplace_payouts'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function insertSequences(db: Kysely<any>): Promise<{ group: string; sequence: string }[]> {
  const { rows } = await sql<{ group: string; sequence: string }>`
    select g.rolname as group, s.relname as sequence
    from pg_class s
    join pg_namespace n on n.oid = s.relnamespace and n.nspname = 'public'
    join pg_depend d on d.objid = s.oid and d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    join pg_class t on t.oid = d.refobjid
    join pg_roles g on g.rolname = any(${[...NARROW_GROUPS]}::text[])
    where s.relkind = 'S' and has_table_privilege(g.oid, t.oid, 'INSERT')
    order by 1, 2`.execute(db);
  return rows;
}

export const componentSequences: CatalogMigration = {
  destructive: false,

  async up(db) {
    for (const { group, sequence } of await insertSequences(db)) await sql`grant usage on sequence ${sql.id(sequence)} to ${sql.id(group)}`.execute(db);
  },

  async down(db) {
    for (const { group, sequence } of await insertSequences(db)) await sql`revoke usage on sequence ${sql.id(sequence)} from ${sql.id(group)}`.execute(db);
  },
};
