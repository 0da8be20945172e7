/**
 * The checks of s3-gate.ts as an HTTP handler in front of the S3 emulator: mounted on `/s3` by the local
 * front door (front-door.ts), and run on its own (startS3Gate) behind nginx's `/s3/<uploads bucket>` when
 * nginx fronts the emulator (app/nginx, the "local and dev" storage option).
 *
 * A presigned POST that passes is not forwarded as received: the emulator gets a form re-encoded from the
 * values that were checked (names lower-cased, the file last, `x-ignore-*` dropped), so no difference
 * between this parser and the emulator's can make it store something else than what was checked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import httpProxy from 'http-proxy';
import { MAX_ARCHIVE_BYTES } from '../../core/limits.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './aws-resources.ts';
import { presignedPostProblem, signedReadProblem, type FormPart, type S3Credentials } from './s3-gate.ts';

export interface S3GateOptions {
  /** The S3 emulator, e.g. http://127.0.0.1:4569. */
  s3: string;
  /** What the API presigns with: only requests signed with these pass. */
  s3Credentials: S3Credentials;
}

/** Handles a request whose URL starts with `/s3` (the prefix is removed before the emulator sees it). */
export type S3GateHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export function createS3Gate(options: S3GateOptions): { handle: S3GateHandler; close(): void } {
  const proxy = httpProxy.createProxyServer({ xfwd: false, proxyTimeout: 120_000 });
  proxy.on('error', (error, _req, res) => {
    const response = res as http.ServerResponse;
    if (!response.headersSent && 'writeHead' in response) response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`upstream unavailable: ${error.message}\n`);
  });

  /** Only presigned downloads and presigned POST uploads reach the emulator (s3-gate.ts says why not). */
  async function passSigned(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url!;
    const path = url.slice('/s3'.length);
    // The emulator checks signatures against its own host name: it gets the request on its own name.
    const forward = (to: string, buffer?: Readable) => {
      req.url = to;
      proxy.web(req, res, { target: options.s3, changeOrigin: true, ...(buffer ? { buffer } : {}) });
    };
    if (req.method === 'GET' || req.method === 'HEAD') {
      const problem = leavesFolder(url) ? 'the path is not canonical' : signedReadProblem({ method: req.method, url, headers: req.headers }, options.s3Credentials);
      if (problem) return refuse(res, 403, `not a validly signed read: ${problem}`);
      return forward(path);
    }
    // No query string: `POST /<bucket>?delete` is another S3 operation than an upload.
    const bucket = /^\/([a-z0-9.-]{3,63})\/?$/.exec(path)?.[1];
    const type = req.headers['content-type'] ?? '';
    if (req.method !== 'POST' || !bucket || !type.startsWith('multipart/form-data')) {
      return refuse(res, 403, 'only presigned downloads (GET) and presigned POST uploads pass /s3');
    }
    const body = await readBody(req, MAX_ARCHIVE_BYTES + 1024 * 1024);
    if (!body) return refuse(res, 413, 'the upload is larger than any policy allows');
    const form = await new Response(body, { headers: { 'content-type': type } }).formData();
    const parts: FormPart[] = [...form].map(([name, value]) => (typeof value === 'string' ? { name, value } : { name, file: value }));
    const problem = presignedPostProblem({ bucket, parts }, options.s3Credentials);
    if (problem) return refuse(res, 403, `the upload breaks its presigned policy: ${problem}`);

    const checked = new FormData();
    for (const [name, value] of form) {
      if (typeof value !== 'string') checked.append('file', value, 'upload');
      else if (!name.toLowerCase().startsWith('x-ignore-')) checked.append(name.toLowerCase(), value);
    }
    const encoded = new Response(checked);
    const reencoded = Buffer.from(await encoded.arrayBuffer());
    delete req.headers['transfer-encoding'];
    req.headers['content-type'] = encoded.headers.get('content-type')!;
    req.headers['content-length'] = String(reencoded.length);
    forward(`/${bucket}`, Readable.from([reencoded]));
  }

  return {
    handle: (req, res) => void passSigned(req, res).catch((error: Error) => refuse(res, 400, error.message)),
    close: () => proxy.close(),
  };
}

export interface RunningS3Gate {
  /** `127.0.0.1:<port>`, as an nginx upstream names it. */
  address: string;
  url: string;
  close(): Promise<void>;
}

/** The gate as a server of its own on loopback: nginx passes `/s3/<uploads bucket>` to it. */
export async function startS3Gate(options: S3GateOptions & { port?: number }): Promise<RunningS3Gate> {
  const gate = createS3Gate(options);
  const server = http.createServer((req, res) => {
    if (req.url === '/s3' || req.url?.startsWith('/s3/')) return gate.handle(req, res);
    refuse(res, 404, 'the S3 gate serves /s3 only');
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      gate.close();
    },
  };
}

export function refuse(res: http.ServerResponse, status: number, message: string): void {
  if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${message}\n`);
}

/** `..` or `\\` segments (encoded or not) that an emulator could resolve outside the prefix. */
export function leavesFolder(url: string): boolean {
  let path = url.split('?')[0]!;
  try {
    path = decodeURIComponent(path);
  } catch {
    return true;
  }
  return path.includes('\\') || path.split('/').some((segment) => segment === '..' || segment === '.');
}

/** The whole body, or undefined past `limit` bytes (the rest is not read). */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** `tsx scripts/local/s3-gate-server.ts http://127.0.0.1:4569 4570`: the gate for nginx's storage option (app/nginx/local.example.json). */
async function main(argv: string[]): Promise<void> {
  const [s3, port] = argv;
  if (!s3 || !/^https?:\/\//.test(s3) || !port || !/^\d{1,5}$/.test(port)) {
    console.error('usage: tsx scripts/local/s3-gate-server.ts <s3 endpoint URL> <port>');
    process.exit(2);
  }
  const gate = await startS3Gate({ s3, port: Number(port), s3Credentials: { ...LOCAL_CREDENTIALS, region: LOCAL_REGION } });
  console.log(`S3 gate on ${gate.url}/s3 → ${s3}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main(process.argv.slice(2));
