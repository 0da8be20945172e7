/**
 * Login users for the component roles of migration 0037. A deployment calls this (as the master user, with
 * CREATEROLE) once per component with the password from the stack's secret: it creates the user, or sets the
 * new password on a rotation, and makes it a member of its group. Idempotent.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';

export const COMPONENT_GROUP = {
  api: 'marketplace_api',
  pipeline: 'marketplace_pipeline',
  search: 'marketplace_search',
  payouts: 'marketplace_payouts',
} as const;
export type Component = keyof typeof COMPONENT_GROUP;
export const COMPONENTS = Object.keys(COMPONENT_GROUP) as Component[];

/** The login user each deployed component connects as (and the local pipeline's functions): `<component>_login`. */
export function componentLoginUser(component: Component): string {
  return `${component}_login`;
}

/** Lower-case, unquoted PostgreSQL identifiers only: they also travel in DATABASE_URL and JDBC URLs. */
export const LOGIN_USER_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export interface ComponentLogin {
  component: Component;
  user: string;
  password: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function ensureComponentLogin(db: Kysely<any>, login: ComponentLogin): Promise<'created' | 'updated'> {
  const group = COMPONENT_GROUP[login.component];
  if (!group) throw new Error(`unknown component "${login.component}" (one of ${Object.keys(COMPONENT_GROUP).join(', ')})`);
  if (!LOGIN_USER_PATTERN.test(login.user)) throw new Error(`login user "${login.user}" must match ${LOGIN_USER_PATTERN}`);
  if ((Object.values(COMPONENT_GROUP) as string[]).includes(login.user)) throw new Error(`login user "${login.user}" is a group role name`);
  if (login.password.length < 16) throw new Error('a component password must be at least 16 characters');
  const existing = await sql<{ super: boolean }>`select rolsuper as super from pg_roles where rolname = ${login.user}`.execute(db);
  if (existing.rows[0]?.super) throw new Error(`refusing to use superuser "${login.user}" as a component login`);
  const password = sql.lit(login.password);
  // A new password on an existing user is a rotation: sessions already open keep running.
  if (existing.rows.length === 0) await sql`create role ${sql.id(login.user)} login inherit password ${password}`.execute(db);
  else await sql`alter role ${sql.id(login.user)} login inherit password ${password}`.execute(db);
  await sql`grant ${sql.id(group)} to ${sql.id(login.user)}`.execute(db);
  return existing.rows.length === 0 ? 'created' : 'updated';
}

/**
 * What the deploy's login step (`npm run migrate -- logins`) is told, as `DATABASE_LOGINS` (JSON): each
 * component's login user and the SSM SecureString parameter holding its password (names only, no secret).
 * The stack writes it (infra/components/database-logins.ts); every component exactly once.
 */
export const LoginsPlan = z
  .array(
    z.strictObject({
      component: z.enum(COMPONENTS as [Component, ...Component[]]),
      user: z.string().regex(LOGIN_USER_PATTERN, `must match ${LOGIN_USER_PATTERN}`),
      passwordParameter: z.string().startsWith('/', 'must be an SSM parameter name starting with "/"'),
    }),
  )
  .refine((logins) => COMPONENTS.every((c) => logins.filter((l) => l.component === c).length === 1), {
    message: `must name each component exactly once (${COMPONENTS.join(', ')})`,
  });
export type LoginsPlan = z.infer<typeof LoginsPlan>;

/** `DATABASE_LOGINS` parsed and checked, with an error that says which part is wrong. */
export function parseLoginsPlan(text: string | undefined): LoginsPlan {
  if (!text) throw new Error('set DATABASE_LOGINS (the stack output databaseMigration carries it)');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('DATABASE_LOGINS is not JSON');
  }
  const parsed = LoginsPlan.safeParse(json);
  if (!parsed.success) throw new Error(`DATABASE_LOGINS: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(list)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
