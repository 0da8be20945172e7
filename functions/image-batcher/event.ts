import { z } from 'zod';
import type { UploadedObject } from '../../core/pipeline/ingest-upload.ts';

/** S3 "Object Created" delivered by EventBridge (the deployed path). */
const EventBridgeObjectCreated = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({ key: z.string(), size: z.number().optional(), etag: z.string().optional() }),
  }),
});

/** The plain S3 notification shape (direct bucket notification, or S3 → SNS/SQS forwarding). */
const S3Notification = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      s3: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string(), size: z.number().optional(), eTag: z.string().optional() }),
      }),
    }),
  ),
});

/** The uploaded objects an event is about; object keys in S3 notifications are URL-encoded. */
export function uploadedObjects(event: unknown): UploadedObject[] {
  const bridged = EventBridgeObjectCreated.safeParse(event);
  if (bridged.success) {
    const { bucket, object } = bridged.data.detail;
    return [{ bucket: bucket.name, key: object.key, size: object.size, etag: object.etag }];
  }
  const notification = S3Notification.safeParse(event);
  if (notification.success) {
    return notification.data.Records.filter((r) => r.eventName.startsWith('ObjectCreated:')).map((r) => ({
      bucket: r.s3.bucket.name,
      key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
      size: r.s3.object.size,
      etag: r.s3.object.eTag,
    }));
  }
  throw new Error(`ImageBatcher: not an S3 Object Created event: ${JSON.stringify(event).slice(0, 200)}`);
}
