import { setTimeout as sleep } from 'node:timers/promises';

export interface HealthCheckOptions {
  url: string;
  /** How many requests before giving up. */
  attempts: number;
  /** Pause between attempts; the app needs a few seconds to start. */
  intervalMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export const DEFAULT_HEALTH_CHECK = { attempts: 30, intervalMs: 2_000, timeoutMs: 5_000 } as const;

export interface HealthCheckResult {
  ok: boolean;
  attempts: number;
  /** The last status code or error, for the log. */
  last: string;
}

/** Polls `url` until it answers 2xx or the attempts run out. */
export async function waitForHealthy(options: HealthCheckOptions): Promise<HealthCheckResult> {
  let last = 'not tried';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      const response = await fetch(options.url, { signal: AbortSignal.timeout(options.timeoutMs) });
      await response.body?.cancel();
      last = `HTTP ${response.status}`;
      if (response.ok) return { ok: true, attempts: attempt, last };
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (attempt < options.attempts) await sleep(options.intervalMs);
  }
  return { ok: false, attempts: options.attempts, last };
}
