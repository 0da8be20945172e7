/**
 * Runs a Dockerfile without Docker: the build stage's RUN commands in the repository (the build
 * context), the runtime stage's COPY --from=build into a fresh directory standing in for the image's
 * file system, then its CMD with its ENV and WORKDIR, healthy once its HEALTHCHECK command passes.
 * What this cannot prove (the base image, `npm ci` inside it) is what the Dockerfile lint guards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, ModifiableInstruction, type Flag, type Instruction } from 'dockerfile-ast';
import { isRunning } from '../../scripts/local/lock.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules/.cache/dockerfile-builds');
/** Folders that are outputs or dependencies, never build inputs. */
const NOT_INPUTS = new Set(['node_modules', '.next', 'dist', '.git']);

export interface Stage {
  name: string | undefined;
  image: string;
  workdir: string;
  env: Record<string, string>;
  instructions: Instruction[];
}

export interface ImageSpec {
  stages: Stage[];
  build: Stage;
  runtime: Stage;
  copies: Array<{ from: string | undefined; sources: string[]; dest: string }>;
  runs: string[];
  user: string | undefined;
  cmd: string[];
  healthcheck: string[];
}

function execForm(text: string, what: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw new Error(`${what} must use the exec form (a JSON array)`);
  return parsed;
}

/** COPY, ADD, RUN and HEALTHCHECK carry `--name=value` flags, which getArgumentsContent leaves out. */
export function flagsOf(instruction: Instruction): Flag[] {
  return instruction instanceof ModifiableInstruction ? instruction.getFlags() : [];
}

export function parseDockerfile(text: string): ImageSpec {
  const file = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  for (const instruction of file.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const [image, as, name] = instruction.getArgumentsContent()!.split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, image: image!, workdir: '/', env: {}, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    stage.instructions.push(instruction);
    if (keyword === 'WORKDIR') stage.workdir = path.posix.resolve(stage.workdir, instruction.getArgumentsContent()!);
    if (keyword === 'ENV') {
      const content = instruction.getArgumentsContent()!;
      for (const match of content.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[match[1]!] = match[2]!.replace(/^"|"$/g, '');
    }
  }
  const runtime = stages.at(-1);
  const build = stages.find((stage) => stage.name === 'build');
  if (!runtime || !build || runtime === build) throw new Error('expected a `build` stage and a final runtime stage');

  const copies = runtime.instructions
    .filter((i) => i.getKeyword() === 'COPY')
    .map((i) => {
      const from = flagsOf(i).find((flag) => flag.getName() === 'from')?.getValue() ?? undefined;
      const paths = i.getArgumentsContent()!.split(/\s+/);
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
  const runs = build.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent()!);
  const last = (keyword: string) => runtime.instructions.filter((i) => i.getKeyword() === keyword).at(-1);
  const cmd = last('CMD');
  const health = last('HEALTHCHECK');
  if (!cmd) throw new Error('the runtime stage has no CMD');
  if (!health) throw new Error('the runtime stage has no HEALTHCHECK');
  const healthText = health.getArgumentsContent()!;
  const healthCmd = /(?:^|\s)CMD\s+(\[.*\])\s*$/s.exec(healthText)?.[1];
  if (!healthCmd) throw new Error('HEALTHCHECK must be `CMD [...]`');
  return {
    stages,
    build,
    runtime,
    copies,
    runs,
    user: last('USER')?.getArgumentsContent() ?? undefined,
    cmd: execForm(cmd.getArgumentsContent()!, 'CMD'),
    healthcheck: execForm(healthCmd, 'HEALTHCHECK'),
  };
}

async function hashTree(hash: ReturnType<typeof createHash>, absolute: string): Promise<void> {
  const info = await stat(absolute).catch(() => null);
  if (!info) return;
  if (info.isFile()) {
    hash.update(path.relative(REPO_ROOT, absolute)).update('\0').update(await readFile(absolute));
    return;
  }
  for (const entry of (await readdir(absolute)).sort()) if (!NOT_INPUTS.has(entry)) await hashTree(hash, path.join(absolute, entry));
}

/** Everything the build stage copies in, plus its commands: a changed input means a rebuild. */
async function buildInputsHash(spec: ImageSpec): Promise<string> {
  const hash = createHash('sha256');
  for (const instruction of spec.build.instructions) {
    hash.update(instruction.getKeyword()).update(instruction.getArgumentsContent() ?? '');
    if (instruction.getKeyword() === 'COPY') {
      const parts = instruction.getArgumentsContent()!.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) await hashTree(hash, path.join(REPO_ROOT, source));
    }
  }
  return hash.digest('hex');
}

/** Where a path of the build stage lives here: the build stage's WORKDIR is the repository root. */
function buildPath(spec: ImageSpec, source: string): string {
  const absolute = path.posix.resolve(spec.build.workdir, source);
  const relative = path.posix.relative(spec.build.workdir, absolute);
  if (relative.startsWith('..')) throw new Error(`COPY --from=build ${source} is outside the build WORKDIR`);
  return path.join(REPO_ROOT, relative);
}

export interface BuildResult {
  /** Seconds the RUN steps took; 0 when their inputs were unchanged since the last build. */
  seconds: number;
  ranCommands: string[];
}

/**
 * Runs the build stage's RUN commands in the repository, except `npm ci`: the repository's
 * node_modules was installed by `npm ci` from the same lockfile. Skipped when nothing changed.
 */
export async function runBuildStage(name: string, spec: ImageSpec): Promise<BuildResult> {
  // Test runs in the same checkout (several mocha processes) share the outputs: one builds, the others wait.
  const release = await lockBuild(name);
  try {
    return await runBuildStageLocked(name, spec);
  } finally {
    await release();
  }
}

const BUILD_LOCK_WAIT_MS = 15 * 60_000;

async function lockBuild(name: string): Promise<() => Promise<void>> {
  const lockDir = path.join(CACHE_DIR, `${name}.lock`);
  await mkdir(CACHE_DIR, { recursive: true });
  const deadline = Date.now() + BUILD_LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'pid'), String(process.pid));
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => ''));
      // A holder that died (killed test run) leaves its lock behind: take it over.
      if (holder > 0 && !isRunning(holder)) await rm(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`gave up waiting for ${lockDir} (held by pid ${holder})`);
      else await delay(500);
    }
  }
}

