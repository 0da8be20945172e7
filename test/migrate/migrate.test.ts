import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { catalogMigrations, createDb, type CatalogMigration } from '../../core/catalog/index.ts';
import { buildMigrateProgram } from '../../scripts/migrate/cli.ts';
import { DestructiveMigrationRefusedError, formatStatus, type MigrationApi } from '../../scripts/migrate/runner.ts';
import type { LocalPostgres } from '../../scripts/local/postgres.ts';
import { testPostgres } from '../support/postgres.ts';

/**
 * A second, real migration set run by Kysely against the same server: the catalog has no
 * destructive migration yet, and the refusal must be proven on one that really drops a column.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
const trialMigrations: Record<string, CatalogMigration> = {
  '0001-notes': {
    destructive: false,
    up: (db) => db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('legacy', 'text').execute(),
    down: (db) => db.schema.dropTable('notes').execute(),
  },
  '0002-drop-legacy': {
    destructive: true,
    up: (db) => db.schema.alterTable('notes').dropColumn('legacy').execute(),
    down: (db) => db.schema.alterTable('notes').addColumn('legacy', 'text').execute(),
  },
};

function migrationApiFor(set: Record<string, CatalogMigration>): MigrationApi {
  const migrator = (db: AnyDb) =>
    new Migrator({ db, provider: { getMigrations: async () => set as Record<string, Migration> } });
  const succeeded = (result: Awaited<ReturnType<Migrator['migrateToLatest']>>) => {
    if (result.error) throw result.error;
    return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  return {
    migrateToLatest: async (db) => succeeded(await migrator(db).migrateToLatest()),
    migrateDown: async (db) => succeeded(await migrator(db).migrateDown())[0],
    migrationStatus: async (db) =>
      (await migrator(db).getMigrations()).map((info) => ({
        name: info.name,
        executedAt: info.executedAt,
        destructive: set[info.name]?.destructive ?? false,
      })),
  };
}

describe('migrate CLI against a real PostgreSQL', function () {
  this.timeout(120_000);
  let server: LocalPostgres;
  const created: string[] = [];

  before(async () => {
    server = await testPostgres();
  });
  after(async () => {
    for (const name of created) await server.dropDatabase(name);
  });

  /** An empty database (not the migrated test template): these tests run the migrations themselves. */
  const freshUrl = () => {
    const name = `migrate_${process.pid}_${created.length + 1}`;
    created.push(name);
    return server.createDatabase(name);
  };

  /** Runs the CLI in-process, collecting what it prints. */
  async function cli(url: string, args: string[], api?: MigrationApi): Promise<string[]> {
    const lines: string[] = [];
    const program = buildMigrateProgram({ ...(api ? { api } : {}), print: (line) => lines.push(line) });
    await program.parseAsync(['--database-url', url, ...args], { from: 'user' });
    return lines;
  }

  it('status lists every catalog migration as pending on an empty database', async () => {
    const url = await freshUrl();
    const lines = await cli(url, ['status']);
    const names = Object.keys(catalogMigrations);
    expect(names.length).to.be.greaterThan(0);
    for (const name of names) expect(lines.some((line) => line.startsWith(`· ${name}`) && line.includes('pending'))).to.equal(true);
    expect(lines.at(-1)).to.equal(`${names.length} pending`);
  });

  it('up applies the catalog migrations, and a second up changes nothing', async () => {
    const url = await freshUrl();
    const names = Object.keys(catalogMigrations);
    expect(await cli(url, ['up'])).to.deep.equal(names.map((name) => `applied ${name}`));
    expect(await cli(url, ['up'])).to.deep.equal([`up to date (${names.length} applied, nothing to run)`]);

    const status = JSON.parse((await cli(url, ['status', '--json'])).join('\n')) as { name: string; executedAt?: string }[];
    expect(status.map((s) => s.name)).to.deep.equal(names);
    expect(status.every((s) => typeof s.executedAt === 'string')).to.equal(true);
  });

  it('two ups at once apply each migration once', async () => {
    const url = await freshUrl();
    const [a, b] = await Promise.all([cli(url, ['up']), cli(url, ['up'])]);
    const applied = [...a!, ...b!].filter((line) => line.startsWith('applied '));
    expect(applied).to.have.length(Object.keys(catalogMigrations).length);
  });

  it('down reverts exactly one migration, and up brings it back', async () => {
    const url = await freshUrl();
    await cli(url, ['up']);
    const names = Object.keys(catalogMigrations);
    const last = names.at(-1)!;
    expect(await cli(url, ['down'])).to.deep.equal([`reverted ${last}`]);
    const lines = await cli(url, ['status']);
    expect(lines.at(-1)).to.equal('1 pending');
    expect(await cli(url, ['up'])).to.deep.equal([`applied ${last}`]);
  });

  it('down on a database with nothing applied says so', async () => {
    const url = await freshUrl();
    expect(await cli(url, ['down'])).to.deep.equal(['nothing to revert: no migration has run']);
  });

  it('refuses pending destructive migrations, running nothing, until --allow-destructive', async () => {
    const url = await freshUrl();
    const api = migrationApiFor(trialMigrations);
    const refusal = await cli(url, ['up'], api).catch((error: unknown) => error);
    expect(refusal).to.be.instanceOf(DestructiveMigrationRefusedError);
    expect((refusal as Error).message).to.contain('0002-drop-legacy').and.to.contain('--allow-destructive');

    const db = createDb(url, { max: 1 });
    try {
      const tables = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name = 'notes'`.execute(db);
      expect(tables.rows[0]?.n, 'nothing ran, not even the safe step before it').to.equal(0);
    } finally {
      await db.destroy();
    }
    expect((await cli(url, ['status'], api)).join('\n')).to.contain('0002-drop-legacy  pending  (destructive)');

    expect(await cli(url, ['up', '--allow-destructive'], api)).to.deep.equal(['applied 0001-notes', 'applied 0002-drop-legacy']);
    expect(await cli(url, ['up'], api)).to.deep.equal(['up to date (2 applied, nothing to run)']);
  });

  it('formatStatus marks applied, pending and destructive migrations', () => {
    const at = new Date('2025-01-02T03:04:05Z');
    expect(
      formatStatus([
        { name: '0001-a', executedAt: at, destructive: false },
        { name: '0002-bb', executedAt: undefined, destructive: true },
      ]),
    ).to.deep.equal(['✔ 0001-a   applied 2025-01-02T03:04:05.000Z', '· 0002-bb  pending  (destructive)', '1 pending']);
  });

  it('npm run migrate exits 1 with a reason when no database is given', async () => {
    const run = promisify(execFile);
    const { DATABASE_URL: _, ...withoutUrl } = process.env;
    const failure = (await run(process.execPath, ['--import', 'tsx', 'scripts/migrate/index.ts', 'status'], { env: withoutUrl }).then(
      () => null,
      (error: unknown) => error,
    )) as { code: number; stderr: string } | null;
    expect(failure?.code).to.equal(1);
    expect(failure?.stderr).to.contain('set DATABASE_URL or pass --database-url');
  });
});
