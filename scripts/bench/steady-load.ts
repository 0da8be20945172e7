/**
 * An open-loop load at a constant rate, for latency at a given throughput: request i is due at
 * start + i / rate and its latency is counted from that moment, so a server (or a load generator) that falls
 * behind shows as latency instead of as requests never sent (coordinated omission; wrk2's method).
 * autocannon's rate limit is not that: each connection sends its whole second's quota back to back when the
 * second starts, then waits, and it "corrects" latencies assuming 1 ms between requests (autocannon 9,
 * `Math.ceil(1 / rate)` with rate in requests per second), which adds hundreds of phantom samples per slow
 * reply. Measured on a bare Express handler at 200 req/s: p99 41 ms with autocannon's rate limit, 5.5 ms
 * this way (p50 4 and 1.2–1.4 ms).
 */
import http from 'node:http';

export interface SteadyLoadSpec {
  url: string;
  /** One is picked at random (seeded) for each request. */
  paths: readonly string[];
  /**
   * How often each path is picked: all alike, or path i in proportion to 1 / (i + 1) (Zipf's law, the shape
   * of real search logs: a few queries are asked very often, most are rare). @default 'uniform'
   */
  popularity?: 'uniform' | 'zipf';
  rate: number;
  durationSeconds: number;
  headers?: Record<string, string>;
  random: () => number;
  /**
   * A first phase at the same rate whose latencies are not kept: this process's HTTP client is cold (JIT,
   * new sockets), which is not what is measured. @default 1
   */
  warmupSeconds?: number;
  /** What the warm-up asks for, so it leaves no trace in a cache being measured. @default paths */
  warmupPaths?: readonly string[];
}

export interface SteadyLoadResult {
  p50: number;
  p99: number;
  max: number;
  /** Replies per second over the run. */
  rps: number;
  non2xx: number;
  errors: number;
}

/** The value below which `fraction` of the sorted samples lie (nearest rank). */
function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
}

/** Picks an index in [0, n) with the given popularity, from uniform random numbers in [0, 1). */
export function picker(n: number, popularity: 'uniform' | 'zipf', random: () => number): () => number {
  if (popularity === 'uniform') return () => Math.floor(random() * n);
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) cumulative.push((sum += 1 / (i + 1)));
  return () => {
    const target = random() * sum;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! <= target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

export async function steadyLoad(spec: SteadyLoadSpec): Promise<SteadyLoadResult> {
  // Enough sockets that a slow reply never holds up the next request (open loop).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  try {
    await run({ ...spec, paths: spec.warmupPaths ?? spec.paths }, agent, spec.warmupSeconds ?? 1);
    return await run(spec, agent, spec.durationSeconds);
  } finally {
    agent.destroy();
  }
}

async function run(spec: SteadyLoadSpec, agent: http.Agent, durationSeconds: number): Promise<SteadyLoadResult> {
  const total = Math.round(spec.rate * durationSeconds);
  const intervalMs = 1000 / spec.rate;
  const latencies: number[] = [];
  const pick = picker(spec.paths.length, spec.popularity ?? 'uniform', spec.random);
  let non2xx = 0;
  let errors = 0;

  const send = (path: string, dueAt: number) =>
    new Promise<void>((resolve) => {
      const request = http.get(new URL(path, spec.url), { agent, headers: spec.headers }, (response) => {
        response.resume();
        response.once('end', () => {
          latencies.push(performance.now() - dueAt);
          if (response.statusCode === undefined || response.statusCode < 200 || response.statusCode >= 300) non2xx++;
          resolve();
        });
      });
      request.once('error', () => {
        errors++;
        resolve();
      });
    });

  const start = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const dueAt = start + i * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(spec.paths[pick()]!, dueAt));
  }
  await Promise.all(inFlight);
  const elapsedSeconds = (performance.now() - start) / 1000;

  const sorted = latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    max: round(sorted.at(-1) ?? 0),
    rps: latencies.length / elapsedSeconds,
    non2xx,
    errors,
  };
}
