import type { Kysely } from 'kysely';

/**
 * A Kysely migration plus what a deploy must know before running it.
 * Migrations take `Kysely<any>` on purpose: they describe the schema as it was at
 * that point in history, not today's `Database` interface.
 */
export interface CatalogMigration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  down(db: Kysely<any>): Promise<void>;
  /**
   * True when `up` can lose data (drops a table or column, narrows a type,
   * deletes rows). `npm run migrate` refuses pending destructive migrations
   * unless told `--allow-destructive`.
   */
  destructive: boolean;
}
