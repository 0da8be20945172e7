/**
 * `npm run build:deploy [-- --out dist/deploy]`
 *
 * Bundles the two commands a host runs during a deploy into single files that need only Node:
 * `rotate.mjs` (image rotation and rollback, this folder) and `migrate.mjs` (`npm run migrate`).
 * The hosts have no checkout and no node_modules; `on-hosts.sh` copies these files to them.
 */
import path from 'node:path';
import { Command } from 'commander';
import { build } from 'esbuild';

const repoRoot = path.resolve(import.meta.dirname, '../..');

export const HOST_BUNDLES = {
  'rotate.mjs': 'scripts/deploy/index.ts',
  'migrate.mjs': 'scripts/migrate/index.ts',
} as const;

export async function bundleHostCommands(outDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [file, entry] of Object.entries(HOST_BUNDLES)) {
    const outfile = path.resolve(outDir, file);
    await build({
      entryPoints: [path.join(repoRoot, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // pg loads pg-native only when asked; the hosts never ask.
      external: ['pg-native'],
      // Bundled CommonJS dependencies (pg) call require(); ESM output has none by default.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    written.push(outfile);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { out } = new Command('build:deploy')
    .option('--out <dir>', 'output folder', 'dist/deploy')
    .parse()
    .opts<{ out: string }>();
  for (const file of await bundleHostCommands(out)) console.log(file);
}
