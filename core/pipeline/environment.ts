import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { DatabaseCredentialsEnv, databasePasswordSource, databaseTlsSource } from '../catalog/credentials.ts';
import { createDb } from '../catalog/index.ts';
import { createLogger } from '../log.ts';
import { createSnsClient, EventPublisher } from '../notify/events.ts';
import { createSqsClient, JobQueues } from '../queue/sqs.ts';
import { createS3Client, ObjectStore } from '../storage/index.ts';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineContext } from './context.ts';

const seconds = (fallback: number) => z.coerce.number().int().min(0).max(900).default(fallback);

/** The environment every pipeline function is deployed with (`infra/` sets exactly these). */
export const PipelineEnvironment = z.object({
  /** Deployed: user, host and database only; the password comes from one of the two below. */
  DATABASE_URL: z.string().startsWith('postgres', 'must be a postgres:// connection string'),
  ...DatabaseCredentialsEnv.shape,
  UPLOADS_BUCKET: z.string().min(3),
  ASSETS_BUCKET: z.string().min(3),
  DOWNLOADS_BUCKET: z.string().min(3),
  IMAGE_QUEUE_URL: z.url(),
  PREVIEW_QUEUE_URL: z.url(),
  EVENTS_TOPIC_ARN: z.string().startsWith('arn:'),
  /** Where a message that can never succeed is sent, with the reason as a message attribute. */
  DEAD_LETTER_QUEUE_URL: z.url().optional(),
  PREVIEW_DELAY_SECONDS: seconds(DEFAULT_PIPELINE_SETTINGS.previewDelaySeconds),
  PREVIEW_RETRY_DELAY_SECONDS: seconds(DEFAULT_PIPELINE_SETTINGS.previewRetryDelaySeconds),
  PREVIEW_SAMPLE_SIZE: z.coerce.number().int().min(1).max(100).default(DEFAULT_PIPELINE_SETTINGS.previewSampleSize),
  /**
   * The preview queue's redrive maxReceiveCount, which infra passes to PreviewMaker: a job still failing on its
   * last receive is dead-lettered with its reason (the watchdog itself counts no checks; it waits while images progress).
   */
  PREVIEW_MAX_ATTEMPTS: z.coerce.number().int().min(1).optional(),
  /** The watchdog's stall window (stack config `previewStallSeconds`). */
  PREVIEW_STALL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(DEFAULT_PIPELINE_SETTINGS.previewStallSeconds),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(20).default(2),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type PipelineEnvironment = z.infer<typeof PipelineEnvironment>;

/** Validates the environment once (at cold start); the error names every bad variable. */
export function readPipelineEnvironment(env: NodeJS.ProcessEnv = process.env): PipelineEnvironment {
  const result = PipelineEnvironment.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid function environment:\n${lines.join('\n')}`);
  }
  return result.data;
}

export interface PipelineRuntime extends PipelineContext {
  sqs: SQSClient;
  /** The S3 client behind `store` (the local pipeline's tests add middleware to it, e.g. to crash after a write). */
  s3: S3Client;
  deadLetterQueueUrl?: string;
  /** PreviewMaker: its queue's maxReceiveCount (PREVIEW_MAX_ATTEMPTS), when given. */
  maxReceiveCount?: number;
  close(): Promise<void>;
}

/** Builds the clients a pipeline function needs from its environment. */
export function createPipelineRuntime(
  functionName: string,
  env: NodeJS.ProcessEnv = process.env,
): PipelineRuntime {
  const config = readPipelineEnvironment(env);
  const sqs = createSqsClient(env);
  const log = createLogger({ name: functionName, level: config.LOG_LEVEL });
  const s3 = createS3Client(env, { checksums: 'when-required' });
  const db = createDb(config.DATABASE_URL, {
    max: config.DATABASE_POOL_SIZE,
    password: databasePasswordSource(config, env),
    tls: databaseTlsSource(config, env),
    onIdleError: (error) => log.warn({ error: error.message }, 'idle database connection lost'),
  });
  return {
    db,
    store: new ObjectStore(s3, {
      uploads: config.UPLOADS_BUCKET,
      assets: config.ASSETS_BUCKET,
      downloads: config.DOWNLOADS_BUCKET,
    }),
    queues: new JobQueues(sqs, { imageQueueUrl: config.IMAGE_QUEUE_URL, previewQueueUrl: config.PREVIEW_QUEUE_URL }),
    events: new EventPublisher(createSnsClient(env), config.EVENTS_TOPIC_ARN),
    log,
    settings: {
      previewDelaySeconds: config.PREVIEW_DELAY_SECONDS,
      previewRetryDelaySeconds: config.PREVIEW_RETRY_DELAY_SECONDS,
      previewSampleSize: config.PREVIEW_SAMPLE_SIZE,
      previewStallSeconds: config.PREVIEW_STALL_SECONDS,
    },
    deadLetterQueueUrl: config.DEAD_LETTER_QUEUE_URL,
    maxReceiveCount: config.PREVIEW_MAX_ATTEMPTS,
    sqs,
    s3,
    close: () => db.destroy(),
  };
}
