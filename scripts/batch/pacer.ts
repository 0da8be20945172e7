/** Spaces out sends so that, on average, no more than `perSecond` items go out (the fan-out rate). */
export interface Pacer {
  /** Resolves when `count` more items may be sent. */
  take(count: number, signal?: AbortSignal): Promise<void>;
}

export function createPacer(perSecond: number): Pacer {
  const started = performance.now();
  let granted = 0;
  return {
    async take(count, signal) {
      // The first `count` go at once; item n is due n / perSecond seconds after the start.
      const dueMs = started + (granted / perSecond) * 1000;
      granted += count;
      const wait = dueMs - performance.now();
      if (wait > 0) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    },
  };
}
