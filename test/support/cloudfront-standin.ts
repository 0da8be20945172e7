/**
 * A local HTTP server speaking CloudFront's CreateInvalidation API (REST-XML, 2020-05-31), for the CDN
 * adapter: CloudFront cannot be reached from here, and the SDK takes an endpoint. It checks what CloudFront
 * checks that matters to us (a signed request, a known distribution, a well-formed batch whose Quantity
 * matches its paths, each path starting with "/") and records every accepted invalidation.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';

export interface RecordedInvalidation {
  distributionId: string;
  callerReference: string;
  paths: string[];
}

export interface CloudFrontStandIn {
  endpoint: string;
  invalidations: RecordedInvalidation[];
  close(): Promise<void>;
}

const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0"?><ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

export async function startCloudFrontStandIn(distributionIds: readonly string[]): Promise<CloudFrontStandIn> {
  const invalidations: RecordedInvalidation[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, xml: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amz-request-id': randomUUID(), ...headers });
        res.end(xml);
      };
      const match = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) return reply(404, errorXml('NotFound', `no route ${req.method} ${req.url}`));
      if (!/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '')) return reply(403, errorXml('AccessDenied', 'request is not signed'));
      const distributionId = decodeURIComponent(match[1]!);
      if (!distributionIds.includes(distributionId)) return reply(404, errorXml('NoSuchDistribution', 'The specified distribution does not exist.'));
      const doc = new DOMParser().parseFromString(Buffer.concat(chunks).toString('utf8'), 'text/xml');
      const text = (name: string) => doc.getElementsByTagName(name)[0]?.textContent ?? '';
      const paths = Array.from(doc.getElementsByTagName('Path')).map((node) => node.textContent ?? '');
      const quantity = Number(text('Quantity'));
      const callerReference = text('CallerReference');
      if (!callerReference || quantity !== paths.length || paths.length === 0 || paths.some((path) => !path.startsWith('/'))) {
        return reply(400, errorXml('InvalidArgument', 'malformed invalidation batch'));
      }
      invalidations.push({ distributionId, callerReference, paths });
      const id = `I${randomUUID().replace(/-/g, '').slice(0, 13).toUpperCase()}`;
      const items = paths.map((path) => `<Path>${path}</Path>`).join('');
      reply(
        201,
        `<?xml version="1.0"?><Invalidation xmlns="${NS}"><Id>${id}</Id><Status>InProgress</Status><CreateTime>${new Date().toISOString()}</CreateTime>` +
          `<InvalidationBatch><Paths><Quantity>${paths.length}</Quantity><Items>${items}</Items></Paths><CallerReference>${callerReference}</CallerReference></InvalidationBatch></Invalidation>`,
        { Location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${id}` },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invalidations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
