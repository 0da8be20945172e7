/**
 * A real OpenSSH server (Debian's `openssh-server`, see .ci/run) on a loopback port, with its own
 * host key and one authorised client key, for tests of what the deploy does over SSH. It logs in
 * the user the tests run as (root in CI, as on the machine it runs on), so `sudo` works as on a host.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  user: string;
  /** The client's private key (0600). */
  identityFile: string;
  /** A known_hosts file that starts empty: the deploy writes the pinned key (`scripts/deploy/host-key.ts`). */
  knownHostsFile: string;
  /** The server's host key as an OpenSSH `.pub` line (`ssh-ed25519 AAAA… comment`). */
  hostPublicKey: string;
  /** Its SHA-256 fingerprint as `ssh-keygen -l` prints it (`SHA256:…`), the form Lightsail gives. */
  hostFingerprint: string;
  dir: string;
  /** What sshd logged (LogLevel VERBOSE), for failures. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export async function startSshd(): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: apt-get install openssh-server sudo (as .ci/run does)`);
  const dir = await mkdtemp(join(tmpdir(), 'sshd-'));
  const user = userInfo().username;
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')), { mode: 0o600 });
  await writeFile(join(dir, 'known_hosts'), '', { mode: 0o600 });
  const hostPublicKey = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim();
  const hostFingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')])).stdout.split(' ')[1] ?? '';
  // sshd's privilege separation needs its empty folder (the package's unit makes it at start).
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'LogLevel VERBOSE',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  let log = '';
  // -D: stay in the foreground (this process owns it); -e: log to stderr.
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let attempt = 0; !(await accepts(port)); attempt++) {
    if (child.exitCode !== null || attempt > 100) {
      child.kill();
      throw new Error(`sshd did not start: ${log}`);
    }
    await sleep(50);
  }
  return {
    port,
    user,
    identityFile: join(dir, 'client_key'),
    knownHostsFile: join(dir, 'known_hosts'),
    hostPublicKey,
    hostFingerprint,
    dir,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
