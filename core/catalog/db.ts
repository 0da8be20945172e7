import { CamelCasePlugin, Kysely, PostgresDialect, sql, type RawBuilder, type Transaction } from 'kysely';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { z } from 'zod';
import type { Database } from './schema.ts';
import { AWS_RDS_CA, awsRdsCaBundle } from './server-trust.ts';

export interface CreateDbOptions {
  /**
   * Pool size. Keep it small in Lambda (1–2): every concurrent function instance
   * holds its own pool against one database.
   * @default 10
   */
  max?: number;
  /** @default 10_000 */
  idleTimeoutMillis?: number;
  /** @default 10_000 */
  connectionTimeoutMillis?: number;
  /** Told when an idle pooled connection fails (e.g. the server restarted). */
  onIdleError?: (error: Error) => void;
  /**
   * Reads the password for each new connection (core/catalog/credentials.ts: Secrets Manager or SSM,
   * cached), instead of the connection string carrying it; a rotated password reaches new connections.
   */
  password?: (() => Promise<string>) & { forget?: () => void };
  /**
   * Reads a client certificate, its key and the server's CA (core/catalog/credentials.ts) before the first
   * connection: every connection then speaks TLS with that certificate and accepts only a server certificate
   * from that CA naming the URL's host (a dev stack's PgBouncer). Absent: the URL's `sslmode` (and `sslrootcert`) decide.
   */
  tls?: () => Promise<{ ca: string; cert: string; key: string }>;
}

/** A Kysely instance for the catalog; SQL snake_case is seen as camelCase in TypeScript. */
export function createDb(connectionString: string, opts: CreateDbOptions = {}): Kysely<Database> {
  const poolWith = (clientTls?: ConnectionSettings['clientTls']) => {
    const pool = new pg.Pool({
      ...connectionConfig(connectionString, { password: opts.password, clientTls }),
      max: opts.max ?? 10,
      idleTimeoutMillis: opts.idleTimeoutMillis ?? 10_000,
      connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
    });
    // An idle connection dropped by the server (failover, restart) must not crash the process:
    // the pool discards it and the next query opens a new one.
    pool.on('error', (error) => (opts.onIdleError ?? warnIdleError)(error));
    if (opts.password?.forget) retryRefusedPassword(pool, opts.password.forget);
    return pool;
  };
  const readTls = opts.tls;
  // With a certificate to read, the pool is made on first use (Kysely asks for it once).
  const pool = readTls ? async () => poolWith(await readTls()) : poolWith();
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    // jsonb contents (upload problems, preview keys) are data, not column names: leave their keys alone.
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });
}

/**
 * The TLS parameters a database URL may carry. pg reads `require`, `prefer` and `verify-ca` as `verify-full`
 * against Node's store (pg-connection-string 2.x), which no managed database's certificate passes: refused, so a
 * URL says what it means (`verify-full`, with `sslrootcert=aws-rds` for a managed database, or `disable`).
 */
const UrlTls = z.object({
  sslmode: z.enum(['disable', 'verify-full', 'no-verify'], { error: (issue) => `sslmode=${String(issue.input)} is not verify-full, no-verify or disable` }).optional(),
  sslrootcert: z.string().min(1).optional(),
});

export interface ConnectionSettings {
  /** See CreateDbOptions.password. */
  password?: () => Promise<string>;
  /** See CreateDbOptions.tls: a client certificate and the only CA the server's certificate may come from. */
  clientTls?: { ca: string; cert: string; key: string };
}

/**
 * The one place a database URL (and a password reader or client certificate) becomes pg's connection config:
 * createDb, the API's pool and its notification connections. pg parses a connection string over explicit
 * settings, so settings need the parts instead.
 */
export function connectionConfig(
  connectionString: string,
  settings: ConnectionSettings = {},
  /** What `sslrootcert=aws-rds` loads; tests stand a CA of their own in. */
  rdsCa: () => string[] = awsRdsCaBundle,
): pg.ClientConfig {
  const url = new URL(connectionString);
  const parsed = UrlTls.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw new Error(`the database URL's TLS parameters are invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const { sslmode, sslrootcert } = parsed.data;
  const rds = sslrootcert === AWS_RDS_CA;
  if (rds && sslmode !== 'verify-full') throw new Error(`sslrootcert=${AWS_RDS_CA} needs sslmode=verify-full`);
  if (rds && settings.clientTls) throw new Error(`the database URL trusts the Amazon RDS CAs (sslrootcert=${AWS_RDS_CA}) and a client certificate with its own CA is configured: keep one`);
  // Verify the server against these CAs only and (Node's default) its certificate against the URL's host.
  const ssl: pg.ClientConfig['ssl'] = rds
    ? { ca: rdsCa(), rejectUnauthorized: true }
    : settings.clientTls
      ? { ...settings.clientTls, rejectUnauthorized: true }
      : undefined;
  const { password } = settings;
  if (!password && !ssl) return { connectionString };
  // pg-connection-string would read `sslrootcert` as a file.
  if (rds) url.searchParams.delete('sslrootcert');
  const { password: inUrl, port, ...parts } = parseConnectionString(url.toString());
  if (inUrl && password) throw new Error('the database URL carries a password and a password source is configured: keep one');
  return { ...(parts as pg.ClientConfig), ...(port ? { port: Number(port) } : {}), ...(password ? { password } : inUrl ? { password: inUrl } : {}), ...(ssl ? { ssl } : {}) };
}

/**
 * After a rotation's logins step, a cached password is refused (28P01, invalid_password) until its cache expires:
 * a refused connection forgets it and tries once more with the password read again (hostile review 3, finding 4).
 */
function retryRefusedPassword(pool: pg.Pool, forget: () => void): void {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  // Kysely's driver calls connect() without a callback.
  pool.connect = (async () => {
    try {
      return await connect();
    } catch (error) {
      if ((error as { code?: unknown }).code !== '28P01') throw error;
      forget();
      return connect();
    }
  }) as typeof pool.connect;
}

function warnIdleError(error: Error): void {
  process.emitWarning(`idle PostgreSQL connection lost: ${error.message}`);
}

/** A value for a jsonb column (see `Jsonb<T>` in schema.ts). */
export function jsonb<T>(value: T): RawBuilder<T> {
  return sql<T>`cast(${JSON.stringify(value)} as jsonb)`;
}

/** Runs `work` in a transaction, joining the caller's when `db` already is one. */
export async function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<Database>);
  return db.transaction().execute(work);
}

/** The database clock, for `updatedAt` columns. */
export function now(): RawBuilder<Date> {
  return sql<Date>`now()`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Lookups by a malformed id find nothing instead of raising a PostgreSQL cast error. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** A write that the catalog's current state does not allow (e.g. accepting a rejected upload). */
export class CatalogStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogStateError';
  }
}
