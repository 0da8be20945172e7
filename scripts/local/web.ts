/**
 * The storefront for `npm start`: Next's production build, made when app/web changed since the last
 * one, served by the same standalone server the Docker image runs (app/web/Dockerfile).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const webDir = path.join(repoRoot, 'app/web');
const buildDir = path.join(webDir, '.next');
const stampFile = path.join(buildDir, 'source-hash');

/** A hash of everything the build reads: the web app's sources and the lockfile. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === '.next' || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else hash.update(path.relative(webDir, full)).update(await readFile(full));
    }
  };
  await walk(webDir);
  hash.update(await readFile(path.join(repoRoot, 'package-lock.json')));
  return hash.digest('hex');
}

/** Builds the storefront unless the last build is of the same sources. Returns seconds spent. */
export async function ensureWebBuild(log: (line: string) => void): Promise<number> {
  const wanted = await sourceHash();
  const built = await readFile(stampFile, 'utf8').catch(() => '');
  const server = path.join(buildDir, 'standalone/app/web/server.js');
  if (built === wanted && (await stat(server).catch(() => null))) {
    await placeStaticFiles();
    return 0;
  }
  log('Building the storefront (next build; about 1–2 minutes the first time, then only when app/web changes)…');
  const started = performance.now();
  await run(process.execPath, [createRequire(path.join(repoRoot, 'package.json')).resolve('next/dist/bin/next'), 'build', webDir], { NEXT_TELEMETRY_DISABLED: '1' });
  await placeStaticFiles();
  await writeFile(stampFile, wanted);
  return (performance.now() - started) / 1000;
}

/** The standalone server serves static files from beside itself, as in the Docker image. */
async function placeStaticFiles(): Promise<void> {
  await cp(path.join(buildDir, 'static'), path.join(buildDir, 'standalone/app/web/.next/static'), { recursive: true });
}

export interface RunningWeb {
  url: string;
  stop(): Promise<void>;
}

export async function startWeb(options: { port: number; apiUrl: string }): Promise<RunningWeb> {
  const child = spawn(process.execPath, [path.join(buildDir, 'standalone/app/web/server.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(options.port),
      HOSTNAME: '127.0.0.1',
      API_INTERNAL_URL: options.apiUrl,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${options.port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`the storefront exited (${child.exitCode}):\n${stderr}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (attempt > 300) {
      child.kill('SIGKILL');
      throw new Error(`the storefront did not answer on ${url} within 30 s:\n${stderr}`);
    }
    await sleep(100);
  }
  return { url, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(args[0] ?? command)} failed (${code}):\n${output}`))));
  });
}
