import { createPipelineRuntime, type PipelineRuntime } from '../../core/pipeline/environment.ts';
import { processImage } from '../../core/pipeline/process-image.ts';
import { ImageJob } from '../../core/queue/messages.ts';
import { sqsJobHandler, type SqsBatchHandler } from '../shared/sqs-records.ts';

/** SQS batch of image jobs → renditions; failed messages are reported back so only they are retried. */
export function createImageProcessorHandler(runtime: PipelineRuntime): SqsBatchHandler {
  return sqsJobHandler(runtime, 'image-processor', ImageJob, processImage);
}

let coldStart: SqsBatchHandler | undefined;
export const handler: SqsBatchHandler = (event) =>
  (coldStart ??= createImageProcessorHandler(createPipelineRuntime('image-processor')))(event);
