/** The catalog: PostgreSQL schema, migrations and typed queries shared by functions, API and scripts. */
export * from './schema.ts';
export { AWS_RDS_CA, awsRdsCaBundle } from './server-trust.ts';
export { connectionConfig, createDb, CatalogStateError, inTransaction, isUuid, jsonb, type CreateDbOptions } from './db.ts';
export * from './migrations/index.ts';
export * from './changes.ts';
export * from './contributors.ts';
export * from './uploads.ts';
export * from './accept-upload.ts';
export * from './images.ts';
export * from './products.ts';
export * from './families.ts';
