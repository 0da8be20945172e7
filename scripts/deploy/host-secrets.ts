/**
 * `pulumi stack output --json --show-secrets | npx tsx scripts/deploy/host-secrets.ts --host <ip> --identity <key file> --known-hosts <file>`
 *
 * Writes the dev host's secret files (`infra/devhost-env.ts`) over SSH, from the stack outputs on
 * standard input: `on-hosts.sh` runs it before anything else on the dev host, so migrations and the
 * rotation always find the stack's current key, database URL and cursor secret. The outputs arrive
 * through a pipe and leave through SSH's standard input; no secret is ever an argument of a
 * process, and in GitHub Actions each is masked before anything is printed.
 */
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { z } from 'zod';
import { devHostFiles, devHostSecretsSchema, secretValues, type DevHostSecrets } from '../../infra/devhost-env.ts';
import { SSH_USER } from '../../infra/host-layout.ts';
import { PINNED_HOST_KEY_OPTIONS, tcpPort } from './host-key.ts';
import { hostFilesScript, parseHostFilesOutput, type HostFilesReport } from './host-files.ts';

/** The stack outputs this reads (the rest of `pulumi stack output --json` is ignored). */
export const devHostOutputsSchema = z.object({
  shape: z.literal('dev'),
  apiRepositoryUrl: z.string().min(1),
  devHostSecrets: devHostSecretsSchema,
});
export type DevHostOutputs = z.infer<typeof devHostOutputsSchema>;

/**
 * The outputs, or null when the stack has no `devHostSecrets` yet: a stack last updated before the
 * output existed, whose host still has the files its user data wrote (the deploy's pre-`pulumi up`
 * migrations of the first deploy with this code). Anything else missing or malformed is an error.
 */
export function parseDevHostOutputs(json: string): DevHostOutputs | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    // The parser's message quotes the input, which holds secrets.
    throw new Error('stack outputs on stdin are not JSON (expected `pulumi stack output --json --show-secrets`)');
  }
  if (raw !== null && typeof raw === 'object' && !('devHostSecrets' in raw)) return null;
  const parsed = devHostOutputsSchema.safeParse(raw);
  // Paths and messages only: zod's issues never quote the values here (no `received` for strings).
  if (!parsed.success) throw new Error(`stack outputs: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export interface SshTarget {
  host: string;
  user: string;
  port: number;
  /** A 0600 file holding the private key (`devHostSshKey`). */
  identityFile: string;
  /** The host's key, pinned from Lightsail (`host-key.ts`): no other key is accepted. */
  knownHostsFile: string;
  /** How the login user runs the script as root. @default ["sudo"] */
  become?: string[];
  /** The ssh client. @default "ssh" */
  ssh?: string;
}

/** The ssh argv: options, destination and the remote command, which names no file content. */
export function sshArgs(target: SshTarget): string[] {
  return [
    '-i', target.identityFile,
    '-p', String(target.port),
    '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes',
    ...PINNED_HOST_KEY_OPTIONS,
    '-o', `UserKnownHostsFile=${target.knownHostsFile}`,
    '-o', 'ConnectTimeout=20',
    `${target.user}@${target.host}`,
    [...(target.become ?? ['sudo']), 'bash', '-s'].join(' '),
  ];
}

/** Runs `script` on the host through `bash -s` (the script on stdin); stdout on success. */
export function runOverSsh(target: SshTarget, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(target.ssh ?? 'ssh', sshArgs(target), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`writing the host's files over SSH failed (exit ${code}): ${stderr.trim() || stdout.trim() || 'no output'}`));
    });
    child.stdin.on('error', () => undefined); // a failed connection closes stdin early; `close` reports it
    child.stdin.end(script);
  });
}

export interface SyncOptions {
  /** A folder every host path is placed under (tests). */
  root?: string;
  docker?: string;
}

/** Renders the dev host's files from the outputs and writes them; only changed ones are replaced. */
export async function syncDevHostFiles(outputs: DevHostOutputs, target: SshTarget, options: SyncOptions = {}): Promise<HostFilesReport> {
  const secrets: DevHostSecrets = outputs.devHostSecrets;
  const script = hostFilesScript(devHostFiles(secrets), {
    apiRepository: outputs.apiRepositoryUrl,
    ...(secrets.hostDatabase ? { hostDatabase: secrets.hostDatabase } : {}),
    ...(secrets.pgbouncer ? { pgbouncer: true } : {}),
    ...options,
  });
  return parseHostFilesOutput(await runOverSsh(target, script), options.root);
}

/** GitHub Actions hides these strings in every later log line (one command per line of a value). */
export function maskCommands(values: string[]): string[] {
  return values.flatMap((value) => value.split('\n')).filter((line) => line.length > 0).map((line) => `::add-mask::${line}`);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const flags = new Command('host-secrets')
    .requiredOption('--host <address>', 'the dev host (devHostIp)')
    .requiredOption('--identity <file>', 'a 0600 file holding devHostSshKey')
    .requiredOption('--known-hosts <file>', 'known_hosts file for this run, holding the pinned host key (host-key.ts)')
    .option('--user <name>', 'SSH user', SSH_USER)
    .option('--port <n>', 'SSH port', tcpPort, 22)
    .option('--root <dir>', 'place every host path under this folder (tests)')
    .option('--docker <command>', 'the docker command on the host (tests)')
    .parse()
    .opts<{ host: string; identity: string; knownHosts: string; user: string; port: number; root?: string; docker?: string }>();
  const outputs = parseDevHostOutputs(await readStdin());
  if (!outputs) {
    console.log('host files: the stack has no devHostSecrets output yet (last updated before it existed): nothing written');
    process.exit(0);
  }
  if (process.env['GITHUB_ACTIONS'] === 'true') for (const line of maskCommands(secretValues(outputs.devHostSecrets))) console.log(line);
  const target = { host: flags.host, user: flags.user, port: flags.port, identityFile: flags.identity, knownHostsFile: flags.knownHosts };
  const report = await syncDevHostFiles(outputs, target, { ...(flags.root ? { root: flags.root } : {}), ...(flags.docker ? { docker: flags.docker } : {}) });
  for (const path of report.written) console.log(`host files: wrote ${path}`);
  for (const path of report.unchanged) console.log(`host files: ${path} unchanged`);
  for (const note of report.notes) console.log(`host files: ${note}`);
}
