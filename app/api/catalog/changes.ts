/**
 * Follows the catalog's change notifications (migration 0010) on a connection of its own and tells the read
 * cache: every change drops it; while the connection is down the cache keeps nothing, since changes made
 * meanwhile would go unseen. It reconnects with backoff, for a database restart or failover.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CATALOG_CHANGES_CHANNEL } from '../../../core/catalog/index.ts';
import { CatalogReadCache, type CatalogReadCacheOptions } from './read-cache.ts';

export interface CatalogChangeFeed {
  /** Resolves once the first LISTEN is in place (or failed: then it keeps retrying). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

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
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const firstRetryMs = options.retryMs ?? 1_000;
  let retryMs = firstRetryMs;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  /** Stops following: caching off, the connection closed, its events no longer heard. */
  const discard = (): Promise<void> => {
    cache.following = false;
    const current = client;
    client = undefined;
    current?.removeAllListeners();
    // An 'error' after end() must not crash the process.
    current?.on('error', () => {});
    return current?.end().catch(() => {}) ?? Promise.resolve();
  };

  const lost = (error?: Error) => {
    if (client === undefined) return;
    void discard();
    if (closed) return;
    logger.warn({ err: error, retryMs }, 'catalog change feed lost; cached catalog reads are off until it is back');
    retry = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  };

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.connectionString });
    client = next;
    next.on('error', lost);
    next.on('end', () => lost(new Error('connection ended')));
    next.on('notification', (message) => {
      if (message.channel === CATALOG_CHANGES_CHANNEL) cache.drop();
    });
    try {
      await next.connect();
      await next.query(`listen ${CATALOG_CHANGES_CHANNEL}`);
      if (client !== next) return;
      cache.following = true;
      retryMs = firstRetryMs;
      logger.info('following catalog changes; public catalog reads are cached');
    } catch (error) {
      if (client === next) lost(error as Error);
    } finally {
      markReady();
    }
  }

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(retry);
      await discard();
    },
  };
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
