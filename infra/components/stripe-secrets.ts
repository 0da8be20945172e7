import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { STRIPE_PARAMETER_PLACEHOLDER, stripeParameterNames } from '../../core/selling/stripe-parameters.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import type { Statement } from '../iam.ts';

export interface StripeSecretsArgs {
  /** Physical names: `<project>-<stack>-<name>`; the parameters live under `/<project>/<stack>/`. */
  naming: Namer;
  /**
   * The stack's Stripe secrets (`pulumi config set --secret stripeSecretKey sk_...` and
   * `stripeWebhookSecret whsec_...`). Absent, both parameters hold a placeholder: the API answers 503 on
   * checkout and the payout job pays nothing, until the operator sets them and runs `pulumi up`.
   */
  secrets?: { secretKey: pulumi.Output<string>; webhookSecret: pulumi.Output<string> };
}

/**
 * Stripe's secret key and webhook signing secret as SSM SecureString parameters (the account's
 * `aws/ssm` key, which SSM uses on the caller's behalf: readers need `ssm:GetParameter` only).
 * The API reads both when it starts, the payout job the key on a cold start (core/selling/stripe-parameters.ts).
 */
export class StripeSecrets extends pulumi.ComponentResource {
  readonly secretKey: aws.ssm.Parameter;
  readonly webhookSecret: aws.ssm.Parameter;

  constructor(name: string, args: StripeSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('StripeSecrets'), name, {}, opts);
    const names = stripeParameterNames(args.naming.project, args.naming.stack);
    const parameter = (slug: string, parameterName: string, value: pulumi.Input<string> | undefined, description: string) =>
      new aws.ssm.Parameter(
        args.naming(`stripe-${slug}`, 'ssmParameter'),
        {
          name: parameterName,
          type: 'SecureString',
          tier: 'Standard',
          description,
          value: value ? pulumi.secret(value) : STRIPE_PARAMETER_PLACEHOLDER,
        },
        { parent: this, ...FIXED_NAME },
      );
    this.secretKey = parameter('secret-key', names.secretKey, args.secrets?.secretKey, 'Stripe secret key (stack config stripeSecretKey)');
    this.webhookSecret = parameter('webhook-secret', names.webhookSecret, args.secrets?.webhookSecret, 'Stripe webhook signing secret (stack config stripeWebhookSecret)');
    this.registerOutputs({ secretKeyParameter: this.secretKey.name, webhookSecretParameter: this.webhookSecret.name });
  }

  /** The API reads both at start: exactly these two parameters. */
  apiReadStatement(): Statement {
    return { Sid: 'ReadStripeSecrets', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [this.secretKey.arn, this.webhookSecret.arn] };
  }

  /** The names the API's environment carries (`STRIPE_SECRET_KEY_PARAMETER`, `STRIPE_WEBHOOK_SECRET_PARAMETER`). */
  get parameterNames(): pulumi.Output<{ secretKey: string; webhookSecret: string }> {
    return pulumi.output({ secretKey: this.secretKey.name, webhookSecret: this.webhookSecret.name });
  }
}
