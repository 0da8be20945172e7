/**
 * The local front door on one origin, doing for `npm start` what nginx does in the deployed stacks
 * (app/nginx): `/api` → the API, `/assets` → the assets bucket (read-only), `/s3` → the S3 emulator for
 * presigned uploads and downloads only, their signatures and POST policies checked here (s3-gate-server.ts), `/_local/pipeline` → what the pipeline's queues hold, `/_local/outbox` → the mails sent (SES stand-in), and
 * everything else → the Next.js storefront. Plain Node, so `npm start` needs no nginx installed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { svgResponseHeaders } from '../../core/storage/index.ts';
import type { S3Credentials } from './s3-gate.ts';
import { createS3Gate, leavesFolder, refuse } from './s3-gate-server.ts';

export interface FrontDoorOptions {
  host: string;
  port: number;
  api: string;
  web: string;
  s3: string;
  assetsBucket: string;
  /** What the API presigns with: `/s3` passes only requests signed with these (s3-gate.ts). */
  s3Credentials: S3Credentials;
  /** JSON for `/_local/pipeline`. */
  pipelineStatus: () => unknown;
  /** The Stripe stand-in's hosted pages (`/_local/checkout/…`, `/_local/connect/…`), when it runs. */
  stripeStandIn?: string;
  /** The SES stand-in: `/_local/outbox` (and `.json`) lists the mails the marketplace sent. */
  sesStandIn?: string;
}

export interface FrontDoor {
  url: string;
  close(): Promise<void>;
}

export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  // Not `xfwd`: it appends to an X-Forwarded-For the client sent, and the API (trusting loopback) took the
  // client's made-up first entry as its address, so each spoofed header got a fresh rate limit.
  const proxy = httpProxy.createProxyServer({ xfwd: false, proxyTimeout: 120_000 });
  proxy.on('proxyReq', (proxyReq, req) => {
    for (const name of Object.keys(req.headers)) if (name.startsWith('x-forwarded-') || name === 'forwarded') proxyReq.removeHeader(name);
    proxyReq.setHeader('x-forwarded-for', req.socket.remoteAddress ?? '');
    proxyReq.setHeader('x-forwarded-proto', 'http');
    if (req.headers.host) proxyReq.setHeader('x-forwarded-host', req.headers.host);
  });
  proxy.on('error', (error, _req, res) => {
    const response = res as http.ServerResponse;
    if (!response.headersSent && 'writeHead' in response) {
      response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
    }
    response.end(`upstream unavailable: ${error.message}\n`);
  });
  proxy.on('proxyRes', (upstream, req) => {
    if (req.url?.startsWith(`/${options.assetsBucket}/`) && upstream.headers['content-type']?.startsWith('image/svg+xml')) {
      Object.assign(upstream.headers, lowerCaseKeys(svgResponseHeaders));
    }
  });

  const s3Gate = createS3Gate({ s3: options.s3, s3Credentials: options.s3Credentials });

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/_local/pipeline' || url.startsWith('/_local/pipeline?')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(options.pipelineStatus(), null, 2));
      return;
    }
    if (options.stripeStandIn && (url.startsWith('/_local/checkout/') || url.startsWith('/_local/connect/'))) {
      return proxy.web(req, res, { target: options.stripeStandIn });
    }
    if (options.sesStandIn && /^\/_local\/outbox(\.json)?(\?|$)/.test(url)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, `${req.method} is not allowed on the outbox`);
      return proxy.web(req, res, { target: options.sesStandIn });
    }
    if (url.startsWith('/api/') || url === '/api') return proxy.web(req, res, { target: options.api });
    if (url.startsWith('/assets/')) {
      // Public previews: read-only, and only inside the assets bucket.
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, `${req.method} is not allowed on /assets`);
      if (leavesFolder(url)) return refuse(res, 400, 'the path leaves /assets');
      // One object per request: no listing of the bucket (it would name the previews of hidden sets) and no
      // sub-resources or listing parameters.
      if (url.includes('?')) return refuse(res, 400, 'no query string on /assets');
      if (/^\/assets\/(\/|%2f|$)/i.test(url)) return refuse(res, 403, 'the assets bucket is not listed');
      req.url = `/${options.assetsBucket}/${url.slice('/assets/'.length)}`;
      return proxy.web(req, res, { target: options.s3 });
    }
    if (url.startsWith('/s3/') || url === '/s3') return s3Gate.handle(req, res);
    return proxy.web(req, res, { target: options.web });
  });
  // Next.js development tooling and server-sent events use long-lived connections.
  server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head, { target: options.web }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${options.port} is busy; set PORT to another one`) : error),
    );
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host === '0.0.0.0' ? 'localhost' : options.host}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      proxy.close();
      s3Gate.close();
    },
  };
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
