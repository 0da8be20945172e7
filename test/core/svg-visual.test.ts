/**
 * A clean icon must come out of the sanitiser visually identical: every corpus file is
 * rendered before and after with sharp (librsvg) and the RGBA pixels must match exactly.
 */
import { expect } from 'chai';
import sharp from 'sharp';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { loadCorpus } from '../fixtures/svg-corpus/corpus.ts';
import { assertSafeSvg } from '../fixtures/svg-corpus/safety.ts';

/** Longest side of each rendering, in pixels: large enough that a lost stroke or stop shows. */
const RENDER_SIZE = 128;

async function render(svg: Buffer, density: number): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(svg, { density }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function differingPixels(a: Buffer, b: Buffer): { pixels: number; maxChannelDifference: number } {
  let pixels = 0;
  let maxChannelDifference = 0;
  for (let offset = 0; offset < a.length; offset += 4) {
    let differs = false;
    for (let channel = 0; channel < 4; channel++) {
      const difference = Math.abs((a[offset + channel] ?? 0) - (b[offset + channel] ?? 0));
      if (difference > 0) differs = true;
      maxChannelDifference = Math.max(maxChannelDifference, difference);
    }
    if (differs) pixels++;
  }
  return { pixels, maxChannelDifference };
}

describe('core/svg sanitizeSvg keeps what a designer drew', () => {
  const corpus = loadCorpus();
  const outputs: string[] = [];

  it('samples a corpus of real icons, flags and logos', () => {
    expect(corpus.length).to.be.greaterThanOrEqual(100);
  });

  for (const file of corpus) {
    it(`renders ${file.name} identically after sanitising`, async () => {
      const result = sanitizeSvg(file.svg);
      if (!result.ok) expect.fail(`rejected: ${result.reason}`);
      assertSafeSvg(result.svg);
      outputs.push(result.svg.toString('utf8'));

      const again = sanitizeSvg(result.svg);
      expect(again.ok && again.svg.equals(result.svg), 'idempotent').to.equal(true);

      const density = (72 * RENDER_SIZE) / Math.max(result.width, result.height);
      const before = await render(file.svg, density);
      const after = await render(result.svg, density);
      expect([after.width, after.height]).to.deep.equal([before.width, before.height]);

      const opaque = before.data.some((value, index) => index % 4 === 3 && value > 0);
      expect(opaque, 'the original renders something (a blank pair would prove nothing)').to.equal(true);
      const diff = differingPixels(before.data, after.data);
      expect(diff, `removed: ${JSON.stringify(result.removed)}`).to.deep.equal({ pixels: 0, maxChannelDifference: 0 });
    });
  }

  it('covered gradients, masks, clip paths, filters, patterns, markers, text and <use>', () => {
    const all = outputs.join('\n');
    for (const element of ['linearGradient', 'radialGradient', 'mask', 'clipPath', 'filter', 'feGaussianBlur', 'feTurbulence',
      'pattern', 'marker', 'symbol', 'use', 'text', 'tspan', 'textPath', 'style', 'switch']) {
      expect(all, `no sanitised corpus file kept a <${element}>`).to.match(new RegExp(`<${element}[ >]`));
    }
    expect(all).to.include('xlink:href="#');
  });

  it('strips Inkscape metadata and makes the file smaller', () => {
    const file = corpus.find(({ name }) => name.endsWith('inkscape-export.svg'));
    const result = file && sanitizeSvg(file.svg);
    if (!result?.ok) expect.fail('the Inkscape fixture must be accepted');
    const text = result.svg.toString('utf8');
    expect(text).not.to.match(/sodipodi|inkscape|rdf:|metadata/);
    expect(result.svg.length).to.be.lessThan(file!.svg.length / 2);
    expect(result.removed).to.include('<sodipodi:namedview>');
    expect(result.removed).to.include('CSS property "-inkscape-font-specification" in style attribute on <text>');
  });
});
