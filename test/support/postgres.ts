/**
 * One real PostgreSQL cluster per mocha run, started on first use and stopped by the
 * root `afterAll` hook (test/support/hooks.ts, through teardown.ts). Every `freshDatabase()` is a new
 * database copied from a template migrated once per run, so test files are isolated
 * and pay milliseconds, not a migration run, for each database.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createDb, migrateToLatest, type Database } from '../../core/catalog/index.ts';
import { startPostgres, type LocalPostgres } from '../../scripts/local/postgres.ts';
import { onTeardown } from './teardown.ts';

const TEMPLATE_DATABASE = 'catalog_template';

interface TestCluster {
  postgres: LocalPostgres;
  dir: string;
}

let cluster: Promise<TestCluster> | undefined;
let databasesCreated = 0;

export interface FreshDatabase {
  db: Kysely<Database>;
  connectionString: string;
  /** Closes the pool and drops the database. */
  destroy(): Promise<void>;
}

/** A new, empty catalog database with every migration applied. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const { postgres } = await testCluster();
  const name = `test_${process.pid}_${++databasesCreated}`;
  const connectionString = await postgres.createDatabase(name, { template: TEMPLATE_DATABASE });
  const db = createDb(connectionString, { max: 4 });
  return {
    db,
    connectionString,
    async destroy() {
      await db.destroy();
      await postgres.dropDatabase(name);
    },
  };
}

/** The running test cluster (started on first call), for tests that need the server itself. */
export async function testPostgres(): Promise<LocalPostgres> {
  return (await testCluster()).postgres;
}

/** Stops the cluster if this run started one and removes its files. */
export async function stopTestPostgres(): Promise<void> {
  if (!cluster) return;
  const started = cluster;
  cluster = undefined;
  const { postgres, dir } = await started;
  await postgres.stop();
  await rm(dir, { recursive: true, force: true });
}

function testCluster(): Promise<TestCluster> {
  onTeardown(stopTestPostgres);
  cluster ??= startTestCluster().catch((error: unknown) => {
    cluster = undefined;
    throw error;
  });
  return cluster;
}

async function startTestCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'catalog-test-pg-'));
  // When tests run as root, PostgreSQL runs as the `postgres` user, which must reach the data directory.
  await chmod(dir, 0o755);
  let postgres: LocalPostgres | undefined;
  try {
    postgres = await startPostgres({ dataDir: join(dir, 'data'), persistent: false });
    const connectionString = await postgres.createDatabase(TEMPLATE_DATABASE);
    const template = createDb(connectionString, { max: 1 });
    try {
      await migrateToLatest(template);
    } finally {
      // CREATE DATABASE … TEMPLATE refuses while anyone is connected to the template.
      await template.destroy();
    }
    return { postgres, dir };
  } catch (error) {
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
