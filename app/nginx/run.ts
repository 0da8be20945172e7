/**
 * Runs Debian's nginx with a rendered config in a throw-away prefix: for tests, the browser test and
 * local runs. As root the master keeps root and workers drop to `user`; as anyone else (or when
 * `runAs` names an unprivileged account) there is no `user` directive and everything runs as that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PREFIX_FOLDERS, renderNginxConfig, type NginxOptions } from './render.ts';

export const NGINX_BINARY = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';
const STARTUP_LIMIT_MS = 10_000;

export interface StartNginxOptions extends Omit<NginxOptions, 'prefix' | 'listen' | 'user'> {
  /** Run the whole server as this unprivileged account (needs root to switch). */
  runAs?: { uid: number; gid: number };
  /** When root and not `runAs`: the workers' `user` directive. Default `nobody nogroup`. */
  workerUser?: string;
  /** Port on 127.0.0.1; default a free one. Pass one when others must know the public URL first. */
  port?: number;
}

export interface RunningNginx {
  port: number;
  url: string;
  prefix: string;
  config: string;
  /** Everything nginx wrote to stderr so far (start-up errors). */
  stderr(): string;
  readErrorLog(): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startNginx(options: StartNginxOptions): Promise<RunningNginx> {
  const { runAs, workerUser, port: requestedPort, ...rest } = options;
  const isRoot = process.getuid?.() === 0;
  const prefix = await mkdtemp(path.join(tmpdir(), 'nginx-'));
  // Workers (or the whole server) may run as another user: they must reach the prefix.
  await chmod(prefix, 0o755);
  for (const folder of PREFIX_FOLDERS) await mkdir(path.join(prefix, folder));
  if (runAs) {
    if (!isRoot) throw new Error('runAs needs root to switch users');
    for (const folder of ['', ...PREFIX_FOLDERS]) await chown(path.join(prefix, folder), runAs.uid, runAs.gid);
  }
  const port = requestedPort ?? (await freePort());
  const config = renderNginxConfig({
    ...rest,
    prefix,
    listen: `127.0.0.1:${port}`,
    ...(isRoot && !runAs ? { user: workerUser ?? 'nobody nogroup' } : {}),
  });
  const configPath = path.join(prefix, 'nginx.conf');
  await writeFile(configPath, config);
  const ids = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};

  const check = spawnSync(NGINX_BINARY, ['-t', '-q', '-p', prefix, '-c', configPath, '-e', path.join(prefix, 'error.log')], {
    encoding: 'utf8',
    ...ids,
  });
  if (check.status !== 0) {
    await rm(prefix, { recursive: true, force: true });
    throw new Error(`nginx -t rejected the rendered config:\n${check.stderr}${check.stdout}`);
  }

  let stderr = '';
  const child: ChildProcess = spawn(
    NGINX_BINARY,
    ['-p', prefix, '-c', configPath, '-e', path.join(prefix, 'error.log'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...ids },
  );
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT'); // graceful: workers finish their requests
      const done = await Promise.race([exited.then(() => true), delay(5000).then(() => false)]);
      if (!done) child.kill('SIGKILL');
      await exited;
    }
    await rm(prefix, { recursive: true, force: true });
  };

  const deadline = Date.now() + STARTUP_LIMIT_MS;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not start on port ${port}: ${stderr || 'no output'}`);
    }
    await delay(25);
  }

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    prefix,
    config,
    stderr: () => stderr,
    readErrorLog: async () => (await import('node:fs/promises')).readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => ''),
    stop,
  };
}
