/**
 * The API's own tables (migration 0003/0004) on top of the catalog's `Database`. The catalog module owns
 * the tables the pipeline writes; these are read and written only by the API.
 */
import type { ColumnType, Generated, Kysely, RawBuilder } from 'kysely';
import type { Database } from '../../core/catalog/index.ts';
import type { SellingTables } from '../../core/selling/schema.ts';

export const ROLES = ['buyer', 'contributor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const DOWNLOAD_FORMATS = ['zip', 'svg', 'png', 'webp'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

type CreatedAt = ColumnType<Date, never, never>;

export interface AccountsTable {
  id: Generated<string>;
  email: string;
  passwordHash: string;
  displayName: string;
  role: Role;
  contributorId: string | null;
  createdAt: CreatedAt;
  /** When the address was proven by a mailed link (migration 0039); null until then. */
  emailVerifiedAt: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** Migration 0039: one mailed verification link each; only its token's SHA-256 is stored. */
export interface EmailVerificationsTable {
  tokenHash: string;
  accountId: string;
  /** The address the link proves (the account's address when it was sent). */
  email: string;
  createdAt: CreatedAt;
  expiresAt: Date;
  usedAt: Date | null;
  /**
   * Migration 0050: set when the link answers a sign-up with the address of an account never verified.
   * Using the link gives the account this argon2 hash (the password typed at that sign-up) and display name.
   */
  pendingPasswordHash: ColumnType<string | null, string | null | undefined, string | null>;
  pendingDisplayName: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Migration 0051: account mails sent per recipient and kind in the current window. */
export interface AccountMailThrottleTable {
  /** Hex SHA-256 of the lower-cased address (as sign_in_failures). */
  recipientHash: string;
  kind: string;
  windowStartedAt: Date;
  sent: number;
}

export interface SessionsTable {
  /** Hex SHA-256 of the cookie token. */
  id: string;
  accountId: string;
  createdAt: CreatedAt;
  expiresAt: Date;
}

export interface UploadDraftsTable {
  /** The upload id. */
  id: string;
  contributorId: string;
  createdAt: CreatedAt;
  uploadExpiresAt: Date;
}

export interface DownloadsTable {
  id: Generated<string>;
  accountId: string;
  productId: string;
  imageId: string | null;
  format: DownloadFormat;
  size: number | null;
  /** The entitlement the download used (migration 0015); null for the set's contributor and admins. */
  entitlementId: string | null;
  /** What a customised render changed (migration 0032); null for files as stored. */
  options: ColumnType<DownloadOptions | null, RawBuilder<DownloadOptions> | null | undefined, RawBuilder<DownloadOptions> | null>;
  /** Came from POST /api/downloads/custom (migration 0045): counted against the daily cap. */
  customised: Generated<boolean>;
  createdAt: CreatedAt;
}

export interface DownloadOptions {
  colour?: string;
  strokeWidth?: number;
}

/** Migration 0031: what an image's sanitised original allows, read once per analyser version. */
export interface ImageCustomisationTable {
  imageId: string;
  analyserVersion: number;
  colour: boolean;
  colourReason: string | null;
  stroke: boolean;
  strokeReason: string | null;
  analysedAt: CreatedAt;
}

/** Migration 0031: customised renders stored under `custom/` in the downloads bucket. */
export interface CustomRendersTable {
  objectKey: string;
  imageId: string;
  format: 'png' | 'webp';
  size: number;
  bytes: number;
  /** When the object was last written: a render again after the bucket's retention refreshes it. */
  createdAt: ColumnType<Date, never, RawBuilder<Date>>;
}

export interface ProductBlocksTable {
  productId: string;
  reason: string;
  blockedBy: string;
  blockedAt: CreatedAt;
}

/** Consecutive failed sign-ins per e-mail (migration 0023). */
export interface SignInFailuresTable {
  /** Hex SHA-256 of the lower-cased e-mail. */
  emailHash: string;
  failures: number;
  lastFailureAt: Date;
  lockedUntil: Date | null;
}

export interface ApiDatabase extends Database, SellingTables {
  accounts: AccountsTable;
  sessions: SessionsTable;
  uploadDrafts: UploadDraftsTable;
  downloads: DownloadsTable;
  productBlocks: ProductBlocksTable;
  signInFailures: SignInFailuresTable;
  emailVerifications: EmailVerificationsTable;
  accountMailThrottle: AccountMailThrottleTable;
  imageCustomisation: ImageCustomisationTable;
  customRenders: CustomRendersTable;
}

export type ApiDb = Kysely<ApiDatabase>;

/** The same pool, typed with the API's tables too. */
export function apiDb(db: Kysely<Database>): ApiDb {
  return db.withTables<Omit<ApiDatabase, keyof Database>>();
}
