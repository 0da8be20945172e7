import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import type { Statement } from '../iam.ts';

export interface MailArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /**
   * The address the API sends account mail from (stack config `mailFrom`): sign-up verification links,
   * "someone tried to sign up with your address", password-change notices.
   */
  from: string;
}

/**
 * The SES identity the API mails from. SES sends a confirmation link to the address when it is created; until
 * it is confirmed (and, in a new account, until SES production access is granted) SES refuses to send, and the
 * API logs each refusal. A domain identity with DKIM can replace it without code changes.
 */
export class Mail extends pulumi.ComponentResource {
  readonly identity: aws.sesv2.EmailIdentity;
  readonly from: string;

  constructor(name: string, args: MailArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Mail'), name, {}, opts);
    this.from = args.from;
    this.identity = new aws.sesv2.EmailIdentity(args.naming('mail-from'), { emailIdentity: args.from }, { parent: this, ...FIXED_NAME });
    this.registerOutputs({ identity: this.identity.arn });
  }

  /** The API sends as exactly this identity. */
  apiSendStatement(): Statement {
    return { Sid: 'SendAccountMail', Effect: 'Allow', Action: ['ses:SendEmail'], Resource: [this.identity.arn] };
  }
}
