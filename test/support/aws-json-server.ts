/**
 * The part every AWS JSON 1.1 stand-in shares: a loopback HTTP server that, like the services, answers only
 * signed POSTs with a JSON body and replies in the protocol's shape; each stand-in gives the operations.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsJsonAnswer {
  status: number;
  body: unknown;
}

/** An error reply, in the shape the SDK reads its type and message from. */
export function awsError(status: number, type: string, message: string): AwsJsonAnswer {
  return { status, body: { __type: type, message } };
}

export interface AwsJsonServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts the server; `operation` answers a signed call of `target` (X-Amz-Target) with its parsed body. */
export async function startAwsJsonServer(operation: (target: string, body: Record<string, unknown>) => AwsJsonAnswer): Promise<AwsJsonServer> {
  const answer = (method: string | undefined, authorization: string | undefined, target: string, raw: string): AwsJsonAnswer => {
    if (method !== 'POST') return awsError(405, 'UnknownOperationException', 'POST only');
    if (!/^AWS4-HMAC-SHA256 Credential=\S+, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/.test(authorization ?? '')) {
      return awsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw || '{}') as Record<string, unknown>;
    } catch {
      return awsError(400, 'SerializationException', 'body is not JSON');
    }
    return operation(target, body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { status, body } = answer(req.method, req.headers.authorization, String(req.headers['x-amz-target']), Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; close would wait for them.
        server.closeAllConnections();
      }),
  };
}
