/**
 * A local HTTP server speaking SSM's GetParameter (JSON 1.1 protocol), for the code that reads Stripe's
 * secrets from SecureString parameters: SSM cannot be reached from here, and the SDK takes an endpoint
 * (`AWS_ENDPOINT_URL_SSM`). It refuses unsigned requests and unknown names as SSM does
 * (`ParameterNotFound`), returns a SecureString's value only with `WithDecryption`, and records each read.
 */
import { awsError, startAwsJsonServer } from './aws-json-server.ts';

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
  const server = await startAwsJsonServer((target, input) => {
    if (target !== 'AmazonSSM.GetParameter') return awsError(400, 'UnknownOperationException', `unsupported ${target}`);
    const name = typeof input.Name === 'string' ? input.Name : '';
    reads.push({ name, withDecryption: input.WithDecryption === true });
    const parameter = stored.get(name);
    if (!parameter) return awsError(400, 'ParameterNotFound', `Parameter ${name} not found.`);
    // Without decryption SSM returns a SecureString's ciphertext, never the value.
    const value = parameter.type === 'SecureString' && input.WithDecryption !== true ? Buffer.from(`ciphertext:${name}`).toString('base64') : parameter.value;
    return { status: 200, body: { Parameter: { Name: name, Type: parameter.type, Value: value, Version: 1, ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name}`, DataType: 'text' } } };
  });
  return { ...server, parameters: stored, reads };
}
