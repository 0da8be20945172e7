/**
 * The API and web images without a Docker engine: a lint guards what only Docker would show, and each
 * image's own RUN, COPY, CMD and HEALTHCHECK run here (see image.ts) against real services.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createDb, migrateToLatest } from '../../core/catalog/index.ts';
import { freePort } from '../../app/nginx/run.ts';
import { startLocalServices, type LocalServices } from '../../scripts/local/services.ts';
import { assembleRuntime, loadImage, removeLayout, REPO_ROOT, runBuildStage, startRuntime } from './image.ts';
import { lintDockerfile } from './lint.ts';

const DOCKERFILES = ['app/api/Dockerfile', 'app/web/Dockerfile'];

describe('Dockerfiles', function () {
  describe('lint', function () {
    for (const file of DOCKERFILES) {
      it(`${file} follows the image rules`, async function () {
        expect(lintDockerfile(await readFile(path.join(REPO_ROOT, file), 'utf8'))).to.deep.equal([]);
      });
    }

    it('flags each broken rule', function () {
      const bad = ['FROM node:latest', 'WORKDIR /app', 'ADD https://example.com/x.tgz .', 'COPY . .', 'RUN npm install', 'ENV API_TOKEN=abc', 'CMD node server.js'].join('\n');
      const rules = lintDockerfile(bad).map((finding) => finding.rule);
      for (const rule of ['multi-stage', 'pinned-base', 'node-lts', 'non-root', 'healthcheck', 'exec-form', 'npm-ci', 'no-add', 'runtime-from-build', 'no-secrets']) {
        expect(rules, rule).to.include(rule);
      }
      expect(lintDockerfile('FROM node:21.7.3-slim AS build\nFROM build\nUSER root\n').map((f) => f.rule)).to.include.members(['node-lts', 'non-root']);
    });

    it('keeps dependencies, builds and local data out of the build context', async function () {
      const ignored = (await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8')).split('\n').map((line) => line.trim());
      expect(ignored).to.include.members(['.git', '**/node_modules', '**/.next', 'dist', '.local']);
    });
  });

  describe('app/api image, run without Docker', function () {
    let services: LocalServices | undefined;
    let dataDir: string;

    before(async function () {
      this.timeout(120_000);
      dataDir = await mkdtemp(path.join(tmpdir(), 'api-image-'));
      services = await startLocalServices({ dataDir });
      const db = createDb(services.databaseUrl);
      await migrateToLatest(db);
      await db.destroy();
    });
    after(async function () {
      this.timeout(30_000);
      await services?.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('builds the bundle, runs it from the image layout alone, healthy and ready', async function () {
      this.timeout(120_000);
      const image = await loadImage('app/api/Dockerfile');
      await runBuildStage('api', image);
      const layout = await assembleRuntime(image);
      const port = await freePort();
      // The layout holds only the bundle and its native module: no repository node_modules to lean on.
      const api = await startRuntime(image, layout, { ...services!.functionEnv, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
      try {
        const ready = await fetch(`http://127.0.0.1:${port}/api/ready`);
        expect(ready.status, api.output()).to.equal(200);
        expect(await ready.json()).to.deep.include({ status: 'ready' });
        // argon2 (the native module beside the bundle) hashes the password at sign-up.
        const signup = await fetch(`http://127.0.0.1:${port}/api/auth/signup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'docker@example.com', password: 'a long enough password', displayName: 'Docker', role: 'buyer' }),
        });
        expect(signup.status, await signup.clone().text()).to.equal(202);
      } finally {
        await api.stop();
        await removeLayout(layout);
      }
    });
  });

  describe('app/web image, run without Docker', function () {
    it('builds the standalone server, runs it from the image layout alone, healthy', async function () {
      this.timeout(600_000);
      const image = await loadImage('app/web/Dockerfile');
      await runBuildStage('web', image);
      const layout = await assembleRuntime(image);
      const port = await freePort();
      const web = await startRuntime(image, layout, { PORT: String(port), HOSTNAME: '127.0.0.1', API_INTERNAL_URL: 'http://127.0.0.1:9' });
      try {
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(await health.json()).to.deep.equal({ status: 'ok' });
        // Static pages and their hashed assets come from the copied .next/static.
        const signin = await (await fetch(`http://127.0.0.1:${port}/signin`)).text();
        const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(signin)?.[1];
        expect(script, 'a script tag in /signin').to.be.a('string');
        const asset = await fetch(`http://127.0.0.1:${port}${script}`);
        expect(asset.status).to.equal(200);
        expect(asset.headers.get('cache-control')).to.include('immutable');
      } finally {
        await web.stop();
        await removeLayout(layout);
      }
    });
  });
});
