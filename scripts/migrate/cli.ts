import { Command } from 'commander';
import { z } from 'zod';
import { COMPONENT_GROUP, ensureComponentLogin, parseLoginsPlan, type Component } from '../../core/catalog/component-logins.ts';
import { DatabaseCredentialsEnv, databasePasswordSource, parameterReader } from '../../core/catalog/credentials.ts';
import { createDb } from '../../core/catalog/index.ts';
import { catalogMigrationApi, downOne, formatStatus, up, type MigrationApi } from './runner.ts';

/**
 * `npm run migrate -- up|down|status|logins`: the same command locally, in CI and on deploy.
 * The database comes from `--database-url` or `DATABASE_URL`. Deployed, that URL names the master user
 * without a password, and the password comes from `DATABASE_SECRET_ARN` (prod: the secret RDS manages) or
 * `DATABASE_PASSWORD_PARAMETER` (dev: an SSM SecureString), as for the functions (core/catalog/credentials.ts).
 * Exit codes: 0 done (also when nothing was to do), 1 failed, 2 refused (pending destructive migration).
 */

const databaseUrlSchema = z
  .string({ error: 'set DATABASE_URL or pass --database-url' })
  .regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// or postgresql:// connection string');

export const EXIT_REFUSED = 2;

function databaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const parsed = databaseUrlSchema.safeParse(flag ?? env.DATABASE_URL);
  if (!parsed.success) throw new Error(`database: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

async function withDb<T>(flag: string | undefined, env: NodeJS.ProcessEnv, work: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const url = databaseUrl(flag, env);
  const credentials = DatabaseCredentialsEnv.safeParse(env);
  if (!credentials.success) throw new Error(`database: ${credentials.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const db = createDb(url, { max: 1, password: databasePasswordSource({ ...credentials.data, DATABASE_URL: url }, env) });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

export function buildMigrateProgram(options: { api?: MigrationApi; print?: (line: string) => void; env?: NodeJS.ProcessEnv } = {}): Command {
  const api = options.api ?? catalogMigrationApi;
  const print = options.print ?? console.log;
  const env = options.env ?? process.env;
  const program = new Command('migrate')
    .description('Catalog database migrations.')
    .option('--database-url <url>', 'PostgreSQL connection string (default: $DATABASE_URL)');
  const url = () => program.opts<{ databaseUrl?: string }>().databaseUrl;

  program
    .command('up')
    .description('apply every pending migration; refuses pending destructive ones unless allowed')
    .option('--allow-destructive', 'also run migrations marked destructive (take a backup first)', false)
    .action(async (flags: { allowDestructive: boolean }) => {
      const result = await withDb(url(), env, (db) => up(db, { allowDestructive: flags.allowDestructive, api }));
      if (result.ran.length === 0) print(`up to date (${result.alreadyApplied} applied, nothing to run)`);
      for (const name of result.ran) print(`applied ${name}`);
    });

  program
    .command('down')
    .description('revert the most recent migration (one step)')
    .action(async () => {
      const reverted = await withDb(url(), env, (db) => downOne(db, api));
      print(reverted ? `reverted ${reverted}` : 'nothing to revert: no migration has run');
    });

  program
    .command('status')
    .description('list migrations, applied and pending')
    .option('--json', 'print the states as JSON', false)
    .action(async (flags: { json: boolean }) => {
      const states = await withDb(url(), env, (db) => api.migrationStatus(db));
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
      const password = env.DATABASE_LOGIN_PASSWORD;
      if (!password) throw new Error('set DATABASE_LOGIN_PASSWORD to the password from the stack secret');
      const outcome = await withDb(url(), env, (db) => ensureComponentLogin(db, { component: component as Component, user, password }));
      print(`${outcome} ${user} in ${COMPONENT_GROUP[component as Component]}`);
    });

  program
    .command('logins')
    .description("the deploy's step after `up`: every component's login user, each with the password in its SSM parameter ($DATABASE_LOGINS)")
    .action(async () => {
      const plan = parseLoginsPlan(env.DATABASE_LOGINS);
      // Every password is read before anything changes: a missing parameter leaves all logins as they were.
      const logins = await Promise.all(plan.map(async (login) => ({ ...login, password: await parameterReader(login.passwordParameter, env)() })));
      await withDb(url(), env, async (db) => {
        for (const login of logins) {
          const outcome = await ensureComponentLogin(db, login);
          print(`${outcome} ${login.user} in ${COMPONENT_GROUP[login.component]}`);
        }
      });
    });

  return program;
}
