/**
 * The deploy's pinning of the dev host's SSH key (`scripts/deploy/host-key.ts`, REVIEW3.md finding 5): the
 * keys Lightsail witnessed, from a local Lightsail stand-in (`test/support/lightsail-standin.ts`) through the
 * real SDK, written as the run's known_hosts; then a real OpenSSH server (`support/sshd.ts`) and the real
 * `ssh` with `StrictHostKeyChecking=yes`. The impostor case is `host-key-review.test.ts`.
 */
import { expect } from 'chai';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LightsailClient } from '@aws-sdk/client-lightsail';
import { AWS_CREDENTIALS_FILE } from '../../infra/devhost-env.ts';
import { knownHostsKey, knownHostsLines, knownHostsName, pinHostKey } from '../../scripts/deploy/host-key.ts';
import { sshArgs, syncDevHostFiles } from '../../scripts/deploy/host-secrets.ts';
import { startLightsailStandIn, witnessed, type LightsailStandIn } from '../support/lightsail-standin.ts';
import { startSshd, type Sshd } from './support/sshd.ts';

const run = promisify(execFile);
const INSTANCE = 'svg-marketplace-dev-host';
const CREDENTIALS = { accessKeyId: 'AKIDSTANDIN000000001', secretAccessKey: 'standin-secret' };

const secrets = {
  region: 'us-east-1',
  awsAccessKeyId: 'AKIAEXAMPLEKEY000001',
  awsSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY1',
  apiSettings: {},
  apiDatabaseUrl: 'postgres://api:Db0Password0Secret0Value@db.example.com:5432/marketplace?sslmode=require',
  cursorSecret: 'Cursor0Secret0Value0Of0Fifty0Characters0Long00001',
};

