import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Sends a message that can never succeed straight to the dead-letter queue, with the reason and
 * its origin as message attributes, so whoever drains the DLQ sees why without digging in logs.
 * (SQS redrive, which catches everything else after maxReceiveCount, carries no reason.)
 */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  message: { body: string; messageId: string; source: string },
  reason: string,
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: message.body,
      MessageAttributes: {
        reason: { DataType: 'String', StringValue: reason.slice(0, 1000) },
        source: { DataType: 'String', StringValue: message.source },
        originalMessageId: { DataType: 'String', StringValue: message.messageId },
      },
    }),
  );
}
