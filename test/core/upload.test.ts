import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { UploadRejectedError, type UploadProblem } from '../../core/problems.ts';
import { validateUpload } from '../../core/upload.ts';
import { iconSvg, illustrationSvg } from '../fixtures/svgs.ts';
import { buildUploadZip, iconSetFiles, iconSetManifest, imagesFor, validIconSetZip, validIllustrationSetZip } from '../fixtures/uploads.ts';

async function rejection(zip: Buffer): Promise<UploadProblem[]> {
  try {
    await validateUpload(zip);
  } catch (error) {
    if (error instanceof UploadRejectedError) return error.problems;
    throw error;
  }
  return expect.fail('expected the upload to be rejected');
}

const SCRIPTED_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script></svg>';

describe('core/upload validateUpload', () => {
  it('returns the manifest and sanitised images in manifest order, with sizes and hashes', async () => {
    const upload = await validateUpload(await validIconSetZip(4));
    expect(upload.manifest.product.kind).to.equal('icon-set');
    expect(upload.images.map((i) => [i.index, i.file])).to.deep.equal([
      [0, 'line/sun-1.svg'],
      [1, 'line/cloud-rain-2.svg'],
      [2, 'line/bolt-3.svg'],
      [3, 'line/moon-4.svg'],
    ]);
    for (const image of upload.images) {
      expect([image.width, image.height]).to.deep.equal([24, 24]);
      expect(image.sha256).to.equal(createHash('sha256').update(image.svg).digest('hex'));
      expect(image.title).to.equal(upload.manifest.images[image.index]!.title);
      expect(image.tags).to.deep.equal(upload.manifest.images[image.index]!.tags);
    }
  });

  it('accepts a wrapped illustration set', async () => {
    const upload = await validateUpload(await validIllustrationSetZip(2, { wrapper: 'Landscapes' }));
    expect(upload.images.map((i) => [i.file, i.width, i.height])).to.deep.equal([
      ['landscape-1.svg', 800, 600],
      ['landscape-2.svg', 800, 600],
    ]);
  });

  it('returns the sanitised bytes, not the uploaded ones', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" onload="alert(1)"><circle cx="12" cy="12" r="5"/></svg>`;
    const upload = await validateUpload(await buildUploadZip({ files: { 'dot.svg': svg } }));
    const out = upload.images[0]!.svg.toString();
    expect(out).to.contain('<circle');
    expect(out).to.not.contain('onload');
  });

  it('uses the order of the manifest, not of the archive', async () => {
    const files = iconSetFiles(3);
    const reversed = imagesFor(Object.keys(files).reverse());
    const upload = await validateUpload(await buildUploadZip({ files, manifest: iconSetManifest({ images: reversed }) }));
    expect(upload.images.map((i) => i.file)).to.deep.equal(reversed.map((i) => i.file));
  });

  describe('cross-check', () => {
    it('reports a listed file that is missing from the archive', async () => {
      const files = { 'line/sun.svg': iconSvg(0), 'line/moon.svg': iconSvg(3) };
      const images = [...imagesFor(Object.keys(files)), { file: 'line/sunn.svg', title: 'Typo' }];
      const problems = await rejection(await buildUploadZip({ files, manifest: iconSetManifest({ images }) }));
      expect(problems).to.deep.equal([
        { file: 'line/sunn.svg', field: 'images[2].file', message: '"line/sunn.svg" is listed but not in the archive' },
      ]);
    });

    it('reports an SVG in the archive that the manifest does not list', async () => {
      const files = { 'sun.svg': iconSvg(0), 'extra.svg': iconSvg(1) };
      const problems = await rejection(await buildUploadZip({ files, manifest: iconSetManifest({ images: imagesFor(['sun.svg']) }) }));
      expect(problems).to.deep.equal([{ file: 'extra.svg', message: 'file "extra.svg" is in the archive but not listed in manifest.json' }]);
    });

    it('matches paths exactly, relative to the wrapping folder', async () => {
      const files = { 'Sun.svg': iconSvg(0) };
      const problems = await rejection(
        await buildUploadZip({ wrapper: 'set', files, manifest: iconSetManifest({ images: imagesFor(['set/Sun.svg']) }) }),
      );
      expect(problems.map((p) => p.message)).to.have.members([
        '"set/Sun.svg" is listed but not in the archive',
        'file "Sun.svg" is in the archive but not listed in manifest.json',
      ]);
    });
  });

  it('names the file and field of an SVG the sanitiser refuses', async () => {
    const files = { 'ok.svg': iconSvg(0), 'bad.svg': 'this is not xml <<<' };
    const problems = await rejection(await buildUploadZip({ files }));
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ file: 'bad.svg', field: 'images[1].file' });
    expect(problems[0]!.message).to.be.a('string').and.not.equal('');
  });

  it('collects problems from every stage into one rejection', async () => {
    const files = { 'sun.svg': iconSvg(0), 'unlisted.svg': illustrationSvg(0), 'broken.svg': '<svg' };
    const manifest = iconSetManifest({
      images: [
        { file: 'sun.svg', title: 'Sun' },
        { file: 'broken.svg', title: 'Broken' },
        { file: 'missing.svg', title: 'Missing' },
        { file: 'notes.svg', title: 'Rejected by the archive checks' },
      ],
    });
    const zip = await buildUploadZip({ files, manifest, extraEntries: [{ name: 'notes.txt', content: 'x' }, { name: 'notes.svg', content: '/etc/passwd', unixPermissions: 0o120777 }] });
    const problems = await rejection(zip);
    const where = problems.map((p) => p.field ?? p.file);
    expect(where).to.have.members(['notes.txt', 'notes.svg', 'images[2].file', 'unlisted.svg', 'images[1].file']);
    // The link was reported by the archive checks; it is not reported again as missing.
    expect(problems.filter((p) => p.file === 'notes.svg')).to.have.length(1);
  });

  it('still reports bad SVGs when the manifest itself is invalid', async () => {
    const files = { 'sun.svg': iconSvg(0), 'evil.svg': 'not svg at all' };
    const manifest = iconSetManifest({ product: { kind: 'icons' }, images: imagesFor(Object.keys(files)) });
    const problems = await rejection(await buildUploadZip({ files, manifest, extraEntries: [{ name: 'x.txt', content: 'x' }] }));
    expect(problems.map((p) => p.field ?? p.file)).to.have.members(['x.txt', 'product.kind', 'evil.svg']);
  });

  it('without manifest.json, still checks every SVG present and reports each problem in the same rejection', async () => {
    const files = {
      'sun.svg': SCRIPTED_SVG, // sanitisable: not a problem
      'line/broken.svg': '<svg',
      'line/page.svg': '<html><body/></html>',
      'sizeless.svg': '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    };
    const zip = await buildUploadZip({ manifest: null, files, extraEntries: [{ name: 'notes.txt', content: 'x' }] });
    expect(await rejection(zip)).to.have.deep.members([
      {
        message:
          'the archive holds no manifest.json; put manifest.json at the top level of the archive or inside the one folder that holds everything',
      },
      { file: 'notes.txt', message: 'is not allowed: an upload holds only .svg files and one manifest.json' },
      {
        file: 'line/broken.svg',
        message: 'is not well-formed XML (unexpected end of input at line 1, column 1); open it in an editor and save it again as SVG',
      },
      { file: 'line/page.svg', message: 'is not an SVG image: its root element is <html>, not <svg>' },
      {
        file: 'sizeless.svg',
        message:
          'has no width, height or viewBox, so its size is unknown; add a viewBox (e.g. viewBox="0 0 24 24") to the <svg> element',
      },
    ]);
  });

  it('with two manifest.json files, still checks every SVG by its path in the archive', async () => {
    const zip = await buildUploadZip({
      files: { 'sun.svg': iconSvg(0), 'bad.svg': 'not svg at all' },
      extraEntries: [{ name: 'extra/manifest.json', content: '{}' }],
    });
    expect(await rejection(zip)).to.have.deep.members([
      { message: 'the archive holds 2 manifest.json files ("manifest.json", "extra/manifest.json"); an upload has exactly one' },
      {
        file: 'bad.svg',
        message: 'is not well-formed XML (missing root element); open it in an editor and save it again as SVG',
      },
    ]);
  });
});
