import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LightsailClient } from '@aws-sdk/client-lightsail';
import { AWS_CREDENTIALS_FILE } from '../../infra/devhost-env.ts';
import { pinHostKey } from '../../scripts/deploy/host-key.ts';
import { syncDevHostFiles } from '../../scripts/deploy/host-secrets.ts';
import { startLightsailStandIn, witnessed, type LightsailStandIn } from '../support/lightsail-standin.ts';
import { startSshd, type Sshd } from './support/sshd.ts';

const run = promisify(execFile);

/**
 * Hostile review 3 (REVIEW3.md, finding 5): on-hosts.sh gave each run a new, empty known_hosts and
 * `StrictHostKeyChecking=accept-new`, so whatever answered SSH on `devHostIp` (a released static IP taken by
 * someone else, a hijacked route) was trusted and handed the host's AWS key, database URL and cursor secret.
 * Here the "host" answering on the address is a real sshd whose key is not the one Lightsail witnessed on the
 * stack's instance (a Lightsail stand-in returns the real host's key, which the impostor does not hold).
 */
describe('deploy: the dev host’s secrets go only to the host the stack knows (hostile review 3)', function () {
  this.timeout(60_000);
  let impostor: Sshd;
  let lightsail: LightsailStandIn;
  let client: LightsailClient;
  let root: string;

  before(async () => {
    [impostor, lightsail] = await Promise.all([startSshd(), startLightsailStandIn()]);
    client = new LightsailClient({ endpoint: lightsail.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSTANDIN000000001', secretAccessKey: 'standin-secret' } });
    root = await mkdtemp(join(tmpdir(), 'impostor-root-'));
    // The stack's real host: its key is what Lightsail witnessed.
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, 'real_host_key')]);
    const real = await readFile(join(root, 'real_host_key.pub'), 'utf8');
    lightsail.instances.set('svg-marketplace-dev-host', { ipAddress: '127.0.0.1', hostKeys: [witnessed(real)] });
  });
  after(async () => {
    client?.destroy();
    await Promise.all([impostor?.stop(), lightsail?.close()]);
    await rm(root, { recursive: true, force: true });
  });

  const secrets = {
    region: 'us-east-1',
    awsAccessKeyId: 'AKIAEXAMPLEKEY000001',
    awsSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY1',
    apiSettings: {},
    apiDatabaseUrl: 'postgres://api:Db0Password0Secret0Value@db.example.com:5432/marketplace?sslmode=require',
    cursorSecret: 'Cursor0Secret0Value0Of0Fifty0Characters0Long00001',
  };
  /** The deploy's secrets step against the impostor; what it answered and what the impostor received. */
  async function sendSecrets(knownHostsFile: string): Promise<{ result: string; leaked: string }> {
    const target = { host: '127.0.0.1', port: impostor.port, user: impostor.user, identityFile: impostor.identityFile, knownHostsFile };
    const result = await syncDevHostFiles({ shape: 'dev', apiRepositoryUrl: 'repo', devHostSecrets: secrets }, target, { root, docker: 'true' }).then(
      () => 'written',
      (error: Error) => error.message,
    );
    return { result, leaked: await readFile(join(root, AWS_CREDENTIALS_FILE), 'utf8').catch(() => '') };
  }

  it('an unknown host key is refused before any secret is sent', async () => {
    const knownHosts = join(root, 'known_hosts');
    await pinHostKey({ instanceName: 'svg-marketplace-dev-host', host: '127.0.0.1', port: impostor.port, knownHostsFile: knownHosts, client });
    const { result, leaked } = await sendSecrets(knownHosts);
    expect(leaked, 'the impostor got the AWS key').to.equal('');
    expect(result).to.match(/Host key verification failed/);
    // The impostor never got as far as a session: refused at the key exchange, before authentication.
    expect(impostor.log()).to.not.match(/Accepted publickey/);
  });

  it('the review’s setup, a fresh known_hosts without the pinned key: refused too (no trust on first use)', async () => {
    const fresh = join(root, 'fresh_known_hosts');
    await writeFile(fresh, '', { mode: 0o600 });
    const { result, leaked } = await sendSecrets(fresh);
    expect(leaked, 'the impostor got the AWS key').to.equal('');
    expect(result).to.match(/Host key verification failed/);
  });
});
