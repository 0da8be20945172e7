/**
 * The storefront's upload aids follow the pipeline's rules: the sample ZIP passes the real upload validation,
 * and the browser checker reports what the pipeline would reject, in the pipeline's words.
 */
import { expect } from 'chai';
import { checkUploadZip } from '../../app/web/lib/check-upload.ts';
import { buildSampleUpload, SAMPLE_FILES } from '../../app/web/lib/sample-upload.ts';
import { UploadRejectedError } from '../../core/problems.ts';
import { validateUpload } from '../../core/upload.ts';
import { buildUploadZip, iconSetManifest, imagesFor } from '../fixtures/uploads.ts';
import { iconSvg } from '../fixtures/svgs.ts';

async function pipelineProblems(zip: Buffer) {
  try {
    await validateUpload(zip);
    return [];
  } catch (error) {
    if (error instanceof UploadRejectedError) return error.problems;
    throw error;
  }
}

describe('upload format aids: sample ZIP and the in-browser checker', () => {
  it('the sample ZIP is a valid upload for the pipeline and for the checker', async () => {
    const zip = Buffer.from(await buildSampleUpload());
    const valid = await validateUpload(zip);
    expect(valid.images.map((image) => image.file)).to.deep.equal(Object.keys(SAMPLE_FILES));
    const checked = await checkUploadZip(new Blob([zip]));
    expect(checked.problems).to.deep.equal([]);
    expect(checked.manifest?.product.title).to.equal('Sample Weather Icons');
  });

  it('reports the layout, manifest and file-list problems the pipeline reports, in the same words', async () => {
    const manifest = iconSetManifest({ images: [...imagesFor(['sun.svg']), { file: 'line/sunn.svg', title: 'Missing', tags: [] }] });
    (manifest.product as Record<string, unknown>).license = 'gpl';
    const bad = await buildUploadZip({ manifest, files: { 'sun.svg': iconSvg(0), 'notes.txt': 'hello' } });
    const checked = await checkUploadZip(new Blob([bad]));
    expect(checked.problems.length).to.be.greaterThan(1);
    expect(checked.problems).to.deep.equal(await pipelineProblems(bad));

    const listing = await buildUploadZip({
      files: { 'sun.svg': iconSvg(0), 'extra.svg': iconSvg(1) },
      manifest: iconSetManifest({ images: imagesFor(['sun.svg', 'moon.svg']) }),
    });
    const listed = await checkUploadZip(new Blob([listing]));
    expect(listed.problems).to.deep.equal([
      { file: 'moon.svg', field: 'images[1].file', message: '"moon.svg" is listed but not in the archive' },
      { file: 'extra.svg', message: 'file "extra.svg" is in the archive but not listed in manifest.json' },
    ]);
    expect(listed.problems).to.deep.equal(await pipelineProblems(listing));
  });

  it('refuses what is not a ZIP', async () => {
    const notZip = await checkUploadZip(new Blob([Buffer.from('not a zip')]));
    expect(notZip.problems).to.deep.equal([{ message: 'the upload is not a ZIP archive; compress the folder with manifest.json and the SVG files as .zip' }]);
  });
});
