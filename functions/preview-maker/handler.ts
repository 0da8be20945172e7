import { createPipelineRuntime, type PipelineRuntime } from '../../core/pipeline/environment.ts';
import { finishSet } from '../../core/pipeline/finish-set.ts';
import { PreviewJob } from '../../core/queue/messages.ts';
import { sqsJobHandler, type SqsBatchHandler } from '../shared/sqs-records.ts';

/** Delayed "finish this set" jobs → set ZIP, family preview, "set ready" / "set failed". */
export function createPreviewMakerHandler(runtime: PipelineRuntime): SqsBatchHandler {
  return sqsJobHandler(runtime, 'preview-maker', PreviewJob, finishSet);
}

let coldStart: SqsBatchHandler | undefined;
export const handler: SqsBatchHandler = (event) =>
  (coldStart ??= createPreviewMakerHandler(createPipelineRuntime('preview-maker')))(event);
