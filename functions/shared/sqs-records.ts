import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import type { PipelineRuntime } from '../../core/pipeline/environment.ts';
import { sendToDeadLetterQueue } from '../../core/queue/dead-letter.ts';
import { parseJob, UndeliverableJobError, type JobDelivery } from '../../core/queue/messages.ts';

/**
 * Wraps an SQS record handler: a message that can never succeed (not a valid job, a job about an
 * image or set the catalog does not hold, an image that failed on its last receive) goes to the
 * dead-letter queue at once with its reason; any other error is logged with the message id and
 * rethrown, so the record is reported as a batch item failure, retried, and after the queue's
 * maxReceiveCount moved to the DLQ by SQS redrive.
 */
export function withDeadLettering(
  runtime: Pick<PipelineRuntime, 'sqs' | 'log' | 'deadLetterQueueUrl'>,
  source: string,
  handle: (record: SQSRecord) => Promise<void>,
  /**
   * The queue's redrive maxReceiveCount, when the function is told it: a job still failing on that receive is
   * dead-lettered here with its reason, instead of by SQS redrive on the next receive without one.
   */
  maxReceiveCount?: number,
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    try {
      await handle(record);
    } catch (caught) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
      const error =
        !(caught instanceof UndeliverableJobError) && maxReceiveCount !== undefined && receiveCount >= maxReceiveCount
          ? new UndeliverableJobError(`failed on its last receive (${receiveCount} of ${maxReceiveCount}): ${(caught as Error).message}`, { cause: caught })
          : caught;
      const reason = (error as Error).message;
      if (error instanceof UndeliverableJobError && runtime.deadLetterQueueUrl) {
        await sendToDeadLetterQueue(
          runtime.sqs,
          runtime.deadLetterQueueUrl,
          { body: record.body, messageId: record.messageId, source },
          reason,
        );
        runtime.log.error({ messageId: record.messageId, reason }, 'job that cannot succeed sent to the dead-letter queue');
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

export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * An SQS-triggered function: each record's body is parsed as a job of `schema` and handed to `step`;
 * records that fail are reported back (partial batch response) so only they are retried.
 */
export function sqsJobHandler<Job>(
  runtime: PipelineRuntime,
  source: string,
  schema: z.ZodType<Job>,
  step: (runtime: PipelineRuntime, job: Job, delivery: JobDelivery) => Promise<unknown>,
  options: { maxReceiveCount?: number } = {},
): SqsBatchHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = withDeadLettering(
    runtime,
    source,
    async (record) => {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
      await step(runtime, parseJob(schema, record.body), { messageId: record.messageId, receiveCount });
    },
    options.maxReceiveCount,
  );
  return (event) => processPartialResponse(event, handleRecord, processor, { throwOnFullBatchFailure: false });
}
