/**
 * `npx tsx scripts/deploy/host-key.ts --instance <devHostName> --host <devHostIp> --known-hosts <file>`
 *
 * Pins the dev host's SSH host key before the deploy connects (REVIEW3.md, finding 5): it asks Lightsail
 * for the keys it witnessed on the instance (`GetInstanceAccessDetails`, protocol ssh) and writes them as
 * the run's known_hosts for the host's address; every SSH of the deploy then runs with
 * `StrictHostKeyChecking=yes` (`PINNED_HOST_KEY_OPTIONS`), so whatever else answers on that address (a
 * released static IP now someone else's, a hijacked route) is refused before any secret is sent.
 * No usable key is a failure: never a fallback to trusting the first key seen.
 *
 * The call also mints a temporary SSH key pair for the caller (`privateKey`, `certKey` in the answer):
 * neither is read, kept or printed here.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetInstanceAccessDetailsCommand, LightsailClient } from '@aws-sdk/client-lightsail';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';

/** The ssh options of every connection to the dev host: only the pinned key is trusted. */
export const PINNED_HOST_KEY_OPTIONS = ['-o', 'StrictHostKeyChecking=yes'] as const;

/** One of `accessDetails.hostKeys` (the fields used; RDP certificates and dates are ignored). */
const hostKeySchema = z.object({
  algorithm: z.string().optional(),
  publicKey: z.string().optional(),
  fingerprintSHA256: z.string().optional(),
});
export type WitnessedHostKey = z.infer<typeof hostKeySchema>;

/** The algorithm name a public key blob (SSH wire format) starts with, or null if it is not one. */
function blobAlgorithm(blob: Buffer): string | null {
  if (blob.length < 4) return null;
  const length = blob.readUInt32BE(0);
  if (length < 1 || length > 64 || blob.length < 4 + length) return null;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/**
 * The key as a known_hosts key (`<algorithm> <base64>`), or null when it is not a usable SSH host key.
 * Lightsail gives `publicKey` as the base64 blob alone with the algorithm beside it (the CLI's documented
 * example); the OpenSSH form `<algorithm> <base64> [comment]` is taken as well. The blob must name the same
 * algorithm, and match `fingerprintSHA256` when that is given.
 */
export function knownHostsKey(key: WitnessedHostKey): string | null {
  const algorithm = key.algorithm?.trim();
  const fields = key.publicKey?.trim().split(/\s+/) ?? [];
  if (!algorithm || !/^(ssh-|ecdsa-sha2-|sk-)[\w.@-]+$/.test(algorithm) || fields.length === 0) return null;
  const base64 = fields.length === 1 ? fields[0]! : fields[0] === algorithm ? fields[1]! : null;
  if (!base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  const blob = Buffer.from(base64, 'base64');
  if (blobAlgorithm(blob) !== algorithm) return null;
  if (key.fingerprintSHA256) {
    const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    if (fingerprint !== key.fingerprintSHA256.trim()) return null;
  }
  return `${algorithm} ${base64}`;
}

/** known_hosts' name for an address: bare on port 22, `[address]:port` otherwise. */
export const knownHostsName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

/** The known_hosts lines for the usable keys; throws when there is none. */
export function knownHostsLines(keys: WitnessedHostKey[], host: string, port: number, instanceName: string): string[] {
  const usable = [...new Set(keys.map(knownHostsKey).filter((key): key is string => key !== null))];
  if (usable.length === 0) {
    const what = keys.length === 0 ? 'no SSH host key' : `no usable SSH host key (${keys.length} returned, none a valid key)`;
    throw new Error(
      `Lightsail has ${what} for instance ${instanceName}: refusing to connect to ${host} with an unverified host key`,
    );
  }
  return usable.map((key) => `${knownHostsName(host, port)} ${key}`);
}

export interface PinOptions {
  instanceName: string;
  host: string;
  port?: number;
  knownHostsFile: string;
  client?: LightsailClient;
  /** How long to keep asking while Lightsail has no key yet (a host `pulumi up` just created). @default 0 */
  waitMs?: number;
  pollMs?: number;
}

/** Asks Lightsail for the instance's witnessed host keys and writes them (0600) as the known_hosts file. */
export async function pinHostKey(options: PinOptions): Promise<string[]> {
  const client = options.client ?? new LightsailClient({});
  const port = options.port ?? 22;
  const deadline = Date.now() + (options.waitMs ?? 0);
  for (;;) {
    const answer = await client.send(new GetInstanceAccessDetailsCommand({ instanceName: options.instanceName, protocol: 'ssh' }));
    // Only the host keys are kept: the answer also holds the temporary private key Lightsail minted.
    const keys = z.array(hostKeySchema).parse(answer.accessDetails?.hostKeys ?? []);
    try {
      const lines = knownHostsLines(keys, options.host, port, options.instanceName);
      await writeFile(options.knownHostsFile, `${lines.join('\n')}\n`, { mode: 0o600 });
      return lines;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(options.pollMs ?? 10_000);
    }
  }
}

/** A `--port` flag's value (host-secrets.ts reads its own with this too). */
export function tcpPort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw new InvalidArgumentError(`expected a TCP port, got "${value}"`);
  return n;
}

const seconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected seconds, got "${value}"`);
  return n;
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const flags = new Command('host-key')
    .requiredOption('--instance <name>', 'the Lightsail instance (devHostName)')
    .requiredOption('--host <address>', 'the address the deploy connects to (devHostIp)')
    .requiredOption('--known-hosts <file>', 'known_hosts file for this run (overwritten)')
    .option('--port <n>', 'SSH port', tcpPort, 22)
    .option('--wait-seconds <n>', 'keep asking this long while Lightsail has no host key yet', seconds, 0)
    .parse()
    .opts<{ instance: string; host: string; knownHosts: string; port: number; waitSeconds: number }>();
  try {
    const lines = await pinHostKey({ instanceName: flags.instance, host: flags.host, port: flags.port, knownHostsFile: flags.knownHosts, waitMs: flags.waitSeconds * 1000 });
    for (const line of lines) console.log(`host key: pinned ${line.split(' ').slice(0, 2).join(' ')}`);
  } catch (error) {
    console.error(`host key: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
