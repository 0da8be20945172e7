import { Command } from 'commander';
import { z } from 'zod';
import { COMPONENT_GROUP, ensureComponentLogin, type Component } from '../../core/catalog/component-logins.ts';
import { createDb } from '../../core/catalog/index.ts';
import { catalogMigrationApi, downOne, formatStatus, up, type MigrationApi } from './runner.ts';

/**
 * `npm run migrate -- up|down|status`: the same command locally, in CI and on deploy.
 * The database comes from `--database-url` or `DATABASE_URL`.
 * Exit codes: 0 done (also when nothing was to do), 1 failed, 2 refused (pending destructive migration).
 */

const databaseUrlSchema = z
  .string({ error: 'set DATABASE_URL or pass --database-url' })
  .regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// or postgresql:// connection string');

export const EXIT_REFUSED = 2;

function databaseUrl(flag: string | undefined): string {
  const parsed = databaseUrlSchema.safeParse(flag ?? process.env.DATABASE_URL);
  if (!parsed.success) throw new Error(`database: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

async function withDb<T>(flag: string | undefined, work: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const db = createDb(databaseUrl(flag), { max: 1 });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

export function buildMigrateProgram(options: { api?: MigrationApi; print?: (line: string) => void } = {}): Command {
  const api = options.api ?? catalogMigrationApi;
  const print = options.print ?? console.log;
  const program = new Command('migrate')
    .description('Catalog database migrations.')
    .option('--database-url <url>', 'PostgreSQL connection string (default: $DATABASE_URL)');
  const url = () => program.opts<{ databaseUrl?: string }>().databaseUrl;

  program
    .command('up')
    .description('apply every pending migration; refuses pending destructive ones unless allowed')
    .option('--allow-destructive', 'also run migrations marked destructive (take a backup first)', false)
    .action(async (flags: { allowDestructive: boolean }) => {
      const result = await withDb(url(), (db) => up(db, { allowDestructive: flags.allowDestructive, api }));
      if (result.ran.length === 0) print(`up to date (${result.alreadyApplied} applied, nothing to run)`);
      for (const name of result.ran) print(`applied ${name}`);
    });

  program
    .command('down')
    .description('revert the most recent migration (one step)')
    .action(async () => {
      const reverted = await withDb(url(), (db) => downOne(db, api));
      print(reverted ? `reverted ${reverted}` : 'nothing to revert: no migration has run');
    });

  program
    .command('status')
    .description('list migrations, applied and pending')
    .option('--json', 'print the states as JSON', false)
    .action(async (flags: { json: boolean }) => {
      const states = await withDb(url(), (db) => api.migrationStatus(db));
      if (flags.json) print(JSON.stringify(states, null, 2));
      else for (const line of formatStatus(states)) print(line);
    });

  program
    .command('login')
    .description("create or update a component's login user (member of its role from migration 0037); password from $DATABASE_LOGIN_PASSWORD")
    .argument('<component>', `one of ${Object.keys(COMPONENT_GROUP).join(', ')}`)
    .argument('<user>', 'the login user name (lower-case letters, digits, _)')
    .action(async (component: string, user: string) => {
      if (!(component in COMPONENT_GROUP)) throw new Error(`unknown component "${component}" (one of ${Object.keys(COMPONENT_GROUP).join(', ')})`);
      // Never an argument: it would show in process lists and shell history.
      const password = process.env.DATABASE_LOGIN_PASSWORD;
      if (!password) throw new Error('set DATABASE_LOGIN_PASSWORD to the password from the stack secret');
      const outcome = await withDb(url(), (db) => ensureComponentLogin(db, { component: component as Component, user, password }));
      print(`${outcome} ${user} in ${COMPONENT_GROUP[component as Component]}`);
    });

  return program;
}
