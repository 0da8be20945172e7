/**
 * The catalog as Kysely sees it. SQL names are snake_case; `createDb` installs
 * `CamelCasePlugin`, so every table and column is camelCase here.
 */
import type { ColumnType, Generated, RawBuilder } from 'kysely';
import type { License, ProductKind } from '../manifest/schema.ts';
import type { UploadProblem } from '../problems.ts';

export type { License, ProductKind };

export const UPLOAD_STATUSES = ['received', 'rejected', 'accepted', 'ready', 'failed'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

export const PRODUCT_STATUSES = ['processing', 'ready', 'failed'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export const IMAGE_STATUSES = ['pending', 'ready', 'failed'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

export type RenditionFormat = 'png' | 'webp';

/** Object keys of a family preview, by image format. */
export type FamilyPreviewKeys = Partial<Record<RenditionFormat, string>>;

/**
 * A jsonb column read as `T`. Writes must go through `jsonb(value)`: node-postgres
 * would send a JS array as a PostgreSQL array literal, not as JSON.
 */
export type Jsonb<T> = ColumnType<T, RawBuilder<T>, RawBuilder<T>>;
type JsonbNullable<T> = ColumnType<T | null, RawBuilder<T> | null | undefined, RawBuilder<T> | null>;

/** Set by the database on insert; never written by the application. */
type CreatedAt = ColumnType<Date, never, never>;
/** Defaults to now(); updates set it explicitly. */
type UpdatedAt = ColumnType<Date, never, RawBuilder<Date>>;

export interface ContributorsTable {
  id: Generated<string>;
  slug: string;
  displayName: string;
  /** Unique case-insensitively (unique index on lower(email)). */
  email: string;
  createdAt: CreatedAt;
}

export interface UploadsTable {
  /** The upload id from the S3 key `uploads/<contributorId>/<uploadId>.zip`. */
  id: string;
  contributorId: string;
  objectKey: string;
  status: Generated<UploadStatus>;
  problems: ColumnType<UploadProblem[], RawBuilder<UploadProblem[]> | undefined, RawBuilder<UploadProblem[]>>;
  productId: string | null;
  /** ETag of the ZIP first seen at `objectKey`: the only object this upload is ever processed from. */
  objectEtag: string | null;
  /** Later objects at the same key, ignored (write-once) and reported to the contributor. */
  ignoredObjects: ColumnType<IgnoredObject[], RawBuilder<IgnoredObject[]> | undefined, RawBuilder<IgnoredObject[]>>;
  /** Per file, what sanitising removed from an accepted set. */
  warnings: ColumnType<UploadWarning[], RawBuilder<UploadWarning[]> | undefined, RawBuilder<UploadWarning[]>>;
  /** When an image of the set last settled (ready or failed): the watchdog's stall clock. */
  progressAt: ColumnType<Date, never, RawBuilder<Date>>;
  receivedAt: CreatedAt;
  updatedAt: UpdatedAt;
}

/** A later object posted to an upload's key: never processed, reported. */
export interface IgnoredObject {
  etag: string;
  size?: number;
  /** ISO time it was seen. */
  seenAt: string;
}

/** What the sanitiser removed from one accepted file. */
export interface UploadWarning {
  file: string;
  /** Each removal in words, e.g. `<script>`, `onclick attribute on <path>`, `external href on <use>`. */
  removed: string[];
  message: string;
}

export interface FamiliesTable {
  id: Generated<string>;
  contributorId: string;
  slug: string;
  title: string;
  /** Bumped with each new preview; preview object keys carry it so CDN caches can be immutable. */
  previewVersion: Generated<number>;
  previewKeys: JsonbNullable<FamilyPreviewKeys>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface ProductsTable {
  id: string;
  contributorId: string;
  familyId: string;
  uploadId: string;
  kind: ProductKind;
  title: string;
  description: string | null;
  license: License;
  tags: string[];
  priceCents: number;
  /** ISO 4217; null only for a free product whose manifest gave no price. */
  currency: string | null;
  status: Generated<ProductStatus>;
  published: Generated<boolean>;
  zipKey: string | null;
  imageCount: number;
  /**
   * Random, 32 hex digits; part of every public preview key, so previews cannot be found from the ids.
   * Replaced whenever the set is hidden (unpublish, block). Never sent to clients other than inside URLs.
   */
  previewSecret: Generated<string>;
  /** Generated column (title, description, tags) behind a GIN index; read-only. */
  searchDocument: ColumnType<string, never, never>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface ImagesTable {
  id: string;
  productId: string;
  /** Index in the manifest's `images` array. */
  position: number;
  /** Path inside the archive, relative to the manifest's folder. */
  filePath: string;
  title: string;
  tags: string[];
  /** Object key of the sanitised SVG. */
  originalKey: string;
  /** Intrinsic SVG size in user units (may be fractional). */
  width: number;
  height: number;
  /** Hex SHA-256 of the sanitised SVG bytes. */
  sha256: string;
  status: Generated<ImageStatus>;
  failureReason: string | null;
  /** The latest transient error while pending (storage, database); cleared when it settles. */
  lastError: string | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface RenditionsTable {
  imageId: string;
  /** Longest edge in pixels the rendition was made for. */
  size: number;
  format: RenditionFormat;
  objectKey: string;
  width: number;
  height: number;
  bytes: number;
}

export interface Database {
  contributors: ContributorsTable;
  uploads: UploadsTable;
  families: FamiliesTable;
  products: ProductsTable;
  images: ImagesTable;
  renditions: RenditionsTable;
}
