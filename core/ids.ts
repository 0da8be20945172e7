import { createHash } from 'node:crypto';

/**
 * Deterministic ids derived from the upload id (RFC 4122 version 5 style, SHA-1 based).
 * A redelivered S3 event must produce the same product and image ids, so every object
 * key written before the catalog transaction is the same on a retry and nothing is duplicated.
 */
function uuidFrom(namespace: string, name: string): string {
  const hash = createHash('sha1').update(namespace).update('\0').update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function productIdForUpload(uploadId: string): string {
  return uuidFrom('product', uploadId);
}

export function imageIdFor(productId: string, index: number): string {
  return uuidFrom('image', `${productId}/${index}`);
}
