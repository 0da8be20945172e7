import { z } from 'zod';

/**
 * Largest sanitised SVG an image job carries (UTF-8 bytes). Icons are well under 1 KB; ten jobs of this size
 * still fit one SendMessageBatch (256 KiB for the whole batch, core/queue/sqs.ts packs by size).
 */
export const MAX_CARRIED_SVG_BYTES = 16 * 1024;

/** One image of an accepted upload to render (ImageProcessor queue). */
export const ImageJob = z.strictObject({
  type: z.literal('process-image'),
  uploadId: z.uuid(),
  productId: z.uuid(),
  imageId: z.uuid(),
  /** Render again even if the image is ready (batch reprocessing after sizes or formats change). */
  rerender: z.boolean().optional(),
  /**
   * The sanitised original, when ImageBatcher had it in memory and it fits (MAX_CARRIED_SVG_BYTES): saves
   * ImageProcessor a GET per image. Used only when its SHA-256 is the catalog's for the image, so a job from
   * anyone else who can send to the queue renders nothing but the stored original.
   */
  svg: z.string().max(MAX_CARRIED_SVG_BYTES).optional(),
});
export type ImageJob = z.infer<typeof ImageJob>;

/**
 * How many times SQS hands an image job to ImageProcessor before it is dead-lettered: the image queue's
 * redrive `maxReceiveCount` (infra/components/pipeline.ts and scripts/local/aws-resources.ts use the same 3).
 * On the last receive ImageProcessor fails the image with the error and dead-letters the job itself,
 * with the reason, so the set finishes at once instead of waiting for the stall window.
 */
export const IMAGE_JOB_MAX_RECEIVES = 3;

/**
 * Finish a set (PreviewMaker queue). Two senders: ImageProcessor, the moment it settles a set's last
 * pending image (`trigger: 'last-image'`, no delay); and the watchdog, first queued by ImageBatcher
 * with the deployed delay, which re-queues itself while images make progress and fails the set only
 * when none has for the stall window. A job without `trigger` (queued before triggers existed) is a watchdog.
 */
export const PreviewJob = z.strictObject({
  type: z.literal('make-preview'),
  uploadId: z.uuid(),
  productId: z.uuid(),
  familyId: z.uuid(),
  /** 1 for the first delivery; bumped each time the watchdog re-queues itself. */
  attempt: z.number().int().min(1),
  trigger: z.enum(['last-image', 'watchdog']).optional(),
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

/** Which delivery of its message a job is (SQS counts receives; the last one before redrive may act on it). */
export interface JobDelivery {
  messageId: string;
  receiveCount: number;
}

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

/** A message that can never succeed: retrying it is pointless, it goes to the dead-letter queue with this reason. */
export class UndeliverableJobError extends Error {
  override name = 'UndeliverableJobError';
}

/** The body is not a job at all. */
export class InvalidJobError extends UndeliverableJobError {
  override name = 'InvalidJobError';
}

/** A valid job about something the catalog does not hold (deleted, or never accepted). */
export class MissingJobTargetError extends UndeliverableJobError {
  override name = 'MissingJobTargetError';
}
