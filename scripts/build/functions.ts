/**
 * `npm run build:functions [-- --arch arm64|x86_64] [--out dist/functions]`
 *
 * Bundles each Lambda handler with esbuild into `dist/functions/<name>/index.mjs` and installs
 * sharp's and resvg's Linux binaries for the target architecture beside it (`node_modules/`), which is
 * what `infra/` zips with `FileArchive`. Everything else is bundled; sharp and resvg cannot be, as each
 * loads a native addon (and sharp libvips).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { build } from 'esbuild';
import { BUNDLE_ARCHITECTURE_FILE } from '../../infra/bundles.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const repoRoot = path.resolve(import.meta.dirname, '../..');

export const FUNCTION_NAMES = ['image-batcher', 'image-processor', 'preview-maker', 'payout-runner'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];
export type LambdaArchitecture = 'arm64' | 'x86_64';

/** Lambda's limit on a function's unzipped deployment package. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;

export interface BuildFunctionsOptions {
  outDir?: string;
  architecture?: LambdaArchitecture;
  only?: FunctionName[];
}

export interface BuiltFunction {
  name: FunctionName;
  dir: string;
  bytes: number;
}

export async function buildFunctions(options: BuildFunctionsOptions = {}): Promise<BuiltFunction[]> {
  const outDir = path.resolve(repoRoot, options.outDir ?? 'dist/functions');
  const architecture = options.architecture ?? 'arm64';
  const built: BuiltFunction[] = [];
  for (const name of options.only ?? FUNCTION_NAMES) {
    const dir = path.join(outDir, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const result = await build({
      metafile: true,
      entryPoints: [path.join(repoRoot, 'functions', name, 'handler.ts')],
      outfile: path.join(dir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      // Runs on Lambda's nodejs22.x/24.x and on this machine's Node 20.
      target: 'node20',
      sourcemap: 'linked',
      legalComments: 'linked',
      external: ['sharp', '@resvg/resvg-js', 'pg-native'],
      // css-tree's ESM entry loads JSON data through createRequire at run time; its prebuilt
      // ESM bundle inlines that data.
      alias: { 'css-tree': 'css-tree/dist/csstree.esm' },
      // Some bundled CommonJS dependencies call require() for Node built-ins.
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      logLevel: 'warning',
    });
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
    // Only a function that renders needs sharp's and resvg's native binaries.
    const natives = NATIVE_PACKAGES.filter((name) => output?.imports.some((i) => i.path === name));
    if (natives.length > 0) await installNatives(dir, natives, architecture);
    // infra/bundles.ts refuses a bundle built for another architecture than the stack's lambdaArchitecture.
    await writeFile(path.join(dir, BUNDLE_ARCHITECTURE_FILE), `${architecture}\n`);
    built.push({ name, dir, bytes: await folderBytes(dir) });
  }
  return built;
}

/** Packages a bundle imports at run time (not bundled): each loads a native addon for the platform. */
const NATIVE_PACKAGES = ['sharp', '@resvg/resvg-js'] as const;

/** The installed version of a package, which the bundle then gets too. */
async function installedVersion(name: string): Promise<string> {
  // sharp's exports map hides package.json: read it from the package's folder, found from its entry point.
  const entry = require.resolve(name);
  const folder = path.join('node_modules', name);
  const packageDir = entry.slice(0, entry.lastIndexOf(folder) + folder.length);
  return (JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * sharp's documented way to get another platform's binaries: npm with --os/--cpu/--libc (resvg's
 * per-platform packages declare os, cpu and libc the same way).
 */
async function installNatives(dir: string, names: readonly string[], architecture: LambdaArchitecture) {
  const dependencies = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await installedVersion(name)] as const)));
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: path.basename(dir), private: true, type: 'module', dependencies }, null, 2),
  );
  const cpu = architecture === 'arm64' ? 'arm64' : 'x64';
  await run(
    'npm',
    ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--os=linux', `--cpu=${cpu}`, '--libc=glibc'],
    { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
  );
}

export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename);
if (isMain) {
  const program = new Command()
    .name('npm run build:functions --')
    .description('Bundle the Lambda handlers with sharp for Linux')
    .option('--arch <arch>', 'Lambda architecture: arm64 or x86_64', 'arm64')
    .option('--out <dir>', 'output folder', 'dist/functions')
    .action(async (opts: { arch: string; out: string }) => {
      if (opts.arch !== 'arm64' && opts.arch !== 'x86_64') throw new Error(`--arch must be arm64 or x86_64, not "${opts.arch}"`);
      const built = await buildFunctions({ outDir: opts.out, architecture: opts.arch });
      for (const fn of built) {
        const mb = (fn.bytes / 1024 / 1024).toFixed(1);
        console.log(`${fn.name.padEnd(16)} ${mb.padStart(6)} MB  ${path.relative(repoRoot, fn.dir)}`);
        if (fn.bytes > LAMBDA_UNZIPPED_LIMIT_BYTES) throw new Error(`${fn.name} is over Lambda's 250 MB unzipped limit`);
      }
    });
  program.parseAsync().catch((error: Error) => {
    console.error(`build:functions: ${error.message}`);
    process.exitCode = 1;
  });
}
