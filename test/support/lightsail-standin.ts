/**
 * A local HTTP server speaking the one Lightsail call the deploy makes, GetInstanceAccessDetails, in AWS's
 * JSON 1.1 protocol (X-Amz-Target `Lightsail_20161128.GetInstanceAccessDetails`; the SDK and the CLI take
 * `AWS_ENDPOINT_URL_LIGHTSAIL`). Like the service it refuses unsigned requests and unknown instances
 * (NotFoundException), and answers with a temporary key pair beside the host keys the test sets, so a test
 * can check the deploy never keeps or prints them. Every accepted call is recorded.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** As Lightsail returns them: `publicKey` is the base64 blob, the algorithm beside it. */
export interface StandInHostKey {
  algorithm?: string;
  publicKey?: string;
  fingerprintSHA256?: string;
}

export interface LightsailStandIn {
  endpoint: string;
  /** Host keys by instance name; a name missing here is an unknown instance. */
  instances: Map<string, { ipAddress: string; hostKeys: StandInHostKey[] }>;
  calls: Array<{ target: string; body: Record<string, unknown> }>;
  /** The temporary private key each answer carries (never to be written or printed by the deploy). */
  readonly temporaryPrivateKey: string;
  close(): Promise<void>;
}

const TARGET = 'Lightsail_20161128.GetInstanceAccessDetails';
const TEMPORARY_PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nTemporary0Private0Key0From0The0StandIn\n-----END RSA PRIVATE KEY-----\n';

export async function startLightsailStandIn(): Promise<LightsailStandIn> {
  const instances: LightsailStandIn['instances'] = new Map();
  const calls: LightsailStandIn['calls'] = [];
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
      const target = String(req.headers['x-amz-target']);
      if (target !== TARGET) return fail(400, 'UnknownOperationException', `unknown operation ${target}`);
      const name = String(body['instanceName'] ?? '');
      const instance = instances.get(name);
      if (!instance) return fail(400, 'NotFoundException', `The Instance does not exist: ${name}`);
      if (body['protocol'] !== undefined && body['protocol'] !== 'ssh') return fail(400, 'InvalidInputException', 'this stand-in answers ssh only');
      calls.push({ target, body });
      const now = Date.now() / 1000;
      return reply(200, {
        accessDetails: {
          certKey: 'ssh-rsa-cert-v01@openssh.com AAAAStandInCertificate',
          expiresAt: now + 3600,
          ipAddress: instance.ipAddress,
          privateKey: TEMPORARY_PRIVATE_KEY,
          protocol: 'ssh',
          instanceName: name,
          username: 'ec2-user',
          hostKeys: instance.hostKeys.map((key) => ({ ...key, witnessedAt: now - 60 })),
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    instances,
    calls,
    temporaryPrivateKey: TEMPORARY_PRIVATE_KEY,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The stand-in's host key entry for an OpenSSH `.pub` line, with the fingerprint Lightsail would give. */
export function witnessed(pubLine: string, fingerprintSHA256?: string): StandInHostKey {
  const [algorithm, publicKey] = pubLine.trim().split(/\s+/);
  return { algorithm: algorithm!, publicKey: publicKey!, ...(fingerprintSHA256 ? { fingerprintSHA256 } : {}) };
}
