import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import {
  fitLongestEdge,
  intrinsicSize,
  rasterise,
  rasteriseForSpecs,
  renderRenditions,
  renditionSpecsFor,
} from '../../core/render/index.ts';
import type { RawImage } from '../../core/render/index.ts';
import { declaredSize } from '../../core/render/declared-size.ts';
import { halve, halveRaw, toStraight } from '../../core/render/halve.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';

const require = createRequire(import.meta.url);

/** `count` sanitised icons spread over a package's folder: real artwork, not generated shapes. */
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

/** Mean |alpha difference| (0-255) over every pixel: how far one raster's coverage is from another's. */
function meanAlphaDifference(a: RawImage, b: RawImage): number {
  expect([a.width, a.height]).to.deep.equal([b.width, b.height]);
  let sum = 0;
  for (let i = 3; i < a.data.length; i += 4) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / (a.data.length / 4);
}

const raw = (data: number[], width: number, height: number): RawImage => ({ data: Buffer.from(data), width, height, channels: 4 });

describe('core/render halving (exact 2:1 box downscale)', () => {
  it('averages on premultiplied alpha: one opaque red pixel among three transparent ones stays pure red at quarter alpha', () => {
    const halved = toStraight(halveRaw(raw([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 2, 2)));
    // Averaging straight colour would darken the edge to (64, 0, 0, 64): a dark fringe round every coloured stroke.
    expect([...halved.data]).to.deep.equal([255, 0, 0, 64]);
    const transparent = toStraight(halveRaw(raw([9, 9, 9, 0, 9, 9, 9, 0, 9, 9, 9, 0, 9, 9, 9, 0], 2, 2)));
    expect([...transparent.data], 'a fully transparent pixel is all zeros').to.deep.equal([0, 0, 0, 0]);
  });

  it('rounds once at the end of a chain: three halvings equal one 8x8 box mean', () => {
    // 8x8 pixels, alpha 255 in 3 of 64 (mean 11.95...): halving with rounding at every step would give 12 -> ... drift.
    // The four opaque pixels sit in a different corner of their 2x2 block at every level, so a transparent-block
    // shortcut that overlooks one corner (halve.ts) loses coverage here.
    const pixels = Array.from({ length: 64 }, (_, i) => (i % 21 === 0 ? [200, 100, 50, 255] : [0, 0, 0, 0])).flat();
    const chained = toStraight(halve(halve(halveRaw(raw(pixels, 8, 8)))));
    const coverage = (255 * 4) / 64; // indexes 0, 21, 42, 63
    expect([...chained.data]).to.deep.equal([200, 100, 50, Math.round(coverage)]);
  });

  it('reproduces direct draws of real icons at 128/64/32 px far more closely than a lanczos3 downscale', async function () {
    this.timeout(60_000);
    const icons = [...realIcons('lucide-static', 'icons', 8), ...realIcons('@mdi/svg', 'svg', 8), ...realIcons('@tabler/icons', 'icons/outline', 8)];
    const halvedError: number[] = [];
    const lanczosError: number[] = [];
    for (const svg of icons) {
      const intrinsic = await intrinsicSize(svg);
      const rasters = await rasteriseForSpecs(svg, renditionSpecsFor('icon-set'));
      const large = rasters.find((r) => r.size === 256)!.pixels;
      for (const size of [128, 64, 32]) {
        const direct = await rasterise(svg, intrinsic, fitLongestEdge(intrinsic, size));
        halvedError.push(meanAlphaDifference(rasters.find((r) => r.size === size)!.pixels, direct));
        const { data, info } = await sharp(large.data, { raw: { width: large.width, height: large.height, channels: 4 } })
          .resize(direct.width, direct.height, { kernel: 'lanczos3', fit: 'fill' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        lanczosError.push(meanAlphaDifference({ data, width: info.width, height: info.height, channels: 4 }, direct));
      }
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    // Per set and size, halved 0.06-0.9 and lanczos3 0.5-2.6 (config.ts, HALVE_MAX_EDGE): a resample is softer.
    expect(mean(halvedError), 'halved vs direct, mean over icons and sizes').to.be.below(0.6);
    expect(Math.max(...halvedError), 'halved vs direct, worst icon and size').to.be.below(2.5);
    expect(mean(lanczosError), 'the metric must tell a resample from a redraw').to.be.above(1);
  });

  it('draws the largest size once and halves the rest when the edges halve exactly; draws the others', async () => {
    const icon = realIcons('@tabler/icons', 'icons/outline', 1)[0]!;
    const rasters = await rasteriseForSpecs(icon, renditionSpecsFor('icon-set'));
    const by = new Map(rasters.map((r) => [r.size, r.pixels]));
    const half = halveRaw(by.get(256)!);
    const quarter = halve(half);
    expect(by.get(128)!.data.equals(toStraight(half).data)).to.equal(true);
    expect(by.get(64)!.data.equals(toStraight(quarter).data)).to.equal(true);
    expect(by.get(32)!.data.equals(toStraight(halve(quarter)).data)).to.equal(true);

    // 17.5 x 11 units: 256 x 161 px, and 128 px is 128 x 80, not half of 161: drawn directly.
    const odd = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="17.5" height="11"><path d="M1 1h15.5v9H1z" stroke="#000" fill="none"/></svg>');
    const oddRasters = await rasteriseForSpecs(odd, [{ size: 256, format: 'png' }, { size: 128, format: 'png' }]);
    const intrinsic = await intrinsicSize(odd);
    const direct = await rasterise(odd, intrinsic, fitLongestEdge(intrinsic, 128));
    const small = oddRasters.find((r) => r.size === 128)!.pixels;
    expect([small.width, small.height]).to.deep.equal([128, 80]);
    expect(small.data.equals(direct.data)).to.equal(true);
  });
});

describe('core/render declared size (read from the start tag, checked by librsvg)', () => {
  it("reads the sanitiser's rule: plain or px width/height, else the viewBox", () => {
    expect(declaredSize(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M0 0"/></svg>'))).to.deep.equal({ width: 24, height: 24, plain: true });
    expect(declaredSize(Buffer.from('<?xml version="1.0"?>\n<svg width="30px" height=\'12\' viewBox="0 0 60 24"/>'))).to.deep.equal({ width: 30, height: 12, plain: true });
    // One dimension and a viewBox: the sanitiser's rule takes the other from the viewBox, a renderer may not.
    expect(declaredSize(Buffer.from('<svg width="40" viewBox="0 0 20 10"/>'))).to.deep.equal({ width: 40, height: 20, plain: false });
    expect(declaredSize(Buffer.from('<svg width="2em" height="2em" viewBox="0 0 3 3"/>'))).to.deep.equal({ width: 3, height: 3, plain: false });
  });

  it('leaves to librsvg what it cannot read exactly: other units, entities, comments before the root, no size', () => {
    for (const svg of [
      '<svg width="2em" height="2em"/>',
      '<svg width="&#50;4" height="24"/>',
      '<!-- a --><svg viewBox="0 0 24 24"/>',
      '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>',
      '<svg viewBox="0 0 24 24" viewBox="0 0 48 48"/>',
    ]) {
      expect(declaredSize(Buffer.from(svg)), svg).to.equal(undefined);
    }
  });

  it('falls back to the probes when librsvg reads the size otherwise, with exactly their raster', async () => {
    // The start tag is readable but 2em is not a user length, so the size rule takes the 3-unit viewBox; librsvg
    // reads 2em as 24 px, so a 256 px draw of "3 units" comes out 2048 px: the check must catch it.
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="2em" height="2em" viewBox="0 0 3 3"><rect x="1" width="1" height="3"/></svg>');
    expect(declaredSize(svg)).to.deep.equal({ width: 3, height: 3, plain: false });
    const [rendered] = await rasteriseForSpecs(svg, [{ size: 256, format: 'png' }]);
    const intrinsic = await intrinsicSize(svg);
    const probed = await rasterise(svg, intrinsic, fitLongestEdge(intrinsic, 256));
    expect([rendered!.pixels.width, rendered!.pixels.height]).to.deep.equal([256, 256]);
    expect(rendered!.pixels.data.equals(probed.data)).to.equal(true);
  });

  it("leaves a draw over the pixel limit to the probes' verdict", async () => {
    // librsvg scales pt twice with the density: the shortcut's draw trips the pixel limit before its check. That
    // must not decide; the probes do (here they trip it too, as before the shortcut: "cannot read SVG").
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="3pt" height="3pt" viewBox="0 0 3 3"><rect width="3" height="3"/></svg>');
    expect(declaredSize(svg)).to.deep.equal({ width: 3, height: 3, plain: false });
    const error = await renderRenditions(svg, [{ size: 256, format: 'png' }]).then(() => undefined, (caught: unknown) => caught);
    expect((error as Error).message).to.match(/^cannot read SVG: .*pixel limit/);
  });
});
