/**
 * Follows the catalog's change notifications (migration 0010) on a connection of its own and tells the read
 * cache: every change drops it; while the connection is down the cache keeps nothing, since changes made
 * meanwhile would go unseen. It reconnects with backoff, for a database restart or failover.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CATALOG_CHANGES_CHANNEL } from '../../../core/catalog/index.ts';
import type { CatalogReadCache } from './read-cache.ts';

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
  let retryMs = options.retryMs ?? 1_000;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const lost = (error?: Error) => {
    if (client === undefined) return;
    cache.following = false;
    client.removeAllListeners();
    // An 'error' after end() must not crash the process.
    client.on('error', () => {});
    void client.end().catch(() => {});
    client = undefined;
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
      retryMs = options.retryMs ?? 1_000;
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
      cache.following = false;
      const current = client;
      client = undefined;
      current?.removeAllListeners();
      current?.on('error', () => {});
      await current?.end().catch(() => {});
    },
  };
}
