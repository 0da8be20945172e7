import { expect } from 'chai';
import { customKey, familyPreviewKey, fullSizeRenditionKey, originalKey, renditionKey, setZipKey, uploadKey } from '../../core/storage/index.ts';
import { CUSTOM_PREFIX, FAMILY_PREVIEW_PREFIX, FULL_SIZE_PREFIX, ORIGINALS_PREFIX, PREVIEW_PREFIX, SET_ZIP_PREFIX, UPLOAD_PREFIX, UPLOAD_SUFFIX } from '../../infra/components/storage.ts';

/** IAM grants and CloudFront behaviours are scoped by prefix; they must match the keys core writes. */
describe('infra key prefixes match core/storage', () => {
  const id = '0b0c1d2e-3f40-4152-8637-48596a7b8c9d';
  it('uploads, originals, renditions, family previews, set ZIPs and customised renders', () => {
    const upload = uploadKey(id, id);
    expect(upload.startsWith(UPLOAD_PREFIX) && upload.endsWith(UPLOAD_SUFFIX)).to.equal(true);
    expect(originalKey(id, id).startsWith(ORIGINALS_PREFIX)).to.equal(true);
    expect(renditionKey(id, 'ab'.repeat(16), id, 256, 'png').startsWith(PREVIEW_PREFIX)).to.equal(true);
    expect(familyPreviewKey(id, 1, 'webp').startsWith(FAMILY_PREVIEW_PREFIX)).to.equal(true);
    expect(setZipKey(id).startsWith(SET_ZIP_PREFIX)).to.equal(true);
    expect(customKey(id, id, 'a'.repeat(64), 'png').startsWith(CUSTOM_PREFIX)).to.equal(true);
    expect(fullSizeRenditionKey(id, id, 1280, 'png').startsWith(FULL_SIZE_PREFIX)).to.equal(true);
  });
});
