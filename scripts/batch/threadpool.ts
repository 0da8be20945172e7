/**
 * sharp runs on libuv's threadpool, which every thread of the process shares and which is sized once, from
 * UV_THREADPOOL_SIZE, the first time anything uses it — before our code runs, since loading modules
 * already does. So the only reliable way to size it for N render workers is to start the process with the
 * variable set: when it is missing, the CLI runs itself again with it.
 */
import { spawn } from 'node:child_process';
import { THREADPOOL_THREADS_PER_WORKER } from './options.ts';

/** UV_THREADPOOL_SIZE for `workers` render workers (see THREADPOOL_THREADS_PER_WORKER for why more than one each). */
export function threadpoolSizeFor(workers: number): number {
  return workers * THREADPOOL_THREADS_PER_WORKER;
}

/** Runs this same command in a child process with the threadpool sized for `workers`; resolves with its exit code. */
export function relaunchWithThreadpool(workers: number): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    // The IPC channel lets the child notice when this process dies (even by SIGKILL) and stop too.
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, UV_THREADPOOL_SIZE: String(threadpoolSizeFor(workers)) },
  });
  // Ctrl-C reaches the child through the terminal's process group; the parent just waits for it to stop.
  const ignore = () => undefined;
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', ignore);
  const onTerm = forward('SIGTERM');
  process.on('SIGTERM', onTerm);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}

/** True when the process was started with an explicit threadpool size (by us or by the operator). */
export function threadpoolIsSized(): boolean {
  return process.env.UV_THREADPOOL_SIZE !== undefined && process.env.UV_THREADPOOL_SIZE !== '';
}

/** In a relaunched child: calls `stop` once the parent is gone, so a killed CLI leaves no orphan rendering on. */
export function onParentGone(stop: () => void): void {
  if (!process.connected) return;
  process.on('disconnect', stop);
  // The channel must not keep the child alive once its work is done.
  process.channel?.unref();
}
