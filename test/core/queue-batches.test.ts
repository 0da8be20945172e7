import { expect } from 'chai';
import { sendBatches } from '../../core/queue/sqs.ts';
import { ImageJob, MAX_CARRIED_SVG_BYTES } from '../../core/queue/messages.ts';

describe('core/queue image job batches', () => {
  it('packs at most ten bodies and at most 240 KiB into one SendMessageBatch (SQS allows 256 KiB together)', () => {
    const small = Array.from({ length: 23 }, (_, i) => `job-${i}`);
    expect(sendBatches(small).map((batch) => batch.length)).to.deep.equal([10, 10, 3]);
    // Ten carried SVGs at the limit, every character escaped by JSON (twice the bytes): two requests, never one.
    const heavy = Array.from({ length: 10 }, () => JSON.stringify({ svg: '"'.repeat(MAX_CARRIED_SVG_BYTES) }));
    const batches = sendBatches(heavy);
    expect(batches.flat()).to.deep.equal(heavy);
    for (const batch of batches) expect(batch.reduce((n, body) => n + Buffer.byteLength(body), 0)).to.be.at.most(240 * 1024);
    expect(batches.length).to.be.above(1);
    expect(sendBatches([])).to.deep.equal([]);
  });

  it('accepts a carried SVG up to MAX_CARRIED_SVG_BYTES and refuses a larger one', () => {
    const job = { type: 'process-image', uploadId: crypto.randomUUID(), productId: crypto.randomUUID(), imageId: crypto.randomUUID() };
    expect(ImageJob.safeParse({ ...job, svg: 'x'.repeat(MAX_CARRIED_SVG_BYTES) }).success).to.equal(true);
    expect(ImageJob.safeParse({ ...job, svg: 'x'.repeat(MAX_CARRIED_SVG_BYTES + 1) }).success).to.equal(false);
  });
});
