/**
 * The pool of render worker threads. One thread per core by default; each runs TASKS_PER_WORKER images at
 * once so reading and storing overlap with drawing. CPU parallelism itself is capped by libuv's threadpool
 * (sharp runs there, shared by every thread of the process): the CLI sizes it from the worker count
 * (see threadpool.ts).
 */
import { Piscina } from 'piscina';
import { TASKS_PER_WORKER } from './options.ts';
import type { RenderTask, RenderTaskResult, RenderWorkerConfig, WorkerTask } from './render-worker.ts';

export interface RenderPool {
  render(task: RenderTask): Promise<RenderTaskResult>;
  close(): Promise<void>;
}

export async function startRenderPool(workers: number, config: RenderWorkerConfig): Promise<RenderPool> {
  const pool = new Piscina<WorkerTask, RenderTaskResult | null>({
    filename: new URL('./render-worker.ts', import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: TASKS_PER_WORKER,
    // Threads live for the whole run; respawning one costs a module load (~1 s with sharp).
    idleTimeout: 60_000,
    workerData: config,
  });
  // Load sharp and the render code in every thread before the clock starts.
  await Promise.all(Array.from({ length: workers * TASKS_PER_WORKER }, () => pool.run({ warmUp: true })));
  return {
    async render(task) {
      const result = await pool.run(task);
      if (!result) throw new Error('render worker returned nothing');
      return result;
    },
    close: () => pool.close(),
  };
}
