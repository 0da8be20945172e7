/**
 * A local HTTP server speaking the two AWS JSON 1.1 calls a component reads its database password with:
 * Secrets Manager's GetSecretValue and SSM's GetParameter (X-Amz-Target `secretsmanager.GetSecretValue`,
 * `AmazonSSM.GetParameter`). Neither service runs here and the SDK takes an endpoint. Like the services it
 * refuses unsigned requests, answers unknown names with their error types, and returns a SecureString's
 * ciphertext unless decryption is asked for. Every accepted call is recorded.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedSecretCall {
  target: 'secretsmanager.GetSecretValue' | 'AmazonSSM.GetParameter';
  body: Record<string, unknown>;
}

export interface SecretsStandIn {
  endpoint: string;
  /** Secrets Manager secrets by ARN (also found by their name, the ARN's last part). */
  secrets: Map<string, string>;
  /** SSM SecureString parameters by name. */
  parameters: Map<string, string>;
  calls: RecordedSecretCall[];
  close(): Promise<void>;
}

const ACCOUNT = '123456789012';

export async function startSecretsStandIn(): Promise<SecretsStandIn> {
  const secrets = new Map<string, string>();
  const parameters = new Map<string, string>();
  const calls: RecordedSecretCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() });
        res.end(JSON.stringify(body));
      };
      const fail = (status: number, type: string, message: string) => reply(status, { __type: type, message });
      if (req.method !== 'POST') return fail(405, 'UnknownOperationException', 'POST only');
      if (!/^AWS4-HMAC-SHA256 Credential=\S+, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/.test(req.headers.authorization ?? '')) {
        return fail(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return fail(400, 'SerializationException', 'body is not JSON');
      }
      const target = req.headers['x-amz-target'];
      if (target === 'secretsmanager.GetSecretValue') {
        const id = String(body['SecretId'] ?? '');
        const arn = [...secrets.keys()].find((key) => key === id || key.split(':').pop() === id);
        if (!arn) return fail(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        calls.push({ target, body });
        return reply(200, { ARN: arn, Name: arn.split(':').pop(), SecretString: secrets.get(arn), VersionId: randomUUID(), VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 });
      }
      if (target === 'AmazonSSM.GetParameter') {
        const name = String(body['Name'] ?? '');
        const value = parameters.get(name);
        if (value === undefined) return fail(400, 'ParameterNotFound', `Parameter ${name} not found.`);
        calls.push({ target, body });
        const decrypted = body['WithDecryption'] === true;
        return reply(200, {
          Parameter: {
            Name: name,
            Type: 'SecureString',
            Value: decrypted ? value : Buffer.from(`kms-ciphertext:${value}`).toString('base64'),
            Version: 1,
            ARN: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${name}`,
            DataType: 'text',
          },
        });
      }
      return fail(400, 'UnknownOperationException', `unknown operation ${String(target)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    secrets,
    parameters,
    calls,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; close would wait for them.
        server.closeAllConnections();
      }),
  };
}
