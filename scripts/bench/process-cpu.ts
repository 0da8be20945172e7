/**
 * CPU seconds used by this process (all its threads: libvips, libuv) and every process it started
 * (embedded PostgreSQL and its backends), read from /proc. On a shared machine wall times depend on
 * the other tenants; CPU seconds per image do much less, so the ingest benchmark prints both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Linux's USER_HZ; /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** CPU seconds of this process tree so far; undefined where /proc is not there (not Linux). */
export function processTreeCpuSeconds(root = process.pid): number | undefined {
  const parts = processTreeCpuByPart(root);
  return parts && Object.values(parts).reduce((sum, seconds) => sum + seconds, 0);
}

/**
 * The same, split by part: this process ('handlers': the functions, fauxqs and libvips' threads), and each
 * process it started with its own children, named: 'S3 emulator' (s3-process.ts), 'PostgreSQL', or the command.
 */
export function processTreeCpuByPart(root = process.pid): Record<string, number> | undefined {
  let pids: number[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return undefined;
  }
  const stats = pids.map(readStat).filter((s) => s !== undefined);
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const self = stats.find((s) => s.pid === root);
  if (!self) return undefined;
  const treeTicks = (top: ProcStat) => {
    let ticks = 0;
    const queue = [top];
    while (queue.length > 0) {
      const next = queue.pop()!;
      ticks += next.ticks;
      queue.push(...(children.get(next.pid) ?? []));
    }
    return ticks;
  };
  const parts: Record<string, number> = { handlers: self.ticks / TICKS_PER_SECOND };
  for (const child of children.get(root) ?? []) {
    const name = partName(child.pid);
    parts[name] = (parts[name] ?? 0) + treeTicks(child) / TICKS_PER_SECOND;
  }
  return parts;
}

function partName(pid: number): string {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (command.some((arg) => arg.endsWith('s3-process.ts'))) return 'S3 emulator';
    const program = path.basename(command[0] ?? '');
    return program === 'postgres' ? 'PostgreSQL' : program || 'other';
  } catch {
    return 'other'; // exited meanwhile
  }
}
