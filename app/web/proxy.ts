/**
 * Next's request proxy (formerly middleware): behind CloudFront the container service's own URL is
 * public, so requests that did not come through CloudFront (no secret origin header) are refused.
 * Without ORIGIN_VERIFY_SECRET (local runs, dev hosts behind Nginx) every request passes.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER, originRequestAllowed } from '../../core/edge/origin-verify.ts';

export function proxy(request: NextRequest): NextResponse {
  if (originRequestAllowed(process.env[ORIGIN_VERIFY_ENV], request.nextUrl.pathname, request.headers.get(ORIGIN_VERIFY_HEADER))) return NextResponse.next();
  return new NextResponse('Forbidden: not through the storefront’s CDN\n', { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
}
