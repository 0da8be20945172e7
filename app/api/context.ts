import type { S3Client } from '@aws-sdk/client-s3';
import type { Buckets } from '../../core/storage/index.ts';
import type { SessionAccount } from './auth/accounts.ts';
import type { AssetUrls } from './catalog/urls.ts';
import type { ApiDb } from './db.ts';
import type { SearchBackend } from './search/backend.ts';
import type { SellingSettings } from './selling/settings.ts';

/** What route modules share: built once by createApp from its dependencies. */
export interface ApiContext {
  db: ApiDb;
  urls: AssetUrls;
  search: SearchBackend;
  s3: S3Client;
  buckets: Buckets;
  cookies: { secure: boolean };
  selling: SellingSettings;
}

/** The owner of a product (or an admin) may see and, as owner, change it when it is not public. */
export function isOwner(account: SessionAccount | null, contributorId: string): boolean {
  return account?.contributor?.id === contributorId;
}

export function isAdmin(account: SessionAccount | null): boolean {
  return account?.role === 'admin';
}
