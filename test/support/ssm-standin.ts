/**
 * A local HTTP server speaking SSM's GetParameter (JSON 1.1 protocol), for the code that reads Stripe's
 * secrets from SecureString parameters: SSM cannot be reached from here, and the SDK takes an endpoint
 * (`AWS_ENDPOINT_URL_SSM`). It refuses unsigned requests and unknown names as SSM does
 * (`ParameterNotFound`), returns a SecureString's value only with `WithDecryption`, and records each read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SsmParameter {
  type: 'String' | 'SecureString';
  value: string;
}

export interface SsmRead {
  name: string;
  withDecryption: boolean;
}

export interface SsmStandIn {
  endpoint: string;
  parameters: Map<string, SsmParameter>;
  reads: SsmRead[];
  close(): Promise<void>;
}

export async function startSsmStandIn(parameters: Record<string, SsmParameter>): Promise<SsmStandIn> {
  const stored = new Map(Object.entries(parameters));
  const reads: SsmRead[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'standin' });
        res.end(JSON.stringify(body));
      };
      const fail = (type: string, message: string, status = 400) => reply(status, { __type: type, message });
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AmazonSSM.GetParameter') return fail('UnknownOperationException', `unsupported ${String(req.headers['x-amz-target'])}`);
      if (!/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '')) return fail('MissingAuthenticationTokenException', 'request is not signed', 403);
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Name?: string; WithDecryption?: boolean };
      const name = input.Name ?? '';
      reads.push({ name, withDecryption: input.WithDecryption === true });
      const parameter = stored.get(name);
      if (!parameter) return fail('ParameterNotFound', `Parameter ${name} not found.`);
      // Without decryption SSM returns a SecureString's ciphertext, never the value.
      const value = parameter.type === 'SecureString' && input.WithDecryption !== true ? Buffer.from(`ciphertext:${name}`).toString('base64') : parameter.value;
      reply(200, { Parameter: { Name: name, Type: parameter.type, Value: value, Version: 1, ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name}`, DataType: 'text' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    parameters: stored,
    reads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
