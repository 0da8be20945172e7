import type { Kysely } from 'kysely';
import type { Database } from '../catalog/schema.ts';
import type { Logger } from '../log.ts';
import type { EventPublisher } from '../notify/events.ts';
import type { JobQueues } from '../queue/sqs.ts';
import type { ObjectStore } from '../storage/index.ts';

/** Tunables of the pipeline; the functions read them from their environment. */
export interface PipelineSettings {
  /**
   * Delay of the set's watchdog after the batch. A set finishes the moment its last image settles;
   * the watchdog only catches sets that stop making progress.
   */
  previewDelaySeconds: number;
  /** Images picked at random across the family for its preview. */
  previewSampleSize: number;
  /**
   * The stall window: the watchdog fails a set's pending images only when none of its images has
   * settled (rendered or failed) for this long. Longer than a failed image job's way back through
   * its visibility timeout, so a retry in flight is not taken for a stall.
   */
  previewStallSeconds: number;
  /** Delay of each watchdog re-queue while images are still pending. */
  previewRetryDelaySeconds: number;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  previewDelaySeconds: 120,
  previewSampleSize: 9,
  previewStallSeconds: 900,
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
