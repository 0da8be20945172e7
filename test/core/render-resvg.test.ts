import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import { fitLongestEdge, intrinsicSize, rasterise, rasteriseForSpecs, renditionSpecsFor } from '../../core/render/index.ts';
import type { RawImage } from '../../core/render/index.ts';
import { fromPremultipliedBytes, toStraight } from '../../core/render/halve.ts';
import { drawWithResvg, RESVG_MAX_DOCUMENT_BYTES } from '../../core/render/resvg-draw.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';

const require = createRequire(import.meta.url);

function realIcons(pkg: string, folder: string, count: number): Buffer[] {
  const dir = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), folder);
  const files = readdirSync(dir).filter((f) => f.endsWith('.svg')).sort();
  const step = Math.floor(files.length / count);
  return Array.from({ length: count }, (_, i) => {
    const result = sanitizeSvg(readFileSync(path.join(dir, files[i * step]!)));
    if (!result.ok) throw new Error(`${files[i * step]}: ${result.reason}`);
    return result.svg;
  });
}

const raw = (data: number[], width: number, height: number): RawImage => ({ data: Buffer.from(data), width, height, channels: 4 });

/** Mean |difference| (0-255) of one channel (3: alpha) over every pixel. */
function meanDifference(a: RawImage, b: RawImage, channel: number): number {
  expect([a.width, a.height]).to.deep.equal([b.width, b.height]);
  let sum = 0;
  for (let i = channel; i < a.data.length; i += 4) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / (a.data.length / 4);
}

async function largestRaster(svg: Buffer): Promise<RawImage> {
  return (await rasteriseForSpecs(svg, renditionSpecsFor('icon-set'))).find((r) => r.size === 256)!.pixels;
}

async function librsvgRaster(svg: Buffer, size: number): Promise<RawImage> {
  const intrinsic = await intrinsicSize(svg);
  return rasterise(svg, intrinsic, fitLongestEdge(intrinsic, size));
}

/** What resvg itself draws at 256 px, in straight alpha. */
async function resvgRaster(svg: Buffer): Promise<RawImage | undefined> {
  const intrinsic = await intrinsicSize(svg);
  const drawn = await drawWithResvg(svg, fitLongestEdge(intrinsic, 256));
  return drawn && fromPremultipliedBytes(drawn).straight;
}

