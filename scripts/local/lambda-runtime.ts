import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from '../../core/log.ts';
import type { S3NotificationRecord } from './services.ts';
import { LOCAL_REGION } from './aws-resources.ts';

export type S3ObjectCreatedDetail = {
  version: string;
  bucket: { name: string };
  object: { key: string; size?: number; etag?: string; sequencer?: string };
  'request-id': string;
  requester: string;
  reason: string;
};
export type S3ObjectCreatedEvent = EventBridgeEvent<'Object Created', S3ObjectCreatedDetail>;

/** Turns an S3 notification record into the event EventBridge delivers for the same object. */
export function toEventBridgeEvent(record: S3NotificationRecord): S3ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '000000000000',
    time: record.eventTime ?? new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [`arn:aws:s3:::${record.s3.bucket.name}`],
    detail: {
      version: '0',
      bucket: { name: record.s3.bucket.name },
      object: {
        key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
        size: record.s3.object.size,
        etag: record.s3.object.eTag,
        sequencer: record.s3.object.sequencer,
      },
      'request-id': randomUUID(),
      requester: '000000000000',
      reason: 'PutObject',
    },
  };
}

export interface EventRuleOptions {
  bucket: string;
  prefix: string;
  suffix: string;
  /** Lambda retries a failed asynchronous invocation twice; locally the waits are shortened. */
  retryDelaysMs?: number[];
  log: Logger;
}

/**
 * The local EventBridge rule: S3 "Object Created" on the uploads bucket → an asynchronous invocation
 * of ImageBatcher, with Lambda's async retry behaviour (two retries, then the failure is reported).
 */
export function routeObjectCreated(
  s3Events: EventEmitter,
  options: EventRuleOptions,
  invoke: (event: S3ObjectCreatedEvent) => Promise<unknown>,
): EventRule {
  const inFlight = new Set<Promise<void>>();
  let enabled = true;
  const retryDelays = options.retryDelaysMs ?? [1_000, 2_000];
  const onRecord = (record: S3NotificationRecord) => {
    if (!enabled || !record.eventName.startsWith('ObjectCreated:')) return;
    const event = toEventBridgeEvent(record);
    const { name } = event.detail.bucket;
    const { key } = event.detail.object;
    if (name !== options.bucket || !key.startsWith(options.prefix) || !key.endsWith(options.suffix)) return;
    const run = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await invoke(event);
          return;
        } catch (error) {
          const delay = retryDelays[attempt];
          options.log.error({ err: error, key, attempt: attempt + 1 }, 'ImageBatcher invocation failed');
          if (delay === undefined) return;
          await sleep(delay);
        }
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };
  s3Events.on('record', onRecord);
  return {
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    setEnabled: (value) => {
      enabled = value;
    },
    stop: () => s3Events.off('record', onRecord),
  };
}

export interface EventRule {
  /** Resolves when no invocation is running. */
  idle(): Promise<void>;
  /** Like `aws events disable-rule`: events while disabled are dropped. */
  setEnabled(enabled: boolean): void;
  stop(): void;
}

export interface EventSourceMappingOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn?: string;
  batchSize: number;
  /** Batches handled at once, like the mapping's maximum concurrency. */
  concurrency: number;
  log: Logger;
  /** Long-poll wait; short so that stop() is prompt. */
  waitTimeSeconds?: number;
  /** Told after each batch what was handed over, what failed and what was deleted (tests watch deliveries). */
  onBatch?: (report: BatchReport) => void;
}

/** What one invocation of the mapping did with one batch. */
export interface BatchReport {
  queueUrl: string;
  /** When the batch was received (Date.now()); its messages' visibility timeout runs from here. */
  receivedAt: number;
  received: Array<{ messageId: string; receiveCount: number; body: string }>;
  /** Message ids left on the queue to come back after the visibility timeout. */
  failed: string[];
  /** Message ids deleted from the queue. */
  deleted: string[];
  /** Why the whole batch failed, when it did (the handler threw, or answered with an invalid item identifier). */
  batchError?: string;
}

export interface EventSourceMapping {
  /** Number of batches being handled right now. */
  busy(): number;
  stop(): Promise<void>;
}

/**
 * Polls a queue and invokes a handler the way Lambda's SQS event source mapping does: batches of
 * up to `batchSize`, messages deleted only when handled, `batchItemFailures` left on the queue to
 * come back after the visibility timeout (and to reach the DLQ after maxReceiveCount), and a
 * thrown error failing the whole batch.
 */
export function startEventSourceMapping(
  options: EventSourceMappingOptions,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>,
): EventSourceMapping {
  const controller = new AbortController();
  let busy = 0;

  const poll = async () => {
    while (!controller.signal.aborted) {
      let messages: Message[] = [];
      let receivedAt = 0;
      try {
        const result = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: options.waitTimeSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: controller.signal },
        );
        messages = result.Messages ?? [];
        receivedAt = Date.now();
      } catch (error) {
        if (controller.signal.aborted) return;
        options.log.warn({ err: error }, 'receive failed; retrying');
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      busy++;
      try {
        await handleBatch(messages, receivedAt);
      } finally {
        busy--;
      }
    }
  };

  const handleBatch = async (messages: Message[], receivedAt: number) => {
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, options.queueArn ?? options.queueUrl)) };
    const ids = messages.map((m) => m.MessageId!);
    let failed: Set<string>;
    let batchError: string | undefined;
    try {
      failed = failedItems(await handler(event), ids);
    } catch (error) {
      batchError = (error as Error).message;
      options.log.error({ err: error, queue: options.queueUrl }, 'the whole batch failed and will be retried');
      failed = new Set(ids);
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length > 0) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    options.onBatch?.({
      queueUrl: options.queueUrl,
      receivedAt,
      received: event.Records.map((r) => ({
        messageId: r.messageId,
        receiveCount: Number(r.attributes.ApproximateReceiveCount),
        body: r.body,
      })),
      failed: ids.filter((id) => failed.has(id)),
      deleted: done.map((m) => m.MessageId!),
      batchError,
    });
  };

  const loops = Array.from({ length: options.concurrency }, () => poll());
  return {
    busy: () => busy,
    stop: async () => {
      controller.abort();
      await Promise.allSettled(loops);
    },
  };
}

/**
 * The messages a partial batch response leaves on the queue, by Lambda's rules: no response, no list or an
 * empty list is complete success; an item identifier that is empty, not a string, or not the id of a
 * message in this batch makes the whole batch a failure (every message comes back).
 */
export function failedItems(response: SQSBatchResponse | void | null | undefined, batchIds: string[]): Set<string> {
  const failures: unknown = response?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) throw new Error('invalid partial batch response: batchItemFailures is not a list');
  const inBatch = new Set(batchIds);
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !inBatch.has(id)) {
      throw new Error(`invalid partial batch response: item identifier ${JSON.stringify(id)} is not a message of this batch`);
    }
    failed.add(id);
  }
  return failed;
}

function toSqsRecord(message: Message, eventSourceARN: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType ?? 'String', stringValue: value.StringValue },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion: LOCAL_REGION,
  };
}
