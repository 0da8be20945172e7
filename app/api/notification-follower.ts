/**
 * Follows PostgreSQL notification channels on one connection of its own, reconnecting with backoff after a
 * database restart or failover. The catalog cache and the draft event streams both follow changes this way;
 * what each does while the connection is down (cache off, streams poll) is up to them.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { connectionConfig } from '../../core/catalog/index.ts';

export interface NotificationFollowerOptions {
  connectionString: string;
  channels: readonly string[];
  logger: Logger;
  /** Called for each notification on one of the channels. */
  onNotification(channel: string, payload: string | undefined): void;
  /** true once LISTEN is in place, false as soon as the connection is lost or closed. */
  onFollowing(following: boolean): void;
  /** Logged when the connection is lost: what stops working until it is back. */
  lostMessage: string;
  /** First retry delay; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface NotificationFollower {
  /** Resolves once the first LISTEN is in place (or failed: then it keeps retrying). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function followNotifications(options: NotificationFollowerOptions): NotificationFollower {
  const { logger } = options;
  const firstRetryMs = options.retryMs ?? 1_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const channels = new Set(options.channels);
  let retryMs = firstRetryMs;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  /** Stops following: the connection closed, its events no longer heard. */
  const discard = (): Promise<void> => {
    options.onFollowing(false);
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
    logger.warn({ err: error, retryMs }, options.lostMessage);
    retry = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  };

  async function connect(): Promise<void> {
    const next = new pg.Client(connectionConfig(options.connectionString));
    client = next;
    next.on('error', lost);
    next.on('end', () => lost(new Error('connection ended')));
    next.on('notification', (message) => {
      if (channels.has(message.channel)) options.onNotification(message.channel, message.payload);
    });
    try {
      await next.connect();
      // Channel names are our own constants, never input.
      await next.query([...channels].map((channel) => `listen ${channel}`).join('; '));
      if (client !== next) return;
      retryMs = firstRetryMs;
      options.onFollowing(true);
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
