/**
 * Follows the catalog's change notifications (migration 0010) on a connection of its own and tells the read
 * cache: every change drops it; while the connection is down the cache keeps nothing, since changes made
 * meanwhile would go unseen. It reconnects with backoff, for a database restart or failover.
 */
import type { Logger } from 'pino';
import { CATALOG_CHANGES_CHANNEL } from '../../../core/catalog/index.ts';
import { CatalogReadCache, type CatalogReadCacheOptions } from './read-cache.ts';
import { followNotifications, type NotificationFollower } from '../notification-follower.ts';

export type CatalogChangeFeed = NotificationFollower;

export interface FollowOptions {
  connectionString: string;
  cache: CatalogReadCache;
  logger: Logger;
  /** First retry delay; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

export function followCatalogChanges(options: FollowOptions): CatalogChangeFeed {
  const { cache, logger } = options;
  return followNotifications({
    connectionString: options.connectionString,
    channels: [CATALOG_CHANGES_CHANNEL],
    logger,
    retryMs: options.retryMs,
    maxRetryMs: options.maxRetryMs,
    lostMessage: 'catalog change feed lost; cached catalog reads are off until it is back',
    onNotification: () => cache.drop(),
    onFollowing(following) {
      cache.following = following;
      if (following) logger.info('following catalog changes; public catalog reads are cached');
    },
  });
}

/** A read cache that follows the catalog's changes, once the first attempt to follow them has been made. */
export async function startCatalogCache(
  options: CatalogReadCacheOptions & Omit<FollowOptions, 'cache'>,
): Promise<{ cache: CatalogReadCache; feed: CatalogChangeFeed }> {
  const cache = new CatalogReadCache({ maxBytes: options.maxBytes, ttlSeconds: options.ttlSeconds });
  const feed = followCatalogChanges({ ...options, cache });
  await feed.ready;
  return { cache, feed };
}
