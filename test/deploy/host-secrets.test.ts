/**
 * The deploy's SSH write of the dev host's secret files, end to end against a real OpenSSH server
 * on loopback (`support/sshd.ts`), logged in with a generated key, running the script as root
 * through the real `sudo` as on a host. Docker is the one stand-in (no engine here): a script that
 * records its calls, its stdin, and every process's command line at the moment it runs, while the
 * SSH client, sshd's session and the remote shell are all alive.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { containerRunArgs, HOST_APPS, RESTART_POLICY } from '../../infra/host-layout.ts';
import { AWS_CREDENTIALS_FILE, devHostFiles, POSTGRES_ENV_FILE, secretValues, type DevHostSecrets } from '../../infra/devhost-env.ts';
import { HOST_PGBOUNCER, PGBOUNCER_DOCKERFILE, pgbouncerCommand } from '../../infra/pgbouncer.ts';
import { maskCommands, parseDevHostOutputs, sshArgs, syncDevHostFiles, type DevHostOutputs, type SshTarget } from '../../scripts/deploy/host-secrets.ts';
import { LightsailClient } from '@aws-sdk/client-lightsail';
import { pinHostKey } from '../../scripts/deploy/host-key.ts';
import { startLightsailStandIn, witnessed } from '../support/lightsail-standin.ts';
import { startSshd, type Sshd } from './support/sshd.ts';

const REPOSITORY = '123456789012.dkr.ecr.us-east-1.amazonaws.com/svg-marketplace-dev-api';
const API_ENV = HOST_APPS.api.envFile;

function secrets(overrides: Partial<DevHostSecrets> = {}): DevHostSecrets {
  return {
    region: 'us-east-1',
    awsAccessKeyId: 'AKIAEXAMPLEKEY000001',
    awsSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY1',
    apiSettings: { UPLOADS_BUCKET: 'svg-marketplace-dev-uploads', LOG_LEVEL: 'debug' },
    apiDatabaseUrl: 'postgres://api:Db0Password0Secret0Value@db.example.com:5432/marketplace?sslmode=verify-full&sslrootcert=aws-rds',
    cursorSecret: 'Cursor0Secret0Value0Of0Fifty0Characters0Long00001',
    ...overrides,
  };
}
const outputsOf = (s: DevHostSecrets): DevHostOutputs => ({ shape: 'dev', apiRepositoryUrl: REPOSITORY, devHostSecrets: s });

const DOCKER_STANDIN = (state: string) => `#!/bin/bash
# Records its argv, every process's command line now, and what an exec -i gets on stdin.
state=${state}
{ printf '%s\\0' "$@"; printf '\\n'; } >> "$state/calls"
ps -eo args >> "$state/ps"
if [[ "$1 $2" == "container inspect" ]]; then [[ -e "$state/containers/$3" ]]; exit; fi
if [[ "$1 $2" == "image inspect" ]]; then [[ -e "$state/images/\${3//[:\/]/_}" ]]; exit; fi
case "$1" in
  build) cat > "$state/dockerfile"; touch "$state/images/\${4//[:\/]/_}" ;;
  rm) rm -f "$state/containers/$3" ;;
  run) while [[ $# -gt 0 ]]; do [[ "$1" == --name ]] && touch "$state/containers/$2"; shift; done ;;
  exec) [[ "$2" == -i ]] && cat >> "$state/stdin" ;;
esac
exit 0
`;

describe('deploy: the dev host’s secret files, written over a real SSH server', function () {
  this.timeout(60_000);
  let sshd: Sshd;
  let root: string;
  let state: string;
  let docker: string;
  let target: SshTarget;

  const calls = async (): Promise<string[][]> =>
    (await readFile(join(state, 'calls'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\0').slice(0, -1));
  const sync = (s: DevHostSecrets) => syncDevHostFiles(outputsOf(s), target, { root, docker });
  const onHost = (path: string) => join(root, path);

  before(async () => {
    sshd = await startSshd();
    // As on-hosts.sh does first: the host key Lightsail witnessed (a stand-in returning the server's own key).
    const lightsail = await startLightsailStandIn();
    const client = new LightsailClient({ endpoint: lightsail.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSTANDIN000000001', secretAccessKey: 'standin-secret' } });
    lightsail.instances.set('dev-host', { ipAddress: '127.0.0.1', hostKeys: [witnessed(sshd.hostPublicKey, sshd.hostFingerprint)] });
    try {
      await pinHostKey({ instanceName: 'dev-host', host: '127.0.0.1', port: sshd.port, knownHostsFile: sshd.knownHostsFile, client });
    } finally {
      client.destroy();
      await lightsail.close();
    }
  });
  after(async () => {
    await sshd?.stop();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'host-root-'));
    state = join(root, '.docker-standin');
    await mkdir(join(state, 'containers'), { recursive: true });
    await mkdir(join(state, 'images'), { recursive: true });
    docker = join(state, 'docker');
    await writeFile(docker, DOCKER_STANDIN(state), { mode: 0o755 });
    target = { host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile };
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('first run: every file lands with exactly the rendered content, root-owned 0600; no API container to restart yet', async () => {
    const s = secrets();
    const report = await sync(s);
    const files = devHostFiles(s);
    expect(report.written).to.deep.equal(files.map((f) => f.path));
    expect(report.unchanged).to.deep.equal([]);
    for (const file of files) {
      expect(await readFile(onHost(file.path), 'utf8'), file.path).to.equal(file.content);
      const info = await stat(onHost(file.path));
      expect({ mode: (info.mode & 0o777).toString(8), uid: info.uid, gid: info.gid }, file.path).to.deep.equal({ mode: '600', uid: 0, gid: 0 });
      expect((await stat(dirname(onHost(file.path)))).mode & 0o777, `${file.path}'s folder`).to.equal(0o700);
    }
    expect(await readFile(onHost(API_ENV), 'utf8')).to.match(new RegExp(`^CURSOR_SECRET=${s.cursorSecret}$`, 'm'));
    expect(report.notes).to.deep.equal([`no ${HOST_APPS.api.container} container yet: the rotation starts it`]);
    expect(await calls()).to.deep.equal([['container', 'inspect', 'api']]);
  });

  it('a rerun changes nothing: same files (same inodes, same times), nothing restarted, nothing left behind', async () => {
    const s = secrets();
    await sync(s);
    await writeFile(join(state, 'containers', 'api'), '');
    const before = await Promise.all(devHostFiles(s).map((f) => lstat(onHost(f.path))));
    await writeFile(join(state, 'calls'), '');
    const report = await sync(s);
    expect(report.written).to.deep.equal([]);
    expect(report.unchanged).to.deep.equal(devHostFiles(s).map((f) => f.path));
    const after = await Promise.all(devHostFiles(s).map((f) => lstat(onHost(f.path))));
    expect(after.map((i) => [i.ino, i.mtimeMs])).to.deep.equal(before.map((i) => [i.ino, i.mtimeMs]));
    expect(await calls()).to.deep.equal([]);
    for (const folder of new Set(devHostFiles(s).map((f) => dirname(onHost(f.path))))) {
      expect((await readdir(folder)).filter((name) => name.startsWith('.')), folder).to.deep.equal([]);
    }
  });

  it('a rotated key and a new cursor secret: the files are replaced by rename (new inode) and the API is recreated on latest, as the rotation does', async () => {
    await sync(secrets());
    await writeFile(join(state, 'containers', 'api'), '');
    const before = await lstat(onHost(API_ENV));
    const configBefore = await lstat(onHost('/root/.aws/config'));
    await writeFile(join(state, 'calls'), '');
    const rotated = secrets({ awsAccessKeyId: 'AKIAEXAMPLEKEY000002', awsSecretAccessKey: 'Rotated0Secret0Access0Key0Value0000000002', cursorSecret: 'Cursor0Secret0Value0Rotated0000000000000000000002' });
    const report = await sync(rotated);
    expect(report.written).to.deep.equal([AWS_CREDENTIALS_FILE, API_ENV]);
    expect(report.unchanged).to.deep.equal(['/root/.aws/config']);
    expect(await readFile(onHost(API_ENV), 'utf8')).to.equal(devHostFiles(rotated).find((f) => f.path === API_ENV)?.content);
    expect((await lstat(onHost(API_ENV))).ino).to.not.equal(before.ino);
    expect((await lstat(onHost('/root/.aws/config'))).ino).to.equal(configBefore.ino);
    expect(await calls()).to.deep.equal([
      ['container', 'inspect', 'api'],
      ['rm', '--force', 'api'],
      ['run', '--detach', '--name', 'api', '--restart', RESTART_POLICY, ...containerRunArgs('api'), `${REPOSITORY}:latest`],
    ]);
    expect(report.notes).to.deep.equal(['restarted api']);
  });

  it('a file whose mode or owner drifted is written again as root 0600, even with the same content', async () => {
    const s = secrets();
    await sync(s);
    await chmod(onHost(AWS_CREDENTIALS_FILE), 0o644);
    const report = await sync(s);
    expect(report.written).to.deep.equal([AWS_CREDENTIALS_FILE]);
    expect((await stat(onHost(AWS_CREDENTIALS_FILE))).mode & 0o777).to.equal(0o600);
  });

  it('no secret is on any command line (runner or host) nor in what the deploy prints; the workflow masks each', async () => {
    const s = secrets({ hostDatabase: { name: 'marketplace', user: 'marketplace', password: 'Host0Database0Password0Secret1', port: 5432 } });
    const report = await sync(s);
    // The postgres container was started (with --env-file), so the stand-in saw every process of the chain.
    const ps = await readFile(join(state, 'ps'), 'utf8');
    expect(ps).to.contain(`ssh -i ${sshd.identityFile}`).and.contain('sudo bash -s');
    const secretsNow = secretValues(s);
    expect(secretsNow).to.have.length(4);
    for (const value of secretsNow) {
      expect(ps, 'ps').to.not.contain(value);
      expect(sshArgs(target).join(' '), 'ssh argv').to.not.contain(value);
      expect(JSON.stringify(report), 'report').to.not.contain(value);
      expect(JSON.stringify(await calls()), 'docker argv').to.not.contain(value);
    }
    expect(maskCommands(secretsNow)).to.deep.equal(secretsNow.map((value) => `::add-mask::${value}`));
    expect(maskCommands(['line one\nline two'])).to.deep.equal(['::add-mask::line one', '::add-mask::line two']);
  });

  it('host database: started once with its env file; a new password is set on the running server through stdin', async () => {
    const db = { name: 'marketplace', user: 'marketplace', password: 'Host0Database0Password0Secret1', port: 5432 };
    const first = await sync(secrets({ hostDatabase: db }));
    expect(first.written).to.include(POSTGRES_ENV_FILE);
    expect(await readFile(onHost(POSTGRES_ENV_FILE), 'utf8')).to.equal('POSTGRES_DB=marketplace\nPOSTGRES_USER=marketplace\nPOSTGRES_PASSWORD=Host0Database0Password0Secret1\n');
    const started = (await calls()).find((c) => c[0] === 'run' && c.includes('postgres'));
    const at = started?.indexOf('--env-file') ?? -1;
    expect(started?.slice(at, at + 3)).to.deep.equal(['--env-file', onHost(POSTGRES_ENV_FILE), 'postgres:16']);
    // Never published to the internet: the host's loopback (the deploy's migrations) and the Docker network (API, PgBouncer).
    expect(started?.slice(0, started.indexOf('--volume'))).to.deep.equal(['run', '--detach', '--name', 'postgres', '--restart', RESTART_POLICY, '--network', 'marketplace', '--publish', '127.0.0.1:5432:5432']);
    expect(first.notes).to.include('started postgres');

    await writeFile(join(state, 'calls'), '');
    expect((await sync(secrets({ hostDatabase: db }))).written).to.deep.equal([]);
    // A container started before it joined the network is connected to it (an error when it already is, ignored).
    expect(await calls()).to.deep.equal([['container', 'inspect', 'postgres'], ['network', 'connect', 'marketplace', 'postgres']]);

    const rotated = { ...db, password: 'Host0Database0Password0Secret2' };
    const report = await sync(secrets({ hostDatabase: rotated }));
    expect(report.written).to.deep.equal([POSTGRES_ENV_FILE]);
    expect(report.notes).to.include('new password set on postgres');
    expect(await readFile(join(state, 'stdin'), 'utf8')).to.equal(`ALTER ROLE "marketplace" PASSWORD 'Host0Database0Password0Secret2';\n`);
  });

  it('PgBouncer: its image built once from Debian’s package, its container started once on its root-only files, restarted when one changes', async () => {
    const pgbouncer = {
      upstream: { host: 'ls-db.example.com', port: 5432, database: 'marketplace' },
      ca: '-----BEGIN CERTIFICATE-----\nCA0\n-----END CERTIFICATE-----\n',
      cert: '-----BEGIN CERTIFICATE-----\nSERVER0\n-----END CERTIFICATE-----\n',
      key: '-----BEGIN EC PRIVATE KEY-----\nServer0Key0Secret0Value0\n-----END EC PRIVATE KEY-----\n',
      logins: [{ user: 'pipeline_login', password: 'Pipeline0Login0Password0Secret1' }],
    };
    const s = secrets({ pgbouncer });
    const first = await sync(s);
    const files = devHostFiles(s).filter((f) => f.path.startsWith(`${HOST_PGBOUNCER.configDir}/`));
    expect(files).to.have.length(5);
    expect(first.written).to.include.members(files.map((f) => f.path));
    for (const file of files) {
      expect(await readFile(onHost(file.path), 'utf8'), file.path).to.equal(file.content);
      expect((await stat(onHost(file.path))).mode & 0o777, file.path).to.equal(0o600);
    }
    expect(await readFile(join(state, 'dockerfile'), 'utf8')).to.equal(PGBOUNCER_DOCKERFILE);
    expect((await calls()).slice(1)).to.deep.equal([
      ['image', 'inspect', HOST_PGBOUNCER.image],
      ['build', '--quiet', '--tag', HOST_PGBOUNCER.image, '-'],
      ['container', 'inspect', 'pgbouncer'],
      ['run', '--detach', '--name', 'pgbouncer', '--restart', RESTART_POLICY, '--network', 'marketplace', '--publish', '6432:6432', '--volume', `${onHost(HOST_PGBOUNCER.configDir)}:/config:ro`, HOST_PGBOUNCER.image, ...pgbouncerCommand()],
    ]);
    expect(first.notes).to.include.members([`built ${HOST_PGBOUNCER.image}`, 'started pgbouncer']);

    await writeFile(join(state, 'calls'), '');
    expect((await sync(s)).written).to.deep.equal([]);
    expect(await calls()).to.deep.equal([['image', 'inspect', HOST_PGBOUNCER.image], ['container', 'inspect', 'pgbouncer']]);

    // A renewed server certificate (or a rotated login password): the container copies its files again at start.
    await writeFile(join(state, 'calls'), '');
    const renewed = secrets({ pgbouncer: { ...pgbouncer, cert: '-----BEGIN CERTIFICATE-----\nSERVER1\n-----END CERTIFICATE-----\n' } });
    const report = await sync(renewed);
    expect(report.written).to.deep.equal([`${HOST_PGBOUNCER.configDir}/server.crt`]);
    expect(report.notes).to.include('restarted pgbouncer');
    expect((await calls()).slice(-1)).to.deep.equal([['restart', 'pgbouncer']]);
    // Its key and the logins' passwords are secrets the workflow masks.
    expect(secretValues(s)).to.include.members([pgbouncer.key, 'Pipeline0Login0Password0Secret1']);
  });

  it('a refused login fails the deploy with SSH’s reason, and writes nothing', async () => {
    const wrongKey = join(root, 'other_key');
    await writeFile(wrongKey, await readFile(join(sshd.dir, 'host_key')), { mode: 0o600 });
    let failure: Error | undefined;
    await sync(secrets()).catch((error: Error) => (failure = error));
    expect(failure).to.equal(undefined);
    target = { ...target, identityFile: wrongKey };
    await rm(onHost(API_ENV));
    await sync(secrets()).catch((error: Error) => (failure = error));
    expect(failure?.message).to.match(/writing the host's files over SSH failed \(exit 255\): .*Permission denied/);
    await readFile(onHost(API_ENV)).then(
      () => expect.fail('the env file was written'),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal('ENOENT'),
    );
  });

  it('the command on-hosts.sh runs: outputs on stdin, each secret masked before any other line, then what it wrote', async () => {
    const s = secrets();
    const stdin = JSON.stringify({ ...outputsOf(s), devHostSshKey: 'not read', imageTag: 'abc' });
    const flags = ['--host', '127.0.0.1', '--port', String(sshd.port), '--user', sshd.user, '--identity', sshd.identityFile, '--known-hosts', sshd.knownHostsFile, '--root', root, '--docker', docker];
    const cli = (input: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/deploy/host-secrets.ts', ...flags], { env: { ...process.env, GITHUB_ACTIONS: 'true' } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input);
      });
    const first = await cli(stdin);
    expect(first.code, first.stderr).to.equal(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines).to.deep.equal([
      ...maskCommands(secretValues(s)),
      ...devHostFiles(s).map((f) => `host files: wrote ${f.path}`),
      'host files: no api container yet: the rotation starts it',
    ]);
    const again = await cli(stdin);
    expect(again.stdout.trim().split('\n').filter((l) => !l.startsWith('::add-mask::'))).to.deep.equal(devHostFiles(s).map((f) => `host files: ${f.path} unchanged`));
    const { devHostSecrets: _, ...older } = JSON.parse(stdin) as Record<string, unknown>;
    const skipped = await cli(JSON.stringify(older));
    expect(skipped.code).to.equal(0);
    expect(skipped.stdout).to.match(/no devHostSecrets output yet/);
  });

  it('stack outputs: refused with the path at fault and never the value', () => {
    const good = outputsOf(secrets());
    expect(parseDevHostOutputs(JSON.stringify({ ...good, extra: 1 }))).to.deep.equal(good);
    const bad = { ...good, devHostSecrets: { ...good.devHostSecrets, cursorSecret: "it's secret but far too short" } };
    expect(() => parseDevHostOutputs(JSON.stringify(bad))).to.throw(/devHostSecrets\.cursorSecret/).with.property('message').that.does.not.contain("it's secret");
    expect(() => parseDevHostOutputs('{"devHostSecrets": "Secret0Value')).to.throw(/not JSON/).with.property('message').that.does.not.contain('Secret0Value');
    // A stack last updated before the output existed: its host keeps what its boot wrote, until the `pulumi up` that adds it.
    const { devHostSecrets: _, ...older } = good;
    expect(parseDevHostOutputs(JSON.stringify(older))).to.equal(null);
    expect(() => parseDevHostOutputs(JSON.stringify({ ...older, devHostSecrets: null }))).to.throw(/devHostSecrets/);
  });
});
