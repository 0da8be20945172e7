/**
 * The viewer's address, for rate limits and request logs, from exactly the proxies each deployment shape has:
 * - local (`npm start`): the front door on loopback, which replaces any X-Forwarded-For with the socket's
 *   address (scripts/local/front-door.ts), so a header the client made up never reaches the API;
 * - dev host: nginx on loopback, which appends the peer's address; TRUST_PROXY=loopback takes that last entry;
 * - prod: CloudFront → ALB → nginx. X-Forwarded-For ends in a CloudFront edge there, shared by every viewer
 *   near it and changing between requests, so the key is CloudFront's `CloudFront-Viewer-Address`
 *   (CLIENT_ADDRESS_HEADER), believed only when the request's own hop is a trusted proxy (TRUST_PROXY): a
 *   request that reached the API otherwise carries whatever header its sender chose.
 */
import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The viewer's IP address (see app/api/http/client-address.ts). */
      clientAddress: string;
    }
  }
}

/** `198.51.100.10:46532` or `2001:db8::1:46532` (CloudFront-Viewer-Address: the port follows the last colon). */
export function addressFromViewerHeader(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const colon = value.lastIndexOf(':');
  const address = colon > 0 ? value.slice(0, colon) : value;
  return isIP(address) ? address : undefined;
}

/** Sets `req.clientAddress`; with `header`, from that header when the socket's peer is a trusted proxy. */
export function clientAddress(options: { header?: string }): RequestHandler {
  const header = options.header?.toLowerCase();
  return (req, _res, next) => {
    req.clientAddress = (header && fromTrustedHeader(req, header)) || req.ip || req.socket.remoteAddress || 'unknown';
    next();
  };
}

function fromTrustedHeader(req: Request, header: string): string | undefined {
  const trust = req.app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const peer = req.socket.remoteAddress;
  if (!peer || !trust(peer, 0)) return undefined;
  const value = req.headers[header];
  return addressFromViewerHeader(Array.isArray(value) ? value[0] : value);
}