describe('core/render resvg draw (premultiplied 8-bit input)', () => {
  it('unpremultiplies and halves in one pass: an opaque red pixel among three transparent ones', () => {
    const { straight, half } = fromPremultipliedBytes(raw([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2, 2));
    expect([...straight.data]).to.deep.equal([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...toStraight(half!).data], 'premultiplied means keep the colour at quarter alpha').to.deep.equal([255, 0, 0, 64]);
    const transparent = fromPremultipliedBytes(raw([9, 9, 9, 0, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2, 2));
    expect([...transparent.straight.data], 'a fully transparent pixel is all zeros').to.deep.equal(new Array(16).fill(0));
  });

  it('matches per-pixel arithmetic on every channel, in order, including translucent pixels and odd edges', () => {
    // 6x4 premultiplied pixels (channel <= alpha), every channel different, some transparent and some opaque.
    const pixels: number[] = [];
    for (let p = 0; p < 24; p++) {
      const a = p % 5 === 0 ? 0 : p % 3 === 0 ? 255 : 37 + p * 9;
      pixels.push(Math.floor((a * ((p * 7) % 11)) / 10), Math.floor((a * ((p * 3) % 7)) / 6), Math.floor((a * ((p * 5) % 13)) / 12), a);
    }
    const { straight, half } = fromPremultipliedBytes(raw(pixels, 6, 4));
    const expected = pixels.map((value, i) => {
      const a = pixels[i - (i % 4) + 3]!;
      if (a === 0) return 0;
      return i % 4 === 3 ? a : Math.min(255, Math.round((value * 255) / a));
    });
    expect([...straight.data]).to.deep.equal(expected);
    // The half: box means on halveRaw's scale (colour · alpha for colours, alpha for alpha).
    const means: number[] = [];
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        for (let c = 0; c < 4; c++) {
          const at = (px: number, py: number) => pixels[(py * 6 + px) * 4 + c]!;
          const sum = at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1);
          means.push(c === 3 ? sum / 4 : (sum * 255) / 4);
        }
      }
    }
    expect([half!.width, half!.height]).to.deep.equal([3, 2]);
    expect([...half!.data]).to.deep.equal(means);
    // An odd edge cannot be halved exactly: the straight pixels only.
    const odd = fromPremultipliedBytes(raw(pixels.slice(0, 12), 3, 1));
    expect(odd.half).to.equal(undefined);
    expect([...odd.straight.data]).to.deep.equal(expected.slice(0, 12));
  });

  it("draws real icons' largest size with resvg, as librsvg would within a fraction of a level", async function () {
    this.timeout(60_000);
    const icons = [...realIcons('lucide-static', 'icons', 8), ...realIcons('@mdi/svg', 'svg', 8), ...realIcons('@tabler/icons', 'icons/outline', 8)];
    const differences: number[] = [];
    for (const svg of icons) {
      const rendered = await largestRaster(svg);
      const byResvg = await resvgRaster(svg);
      expect(byResvg, 'resvg draws a plain icon').to.not.equal(undefined);
      expect(rendered.data.equals(byResvg!.data), 'the renditions use the resvg raster').to.equal(true);
      differences.push(meanDifference(rendered, await librsvgRaster(svg, 256), 3));
    }
    // Measured 0.21-0.38 per set (max 0.62 of 120 icons): antialiasing differs, the drawing does not.
    expect(differences.reduce((a, b) => a + b, 0) / differences.length, 'mean alpha difference').to.be.below(0.5);
    expect(Math.max(...differences), 'worst icon').to.be.below(1);
  });

  it('keeps colours and translucency: straight alpha out, as librsvg draws them', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">' +
        '<rect x="2" y="2" width="20" height="9" fill="rgb(200,100,50)"/>' +
        '<circle cx="12" cy="15" r="7" fill="#2563eb" fill-opacity="0.5"/></svg>',
    );
    const rendered = await largestRaster(svg);
    expect(rendered.data.equals((await resvgRaster(svg))!.data), 'drawn by resvg').to.equal(true);
    const librsvg = await librsvgRaster(svg, 256);
    // A translucent blue pixel in the circle's lower half: straight colour (37, 99, 235) at alpha 128, not the
    // premultiplied (19, 50, 118); both renderers store 8-bit premultiplied pixels, so each is off by a few levels.
    const i = (200 * 256 + 128) * 4;
    for (const drawn of [rendered, librsvg]) {
      const [r, g, b, a] = drawn.data.subarray(i, i + 4);
      expect([r, g, b, a].map((value, c) => Math.abs(value! - [37, 99, 235, 128][c]!) <= 3)).to.deep.equal([true, true, true, true]);
    }
    // Measured 0.78 / 0.80 / 0.64 / 0.21 (edge pixels, whose straight colour both renderers recover from 8 bits);
    // premultiplied pixels passed on as straight would be off by ~30 in blue.
    for (const channel of [0, 1, 2, 3]) expect(meanDifference(rendered, librsvg, channel), `channel ${channel}`).to.be.below(1.5);
  });

  it('leaves to librsvg text, filters, fractional sizes and large documents', async () => {
    const filter = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><filter id="b"><feGaussianBlur stdDeviation="1"/></filter><rect x="4" y="4" width="16" height="16" filter="url(#b)"/></svg>',
    );
    const text = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"><text x="2" y="18" font-size="16">A</text></svg>');
    const fractional = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 23.5 23.5"><path d="M2 2h19v19H2z" stroke="#000"/></svg>');
    const comment = `<!--${'x'.repeat(RESVG_MAX_DOCUMENT_BYTES)}-->`;
    const large = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">${comment}<path d="M2 2h20v20H2z"/></svg>`);
    for (const [name, svg] of [['text', text], ['filter', filter], ['fractional size', fractional], ['large document', large]] as const) {
      const rendered = await largestRaster(svg);
      expect(rendered.data.equals((await librsvgRaster(svg, 256)).data), name).to.equal(true);
    }
    // resvg, which is given no fonts, would have left the letter out.
    expect((await resvgRaster(text))!.data.some((value) => value !== 0)).to.equal(false);
  });
});
