/**
 * Renders nginx.conf.template for one environment (ports, upstreams, block lists, rate limits).
 *
 *   tsx app/nginx/render.ts <options.json> [--out <file>]
 *
 * Options are validated here, so a typo in a block list or a rate fails before nginx ever reads it;
 * `nginx -t` then checks the rendered file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MAX_ARCHIVE_BYTES } from '../../core/limits.ts';
import { IMMUTABLE_CACHE_CONTROL, svgResponseHeaders } from '../../core/storage/headers.ts';

const TEMPLATE_PATH = fileURLToPath(new URL('./nginx.conf.template', import.meta.url));

/** `host:port` or `unix:/path`. */
const upstream = z.string().regex(/^(unix:\/\S+|[A-Za-z0-9.-]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5})$/, 'expected host:port or unix:/path');

/** An address or CIDR range, as `geo` and `set_real_ip_from` take them. */
const addressRange = z.string().refine((value) => {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}, 'expected an IPv4/IPv6 address or CIDR range');

/** nginx rates: `10r/s` or `30r/m`. */
const rate = z.string().regex(/^[1-9]\d*r\/[sm]$/, 'expected e.g. 10r/s or 30r/m');

/** Regexes go inside a double-quoted nginx string: no quotes, braces-free, no newlines. */
const agentPattern = z
  .string()
  .min(1)
  .regex(/^[^"\\\n;{}]+$/, 'no quotes, backslashes, semicolons, braces or newlines')
  .refine((pattern) => {
    try {
      new RegExp(pattern, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');

const origin = z.url().refine((value) => new URL(value).origin === value.replace(/\/$/, ''), 'expected an origin like https://cdn.example.com');

export const nginxOptionsSchema = z
  .object({
    /** Folder for the pid file, temp files, cache and (by default) logs; must exist. */
    prefix: z.string().startsWith('/'),
    /** `port`, `addr:port` or `unix:` path. */
    listen: z.union([z.number().int().min(1).max(65535), z.string().regex(/^(\S+:)?\d{1,5}$|^unix:\/\S+$/)]),
    /**
     * `site`: the storefront and the API on one origin (local, dev hosts). `api-only`: the API alone
     * (prod's API hosts behind the load balancer, which routes only `/api/*` to them); other paths get 404.
     */
    shape: z.enum(['site', 'api-only']).default('site'),
    apiUpstream: upstream,
    /** The storefront; required for the `site` shape, refused for `api-only`. */
    webUpstream: upstream.optional(),
    /** Default `<prefix>/nginx.pid`; a host's systemd unit expects its own (`/run/nginx.pid`). */
    pidFile: z.string().startsWith('/').optional(),
    /**
     * A header that names the viewer (`address:port`, as CloudFront-Viewer-Address), set by the edge in front:
     * the rate limits and the block list key on it when present, as the API does (CLIENT_ADDRESS_HEADER).
     * Only for hosts no one reaches except through that edge.
     */
    clientAddressHeader: z.string().regex(/^[A-Za-z0-9-]+$/).optional(),
    /**
     * X-Forwarded-Proto sent upstream: `scheme` (this server's own), or `from-proxy` behind a load balancer that
     * ends TLS and sets the header itself (the ALB replaces any a client sent).
     */
    forwardedProto: z.enum(['scheme', 'from-proxy']).default('scheme'),
    /**
     * Local and dev only: S3 (s3rver) behind the same origin — `/assets/` serves single objects of the public
     * assets bucket, and `/s3/<uploads bucket>` takes the browser's presigned POST through `uploadGate`
     * (scripts/local/s3-gate-server.ts: the emulator checks no POST policy, the gate does); without a gate,
     * uploads are refused. In prod a CDN and S3 do this.
     */
    storage: z
      .object({
        upstream,
        assetsBucket: z.string().regex(/^[a-z0-9.-]{3,63}$/),
        uploadsBucket: z.string().regex(/^[a-z0-9.-]{3,63}$/),
        uploadGate: upstream.optional(),
      })
      .strict()
      .optional(),
    /** Only when the master runs as root: workers drop to this user (and group). */
    user: z.string().regex(/^[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?$/).optional(),
    workerProcesses: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
    blockedAddresses: z.array(addressRange).default([]),
    blockedUserAgents: z.array(agentPattern).default([]),
    /** Proxies whose X-Forwarded-For is believed (load balancer, CloudFront ranges). Empty: use the socket address. */
    trustedProxies: z.array(addressRange).default([]),
    rates: z
      .object({
        site: rate.default('20r/s'),
        siteBurst: z.number().int().min(0).default(40),
        api: rate.default('20r/s'),
        apiBurst: z.number().int().min(0).default(40),
        auth: rate.default('10r/m'),
        authBurst: z.number().int().min(0).default(5),
      })
      .strict()
      .prefault({}),
    /** Origins pages may load images from (the CDN of the assets bucket), besides their own. */
    imageOrigins: z.array(origin).default([]),
    /** Origins pages may send requests to (the uploads bucket for presigned POSTs), besides their own. */
    connectOrigins: z.array(origin).default([]),
    assetCacheMaxSize: z.string().regex(/^\d+[kmg]$/).default('1g'),
    accessLog: z.string().optional(),
    errorLog: z.string().optional(),
  })
  .strict()
  .refine((options) => (options.shape === 'site') === (options.webUpstream !== undefined), {
    message: 'webUpstream is required for the site shape and refused for api-only',
    path: ['webUpstream'],
  });

export type NginxOptions = z.input<typeof nginxOptionsSchema>;

const indent = (lines: string[], depth: number) => lines.map((line) => `${' '.repeat(depth)}${line}`).join('\n');

/** nginx double-quoted string contents. */
function quoted(value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`cannot put ${JSON.stringify(value)} in an nginx string`);
  return `"${value}"`;
}

function securityHeaders(depth: number): string {
  return indent(
    [
      'add_header X-Content-Type-Options "nosniff" always;',
      'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
      'add_header X-Frame-Options "DENY" always;',
      'add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;',
    ],
    depth,
  );
}

/**
 * Next's RSC payload arrives in inline scripts, hence 'unsafe-inline' for script-src; nothing else is loosened.
 * The one page policy: Nginx sends it on hosts, CloudFront's response headers policy in prod.
 */
export function pageCsp(options: { imageOrigins: string[]; connectOrigins: string[] }): string {
  const self = "'self'";
  return [
    `default-src ${self}`,
    `script-src ${self} 'unsafe-inline'`,
    `style-src ${self} 'unsafe-inline'`,
    ['img-src', self, 'data:', ...options.imageOrigins].join(' '),
    ['connect-src', self, ...options.connectOrigins].join(' '),
    "object-src 'none'",
    `base-uri ${self}`,
    `form-action ${self}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

function storageLocations(storage: NonNullable<z.infer<typeof nginxOptionsSchema>['storage']>): string {
  const svgHeaders = Object.entries(svgResponseHeaders).map(([name, value]) => `add_header ${name} ${quoted(value)} always;`);
  const uploads = storage.uploadGate
    ? [
        '# The browser POSTs the upload ZIP here with its presigned policy. The emulator checks no policy: the gate',
        '# checks it (signature, key, type, size, one reading of the form) and re-encodes what it passes.',
        `location = /s3/${storage.uploadsBucket} {`,
        '    limit_except POST { deny all; }',
        `    client_max_body_size ${MAX_ARCHIVE_BYTES + 1024 * 1024};`,
        '    proxy_request_buffering off;',
        '    limit_req zone=api burst=10 nodelay;',
        '    proxy_pass http://upload_gate;',
        '}',
      ]
    : [
        '# No gate to check presigned POST policies, which the emulator ignores: no uploads through here.',
        `location = /s3/${storage.uploadsBucket} {`,
        '    default_type text/plain;',
        '    return 403 "uploads need the S3 gate (storage.uploadGate)\\n";',
        '}',
      ];
  return indent(
    [
      '# One object per request: the bucket listing (empty key) would name the previews of hidden sets, and a',
      '# query string asks the emulator for listings and sub-resources.',
      'location = /assets/ {',
      '    return 403;',
      '}',
      '# Not cached here, and revalidated by browsers (no-cache): a withdrawn preview must stop being served at once.',
      '# Served with the SVG headers: an object is never trusted to be inert.',
      'location /assets/ {',
      '    limit_except GET { deny all; }',
      '    if ($request_uri ~ "\\?") {',
      '        return 400;',
      '    }',
      `    proxy_pass http://storage/${storage.assetsBucket}/;`,
      '    proxy_ignore_headers Set-Cookie;',
      '    proxy_hide_header Cache-Control;',
      '    proxy_hide_header x-amz-request-id;',
      '    proxy_hide_header x-amz-id-2;',
      '    add_header Cache-Control "no-cache" always;',
      ...svgHeaders.map((line) => `    ${line}`),
      '    add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
      '}',
      '',
      ...uploads,
    ],
    8,
  );
}

/** Location lines indented for the server block; `{{securityHeaders}}` brings its own indentation. */
const serverLevel = (lines: string[]) => indent(lines, 8).replace(/^ +\{\{securityHeaders\}\}$/gm, '{{securityHeaders}}');

function siteLocations(): string {
  return serverLevel([
    "# Next's build assets carry a content hash in their names.",
    'location /_next/static/ {',
    '{{securityHeaders}}',
    '    add_header Cache-Control "{{immutableCacheControl}}" always;',
    '    proxy_hide_header Cache-Control;',
    '    proxy_pass http://web;',
    '}',
    '',
    'location / {',
    '    limit_req zone=site burst={{siteBurst}} nodelay;',
    '{{securityHeaders}}',
    '    add_header Content-Security-Policy "{{pageCsp}}" always;',
    '    proxy_pass http://web;',
    '}',
  ]);
}

function apiOnlyLocations(): string {
  return serverLevel([
    '# Only the API lives here: anything else is not ours to answer.',
    'location / {',
    '    limit_req zone=site burst={{siteBurst}} nodelay;',
    '{{securityHeaders}}',
    '    default_type text/plain;',
    '    return 404 "not found\\n";',
    '}',
  ]);
}

/** `$client_address` from the edge's viewer header (`address:port`), else the connection's (real-IP) address. */
function clientAddressMap(header: string): string {
  const variable = `$http_${header.toLowerCase().replace(/-/g, '_')}`;
  return indent(
    [
      `# The viewer as the edge names it (${header}: address, then the port after the last colon); else the connection's.`,
      `map ${variable} $client_address {`,
      '    default $remote_addr;',
      '    "~^(?<viewer>[0-9A-Fa-f.:]+):[0-9]+$" $viewer;',
      '}',
    ],
    4,
  );
}

export function renderNginxConfig(input: NginxOptions, template = readFileSync(TEMPLATE_PATH, 'utf8')): string {
  const options = nginxOptionsSchema.parse(input);
  const prefix = options.prefix.replace(/\/+$/, '');
  const values: Record<string, string> = {
    user: options.user ? `user ${options.user};` : '# no `user`: the master is not root, workers run as the same user',
    workerProcesses: String(options.workerProcesses),
    prefix,
    errorLog: options.errorLog ?? `${prefix}/error.log`,
    accessLog: options.accessLog ?? `${prefix}/access.log`,
    realIp:
      options.trustedProxies.length === 0
        ? '    # no trusted proxies: the socket address is the client'
        : indent([...options.trustedProxies.map((range) => `set_real_ip_from ${range};`), 'real_ip_header X-Forwarded-For;', 'real_ip_recursive on;'], 4),
    blockedAddresses: indent(options.blockedAddresses.map((range) => `${range} 1;`), 8),
    blockedAgents: indent(options.blockedUserAgents.map((pattern) => `${quoted(`~*${pattern}`)} 1;`), 8),
    siteRate: options.rates.site,
    siteBurst: String(options.rates.siteBurst),
    apiRate: options.rates.api,
    apiBurst: String(options.rates.apiBurst),
    authRate: options.rates.auth,
    authBurst: String(options.rates.authBurst),
    assetCacheMaxSize: options.assetCacheMaxSize,
    apiUpstream: options.apiUpstream,
    webUpstream: options.webUpstream ? indent(['upstream web {', `    server ${options.webUpstream};`, '    keepalive 16;', '}'], 4) : '',
    siteLocations: options.shape === 'site' ? siteLocations() : apiOnlyLocations(),
    pidFile: options.pidFile ?? `${prefix}/nginx.pid`,
    clientAddress: options.clientAddressHeader ? clientAddressMap(options.clientAddressHeader) : '',
    clientAddressVariable: options.clientAddressHeader ? '$client_address' : '$remote_addr',
    limitKey: options.clientAddressHeader ? '$client_address' : '$binary_remote_addr',
    forwardedProto: options.forwardedProto === 'from-proxy' ? '$http_x_forwarded_proto' : '$scheme',
    storageUpstream: options.storage
      ? indent(
          [
            'upstream storage {',
            `    server ${options.storage.upstream};`,
            '    keepalive 8;',
            '}',
            ...(options.storage.uploadGate ? ['upstream upload_gate {', `    server ${options.storage.uploadGate};`, '}'] : []),
          ],
          4,
        )
      : '',
    storageLocations: options.storage ? storageLocations(options.storage) : '',
    listen: String(options.listen),
    securityHeaders: securityHeaders(12),
    immutableCacheControl: IMMUTABLE_CACHE_CONTROL,
    pageCsp: pageCsp(options),
  };
  const fill = (text: string) =>
    text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`nginx.conf.template uses {{${name}}}, which render.ts does not provide`);
      return value;
    });
  // The shape's locations hold placeholders of their own: fill them first.
  values['siteLocations'] = fill(values['siteLocations'] ?? '');
  return fill(template);
}

/** Folders nginx expects under the prefix (temp paths, cache); it creates the leaves itself. */
export const PREFIX_FOLDERS = ['tmp', 'cache'] as const;

function main(argv: string[]): void {
  const [file, flag, out] = argv;
  if (!file || (flag !== undefined && (flag !== '--out' || !out))) {
    console.error('usage: tsx app/nginx/render.ts <options.json> [--out <nginx.conf>]');
    process.exit(2);
  }
  const config = renderNginxConfig(JSON.parse(readFileSync(file, 'utf8')) as NginxOptions);
  if (out) writeFileSync(out, config);
  else process.stdout.write(config);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
