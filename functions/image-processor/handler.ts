import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/pipeline/environment.ts';
import { processImage } from '../../core/pipeline/process-image.ts';
import { ImageJob, parseJob } from '../../core/queue/messages.ts';
import { withDeadLettering } from '../shared/sqs-records.ts';

export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** SQS batch of image jobs → renditions; failed messages are reported back so only they are retried. */
export function createImageProcessorHandler(runtime: PipelineRuntime): SqsBatchHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = withDeadLettering(runtime, 'image-processor', async (record) => {
    await processImage(runtime, parseJob(ImageJob, record.body));
  });
  return (event) => processPartialResponse(event, handleRecord, processor, { throwOnFullBatchFailure: false });
}

let coldStart: SqsBatchHandler | undefined;
export const handler: SqsBatchHandler = (event) =>
  (coldStart ??= createImageProcessorHandler(createPipelineRuntime('image-processor')))(event);
