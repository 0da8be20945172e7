import { createPipelineRuntime, type PipelineRuntime } from '../../core/pipeline/environment.ts';
import { ingestUpload, type IngestOutcome } from '../../core/pipeline/ingest-upload.ts';
import { uploadedObjects } from './event.ts';

export type ImageBatcherHandler = (event: unknown) => Promise<IngestOutcome[]>;

/**
 * S3 Object Created (through EventBridge, or a plain S3 notification) → validate and batch the upload.
 * A thrown error makes Lambda retry the asynchronous invocation; every step is idempotent.
 */
export function createImageBatcherHandler(runtime: PipelineRuntime): ImageBatcherHandler {
  return async (event) => {
    const outcomes: IngestOutcome[] = [];
    for (const object of uploadedObjects(event)) outcomes.push(await ingestUpload(runtime, object));
    return outcomes;
  };
}

let coldStart: ImageBatcherHandler | undefined;
/** The Lambda entry point: clients built once per container from the environment. */
export const handler: ImageBatcherHandler = (event) =>
  (coldStart ??= createImageBatcherHandler(createPipelineRuntime('image-batcher')))(event);