describe('deploy: the dev host’s SSH key is pinned from what Lightsail witnessed', function () {
  this.timeout(60_000);
  let sshd: Sshd;
  let lightsail: LightsailStandIn;
  let client: LightsailClient;
  let work: string;
  let knownHosts: string;

  before(async () => {
    [sshd, lightsail] = await Promise.all([startSshd(), startLightsailStandIn()]);
    client = new LightsailClient({ endpoint: lightsail.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  });
  after(async () => {
    client?.destroy();
    await Promise.all([sshd?.stop(), lightsail?.close()]);
  });
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'host-key-'));
    knownHosts = join(work, 'known_hosts');
    lightsail.calls.length = 0;
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const target = () => ({ host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: knownHosts });

  it('the host’s own key: pinned for its address, and the deploy connects and writes', async () => {
    lightsail.instances.set(INSTANCE, { ipAddress: '127.0.0.1', hostKeys: [witnessed(sshd.hostPublicKey, sshd.hostFingerprint)] });
    const lines = await pinHostKey({ instanceName: INSTANCE, host: '127.0.0.1', port: sshd.port, knownHostsFile: knownHosts, client });
    const [algorithm, blob] = sshd.hostPublicKey.split(' ');
    expect(lines).to.deep.equal([`[127.0.0.1]:${sshd.port} ${algorithm} ${blob}`]);
    expect(await readFile(knownHosts, 'utf8')).to.equal(`${lines[0]}\n`);
    expect((await stat(knownHosts)).mode & 0o777).to.equal(0o600);
    expect(lightsail.calls.map((c) => c.body)).to.deep.equal([{ instanceName: INSTANCE, protocol: 'ssh' }]);
    // OpenSSH itself finds the key for that address.
    const found = await run('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', knownHosts]);
    expect(found.stdout).to.contain(blob);

    const root = join(work, 'root');
    const report = await syncDevHostFiles({ shape: 'dev', apiRepositoryUrl: 'repo', devHostSecrets: secrets }, target(), { root, docker: 'true' });
    expect(report.written).to.include(AWS_CREDENTIALS_FILE);
    expect(await readFile(join(root, AWS_CREDENTIALS_FILE), 'utf8')).to.contain(secrets.awsSecretAccessKey);
  });

  it('no host key (none witnessed yet): a clear failure, no known_hosts written, nothing trusted', async () => {
    lightsail.instances.set(INSTANCE, { ipAddress: '127.0.0.1', hostKeys: [] });
    const failure = await pinHostKey({ instanceName: INSTANCE, host: '127.0.0.1', port: sshd.port, knownHostsFile: knownHosts, client }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).to.equal(`Lightsail has no SSH host key for instance ${INSTANCE}: refusing to connect to 127.0.0.1 with an unverified host key`);
    await stat(knownHosts).then(
      () => expect.fail('a known_hosts file was written'),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ENOENT'),
    );
  });

  it('keys only of the wrong kind or corrupted: refused the same way', async () => {
    const [algorithm, blob] = sshd.hostPublicKey.split(' ') as [string, string];
    lightsail.instances.set(INSTANCE, {
      ipAddress: '127.0.0.1',
      hostKeys: [
        { algorithm: 'x509-cert', publicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA' },
        { algorithm, publicKey: blob, fingerprintSHA256: 'SHA256:KTsMnRBh1IhD17HpdfsbzeGA4jOijm5tyXsMjKVbB8o' },
        { algorithm: 'ssh-rsa', publicKey: blob },
      ],
    });
    const failure = await pinHostKey({ instanceName: INSTANCE, host: '127.0.0.1', knownHostsFile: knownHosts, client }).then(() => null, (error: Error) => error.message);
    expect(failure).to.match(/no usable SSH host key \(3 returned, none a valid key\).*refusing to connect/);
  });

  it('a host just created: keeps asking until Lightsail has its key, within the wait', async () => {
    lightsail.instances.set(INSTANCE, { ipAddress: '127.0.0.1', hostKeys: [] });
    const later = setTimeout(() => lightsail.instances.set(INSTANCE, { ipAddress: '127.0.0.1', hostKeys: [witnessed(sshd.hostPublicKey)] }), 300);
    try {
      const lines = await pinHostKey({ instanceName: INSTANCE, host: '127.0.0.1', knownHostsFile: knownHosts, client, waitMs: 10_000, pollMs: 100 });
      expect(lines).to.have.length(1);
      expect(lightsail.calls.length).to.be.greaterThan(1);
    } finally {
      clearTimeout(later);
    }
  });

  it('the command on-hosts.sh runs: the key pinned, the temporary key Lightsail mints neither written nor printed', async () => {
    const cli = (instance: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const args = ['--import', 'tsx', 'scripts/deploy/host-key.ts', '--instance', instance, '--host', '203.0.113.7', '--known-hosts', knownHosts];
        const env: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL_LIGHTSAIL: lightsail.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
        delete env['AWS_PROFILE'];
        const child = spawn(process.execPath, args, { env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    lightsail.instances.set(INSTANCE, { ipAddress: '203.0.113.7', hostKeys: [witnessed(sshd.hostPublicKey, sshd.hostFingerprint)] });
    const pinned = await cli(INSTANCE);
    expect(pinned.code, pinned.stderr).to.equal(0);
    const [algorithm, blob] = sshd.hostPublicKey.split(' ');
    expect(pinned.stdout).to.equal(`host key: pinned 203.0.113.7 ${algorithm}\n`);
    expect(await readFile(knownHosts, 'utf8')).to.equal(`203.0.113.7 ${algorithm} ${blob}\n`);
    expect(pinned.stdout + pinned.stderr).to.not.contain('PRIVATE KEY');
    expect(await readFile(knownHosts, 'utf8')).to.not.contain('PRIVATE KEY');

    lightsail.instances.set(INSTANCE, { ipAddress: '203.0.113.7', hostKeys: [] });
    await rm(knownHosts);
    const none = await cli(INSTANCE);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.contain(`host key: Lightsail has no SSH host key for instance ${INSTANCE}`);
    const unknown = await cli('no-such-instance');
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/host key: The Instance does not exist: no-such-instance/);
  });

  it('every SSH of the deploy refuses keys not pinned (StrictHostKeyChecking=yes)', async () => {
    const args = sshArgs(target());
    expect(args).to.include('StrictHostKeyChecking=yes');
    expect(args.join(' ')).to.not.match(/accept-new|StrictHostKeyChecking=no/);
    const script = await readFile('scripts/deploy/on-hosts.sh', 'utf8');
    const opts = /^\s+ssh_opts=\((.*)\)$/m.exec(script)?.[1] ?? '';
    expect(opts).to.contain('-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$work/known_hosts"');
    expect(script).to.not.match(/accept-new|StrictHostKeyChecking=no/);
    // The key is pinned before the first ssh, from the instance the stack names.
    const pin = script.indexOf('host-key.ts" --instance "$instance" --host "$host" --known-hosts "$work/known_hosts"');
    expect(pin).to.be.greaterThan(script.indexOf('instance=$(output devHostName)'));
    expect(pin).to.be.lessThan(script.indexOf('ssh "${ssh_opts[@]}"'));
  });
});

describe('deploy: host keys as Lightsail gives them', () => {
  // A fresh ed25519 key, with the fingerprint `ssh-keygen -l -E sha256` prints for it.
  let ED25519: string;
  let fingerprint: string;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'key-'));
    try {
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      ED25519 = (await readFile(join(dir, 'k.pub'), 'utf8')).split(' ')[1]!;
      fingerprint = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')])).stdout.split(' ')[1]!;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the base64 blob alone (Lightsail’s form) and the OpenSSH line with its algorithm and a comment', () => {
    expect(knownHostsKey({ algorithm: 'ssh-ed25519', publicKey: ED25519 })).to.equal(`ssh-ed25519 ${ED25519}`);
    expect(knownHostsKey({ algorithm: 'ssh-ed25519', publicKey: `ssh-ed25519 ${ED25519} root@host\n` })).to.equal(`ssh-ed25519 ${ED25519}`);
    expect(knownHostsKey({ algorithm: 'ssh-ed25519', publicKey: ED25519, fingerprintSHA256: fingerprint })).to.equal(`ssh-ed25519 ${ED25519}`);
  });

  it('refused: another algorithm than the blob’s, a prefix that disagrees, a wrong fingerprint, an RDP certificate, no key', () => {
    expect(knownHostsKey({ algorithm: 'ssh-rsa', publicKey: ED25519 })).to.equal(null);
    expect(knownHostsKey({ algorithm: 'ssh-ed25519', publicKey: `ssh-rsa ${ED25519}` })).to.equal(null);
    expect(knownHostsKey({ algorithm: 'ssh-ed25519', publicKey: ED25519, fingerprintSHA256: 'SHA256:KTsMnRBh1IhD17HpdfsbzeGA4jOijm5tyXsMjKVbB8o' })).to.equal(null);
    expect(knownHostsKey({ algorithm: 'x509-cert', publicKey: ED25519 })).to.equal(null);
    expect(knownHostsKey({ algorithm: 'ssh-ed25519', publicKey: 'not base64!' })).to.equal(null);
    expect(knownHostsKey({ algorithm: 'ssh-ed25519' })).to.equal(null);
    expect(knownHostsKey({ publicKey: ED25519 })).to.equal(null);
  });

  it('known_hosts names: the bare address on port 22, [address]:port otherwise; each key once', () => {
    expect(knownHostsName('203.0.113.7', 22)).to.equal('203.0.113.7');
    expect(knownHostsName('127.0.0.1', 2222)).to.equal('[127.0.0.1]:2222');
    const key = { algorithm: 'ssh-ed25519', publicKey: ED25519 };
    expect(knownHostsLines([key, { ...key, publicKey: `ssh-ed25519 ${ED25519}` }], '203.0.113.7', 22, 'i')).to.deep.equal([`203.0.113.7 ssh-ed25519 ${ED25519}`]);
    expect(() => knownHostsLines([], '203.0.113.7', 22, 'i')).to.throw(/no SSH host key for instance i: refusing/);
  });
});
