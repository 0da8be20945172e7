/**
 * Follows `upload_changes` and `session_changes` (migration 0024) on one connection per API process and
 * tells the draft event streams waiting on them, instead of each stream polling. It reconnects with backoff;
 * while it is down, streams fall back to polling slowly, so no change goes unseen.
 */
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';

export const UPLOAD_CHANGES_CHANNEL = 'upload_changes';
export const SESSION_CHANGES_CHANNEL = 'session_changes';

export interface UploadChangeFeed {
  /** True while notifications arrive; streams poll otherwise. */
  readonly following: boolean;
  /** `upload` with an upload or product id; `session` with an account id. */
  readonly events: EventEmitter;
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function followUploadChanges(options: { connectionString: string; logger: Logger; retryMs?: number; maxRetryMs?: number }): UploadChangeFeed {
  const events = new EventEmitter();
  // Every open stream listens; the default cap of 10 would warn for no leak.
  events.setMaxListeners(0);
  const firstRetryMs = options.retryMs ?? 1_000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let retryMs = firstRetryMs;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  let following = false;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const discard = (): Promise<void> => {
    following = false;
    const current = client;
    client = undefined;
    current?.removeAllListeners();
    current?.on('error', () => {});
    return current?.end().catch(() => {}) ?? Promise.resolve();
  };

  const lost = (error?: Error) => {
    if (client === undefined) return;
    void discard();
    if (closed) return;
    options.logger.warn({ err: error, retryMs }, 'upload change feed lost; draft streams poll until it is back');
    retry = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  };

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.connectionString });
    client = next;
    next.on('error', lost);
    next.on('end', () => lost(new Error('connection ended')));
    next.on('notification', (message) => {
      if (message.channel === UPLOAD_CHANGES_CHANNEL) events.emit('upload', message.payload);
      if (message.channel === SESSION_CHANGES_CHANNEL) events.emit('session', message.payload);
    });
    try {
      await next.connect();
      await next.query(`listen ${UPLOAD_CHANGES_CHANNEL}; listen ${SESSION_CHANGES_CHANNEL}`);
      if (client !== next) return;
      following = true;
      retryMs = firstRetryMs;
      // Changes made while no one listened: let every stream look once.
      events.emit('resync');
    } catch (error) {
      if (client === next) lost(error as Error);
    } finally {
      markReady();
    }
  }

  void connect();
  return {
    get following() {
      return following;
    },
    events,
    ready,
    async close() {
      closed = true;
      clearTimeout(retry);
      await discard();
    },
  };
}
