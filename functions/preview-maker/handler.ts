import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/pipeline/environment.ts';
import { finishSet } from '../../core/pipeline/finish-set.ts';
import { parseJob, PreviewJob } from '../../core/queue/messages.ts';
import { withDeadLettering } from '../shared/sqs-records.ts';

export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** Delayed "finish this set" jobs → set ZIP, family preview, "set ready" / "set failed". */
export function createPreviewMakerHandler(runtime: PipelineRuntime): SqsBatchHandler {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = withDeadLettering(runtime, 'preview-maker', async (record) => {
    await finishSet(runtime, parseJob(PreviewJob, record.body));
  });
  return (event) => processPartialResponse(event, handleRecord, processor, { throwOnFullBatchFailure: false });
}

let coldStart: SqsBatchHandler | undefined;
export const handler: SqsBatchHandler = (event) =>
  (coldStart ??= createPreviewMakerHandler(createPipelineRuntime('preview-maker')))(event);
