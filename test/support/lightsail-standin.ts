/**
 * A local HTTP server speaking the one Lightsail call the deploy makes, GetInstanceAccessDetails, in AWS's
 * JSON 1.1 protocol (X-Amz-Target `Lightsail_20161128.GetInstanceAccessDetails`; the SDK and the CLI take
 * `AWS_ENDPOINT_URL_LIGHTSAIL`). Like the service it refuses unsigned requests and unknown instances
 * (NotFoundException), and answers with a temporary key pair beside the host keys the test sets, so a test
 * can check the deploy never keeps or prints them. Every accepted call is recorded.
 */
import { awsError, startAwsJsonServer } from './aws-json-server.ts';

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
  const server = await startAwsJsonServer((target, body) => {
    if (target !== TARGET) return awsError(400, 'UnknownOperationException', `unknown operation ${target}`);
    const name = String(body['instanceName'] ?? '');
    const instance = instances.get(name);
    if (!instance) return awsError(400, 'NotFoundException', `The Instance does not exist: ${name}`);
    if (body['protocol'] !== undefined && body['protocol'] !== 'ssh') return awsError(400, 'InvalidInputException', 'this stand-in answers ssh only');
    calls.push({ target, body });
    const now = Date.now() / 1000;
    return {
      status: 200,
      body: {
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
      },
    };
  });
  return { ...server, instances, calls, temporaryPrivateKey: TEMPORARY_PRIVATE_KEY };
}

/** The stand-in's host key entry for an OpenSSH `.pub` line, with the fingerprint Lightsail would give. */
export function witnessed(pubLine: string, fingerprintSHA256?: string): StandInHostKey {
  const [algorithm, publicKey] = pubLine.trim().split(/\s+/);
  return { algorithm: algorithm!, publicKey: publicKey!, ...(fingerprintSHA256 ? { fingerprintSHA256 } : {}) };
}
