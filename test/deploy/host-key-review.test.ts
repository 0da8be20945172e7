import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWS_CREDENTIALS_FILE } from '../../infra/devhost-env.ts';
import { syncDevHostFiles } from '../../scripts/deploy/host-secrets.ts';
import { startSshd, type Sshd } from './support/sshd.ts';

/**
 * Hostile review 3 (REVIEW3.md, finding 5): on-hosts.sh gives each run a new, empty known_hosts and
 * `StrictHostKeyChecking=accept-new`, so whatever answers SSH on `devHostIp` (a released static IP taken by
 * someone else, a hijacked route) is trusted and handed the host's AWS key, database URL and cursor secret.
 * Here the "host" is a real sshd whose key the deploy has never been told.
 */
describe('deploy: the dev host’s secrets go only to the host the stack knows (hostile review 3)', function () {
  this.timeout(60_000);
  let impostor: Sshd;
  let root: string;

  before(async () => {
    impostor = await startSshd();
    root = await mkdtemp(join(tmpdir(), 'impostor-root-'));
  });
  after(async () => {
    await impostor?.stop();
    await rm(root, { recursive: true, force: true });
  });

  // Not fixed (REVIEW3.md, finding 5: pinning the host key needs a decision on where the key comes from).
  // Un-skip with the fix: it fails today, the impostor receives /root/.aws/credentials.
  it.skip('an unknown host key is refused before any secret is sent', async () => {
    const freshKnownHosts = join(root, 'known_hosts');
    await writeFile(freshKnownHosts, '', { mode: 0o600 });
    const secrets = {
      region: 'us-east-1',
      awsAccessKeyId: 'AKIAEXAMPLEKEY000001',
      awsSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY1',
      apiSettings: {},
      apiDatabaseUrl: 'postgres://api:Db0Password0Secret0Value@db.example.com:5432/marketplace?sslmode=require',
      cursorSecret: 'Cursor0Secret0Value0Of0Fifty0Characters0Long00001',
    };
    const target = { host: '127.0.0.1', port: impostor.port, user: impostor.user, identityFile: impostor.identityFile, knownHostsFile: freshKnownHosts };
    const result = await syncDevHostFiles({ shape: 'dev', apiRepositoryUrl: 'repo', devHostSecrets: secrets }, target, { root, docker: 'true' }).then(
      () => 'written',
      (error: Error) => error.message,
    );
    const leaked = await readFile(join(root, AWS_CREDENTIALS_FILE), 'utf8').catch(() => '');
    expect(leaked, 'the impostor got the AWS key').to.equal('');
    expect(result).to.match(/Host key verification failed/);
  });
});
