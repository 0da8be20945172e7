/**
 * Stripe's secrets in AWS: one SSM SecureString parameter each per stack, which the API reads when it
 * starts and the payout job on a cold start, so the values never sit in user data, a launch template or
 * a function's environment. A stack without Stripe (no `stripeSecretKey` in its config) holds the
 * placeholder below: the parameters exist from the first deploy, and setting the config later needs no
 * change anywhere else.
 */
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { awsClientConfig } from '../aws.ts';

/** What a parameter holds until the operator sets the stack's Stripe secrets. */
export const STRIPE_PARAMETER_PLACEHOLDER = 'not-configured';

/** The parameters' names on a stack (`/svg-marketplace/<stack>/stripe/...`). */
export function stripeParameterNames(project: string, stack: string): { secretKey: string; webhookSecret: string } {
  return { secretKey: `/${project}/${stack}/stripe/secret-key`, webhookSecret: `/${project}/${stack}/stripe/webhook-secret` };
}

/** A parameter's value, or undefined while it holds the placeholder. */
export function configuredValue(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === STRIPE_PARAMETER_PLACEHOLDER ? undefined : value;
}

/** An SSM client configured like the other AWS clients; `AWS_ENDPOINT_URL_SSM` points it elsewhere (a local stand-in in tests). */
export function createSsmClient(env: NodeJS.ProcessEnv): SSMClient {
  return new SSMClient(awsClientConfig(env, 'SSM'));
}

export interface StripeSecrets {
  secretKey: string;
  webhookSecret: string;
}

/**
 * Reads both parameters (decrypted). Undefined when either still holds the placeholder: Stripe is not
 * configured on this stack. A missing parameter or a refused read throws, naming it: a host must not
 * start quietly without payments because of a typo or a missing grant.
 */
export async function readStripeParameters(client: SSMClient, names: { secretKey: string; webhookSecret: string }): Promise<StripeSecrets | undefined> {
  const read = async (name: string) => {
    try {
      const { Parameter } = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return configuredValue(Parameter?.Value);
    } catch (error) {
      if (error instanceof ParameterNotFound) throw new Error(`SSM parameter ${name} does not exist`, { cause: error });
      throw new Error(`cannot read SSM parameter ${name}: ${(error as Error).message}`, { cause: error });
    }
  };
  const [secretKey, webhookSecret] = await Promise.all([read(names.secretKey), read(names.webhookSecret)]);
  if (!secretKey || !webhookSecret) return undefined;
  if (!secretKey.startsWith('sk_')) throw new Error(`SSM parameter ${names.secretKey} does not hold a Stripe secret key (sk_...)`);
  if (!webhookSecret.startsWith('whsec_')) throw new Error(`SSM parameter ${names.webhookSecret} does not hold a Stripe webhook secret (whsec_...)`);
  return { secretKey, webhookSecret };
}
