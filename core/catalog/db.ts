import { CamelCasePlugin, Kysely, PostgresDialect, sql, type RawBuilder, type Transaction } from 'kysely';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import type { Database } from './schema.ts';

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
   * from that CA naming the URL's host (a dev stack's PgBouncer). Absent: the URL's `sslmode` decides, as before.
   */
  tls?: () => Promise<{ ca: string; cert: string; key: string }>;
}

/** A Kysely instance for the catalog; SQL snake_case is seen as camelCase in TypeScript. */
export function createDb(connectionString: string, opts: CreateDbOptions = {}): Kysely<Database> {
  const poolWith = (ssl?: pg.PoolConfig['ssl']) => {
    const pool = new pg.Pool({
      ...connectionConfig(connectionString, opts.password, ssl),
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
  const pool = readTls ? async () => poolWith(tlsConfig(await readTls())) : poolWith();
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    // jsonb contents (upload problems, preview keys) are data, not column names: leave their keys alone.
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });
}

/** pg parses a connection string over explicit settings, so a password reader or TLS settings need the parts instead. */
function connectionConfig(connectionString: string, password: (() => Promise<string>) | undefined, ssl?: pg.PoolConfig['ssl']): pg.PoolConfig {
  if (!password && !ssl) return { connectionString };
  const { password: inUrl, port, ...parts } = parseConnectionString(connectionString);
  if (inUrl && password) throw new Error('the database URL carries a password and a password source is configured: keep one');
  return { ...(parts as pg.PoolConfig), ...(port ? { port: Number(port) } : {}), ...(password ? { password } : inUrl ? { password: inUrl } : {}), ...(ssl ? { ssl } : {}) };
}

/** Verify the server against this CA only (and, by Node's default, its certificate against the host), and present ours. */
function tlsConfig(material: { ca: string; cert: string; key: string }): pg.PoolConfig['ssl'] {
  return { ca: material.ca, cert: material.cert, key: material.key, rejectUnauthorized: true };
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
