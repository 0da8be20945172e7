import { z } from 'zod';

/** One image of an accepted upload to render (ImageProcessor queue). */
export const ImageJob = z.strictObject({
  type: z.literal('process-image'),
  uploadId: z.uuid(),
  productId: z.uuid(),
  imageId: z.uuid(),
  /** Render again even if the image is ready (batch reprocessing after sizes or formats change). */
  rerender: z.boolean().optional(),
});
export type ImageJob = z.infer<typeof ImageJob>;

/** Finish a set once its images are rendered (PreviewMaker queue, delayed). */
export const PreviewJob = z.strictObject({
  type: z.literal('make-preview'),
  uploadId: z.uuid(),
  productId: z.uuid(),
  familyId: z.uuid(),
  /** 1 for the first delivery; bumped each time the job is re-queued because images are still pending. */
  attempt: z.number().int().min(1),
});
export type PreviewJob = z.infer<typeof PreviewJob>;

/**
 * Render a family's preview again from its visible sets (PreviewMaker queue). The API sends it when a set
 * is published, unpublished or blocked, so a hidden set's artwork leaves the public preview.
 */
export const FamilyPreviewJob = z.strictObject({
  type: z.literal('rebuild-family-preview'),
  familyId: z.uuid(),
});
export type FamilyPreviewJob = z.infer<typeof FamilyPreviewJob>;

/** What the PreviewMaker queue carries. */
export const PreviewMakerJob = z.discriminatedUnion('type', [PreviewJob, FamilyPreviewJob]);
export type PreviewMakerJob = z.infer<typeof PreviewMakerJob>;

/** Parses a queue message body; throws a readable error for anything else. */
export function parseJob<T>(schema: z.ZodType<T>, body: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidJobError(`message body is not JSON: ${body.slice(0, 80)}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new InvalidJobError(`message body is not a valid job: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** A message that can never succeed: retrying it is pointless, it goes to the dead-letter queue. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}
