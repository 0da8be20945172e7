/** Connecting as a database login and trying a statement, for tests of what each login may do. */
import { sql, type Kysely } from 'kysely';
import { createDb } from '../../core/catalog/index.ts';

/** A one-connection pool on `database` as `user` with `password`; kept in `opened` for the caller to destroy. */
export function connectAs(database: string, user: string, password: string, opened: Kysely<unknown>[]): Kysely<unknown> {
  const url = new URL(database);
  url.username = user;
  url.password = password;
  const db = createDb(url.toString(), { max: 1 }) as unknown as Kysely<unknown>;
  opened.push(db);
  return db;
}

/** 'allowed', or PostgreSQL's reason for refusing `text`. */
export function attempt(db: Kysely<unknown>, text: string): Promise<string> {
  return sql.raw(text).execute(db).then(
    () => 'allowed',
    (error: Error) => error.message,
  );
}
