/**
 * Runs the Pulumi program as `pulumi-language-nodejs` does: `node <Pulumi.yaml nodeargs>
 * node_modules/@pulumi/pulumi/cmd/run --monitor <addr> --engine <addr> --project --stack
 * --organization --root-directory <root> --pwd <main dir> [--dry-run] .`, with the stack's config
 * in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, against the in-process monitor of monitor.ts.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../../infra/bundles.ts';
import { startMonitor, type MonitorRecord } from './monitor.ts';

interface ProjectFile {
  name: string;
  main: string;
  runtime: { options: { nodeargs?: string } };
}

export interface EngineRunRequest {
  stack: string;
  /** `namespace:key` → value exactly as the engine passes it (strings; objects as JSON text). */
  config: Record<string, string>;
  secretKeys: string[];
  /** A preview (`pulumi preview`, the first half of `pulumi up`) or the update itself. */
  dryRun: boolean;
  /** Extra environment, e.g. FUNCTIONS_DIST_DIR where the workflow's `npm run build:functions` put the bundles. */
  env?: Record<string, string>;
}

export interface EngineRun extends MonitorRecord {
  exitCode: number | null;
  stderr: string;
  stdout: string;
  /** Messages the program reported as errors (through the Engine's Log, as the CLI shows them). */
  errors: string[];
}

/** Time for the program to report further errors after its first. */
const ERROR_GRACE_MS = 1000;

const project = parse(readFileSync(join(REPO_ROOT, 'Pulumi.yaml'), 'utf8')) as ProjectFile;
const LANGUAGE_HOST_ENTRY = join(REPO_ROOT, 'node_modules', '@pulumi', 'pulumi', 'cmd', 'run');

export async function runProgram(request: EngineRunRequest): Promise<EngineRun> {
  const region = request.config['aws:region'] ?? '';
  const monitor = await startMonitor({ stack: request.stack, project: project.name, region, dryRun: request.dryRun });
  try {
    const nodeargs = (project.runtime.options.nodeargs ?? '').split(/\s+/).filter(Boolean);
    const args = [
      ...(process.env['ENGINE_TEST_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
      ...nodeargs,
      LANGUAGE_HOST_ENTRY,
      `--monitor=${monitor.address}`,
      `--engine=${monitor.address}`,
      `--project=${project.name}`,
      `--stack=${request.stack}`,
      '--organization=engine-test',
      `--root-directory=${REPO_ROOT}`,
      `--pwd=${join(REPO_ROOT, project.main)}`,
      '--parallel=48',
      ...(request.dryRun ? ['--dry-run'] : []),
      '.',
    ];
    // Nothing of this test process's Pulumi state leaks in: the child sees only what the engine sets.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PULUMI_')));
    env['PULUMI_CONFIG'] = JSON.stringify(request.config);
    env['PULUMI_CONFIG_SECRET_KEYS'] = JSON.stringify(request.secretKeys);
    Object.assign(env, request.env ?? {});
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // An error ends the deployment: the engine cancels the run rather than wait for the
    // program's process, which otherwise idles for minutes after reporting it.
    monitor.onError(() => setTimeout(() => child.kill(), ERROR_GRACE_MS));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const errors = [...monitor.record.rejections, ...monitor.record.logs.filter((log) => log.severity === 'error').map((log) => log.message)];
    return { ...monitor.record, exitCode, stdout, stderr, errors };
  } finally {
    await monitor.close();
  }
}
