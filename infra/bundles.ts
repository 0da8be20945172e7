import * as pulumi from '@pulumi/pulumi';
import { MockMonitor } from '@pulumi/pulumi/runtime/mocks.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundleName } from './config.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where `npm run build:functions` writes each handler bundle (`index.mjs` exporting `handler`):
 * `dist/functions/<name>`, or under `$FUNCTIONS_DIST_DIR` for bundles built elsewhere
 * (`npm run build:functions -- --out <dir>`).
 */
export function bundleDirectory(name: BundleName, root = REPO_ROOT): string {
  const dist = process.env['FUNCTIONS_DIST_DIR'];
  return dist ? resolve(root, dist, name) : join(root, 'dist', 'functions', name);
}

export const LAMBDA_HANDLER = 'index.handler';

/** Written by `npm run build:functions` beside each bundle: the Lambda architecture its native binaries (sharp) are for. */
export const BUNDLE_ARCHITECTURE_FILE = 'architecture.txt';

export const PLACEHOLDER_MARKER = 'PLACEHOLDER BUNDLE: offline plan only';

/** True only when the program runs under `pulumi.runtime.setMocks` (tests, `npm run plan`). */
export function runningUnderMocks(): boolean {
  return pulumi.runtime.getMonitor() instanceof MockMonitor;
}

/**
 * The code archive for one function. A missing bundle fails `pulumi up`/`preview` with the
 * command that builds it. Only under the test mocks — which a real deployment never has, since
 * the engine's monitor is a gRPC client — a labelled placeholder stands in, so offline tests and
 * plans work from a clean clone and the placeholder can never reach AWS.
 */
export function functionArchive(name: BundleName, architecture: string, root = REPO_ROOT): pulumi.asset.Archive {
  const dir = bundleDirectory(name, root);
  if (existsSync(join(dir, 'index.mjs')) && statSync(dir).isDirectory()) {
    // A bundle built for the other architecture deploys fine and then fails to load sharp.
    const marker = join(dir, BUNDLE_ARCHITECTURE_FILE);
    const built = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : 'an unknown architecture';
    if (built !== architecture) {
      throw new Error(`Lambda bundle for "${name}" at ${dir} was built for ${built}; the stack runs ${architecture} (lambdaArchitecture). Run \`npm run build:functions -- --arch ${architecture}\`.`);
    }
    return new pulumi.asset.FileArchive(dir);
  }
  if (runningUnderMocks()) {
    return new pulumi.asset.AssetArchive({
      'index.mjs': new pulumi.asset.StringAsset(
        `// ${PLACEHOLDER_MARKER} (${name}); run \`npm run build:functions\` before deploying.\n` +
          `export const handler = () => { throw new Error(${JSON.stringify(PLACEHOLDER_MARKER)}); };\n`,
      ),
    });
  }
  throw new Error(`Lambda bundle for "${name}" is missing at ${dir} (no index.mjs). Run \`npm run build:functions\` first.`);
}
