import type { Kysely } from 'kysely';
import { migrateDown, migrateToLatest, migrationStatus, type MigrationState } from '../../core/catalog/index.ts';

/**
 * What the CLI needs from a migration set. The catalog provides it; tests give a second,
 * real Kysely migration set (with a destructive step) through the same shape.
 */
export interface MigrationApi {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  migrateToLatest(db: Kysely<any>): Promise<string[]>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  migrateDown(db: Kysely<any>): Promise<string | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  migrationStatus(db: Kysely<any>): Promise<MigrationState[]>;
}

export const catalogMigrationApi: MigrationApi = { migrateToLatest, migrateDown, migrationStatus };

export class DestructiveMigrationRefusedError extends Error {
  constructor(readonly migrations: readonly string[]) {
    super(
      `refusing to run destructive migration${migrations.length === 1 ? '' : 's'} ${migrations.join(', ')}: ` +
        'they can lose data. Back up the database, then run again with --allow-destructive.',
    );
    this.name = 'DestructiveMigrationRefusedError';
  }
}

export function pendingOf(states: readonly MigrationState[]): MigrationState[] {
  return states.filter((state) => state.executedAt === undefined);
}

/** Pending destructive migrations block the whole run, not just themselves: later ones may depend on them. */
export function destructiveBlockers(states: readonly MigrationState[], allowDestructive: boolean): string[] {
  if (allowDestructive) return [];
  return pendingOf(states)
    .filter((state) => state.destructive)
    .map((state) => state.name);
}

export interface UpResult {
  ran: string[];
  /** Already applied before this run; equal to every migration when the run had nothing to do. */
  alreadyApplied: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>, options: { allowDestructive: boolean; api?: MigrationApi }): Promise<UpResult> {
  const api = options.api ?? catalogMigrationApi;
  const states = await api.migrationStatus(db);
  const blockers = destructiveBlockers(states, options.allowDestructive);
  if (blockers.length > 0) throw new DestructiveMigrationRefusedError(blockers);
  // Kysely's migrator holds an advisory lock, so two deploys running this at once apply each step once.
  const ran = await api.migrateToLatest(db);
  return { ran, alreadyApplied: states.length - pendingOf(states).length };
}

/** Reverts the most recent migration only; undefined when nothing had run. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function downOne(db: Kysely<any>, api: MigrationApi = catalogMigrationApi): Promise<string | undefined> {
  return api.migrateDown(db);
}

/** One line per migration, oldest first, for people; `status --json` gives the states themselves. */
export function formatStatus(states: readonly MigrationState[]): string[] {
  if (states.length === 0) return ['no migrations are defined'];
  const width = Math.max(...states.map((state) => state.name.length));
  const lines = states.map((state) => {
    const when = state.executedAt ? `applied ${state.executedAt.toISOString()}` : 'pending';
    return `${state.executedAt ? '✔' : '·'} ${state.name.padEnd(width)}  ${when}${state.destructive ? '  (destructive)' : ''}`;
  });
  const pending = pendingOf(states);
  lines.push(pending.length === 0 ? 'up to date' : `${pending.length} pending`);
  return lines;
}
