import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';

export interface NotificationsArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** Address subscribed to ops alarms (confirm the e-mail AWS sends). @default none */
  opsEmail?: string;
}

/** SNS topics: contributor-facing events (upload rejected, set ready, set failed) and ops alarms. */
export class Notifications extends pulumi.ComponentResource {
  readonly eventsTopic: aws.sns.Topic;
  readonly opsTopic: aws.sns.Topic;

  constructor(name: string, args: NotificationsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Notifications'), name, {}, opts);
    const parent = { parent: this };
    const events = args.naming('events', 'snsTopic');
    const ops = args.naming('ops-alarms', 'snsTopic');
    this.eventsTopic = new aws.sns.Topic(events, { name: events, kmsMasterKeyId: 'alias/aws/sns' }, { ...parent, ...FIXED_NAME });
    // CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed key.
    this.opsTopic = new aws.sns.Topic(ops, { name: ops }, { ...parent, ...FIXED_NAME });
    if (args.opsEmail) {
      new aws.sns.TopicSubscription(`${ops}-email`, { topic: this.opsTopic.arn, protocol: 'email', endpoint: args.opsEmail }, { parent: this.opsTopic });
    }
    this.registerOutputs({ events: this.eventsTopic.arn, ops: this.opsTopic.arn });
  }
}
