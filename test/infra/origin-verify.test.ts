/**
 * The storefront's container service has a public URL of its own: behind CloudFront, its request
 * proxy (app/web/proxy.ts) refuses what did not come through CloudFront, which adds the secret
 * origin header. Tested through Next's own request objects.
 */
import { expect } from 'chai';
import { NextRequest } from 'next/server.js';
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER, originRequestAllowed } from '../../core/edge/origin-verify.ts';

const SECRET = 'Zq8vN3kT1wR5yU7iO9pA2sD4fG6hJ0lX';

/** app/web/proxy.ts as Next loads it (typed by app/web's own tsconfig, which `npm run typecheck` checks). */
const PROXY_MODULE: string = '../../app/web/proxy.ts';
let proxy: (request: NextRequest) => Response;

describe('storefront origin: only through CloudFront', () => {
  before(async () => {
    ({ proxy } = (await import(PROXY_MODULE)) as { proxy: typeof proxy });
  });
  const saved = process.env[ORIGIN_VERIFY_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[ORIGIN_VERIFY_ENV];
    else process.env[ORIGIN_VERIFY_ENV] = saved;
  });

  const status = (path: string, headers: Record<string, string> = {}) => {
    const response = proxy(new NextRequest(`https://svc.cs.amazonlightsail.com${path}`, { headers }));
    // NextResponse.next() carries the x-middleware-next marker and status 200.
    return response.headers.get('x-middleware-next') === '1' ? 'passed' : response.status;
  };

  it('with the secret configured: 403 without the header or with a wrong one, passes with it', () => {
    process.env[ORIGIN_VERIFY_ENV] = SECRET;
    expect(status('/')).to.equal(403);
    expect(status('/sets/abc', { [ORIGIN_VERIFY_HEADER]: 'wrong' })).to.equal(403);
    expect(status('/sets/abc', { [ORIGIN_VERIFY_HEADER]: `${SECRET}x` })).to.equal(403);
    expect(status('/sets/abc', { [ORIGIN_VERIFY_HEADER]: SECRET.toLowerCase() })).to.equal(403);
    expect(status('/sets/abc', { [ORIGIN_VERIFY_HEADER]: SECRET })).to.equal('passed');
    expect(status('/', { 'X-Origin-Verify': SECRET })).to.equal('passed');
  });

  it('Lightsail’s own health check reaches /healthz without the header, and nothing else does', () => {
    process.env[ORIGIN_VERIFY_ENV] = SECRET;
    expect(status('/healthz')).to.equal('passed');
    expect(status('/healthz/')).to.equal(403);
    expect(status('/HEALTHZ')).to.equal(403);
  });

  it('without the secret (local runs, the dev host behind Nginx) every request passes', () => {
    delete process.env[ORIGIN_VERIFY_ENV];
    expect(status('/')).to.equal('passed');
    expect(originRequestAllowed('', '/', null)).to.equal(true);
  });
});
