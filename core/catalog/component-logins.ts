/**
 * Login users for the component roles of migration 0037. A deployment calls this (as the master user, with
 * CREATEROLE) once per component with the password from the stack's secret: it creates the user, or sets the
 * new password on a rotation, and makes it a member of its group. Idempotent.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
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

interface ExistingRole {
  self: boolean;
  powers: string[];
  groups: string[];
}

/**
 * Creates or updates the login and leaves it a member of its group only. An existing role is adopted only when
 * it is a plain login a deploy could have made: never the connected (master) user, never one with a power
 * (superuser, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS) or a member of a role other than the component
 * groups (e.g. pg_read_all_data), which are refused with the reason; its memberships of the other component
 * groups are revoked (a login moved between components, an operator's slip). Hostile review 3, finding 1.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function ensureComponentLogin(db: Kysely<any>, login: ComponentLogin): Promise<'created' | 'updated'> {
  const group = COMPONENT_GROUP[login.component];
  if (!group) throw new Error(`unknown component "${login.component}" (one of ${Object.keys(COMPONENT_GROUP).join(', ')})`);
  if (!LOGIN_USER_PATTERN.test(login.user)) throw new Error(`login user "${login.user}" must match ${LOGIN_USER_PATTERN}`);
  const groups = Object.values(COMPONENT_GROUP) as string[];
  if (groups.includes(login.user)) throw new Error(`login user "${login.user}" is a group role name`);
  if (login.password.length < 16) throw new Error('a component password must be at least 16 characters');
  // One transaction per login behind one advisory lock: prod runs the logins step on every API instance at once,
  // and two concurrent ALTER ROLEs of one role fail ("tuple concurrently updated"; review 3, finding 8).
  if (db.isTransaction) return ensureLocked(db, login, group, groups);
  return db.transaction().execute((trx) => ensureLocked(trx, login, group, groups));
}

/** Any fixed key: every logins step takes this one. */
const LOGINS_LOCK = 0x6c6f67696e73;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function ensureLocked(db: Kysely<any>, login: ComponentLogin, group: string, groups: string[]): Promise<'created' | 'updated'> {
  await sql`select pg_advisory_xact_lock(${sql.lit(LOGINS_LOCK)})`.execute(db);
  const existing = await existingRole(db, login.user);
  if (existing) {
    const refuse = (why: string) => new Error(`refusing to use "${login.user}" as a component login: ${why}`);
    if (existing.self) throw refuse('it is the user running this');
    if (existing.powers.length > 0) throw refuse(`it has ${existing.powers.join(', ')}`);
    const others = existing.groups.filter((name) => !groups.includes(name));
    if (others.length > 0) throw refuse(`it is a member of ${others.join(', ')}`);
  }
  // The server gets the SCRAM verifier, never the password: statement logs, pg_stat_activity and Performance
  // Insights show what a session sends (hostile review 3, finding 2).
  const password = sql.lit(scramVerifier(login.password));
  // A new password on an existing user is a rotation: sessions already open keep running.
  if (!existing) await sql`create role ${sql.id(login.user)} login inherit password ${password}`.execute(db);
  else await sql`alter role ${sql.id(login.user)} login inherit password ${password}`.execute(db);
  for (const other of existing?.groups ?? []) {
    if (other !== group) await sql`revoke ${sql.id(other)} from ${sql.id(login.user)}`.execute(db);
  }
  await sql`grant ${sql.id(group)} to ${sql.id(login.user)}`.execute(db);
  return existing ? 'updated' : 'created';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function existingRole(db: Kysely<any>, user: string): Promise<ExistingRole | undefined> {
  const { rows } = await sql<ExistingRole>`
    select r.rolname = current_user as self,
           array_remove(array[case when r.rolsuper then 'SUPERUSER' end, case when r.rolcreaterole then 'CREATEROLE' end,
             case when r.rolcreatedb then 'CREATEDB' end, case when r.rolreplication then 'REPLICATION' end,
             case when r.rolbypassrls then 'BYPASSRLS' end], null) as powers,
           array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid order by 1) as groups
    from pg_roles r where r.rolname = ${user}`.execute(db);
  return rows[0];
}

const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 7677; what libpq's PQencryptPasswordConn and
 * psql's \password send). PostgreSQL keeps a password that has this shape as given. Printable ASCII only, which
 * SASLprep leaves unchanged, so the server computes the same keys when the component logs in.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  if (!/^[\x20-\x7e]+$/.test(password)) throw new Error('a component password must be printable ASCII');
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
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
  })
  // One user in two components' plans would end up in both groups.
  .refine((logins) => new Set(logins.map((l) => l.user)).size === logins.length, { message: 'must name a different user for each component' });
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
