/**
 * The nginx config each stack's hosts run is the one shipped in their boot script: taken from the
 * stack's rendered user data (offline run of the program), only its host paths, listen port and
 * upstream ports swapped for a temporary prefix and stand-in backends, then run in Debian's nginx.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { renderNginxConfig } from '../../app/nginx/render.ts';
import { freePort, NGINX_BINARY } from '../../app/nginx/run.ts';
import { PER_BOOT_SCRIPT } from '../../infra/boot-scripts.ts';
import { HOST_APPS } from '../../infra/host-layout.ts';
import { HOST_NGINX } from '../../infra/host-nginx.ts';
import { bootScript, stackRun, writtenFile } from './fixture.ts';

type Stack = 'dev' | 'prod' | 'pr-7';

/** The nginx.conf the stack's boot script writes, exactly as shipped. */
async function shippedConfig(stack: Stack): Promise<{ script: string; config: string }> {
  const userData = bootScript(await stackRun(stack));
  const script = stack === 'prod' ? writtenFile(userData, PER_BOOT_SCRIPT) : userData;
  return { script, config: writtenFile(script, HOST_NGINX.config) };
}

/** Replaces `from` (which must occur) with `to`. */
function swap(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the shipped config has no ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

async function startBackend(name: string) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: name }));
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, seen, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Runs a host config in a temporary prefix; fails on `nginx -t` like the boot script does. */
async function runHostConfig(config: string, upstreams: { api: number; web?: number }) {
  const prefix = await mkdtemp(path.join(tmpdir(), 'host-nginx-'));
  await chmod(prefix, 0o755);
  for (const folder of ['tmp', 'cache']) await mkdir(path.join(prefix, folder));
  const port = await freePort();
  let local = swap(config, HOST_NGINX.prefix, prefix);
  local = swap(local, `pid ${HOST_NGINX.pidFile};`, `pid ${prefix}/nginx.pid;`);
  local = swap(local, HOST_NGINX.accessLog, `${prefix}/access.log`);
  local = swap(local, HOST_NGINX.errorLog, `${prefix}/error.log`);
  local = swap(local, `user ${HOST_NGINX.user};`, process.getuid?.() === 0 ? 'user nobody nogroup;' : '');
  local = swap(local, `listen ${HOST_NGINX.port};`, `listen 127.0.0.1:${port};`);
  local = swap(local, `server 127.0.0.1:${HOST_APPS.api.hostPort};`, `server 127.0.0.1:${upstreams.api};`);
  if (upstreams.web !== undefined) local = swap(local, `server 127.0.0.1:${HOST_APPS.web.hostPort};`, `server 127.0.0.1:${upstreams.web};`);
  const file = path.join(prefix, 'nginx.conf');
  await writeFile(file, local);
  const args = ['-p', prefix, '-c', file, '-e', path.join(prefix, 'error.log')];
  const check = spawnSync(NGINX_BINARY, ['-t', '-q', ...args], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t rejected the shipped config:\n${check.stderr}`);
  const child: ChildProcess = spawn(NGINX_BINARY, [...args, '-g', 'daemon off;'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const up = await fetch(`${url}/__probe`).then(() => true, () => false);
    if (up) break;
    if (attempt > 200 || child.exitCode !== null) throw new Error('nginx did not start');
    await delay(25);
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGQUIT');
      await exited;
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

async function statuses(url: string, count: number, init: RequestInit): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++) result.push((await fetch(url, init)).status);
  return result;
}

describe('hosts run the app/nginx template, rendered per stack', function () {
  this.timeout(120_000);

  it('the boot scripts check the shipped config and install no other server', async () => {
    for (const stack of ['dev', 'prod', 'pr-7'] as const) {
      const { script, config } = await shippedConfig(stack);
      expect(config, stack).to.match(/^# Rendered by app\/nginx\/render\.ts/);
      expect(script, stack).to.contain(`nginx -t -q -c ${HOST_NGINX.config}`).and.not.contain('conf.d');
      expect(script, stack).to.contain(`install -d -m 700 -o nginx -g nginx ${HOST_NGINX.prefix}/tmp ${HOST_NGINX.prefix}/cache`);
    }
  });

  it('the shapes: a site needs the storefront upstream, api-only refuses one', () => {
    const base = { prefix: '/tmp/x', listen: 8080, apiUpstream: '127.0.0.1:1' };
    expect(() => renderNginxConfig(base)).to.throw(/webUpstream is required for the site shape/);
    expect(() => renderNginxConfig({ ...base, shape: 'api-only', webUpstream: '127.0.0.1:2' })).to.throw(/refused for api-only/);
    expect(renderNginxConfig({ ...base, shape: 'api-only' })).to.not.contain('upstream web').and.not.contain('_next');
  });

  describe('prod: API only, behind the ALB and CloudFront', () => {
    let api: Awaited<ReturnType<typeof startBackend>>;
    let nginx: Awaited<ReturnType<typeof runHostConfig>>;
    before(async () => {
      api = await startBackend('api');
      nginx = await runHostConfig((await shippedConfig('prod')).config, { api: api.port });
    });
    after(async () => {
      await nginx?.stop();
      await api?.stop();
    });

    it('passes the API through with the security headers, the ALB scheme and the viewer address', async () => {
      const reply = await fetch(`${nginx.url}${HOST_APPS.api.healthPath}`, {
        headers: { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', 'cloudfront-viewer-address': '198.51.100.7:4431' },
      });
      expect(reply.status).to.equal(200);
      expect(await reply.json()).to.deep.equal({ backend: 'api' });
      expect(reply.headers.get('x-frame-options')).to.equal('DENY');
      expect(reply.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(reply.headers.get('cache-control')).to.equal('no-store');
      const seen = api.seen.at(-1)!;
      expect(seen.url).to.equal(HOST_APPS.api.healthPath);
      expect(seen.headers['x-forwarded-proto']).to.equal('https');
      // The peer (loopback, a trusted hop as the ALB's private address is) is believed: the client is 198.51.100.7.
      expect(seen.headers['x-real-ip']).to.equal('198.51.100.7');
      expect(seen.headers['cloudfront-viewer-address']).to.equal('198.51.100.7:4431');
    });

    it("leaves the storefront's server-side calls (one viewer) a ceiling well above a page's worth", async () => {
      const ssr = { headers: { 'cloudfront-viewer-address': '192.0.2.44:5000' } };
      const replies = await Promise.all(Array.from({ length: 120 }, () => fetch(`${nginx.url}/api/sets`, ssr).then((reply) => reply.status)));
      expect(replies.every((status) => status === 200)).to.equal(true);
    });

    it('answers 404 for anything outside /api/, without reaching the API', async () => {
      const before = api.seen.length;
      const reply = await fetch(`${nginx.url}/dashboard`);
      expect(reply.status).to.equal(404);
      expect(reply.headers.get('x-frame-options')).to.equal('DENY');
      expect(api.seen.length).to.equal(before);
    });

    it('limits sign-in per viewer (CloudFront-Viewer-Address), whatever the case or a trailing slash', async () => {
      const viewer = (address: string) => ({ method: 'POST', headers: { 'cloudfront-viewer-address': address, 'content-type': 'application/json' }, body: '{}' });
      // 10r/m with a burst of 5: six pass, then 429.
      expect(await statuses(`${nginx.url}/api/AUTH/signin/`, 8, viewer('203.0.113.5:1234'))).to.deep.equal([200, 200, 200, 200, 200, 200, 429, 429]);
      // Another viewer behind the same edge and load balancer has its own allowance.
      expect(await statuses(`${nginx.url}/api/auth/signin`, 1, viewer('2001:db8::9:5678'))).to.deep.equal([200]);
    });
  });

  for (const stack of ['dev', 'pr-7'] as const) {
    describe(`${stack}: storefront and API on one host`, () => {
      let api: Awaited<ReturnType<typeof startBackend>>;
      let web: Awaited<ReturnType<typeof startBackend>>;
      let nginx: Awaited<ReturnType<typeof runHostConfig>>;
      before(async () => {
        api = await startBackend('api');
        web = await startBackend('web');
        nginx = await runHostConfig((await shippedConfig(stack)).config, { api: api.port, web: web.port });
      });
      after(async () => {
        await nginx?.stop();
        await api?.stop();
        await web?.stop();
      });

      it('routes pages to the storefront with the page CSP, the API to the API', async () => {
        const page = await fetch(`${nginx.url}/icons`);
        expect(await page.json()).to.deep.equal({ backend: 'web' });
        const csp = page.headers.get('content-security-policy') ?? '';
        expect(csp).to.match(/img-src 'self' data: https:\/\/[^ ;]+;/).and.match(/connect-src 'self' https:\/\/[^ ;]+\.s3\.[^ ;]+;/);
        expect(csp).to.contain("frame-ancestors 'none'");
        const health = await fetch(`${nginx.url}${HOST_APPS.api.healthPath}`, { headers: { 'x-forwarded-for': '10.9.9.9' } });
        expect(await health.json()).to.deep.equal({ backend: 'api' });
        // No proxy in front of a dev host: a client's X-Forwarded-For is not believed.
        expect(api.seen.at(-1)!.headers['x-real-ip']).to.equal('127.0.0.1');
      });

      it('limits sign-up per client address, whatever the case or a trailing slash', async () => {
        const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
        expect(await statuses(`${nginx.url}/api/Auth/SignUp/`, 8, init)).to.deep.equal([200, 200, 200, 200, 200, 200, 429, 429]);
      });
    });
  }
});
