/**
 * The reverse proxy, for real: Debian's nginx with the rendered config in front of stand-in API and web
 * backends (they report what reached them) and the S3 emulator for /assets/. Run as root (workers drop
 * to `nobody`) and as an unprivileged user (no `user` directive), since both happen in production.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { startNginx, type RunningNginx, type StartNginxOptions } from '../../app/nginx/run.ts';
import { svgResponseHeaders } from '../../core/storage/headers.ts';

const ASSETS_BUCKET = 'marketplace-assets';
const UPLOADS_BUCKET = 'marketplace-uploads';
const NOBODY = { uid: 65534, gid: 65534 };
const isRoot = process.getuid?.() === 0;

interface Seen {
  backend: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** An HTTP server that records every request and answers with who it is. */
async function startBackend(name: string) {
  const seen: Seen[] = [];
  /** Requests to /stream are held open until the test releases them. */
  const held: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    seen.push({ backend: name, method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.url?.endsWith('/events')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: draft\ndata: {"state":"processing"}\n\n');
      held.push(() => res.end('event: draft\ndata: {"state":"ready"}\n\n'));
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: name, url: req.url }));
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    releaseHeld: () => held.splice(0).forEach((release) => release()),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; localAddress?: string; body?: Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, localAddress: options.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (reply: Reply) => JSON.parse(reply.body.toString('utf8')) as { backend: string; url: string };

/** uid of a process, from /proc. */
async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the parenthesised command name.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}

