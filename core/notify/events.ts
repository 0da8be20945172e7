import { awsClientConfig } from '../aws.ts';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { UploadProblem } from '../problems.ts';

/** What contributors (e-mail) and ops hear about an upload, published on the events topic. */
export type PipelineEvent =
  | { type: 'upload.rejected'; uploadId: string; contributorId: string; problems: UploadProblem[] }
  | { type: 'set.ready'; uploadId: string; contributorId: string; productId: string; familyId: string; images: number }
  | {
      type: 'set.failed';
      uploadId: string;
      contributorId: string;
      productId: string;
      failures: Array<{ file: string; reason: string }>;
    };

export function createSnsClient(env: NodeJS.ProcessEnv = process.env): SNSClient {
  return new SNSClient(awsClientConfig(env, 'SNS'));
}

export class EventPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(event: PipelineEvent): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subjectOf(event),
        Message: JSON.stringify(event),
        // Lets subscribers filter (e-mail only the contributor-facing outcomes, for instance).
        MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
      }),
    );
  }
}

function subjectOf(event: PipelineEvent): string {
  switch (event.type) {
    case 'upload.rejected':
      return `Upload rejected (${event.problems.length} problem${event.problems.length === 1 ? '' : 's'})`;
    case 'set.ready':
      return `Your set is ready (${event.images} images)`;
    case 'set.failed':
      return `Your set could not be processed (${event.failures.length} image${event.failures.length === 1 ? '' : 's'} failed)`;
  }
}
