/**
 * Catalog migrations, registered in code: the Lambda bundle has no migration
 * folder on disk. Names sort in the order they must run; add new ones at the end. Kysely orders them by
 * plain string sort, so the two 0005 migrations (kept: names are ids in kysely_migration) always run
 * api-indexes before batch-runs.
 */
import { Migrator, type Kysely, type MigrationProvider, type MigrationResult } from 'kysely';
import { catalogTables } from './0001-catalog-tables.ts';
import { productSearch } from './0002-product-search.ts';
import { accounts } from './0003-accounts.ts';
import { searchViews } from './0004-search-views.ts';
import { apiIndexes } from './0005-api-indexes.ts';
import { batchRuns } from './0005-batch-runs.ts';
import { apiFilterIndexes } from './0006-api-filter-indexes.ts';
import { productImageSearch } from './0007-product-image-search.ts';
import { productSummaries } from './0008-product-summaries.ts';
import { searchWords } from './0009-search-words.ts';
import { catalogChanges } from './0010-catalog-changes.ts';
import { searchTitleWords } from './0011-search-title-words.ts';
import { ingestionProgress } from './0012-ingestion-progress.ts';
import { selling } from './0015-selling.ts';
import { previewSecrets } from './0020-preview-secrets.ts';
import { visibleSearchWords } from './0021-visible-search-words.ts';
import { signInThrottle } from './0023-sign-in-throttle.ts';
import { uploadChanges } from './0024-upload-changes.ts';
import { imageSearch } from './0027-image-search.ts';
import { searchImageViews } from './0028-search-image-views.ts';
import { imageKeywords } from './0030-image-keywords.ts';
import { imageCustomisation } from './0031-image-customisation.ts';
import { downloadOptions } from './0032-download-options.ts';
import { componentRoles } from './0037-component-roles.ts';
import { emailVerification } from './0039-email-verification.ts';
import { disputes } from './0043-disputes.ts';
import { customisedDownloads } from './0045-customised-downloads.ts';
import { componentSequences } from './0046-component-sequences.ts';
import { visibleTagWords } from './0047-visible-tag-words.ts';
import { checkoutLicence } from './0048-checkout-licence.ts';
import { imageSearchRows } from './0049-image-search-rows.ts';
import { signUpTakeover } from './0050-sign-up-takeover.ts';
import { accountMailThrottle } from './0051-account-mail-throttle.ts';
import { imageSearchItems } from './0054-image-search-items.ts';
import { pipelineColumns } from './0056-pipeline-columns.ts';
import { pipelineContributorNames } from './0057-pipeline-contributor-names.ts';
import type { CatalogMigration } from './types.ts';

export type { CatalogMigration } from './types.ts';

export const catalogMigrations: Readonly<Record<string, CatalogMigration>> = Object.freeze({
  '0001-catalog-tables': catalogTables,
  '0002-product-search': productSearch,
  '0003-accounts': accounts,
  '0004-search-views': searchViews,
  '0005-api-indexes': apiIndexes,
  '0005-batch-runs': batchRuns,
  '0006-api-filter-indexes': apiFilterIndexes,
  '0007-product-image-search': productImageSearch,
  '0008-product-summaries': productSummaries,
  '0009-search-words': searchWords,
  '0010-catalog-changes': catalogChanges,
  '0011-search-title-words': searchTitleWords,
  '0012-ingestion-progress': ingestionProgress,
  '0015-selling': selling,
  '0020-preview-secrets': previewSecrets,
  '0021-visible-search-words': visibleSearchWords,
  '0023-sign-in-throttle': signInThrottle,
  '0024-upload-changes': uploadChanges,
  '0027-image-search': imageSearch,
  '0028-search-image-views': searchImageViews,
  '0030-image-keywords': imageKeywords,
  '0031-image-customisation': imageCustomisation,
  '0032-download-options': downloadOptions,
  '0037-component-roles': componentRoles,
  '0039-email-verification': emailVerification,
  '0043-disputes': disputes,
  '0045-customised-downloads': customisedDownloads,
  '0046-component-sequences': componentSequences,
  '0047-visible-tag-words': visibleTagWords,
  '0048-checkout-licence': checkoutLicence,
  '0049-image-search-rows': imageSearchRows,
  '0050-sign-up-takeover': signUpTakeover,
  '0051-account-mail-throttle': accountMailThrottle,
  '0054-image-search-items': imageSearchItems,
  '0056-pipeline-columns': pipelineColumns,
  '0057-pipeline-contributor-names': pipelineContributorNames,
});

const provider: MigrationProvider = {
  getMigrations: async () => catalogMigrations,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function migratorFor(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider });
}

export interface MigrationState {
  name: string;
  /** When it ran; undefined while pending. */
  executedAt: Date | undefined;
  destructive: boolean;
}

export class MigrationError extends Error {
  constructor(
    readonly migrationName: string | undefined,
    readonly direction: 'Up' | 'Down',
    cause: unknown,
  ) {
    const what = migrationName ? `migration ${migrationName} (${direction.toLowerCase()})` : 'migrating';
    super(`${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Runs every pending migration, in order, each in its own transaction. Returns the names run. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return executed(await migratorFor(db).migrateToLatest(), 'Up');
}

/** Reverts the most recent migration. Returns its name, or undefined when none had run. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateDown(db: Kysely<any>): Promise<string | undefined> {
  return executed(await migratorFor(db).migrateDown(), 'Down')[0];
}

/** Every known migration with whether and when it ran, oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrationStatus(db: Kysely<any>): Promise<MigrationState[]> {
  const infos = await migratorFor(db).getMigrations();
  return infos.map((info) => ({
    name: info.name,
    executedAt: info.executedAt,
    destructive: catalogMigrations[info.name]?.destructive ?? false,
  }));
}

function executed(
  resultSet: { error?: unknown; results?: MigrationResult[] },
  direction: 'Up' | 'Down',
): string[] {
  const results = resultSet.results ?? [];
  if (resultSet.error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    throw new MigrationError(failed?.migrationName, direction, resultSet.error);
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
