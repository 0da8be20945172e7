/**
 * The nginx config of the app hosts: `app/nginx/nginx.conf.template`, the one the tests run with real
 * nginx, rendered at `pulumi up` for the host's shape. Pure (no Pulumi imports), so tests render it too.
 */
import { renderNginxConfig, type NginxOptions } from '../app/nginx/render.ts';
import { HOST_APPS } from './host-layout.ts';

/** Where nginx lives on an Amazon Linux 2023 host (its package's user, pid file and log folder). */
export const HOST_NGINX = {
  config: '/etc/nginx/nginx.conf',
  /** Temp files and cache; the package's /var/lib/nginx is the nginx user's. */
  prefix: '/var/lib/nginx/marketplace',
  /** The package's systemd unit reads this one. */
  pidFile: '/run/nginx.pid',
  user: 'nginx',
  accessLog: '/var/log/nginx/access.log',
  errorLog: '/var/log/nginx/error.log',
  port: 80,
} as const;

/**
 * The ranges Express's `trust proxy` names on the hosts (`loopback,uniquelocal`, set as TRUST_PROXY by the
 * boot scripts): nginx believes X-Forwarded-For from the same hops, so both see the same client.
 */
export const TRUST_PROXY = 'loopback,uniquelocal';
export const TRUSTED_PROXY_RANGES = ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'];

export type HostNginxArgs =
  | {
      /** Dev and pr-<n>: storefront and API on one host that viewers reach directly (no proxy in front). */
      shape: 'dev';
      /** Origins pages load images from (the assets CDN) and send requests to (the uploads bucket). */
      imageOrigins: string[];
      connectOrigins: string[];
    }
  | {
      /** Prod: the API alone, behind the ALB (which ends TLS) behind CloudFront. */
      shape: 'prod';
      /** The viewer header the API also keys on (CLIENT_ADDRESS_HEADER). */
      clientAddressHeader?: string;
    };

/** Per viewer on a prod API host; per-viewer limits for everyone else are the CloudFront ACL's. */
export const PROD_API_RATE = '200r/s';
export const PROD_API_BURST = 400;

const loopback = (port: number) => `127.0.0.1:${port}`;

export function hostNginxOptions(args: HostNginxArgs): NginxOptions {
  const common = {
    prefix: HOST_NGINX.prefix,
    pidFile: HOST_NGINX.pidFile,
    user: HOST_NGINX.user,
    accessLog: HOST_NGINX.accessLog,
    errorLog: HOST_NGINX.errorLog,
    listen: HOST_NGINX.port,
    apiUpstream: loopback(HOST_APPS.api.hostPort),
  };
  if (args.shape === 'dev') {
    // No proxy in front: the socket address is the client, and the API takes the address nginx appends.
    return { ...common, shape: 'site', webUpstream: loopback(HOST_APPS.web.hostPort), imageOrigins: args.imageOrigins, connectOrigins: args.connectOrigins };
  }
  return {
    ...common,
    shape: 'api-only',
    trustedProxies: TRUSTED_PROXY_RANGES,
    forwardedProto: 'from-proxy',
    // The storefront's server-side rendering reaches the API through CloudFront as one viewer (the container
    // service's address), which the edge's WAF leaves alone: the general API limit here is only a ceiling for
    // that address. Sign-in and sign-up keep the template's strict limit (the storefront's server never signs in).
    rates: { api: PROD_API_RATE, apiBurst: PROD_API_BURST },
    ...(args.clientAddressHeader ? { clientAddressHeader: args.clientAddressHeader } : {}),
  };
}

export function hostNginxConfig(args: HostNginxArgs): string {
  return renderNginxConfig(hostNginxOptions(args));
}
