import type { Kysely } from 'kysely';
import type { Database } from '../catalog/schema.ts';
import type { Logger } from '../log.ts';
import type { EventPublisher } from '../notify/events.ts';
import type { JobQueues } from '../queue/sqs.ts';
import type { ObjectStore } from '../storage/index.ts';

/** Tunables of the pipeline; the functions read them from their environment. */
export interface PipelineSettings {
  /** How long PreviewMaker waits after the batch before it looks at the set (gives ImageProcessor time). */
  previewDelaySeconds: number;
  /** Images picked at random across the family for its preview. */
  previewSampleSize: number;
  /** How many times PreviewMaker re-queues itself while images are still pending before failing the set. */
  previewMaxAttempts: number;
  /** Delay of each re-queue. */
  previewRetryDelaySeconds: number;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  previewDelaySeconds: 120,
  previewSampleSize: 9,
  previewMaxAttempts: 5,
  previewRetryDelaySeconds: 60,
};

/** Everything a pipeline step needs, built once per cold start (or once per local run). */
export interface PipelineContext {
  db: Kysely<Database>;
  store: ObjectStore;
  queues: JobQueues;
  events: EventPublisher;
  log: Logger;
  settings: PipelineSettings;
}
