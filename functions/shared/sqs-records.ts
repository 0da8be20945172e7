import type { SQSRecord } from 'aws-lambda';
import type { PipelineRuntime } from '../../core/pipeline/environment.ts';
import { sendToDeadLetterQueue } from '../../core/queue/dead-letter.ts';
import { InvalidJobError } from '../../core/queue/messages.ts';

/**
 * Wraps an SQS record handler: a message that can never succeed (not a valid job) goes to the
 * dead-letter queue at once with its reason; any other error is logged with the message id and
 * rethrown, so the record is reported as a batch item failure, retried, and after the queue's
 * maxReceiveCount moved to the DLQ by SQS redrive.
 */
export function withDeadLettering(
  runtime: Pick<PipelineRuntime, 'sqs' | 'log' | 'deadLetterQueueUrl'>,
  source: string,
  handle: (record: SQSRecord) => Promise<void>,
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    try {
      await handle(record);
    } catch (error) {
      const reason = (error as Error).message;
      if (error instanceof InvalidJobError && runtime.deadLetterQueueUrl) {
        await sendToDeadLetterQueue(
          runtime.sqs,
          runtime.deadLetterQueueUrl,
          { body: record.body, messageId: record.messageId, source },
          reason,
        );
        runtime.log.error({ messageId: record.messageId, reason }, 'invalid job sent to the dead-letter queue');
        return;
      }
      runtime.log.error(
        { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, err: error },
        'job failed; it will be retried',
      );
      throw error;
    }
  };
}
