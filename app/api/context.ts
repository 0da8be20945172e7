import type { S3Client } from '@aws-sdk/client-s3';
import type { JobQueues } from '../../core/queue/sqs.ts';
import type { Buckets } from '../../core/storage/index.ts';
import type { SessionAccount } from './auth/accounts.ts';
import type { PreviewExposure } from './catalog/preview-exposure.ts';
import type { AssetUrls } from './catalog/urls.ts';
import type { ApiDb } from './tables.ts';
import type { Mailer } from './mail/mailer.ts';
import type { SearchBackend } from './search/backend.ts';
import type { SellingSettings } from './selling/settings.ts';

/** What route modules share: built once by createApp from its dependencies. */
export interface ApiContext {
  db: ApiDb;
  urls: AssetUrls;
  search: SearchBackend;
  /** Presigns URLs for browsers. */
  s3: S3Client;
  /** Reads and writes objects for the API itself (originals, customised renders). */
  objectS3: S3Client;
  buckets: Buckets;
  /** Keeps public preview objects in step with what is visible (unpublish, block). */
  exposure: PreviewExposure;
  cookies: { secure: boolean };
  /** The pipeline's queues, for retrying failed images; without them the retry route answers 503. */
  jobs?: { queues: JobQueues; watchdogDelaySeconds: number };
  selling: SellingSettings;
  /** Verification links and account notices (SES; the local stand-in on this machine). */
  mail: Mailer;
}

/** The owner of a product (or an admin) may see and, as owner, change it when it is not public. */
export function isOwner(account: SessionAccount | null, contributorId: string): boolean {
  return account?.contributor?.id === contributorId;
}

export function isAdmin(account: SessionAccount | null): boolean {
  return account?.role === 'admin';
}
