/**
 * Follows `upload_changes` and `session_changes` (migration 0024) on one connection per API process and
 * tells the draft event streams waiting on them, instead of each stream polling. It reconnects with backoff;
 * while it is down, streams fall back to polling slowly, so no change goes unseen.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { followNotifications } from '../notification-follower.ts';

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
  let following = false;
  const follower = followNotifications({
    ...options,
    channels: [UPLOAD_CHANGES_CHANNEL, SESSION_CHANGES_CHANNEL],
    lostMessage: 'upload change feed lost; draft streams poll until it is back',
    onNotification(channel, payload) {
      events.emit(channel === UPLOAD_CHANGES_CHANNEL ? 'upload' : 'session', payload);
    },
    onFollowing(now) {
      following = now;
      // Changes made while no one listened: let every stream look once.
      if (now) events.emit('resync');
    },
  });
  return {
    get following() {
      return following;
    },
    events,
    ready: follower.ready,
    close: () => follower.close(),
  };
}