describe('app/nginx reverse proxy (real nginx)', function () {
  let api: Awaited<ReturnType<typeof startBackend>>;
  let web: Awaited<ReturnType<typeof startBackend>>;
  let s3: S3rver;
  let s3Dir: string;
  let s3Address: string;
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>';

  before(async function () {
    api = await startBackend('api');
    web = await startBackend('web');
    s3Dir = await mkdtemp(path.join(tmpdir(), 'nginx-s3-'));
    s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory: s3Dir,
      silent: true,
      configureBuckets: [{ name: ASSETS_BUCKET, configs: [] }, { name: UPLOADS_BUCKET, configs: [] }],
    });
    const { port } = (await s3.run()) as { port: number };
    s3Address = `127.0.0.1:${port}`;
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: `http://${s3Address}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(new PutObjectCommand({ Bucket: ASSETS_BUCKET, Key: 'v1/icons/circle.svg', Body: svg, ContentType: 'image/svg+xml' }));
    client.destroy();
  });

  after(async function () {
    await api?.stop();
    await web?.stop();
    await s3?.close();
    if (s3Dir) await rm(s3Dir, { recursive: true, force: true });
  });

  const baseOptions = (): StartNginxOptions => ({
    apiUpstream: api.address,
    webUpstream: web.address,
    storage: { upstream: s3Address, assetsBucket: ASSETS_BUCKET, uploadsBucket: UPLOADS_BUCKET },
    workerProcesses: 1,
    blockedAddresses: ['127.0.0.2', '10.0.0.0/8'],
    blockedUserAgents: ['sqlmap', 'nikto'],
    trustedProxies: ['127.0.0.1'],
  });

  for (const mode of ['as root, workers as nobody', 'as an unprivileged user'] as const) {
    describe(mode, function () {
      let nginx: RunningNginx;

      before(async function () {
        if (mode === 'as root, workers as nobody' && !isRoot) this.skip();
        nginx = await startNginx({ ...baseOptions(), ...(mode === 'as an unprivileged user' && isRoot ? { runAs: NOBODY } : {}) });
      });
      after(async function () {
        await nginx?.stop();
      });

      it('runs the master and workers as the expected users', async function () {
        const master = Number((await readFile(path.join(nginx.prefix, 'nginx.pid'), 'utf8')).trim());
        const workers = await childrenOf(master);
        expect(workers).to.not.be.empty;
        if (mode === 'as root, workers as nobody') {
          expect(nginx.config).to.match(/^user nobody nogroup;$/m);
          expect(await uidOf(master)).to.equal(0);
          for (const worker of workers) expect(await uidOf(worker)).to.equal(NOBODY.uid);
        } else {
          expect(nginx.config).to.not.match(/^user /m);
          const expected = isRoot ? NOBODY.uid : process.getuid!();
          expect(await uidOf(master)).to.equal(expected);
          for (const worker of workers) expect(await uidOf(worker)).to.equal(expected);
        }
      });

      it('routes /api to the API and everything else to the web app, forwarding the client', async function () {
        const apiReply = await request(`${nginx.url}/api/health?x=1`);
        expect(apiReply.status).to.equal(200);
        expect(json(apiReply)).to.deep.equal({ backend: 'api', url: '/api/health?x=1' });
        const seenByApi = api.seen.at(-1)!;
        expect(seenByApi.headers['x-forwarded-for']).to.equal('127.0.0.1');
        expect(seenByApi.headers['x-request-id']).to.match(/^[0-9a-f]{32}$/);
        expect(seenByApi.headers.host).to.equal(`127.0.0.1:${nginx.port}`);

        for (const page of ['/', '/search?q=sun', '/sets/abc', '/apiary']) {
          const reply = await request(`${nginx.url}${page}`);
          expect(json(reply), page).to.deep.equal({ backend: 'web', url: page });
        }
        expect(apiReply.headers['cache-control']).to.equal('no-store');
      });

      it('serves /assets/ from the assets bucket with SVG-safe headers, revalidated (previews can be withdrawn)', async function () {
        const first = await request(`${nginx.url}/assets/v1/icons/circle.svg`);
        expect(first.status).to.equal(200);
        expect(first.body.toString()).to.equal(svg);
        expect(first.headers['content-type']).to.equal('image/svg+xml');
        for (const [name, value] of Object.entries(svgResponseHeaders)) expect(first.headers[name.toLowerCase()]).to.equal(value);
        expect(first.headers['cache-control']).to.equal('no-cache');
        expect(first.headers['x-cache-status']).to.equal(undefined);

        expect((await request(`${nginx.url}/assets/v1/icons/missing.svg`)).status).to.equal(404);
        // Only reads: the public path must not become a way to write to the bucket.
        expect((await request(`${nginx.url}/assets/v1/icons/circle.svg`, { method: 'PUT', body: Buffer.from('x') })).status).to.equal(403);
        expect((await request(`${nginx.url}/s3/${UPLOADS_BUCKET}`)).status).to.equal(403);
      });

      it('blocks listed address ranges, by socket address and by trusted X-Forwarded-For', async function () {
        expect((await request(`${nginx.url}/`, { localAddress: '127.0.0.2' })).status).to.equal(403);
        expect((await request(`${nginx.url}/api/health`, { localAddress: '127.0.0.2' })).status).to.equal(403);
        expect((await request(`${nginx.url}/`, { localAddress: '127.0.0.3' })).status).to.equal(200);
        expect((await request(`${nginx.url}/`, { headers: { 'x-forwarded-for': '10.20.30.40' } })).status).to.equal(403);
        expect((await request(`${nginx.url}/`, { headers: { 'x-forwarded-for': '192.0.2.7' } })).status).to.equal(200);
        // 127.0.0.3 is not a trusted proxy: its X-Forwarded-For is ignored, so it cannot dodge or frame others.
        expect((await request(`${nginx.url}/`, { localAddress: '127.0.0.3', headers: { 'x-forwarded-for': '10.1.1.1' } })).status).to.equal(200);
        expect((await request(`${nginx.url}/`, { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '192.0.2.7' } })).status).to.equal(403);
      });

      it('blocks listed user agents, case-insensitively', async function () {
        expect((await request(`${nginx.url}/`, { headers: { 'user-agent': 'sqlmap/1.7.2#stable' } })).status).to.equal(403);
        expect((await request(`${nginx.url}/api/health`, { headers: { 'user-agent': 'Mozilla/5.0 (Nikto/2.5.0)' } })).status).to.equal(403);
        expect((await request(`${nginx.url}/`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/150' } })).status).to.equal(200);
      });

      it('sets security headers on pages, including a CSP that forbids framing and plugins', async function () {
        const reply = await request(`${nginx.url}/sets/abc`);
        expect(reply.headers['x-content-type-options']).to.equal('nosniff');
        expect(reply.headers['x-frame-options']).to.equal('DENY');
        expect(reply.headers['referrer-policy']).to.equal('strict-origin-when-cross-origin');
        expect(reply.headers['content-security-policy']).to.include("frame-ancestors 'none'").and.include("object-src 'none'");
        expect(reply.headers.server).to.equal('nginx'); // server_tokens off: no version
      });

      it('refuses JSON bodies over the limit before they reach the API', async function () {
        const before = api.seen.length;
        const reply = await request(`${nginx.url}/api/drafts`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: Buffer.alloc(2 * 1024 * 1024, 0x20),
        });
        expect(reply.status).to.equal(413);
        expect(api.seen.length).to.equal(before);
      });

      it('passes server-sent events on while the stream is still open', async function () {
        const received = await new Promise<string>((resolve, reject) => {
          const req = http.get(`${nginx.url}/api/drafts/d1/events`, { agent: false, headers: { 'accept-encoding': 'gzip' } }, (res) => {
            res.setEncoding('utf8');
            // The backend holds the response open after its first event: seeing it here proves nginx passed it on.
            res.once('data', (chunk: string) => {
              resolve(chunk);
              api.releaseHeld();
              res.resume();
            });
          });
          req.on('error', reject);
        });
        expect(received).to.include('"state":"processing"');
      });
    });
  }

  describe('rate limits', function () {
    let nginx: RunningNginx;
    before(async function () {
      nginx = await startNginx({
        ...baseOptions(),
        // One request a minute refills the bucket: within this test only the burst is available.
        rates: { api: '1r/m', apiBurst: 2, auth: '1r/m', authBurst: 1, site: '1r/m', siteBurst: 3 },
      });
    });
    after(async function () {
      await nginx?.stop();
    });

    it('answers 429 past the burst, per zone', async function () {
      const api = [];
      for (let i = 0; i < 4; i++) api.push((await request(`${nginx.url}/api/products`)).status);
      expect(api).to.deep.equal([200, 200, 200, 429]);

      const auth = [];
      for (let i = 0; i < 3; i++) auth.push((await request(`${nginx.url}/api/auth/signin`, { method: 'POST' })).status);
      expect(auth).to.deep.equal([200, 200, 429]);
      // Other spellings of the same route share the auth zone's bucket: no way around the limit.
      for (const path of ['/api/AUTH/signin', '/api/auth/SignIn', '/api/auth/signin/', '/api/Auth/Signup/']) {
        expect((await request(`${nginx.url}${path}`, { method: 'POST' })).status, path).to.equal(429);
      }

      // Pages have their own budget, untouched by the API calls above.
      const pages = [];
      for (let i = 0; i < 5; i++) pages.push((await request(`${nginx.url}/`)).status);
      expect(pages).to.deep.equal([200, 200, 200, 200, 429]);

      // Another client address has its own bucket.
      expect((await request(`${nginx.url}/api/products`, { localAddress: '127.0.0.3' })).status).to.equal(200);
    });
  });
});
