import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DockerCommandError } from '../../scripts/deploy/docker.ts';
import { deployImage, rollbackImage, type HostApp } from '../../scripts/deploy/host.ts';
import { readHostImages } from '../../scripts/deploy/state.ts';

const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/marketplace-prod-api';
const STANDIN = resolve('test/deploy/support/docker-standin.mjs');

interface Daemon {
  images: Record<string, string>;
  containers: Record<string, string>;
  unpullable: string[];
}

describe('deploy/docker adapter against a recording docker stand-in', () => {
  let dir: string;
  let originalPath: string | undefined;
  let server: Server;
  let healthy = true;
  let healthUrl: string;
  let app: HostApp;

  const calls = async (): Promise<string[][]> =>
    (await readFile(join(dir, 'calls.jsonl'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[]);
  const daemon = async (): Promise<Daemon> => JSON.parse(await readFile(join(dir, 'daemon.json'), 'utf8')) as Daemon;
  const clearCalls = () => writeFile(join(dir, 'calls.jsonl'), '');
  const health = { attempts: 2, intervalMs: 1, timeoutMs: 2_000 };
  const tagsOnHost = async () => Object.keys((await daemon()).images).map((ref) => ref.slice(REPO.length + 1)).sort();

  before(async () => {
    server = createServer((_, response) => {
      response.statusCode = healthy ? 200 : 503;
      response.end(healthy ? 'ok' : 'starting');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    healthUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  });
  after(() => new Promise<void>((done) => server.close(() => done())));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docker-standin-'));
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'docker'), `#!/bin/sh\nexec "${process.execPath}" -- "${STANDIN}" "$@"\n`);
    await chmod(join(bin, 'docker'), 0o755);
    originalPath = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${originalPath ?? ''}`;
    process.env.DOCKER_STANDIN_DIR = dir;
    healthy = true;
    app = {
      repository: REPO,
      container: 'api',
      runArgs: ['--env-file', '/etc/marketplace/api.env', '-p', '127.0.0.1:3000:3000'],
      stateFile: join(dir, 'state', 'api.json'),
    };
  });
  afterEach(async () => {
    process.env.PATH = originalPath;
    delete process.env.DOCKER_STANDIN_DIR;
    await rm(dir, { recursive: true, force: true });
  });

  it('first deploy: pulls, tags latest, runs the container (no container to remove yet) and records the image', async () => {
    const outcome = await deployImage(app, 'c1', { url: healthUrl, ...health });
    expect(outcome.ok).to.equal(true);
    expect(await calls()).to.deep.equal([
      ['pull', '--quiet', `${REPO}:c1`],
      ['tag', `${REPO}:c1`, `${REPO}:latest`],
      ['rm', '--force', 'api'],
      ['run', '--detach', '--name', 'api', '--restart', 'unless-stopped', '--env-file', '/etc/marketplace/api.env', '-p', '127.0.0.1:3000:3000', `${REPO}:latest`],
    ]);
    expect(await readHostImages(app.stateFile)).to.deep.equal({ images: [{ tag: 'c1', status: 'good' }], running: 'c1' });
    expect((await daemon()).containers).to.have.keys('api');
  });

  it('fourth deploy removes the oldest image from Docker after the new container runs', async () => {
    for (const tag of ['c1', 'c2', 'c3']) await deployImage(app, tag, { url: healthUrl, ...health });
    await clearCalls();
    await deployImage(app, 'c4', { url: healthUrl, ...health });
    const recorded = await calls();
    expect(recorded.at(-1)).to.deep.equal(['image', 'rm', `${REPO}:c1`]);
    expect(recorded.findIndex((argv) => argv[0] === 'run')).to.be.lessThan(recorded.length - 1);
    expect(await tagsOnHost()).to.deep.equal(['c2', 'c3', 'c4', 'latest']);
    const d = await daemon();
    expect(d.containers.api).to.equal(d.images[`${REPO}:c4`]);
  });

  it('failed deploy: health check fails, the adapter rolls back to the last good image by itself', async () => {
    await deployImage(app, 'good', { url: healthUrl, ...health });
    healthy = false;
    await clearCalls();
    const outcome = await deployImage(app, 'broken', { url: healthUrl, ...health });
    expect(outcome.ok).to.equal(false);
    expect(outcome.health).to.include({ ok: false, attempts: 2, last: 'HTTP 503' });
    expect(outcome.steps[1]?.rolledBackTo).to.equal('good');
    expect((await calls()).slice(-3)).to.deep.equal([
      ['tag', `${REPO}:good`, `${REPO}:latest`],
      ['rm', '--force', 'api'],
      ['run', '--detach', '--name', 'api', '--restart', 'unless-stopped', '--env-file', '/etc/marketplace/api.env', '-p', '127.0.0.1:3000:3000', `${REPO}:latest`],
    ]);
    const d = await daemon();
    expect(d.containers.api).to.equal(d.images[`${REPO}:good`]);
    expect(await readHostImages(app.stateFile)).to.deep.equal({
      images: [{ tag: 'good', status: 'good' }, { tag: 'broken', status: 'bad' }],
      running: 'good',
    });
  });

  it('rollback with fewer than two images calls no docker command and says what stays', async () => {
    await deployImage(app, 'only', { url: healthUrl, ...health });
    await clearCalls();
    const result = await rollbackImage(app);
    expect(result.failed).to.equal(true);
    expect(result.message).to.contain('only stays');
    expect(await calls()).to.deep.equal([]);
  });

  it('rollback moves the container back to the previous good image', async () => {
    await deployImage(app, 'v1', { url: healthUrl, ...health });
    await deployImage(app, 'v2', { url: healthUrl, ...health });
    const result = await rollbackImage(app);
    expect(result.message).to.equal('rollback requested from v2; rolled back to v1');
    const d = await daemon();
    expect(d.containers.api).to.equal(d.images[`${REPO}:v1`]);
    expect(d.images[`${REPO}:latest`]).to.equal(d.images[`${REPO}:v1`]);
  });

  it('a failed pull stops before anything is removed and leaves the record as it was', async () => {
    for (const tag of ['c1', 'c2', 'c3']) await deployImage(app, tag, { url: healthUrl, ...health });
    const before = await readHostImages(app.stateFile);
    const d = await daemon();
    d.unpullable.push(`${REPO}:missing`);
    await writeFile(join(dir, 'daemon.json'), JSON.stringify(d));
    await clearCalls();

    const error = await deployImage(app, 'missing', { url: healthUrl, ...health }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DockerCommandError);
    expect((error as DockerCommandError).message).to.contain('manifest unknown');
    expect(await calls()).to.deep.equal([['pull', '--quiet', `${REPO}:missing`]]);
    expect(await readHostImages(app.stateFile)).to.deep.equal(before);
    expect(await tagsOnHost()).to.deep.equal(['c1', 'c2', 'c3', 'latest']);
  });

  it('the CLI wires it together and exits 1 when the new image is unhealthy', async () => {
    healthy = false;
    const cli = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/deploy/index.ts', 'image', '--app', 'api', '--repository', REPO, '--tag', 'abc123',
        '--state-dir', join(dir, 'state'), '--health-url', healthUrl, '--health-attempts', '1'],
      { env: process.env },
    );
    const failure = (await cli.then(() => null, (e: unknown) => e)) as { code: number; stdout: string } | null;
    expect(failure?.code).to.equal(1);
    expect(failure?.stdout).to.contain('api: deployed abc123 as latest (first deploy)');
    expect(failure?.stdout).to.contain('no good image to roll back to');
    expect(failure?.stdout).to.contain('health check failed after 1 attempts (HTTP 503)');
  });
});
