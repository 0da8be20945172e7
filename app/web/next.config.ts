import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

/** The repository root holds the one lockfile and node_modules the web app is built from. */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * In development without nginx, `/api/*` can be proxied to the API by Next itself
 * (API_DEV_PROXY=http://127.0.0.1:4000 next dev app/web). Everywhere else nginx does it, so the
 * production build carries no rewrite.
 */
const devApiProxy = process.env.API_DEV_PROXY;

const config: NextConfig = {
  // A self-contained server (server.js + only the traced node_modules) for a small Docker image.
  output: 'standalone',
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm run typecheck` checks the web app (tsc -p app/web); the build does not do it twice.
  typescript: { ignoreBuildErrors: true },
  async rewrites() {
    return devApiProxy ? [{ source: '/api/:path*', destination: `${devApiProxy.replace(/\/+$/, '')}/api/:path*` }] : [];
  },
};

export default config;