async function runBuildStageLocked(name: string, spec: ImageSpec): Promise<BuildResult> {
  const marker = path.join(CACHE_DIR, `${name}.sha256`);
  const inputs = await buildInputsHash(spec);
  const outputsExist = await Promise.all(
    spec.copies.filter((c) => c.from === 'build').flatMap((c) => c.sources.map((s) => stat(buildPath(spec, s)).then(() => true, () => false))),
  );
  if ((await readFile(marker, 'utf8').catch(() => '')) === inputs && outputsExist.every(Boolean)) return { seconds: 0, ranCommands: [] };

  const started = performance.now();
  const ranCommands: string[] = [];
  for (const command of spec.runs) {
    if (/^npm ci\b/.test(command)) continue;
    ranCommands.push(command);
    const result = spawnSync('sh', ['-c', command], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...spec.build.env },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`RUN ${command}\nfailed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  await mkdir(CACHE_DIR, { recursive: true });
  // Hashed again: a build may rewrite its own inputs (next build updates next-env.d.ts and tsconfig.json).
  await writeFile(marker, await buildInputsHash(spec));
  return { seconds: (performance.now() - started) / 1000, ranCommands };
}

/** A directory laid out like the runtime image's file system (only what COPY puts there). */
export async function assembleRuntime(spec: ImageSpec): Promise<{ root: string; workdir: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'image-'));
  const inImage = (p: string) => path.join(root, path.posix.resolve(spec.runtime.workdir, p));
  await mkdir(inImage('.'), { recursive: true });
  for (const copy of spec.copies) {
    if (copy.from !== 'build') throw new Error(`the runtime stage copies ${copy.sources.join(' ')} from the context; it should take only build outputs`);
    for (const source of copy.sources) {
      const from = buildPath(spec, source);
      const to = copy.dest.endsWith('/') && !source.endsWith('/') ? path.join(inImage(copy.dest), path.basename(source)) : inImage(copy.dest);
      await cp(from, to, { recursive: true, verbatimSymlinks: true });
    }
  }
  return { root, workdir: inImage('.') };
}

export interface RunningImage {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts CMD in the assembled image and waits until HEALTHCHECK's command succeeds. */
export async function startRuntime(
  spec: ImageSpec,
  layout: { root: string; workdir: string },
  env: Record<string, string>,
  options: { healthyWithinMs?: number } = {},
): Promise<RunningImage> {
  const fullEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: layout.root, ...spec.runtime.env, ...env };
  const [command, ...args] = spec.cmd;
  let output = '';
  const child = spawn(command!, args, { cwd: layout.workdir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, delay(5000).then(() => child.kill('SIGKILL'))]);
      await exited;
    }
  };

  const [healthCommand, ...healthArgs] = spec.healthcheck;
  const deadline = Date.now() + (options.healthyWithinMs ?? 30_000);
  for (;;) {
    const probe = spawnSync(healthCommand!, healthArgs, { cwd: layout.workdir, env: fullEnv, timeout: 3000 });
    if (probe.status === 0) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${spec.cmd.join(' ')} never became healthy (exit ${child.exitCode}):\n${output}`);
    }
    await delay(200);
  }
  return { process: child, output: () => output, stop };
}

export async function loadImage(dockerfile: string): Promise<ImageSpec> {
  return parseDockerfile(await readFile(path.join(REPO_ROOT, dockerfile), 'utf8'));
}

export async function removeLayout(layout: { root: string } | undefined): Promise<void> {
  if (layout) await rm(layout.root, { recursive: true, force: true });
}
