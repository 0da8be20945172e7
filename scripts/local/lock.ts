import { open, readFile, rm } from 'node:fs/promises';

/** One `npm start` per data folder: a second one would corrupt it. Returns the release function. */
export async function takeLock(file: string): Promise<() => Promise<void>> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(String(process.pid));
    await handle.close();
  } catch {
    const pid = await lockHolder(file);
    if (pid) {
      throw new Error(`npm start is already running (pid ${pid}); stop it first (Ctrl-C in its terminal).`);
    }
    await rm(file, { force: true }); // stale: its process is gone
    return takeLock(file);
  }
  return () => rm(file, { force: true });
}

/** Whether a process holds the lock file now (for `npm run reset`). */
export async function lockHolder(file: string): Promise<number | null> {
  const pid = Number(await readFile(file, 'utf8').catch(() => '0'));
  return pid && isRunning(pid) ? pid : null;
}

/** Whether a process with this id is alive (signal 0 checks without signalling). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
