/**
 * A local HTTP server speaking the two AWS JSON 1.1 calls a component reads its database password with:
 * Secrets Manager's GetSecretValue and SSM's GetParameter (X-Amz-Target `secretsmanager.GetSecretValue`,
 * `AmazonSSM.GetParameter`). Neither service runs here and the SDK takes an endpoint. Like the services it
 * refuses unsigned requests, answers unknown names with their error types, and returns a SecureString's
 * ciphertext unless decryption is asked for. Every accepted call is recorded.
 */
import { randomUUID } from 'node:crypto';
import { awsError, startAwsJsonServer } from './aws-json-server.ts';

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
  const server = await startAwsJsonServer((target, body) => {
    if (target === 'secretsmanager.GetSecretValue') {
      const id = String(body['SecretId'] ?? '');
      const arn = [...secrets.keys()].find((key) => key === id || key.split(':').pop() === id);
      if (!arn) return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      calls.push({ target, body });
      return { status: 200, body: { ARN: arn, Name: arn.split(':').pop(), SecretString: secrets.get(arn), VersionId: randomUUID(), VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 } };
    }
    if (target === 'AmazonSSM.GetParameter') {
      const name = String(body['Name'] ?? '');
      const value = parameters.get(name);
      if (value === undefined) return awsError(400, 'ParameterNotFound', `Parameter ${name} not found.`);
      calls.push({ target, body });
      const decrypted = body['WithDecryption'] === true;
      return {
        status: 200,
        body: {
          Parameter: {
            Name: name,
            Type: 'SecureString',
            Value: decrypted ? value : Buffer.from(`kms-ciphertext:${value}`).toString('base64'),
            Version: 1,
            ARN: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${name}`,
            DataType: 'text',
          },
        },
      };
    }
    return awsError(400, 'UnknownOperationException', `unknown operation ${target}`);
  });
  return { ...server, secrets, parameters, calls };
}
