import { createPipelineRuntime, type PipelineRuntime } from '../../core/pipeline/environment.ts';
import { rebuildFamilyPreview } from '../../core/pipeline/family-preview.ts';
import { finishSet } from '../../core/pipeline/finish-set.ts';
import { PreviewMakerJob } from '../../core/queue/messages.ts';
import { sqsJobHandler, type SqsBatchHandler } from '../shared/sqs-records.ts';

/**
 * Delayed "finish this set" jobs → set ZIP, family preview, "set ready" / "set failed"; and "rebuild this
 * family's preview" jobs from the API when a set is published, unpublished or blocked.
 */
export function createPreviewMakerHandler(runtime: PipelineRuntime): SqsBatchHandler {
  return sqsJobHandler(
    runtime,
    'preview-maker',
    PreviewMakerJob,
    (ctx, job) => (job.type === 'make-preview' ? finishSet(ctx, job) : rebuildFamilyPreview(ctx, job.familyId)),
    // On the preview queue's last receive a failing job is dead-lettered with its reason.
    { maxReceiveCount: runtime.maxReceiveCount },
  );
}

let coldStart: SqsBatchHandler | undefined;
export const handler: SqsBatchHandler = (event) =>
  (coldStart ??= createPreviewMakerHandler(createPipelineRuntime('preview-maker')))(event);
