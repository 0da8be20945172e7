import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createContributor, reserveUpload } from '../../core/catalog/index.ts';
import type { PipelineEvent } from '../../core/notify/events.ts';
import { createSqsClient } from '../../core/queue/sqs.ts';
import { createS3Client, uploadKey } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from '../../scripts/local/pipeline.ts';
import { waitForUpload, type UploadResult } from '../../scripts/local/upload-tracking.ts';

/** The real local pipeline (PostgreSQL, s3rver, fauxqs, the three handlers) for one test file. */
export interface PipelineHarness {
  pipeline: LocalPipeline;
  s3: S3Client;
  sqs: SQSClient;
  contributorId: string;
  /** Reserves an upload id (as POST /api/drafts does) and puts a ZIP at its key; returns the upload id. */
  upload(zip: Buffer, uploadId?: string): Promise<string>;
  finish(uploadId: string): Promise<UploadResult>;
  listKeys(bucket: keyof typeof LOCAL_BUCKETS, prefix?: string): Promise<string[]>;
  getObject(bucket: keyof typeof LOCAL_BUCKETS, key: string): Promise<{ body: Buffer; contentType?: string; cacheControl?: string; contentDisposition?: string }>;
  /** Drains the SNS events delivered so far (through the inbox queue subscribed to the topic). */
  drainEvents(): Promise<PipelineEvent[]>;
  /** Waits until no event or batch is being handled and the job queues are empty. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPipelineHarness(options: Partial<LocalPipelineOptions> = {}): Promise<PipelineHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-test-'));
  const pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds: 1, logLevel: 'silent', ...options });
  const s3 = createS3Client(pipeline.services.functionEnv);
  const sqs = createSqsClient(pipeline.services.functionEnv);
  const contributor = await createContributor(pipeline.runtime.db, {
    slug: `contributor-${randomUUID().slice(0, 8)}`,
    displayName: 'Test Contributor',
    email: `${randomUUID()}@example.test`,
  });

  const harness: PipelineHarness = {
    pipeline,
    s3,
    sqs,
    contributorId: contributor.id,
    async upload(zip, uploadId = randomUUID()) {
      await reserveUpload(pipeline.runtime.db, { uploadId, contributorId: contributor.id });
      await s3.send(
        new PutObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: uploadKey(contributor.id, uploadId), Body: zip }),
      );
      return uploadId;
    },
    finish: (uploadId) => waitForUpload(pipeline.runtime.db, uploadId, { timeoutMs: 60_000, pollMs: 50 }),
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: LOCAL_BUCKETS[bucket], Prefix: prefix, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async getObject(bucket, key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: LOCAL_BUCKETS[bucket], Key: key }));
      return {
        body: Buffer.from(await object.Body!.transformToByteArray()),
        contentType: object.ContentType,
        cacheControl: object.CacheControl,
        contentDisposition: object.ContentDisposition,
      };
    },
    async drainEvents() {
      const events: PipelineEvent[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: pipeline.services.queueUrls.eventsInbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (Messages.length === 0) return events;
        for (const message of Messages) {
          const envelope = JSON.parse(message.Body!) as { Message?: string };
          events.push(JSON.parse(envelope.Message ?? message.Body!) as PipelineEvent);
        }
      }
    },
    async settle() {
      const { fauxqs } = pipeline.services;
      for (;;) {
        const queues = ['image-processor', 'preview-maker'].map((name) => fauxqs.inspectQueue(name)!);
        const queued = queues.some((q) => q.messages.ready.length + q.messages.delayed.length + q.messages.inflight.length > 0);
        if (!queued && !pipeline.busy()) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      await pipeline.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
