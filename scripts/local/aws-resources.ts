/**
 * The local stand-ins for the AWS resources the pipeline uses: names, queue settings and
 * event-source-mapping settings, mirroring what `infra/` provisions (Lambda timeout × 6 visibility,
 * DLQ after a few receives, partial batch responses).
 */
export const LOCAL_BUCKETS = {
  uploads: 'marketplace-uploads',
  assets: 'marketplace-assets',
  downloads: 'marketplace-downloads',
} as const;

export interface LocalQueueSpec {
  name: string;
  deadLetterName: string;
  /** The consuming function's timeout; the queue's visibility timeout is six times this, as AWS advises. */
  functionTimeoutSeconds: number;
  maxReceiveCount: number;
  batchSize: number;
  /** How many batches are handled at once (Lambda's maximum concurrency for the mapping). */
  concurrency: number;
}

export const LOCAL_QUEUES = {
  image: {
    name: 'image-processor',
    deadLetterName: 'image-processor-dlq',
    functionTimeoutSeconds: 60,
    maxReceiveCount: 3,
    // As infra's mapping (up to 10 per batch, processed concurrently by the handler): half the receives and
    // deletes per image of 5, and two batches in flight keep the cores busy while a batch's slowest image ends.
    batchSize: 10,
    concurrency: 2,
  },
  preview: {
    name: 'preview-maker',
    deadLetterName: 'preview-maker-dlq',
    functionTimeoutSeconds: 120,
    maxReceiveCount: 3,
    batchSize: 1,
    concurrency: 1,
  },
} as const satisfies Record<string, LocalQueueSpec>;

export const LOCAL_TOPICS = {
  events: 'pipeline-events',
  /** Local only: an SQS queue subscribed to the events topic so a developer and the tests can read notifications. */
  eventsInbox: 'pipeline-events-inbox',
} as const;

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
