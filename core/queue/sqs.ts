import { awsClientConfig } from '../aws.ts';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { FamilyPreviewJob, ImageJob, PreviewJob } from './messages.ts';

/** SQS client from the environment; `AWS_ENDPOINT_URL_SQS` points it at the local emulator. */
export function createSqsClient(env: NodeJS.ProcessEnv = process.env): SQSClient {
  return new SQSClient(awsClientConfig(env, 'SQS'));
}

const SQS_BATCH_LIMIT = 10;
/** SQS's limit on the bodies of one SendMessageBatch together (256 KiB), with room for the request's own fields. */
const SQS_BATCH_BYTES = 240 * 1024;

/** Message bodies in request-sized groups: at most ten, and at most SQS_BATCH_BYTES together. */
export function sendBatches(bodies: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (current.length === SQS_BATCH_LIMIT || (current.length > 0 && bytes + size > SQS_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
const SQS_MAX_DELAY_SECONDS = 900;

export interface JobQueueUrls {
  imageQueueUrl: string;
  previewQueueUrl: string;
}

/** Sends pipeline jobs. Sending twice is harmless: every consumer is idempotent. */
export class JobQueues {
  constructor(
    private readonly sqs: SQSClient,
    private readonly urls: JobQueueUrls,
  ) {}

  async sendImageJobs(jobs: ImageJob[]): Promise<void> {
    for (const chunk of sendBatches(jobs.map((job) => JSON.stringify(job)))) {
      const result = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.urls.imageQueueUrl,
          Entries: chunk.map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
      // A batch call can partly fail; an unsent image would never be processed.
      if (result.Failed && result.Failed.length > 0) {
        const reasons = result.Failed.map((f) => `${f.Code}: ${f.Message}`).join('; ');
        throw new Error(`SQS refused ${result.Failed.length} image job(s): ${reasons}`);
      }
    }
  }

  async sendPreviewJob(job: PreviewJob | FamilyPreviewJob, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.urls.previewQueueUrl,
        MessageBody: JSON.stringify(job),
        DelaySeconds: Math.max(0, Math.min(SQS_MAX_DELAY_SECONDS, Math.round(delaySeconds))),
      }),
    );
  }
}
