import { expect } from 'chai';
import sharp from 'sharp';
import { MAX_FAMILY_PREVIEW_ITEMS } from '../../core/limits.ts';
import {
  encodeRenditionsFromPixels,
  rasteriseForSpecs,
  PREVIEW_MAX_EDGE,
  renderFamilyPreview,
  RenderError,
  renderRenditions,
  renditionSpecsFor,
} from '../../core/render/index.ts';
import type { Rendition } from '../../core/render/index.ts';
import { iconSvg, illustrationSvg } from '../fixtures/svgs.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const isWebp = (bytes: Buffer) =>
  bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP';

const icon = Buffer.from(iconSvg(0));
const illustration = Buffer.from(illustrationSvg(0));
/** 30 x 12 user units: a wide, non-square aspect ratio. */
const wideBanner = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="12" viewBox="0 0 30 12"><rect x="1" y="1" width="28" height="10" rx="2" fill="#2563eb"/></svg>',
);

/** Share of visible pixels whose alpha is neither (nearly) transparent nor (nearly) opaque: the edge blur. */
function edgeBlur(rgba: Buffer): number {
  let partial = 0;
  let visible = 0;
  for (let i = 3; i < rgba.length; i += 4) {
    const alpha = rgba[i]!;
    if (alpha > 12) visible++;
    if (alpha > 12 && alpha < 243) partial++;
  }
  return partial / visible;
}

async function decodedAlpha(rendition: Rendition): Promise<Buffer> {
  return sharp(rendition.bytes).ensureAlpha().raw().toBuffer();
}

describe('core/render renderRenditions', () => {
  it('renders every spec of a kind with the longest edge at the size, PNG and WebP signatures', async () => {
    const specs = renditionSpecsFor('icon-set');
    const renditions = await renderRenditions(icon, specs);
    expect(renditions.map((r) => [r.size, r.format])).to.deep.equal(specs.map((s) => [s.size, s.format]));
    for (const r of renditions) {
      expect([r.width, r.height]).to.deep.equal([r.size, r.size]);
      if (r.format === 'png') {
        expect(r.bytes.subarray(0, 8).equals(PNG_SIGNATURE)).to.equal(true);
        expect(r.contentType).to.equal('image/png');
      } else {
        expect(isWebp(r.bytes)).to.equal(true);
        expect(r.contentType).to.equal('image/webp');
      }
      const meta = await sharp(r.bytes).metadata();
      expect([meta.width, meta.height, meta.hasAlpha]).to.deep.equal([r.width, r.height, true]);
    }
  });

  it('keeps the aspect ratio, for directly drawn and downscaled sizes', async () => {
    const banner = await renderRenditions(wideBanner, [
      { size: 100, format: 'png' },
      { size: 1000, format: 'webp' },
      { size: 500, format: 'png' },
      { size: 800, format: 'png' }, // above DIRECT_RASTER_MAX_EDGE: downscaled from the 1000 px raster
    ]);
    expect(banner.map((r) => [r.width, r.height])).to.deep.equal([[100, 40], [1000, 400], [500, 200], [800, 320]]);
    const landscape = await renderRenditions(illustration, renditionSpecsFor('illustration-set', { formats: ['webp'] }));
    expect(landscape.map((r) => [r.width, r.height])).to.deep.equal([[1280, 960], [640, 480], [320, 240]]);
  });

  it('keeps the background transparent', async () => {
    const [rendition] = await renderRenditions(icon, [{ size: 64, format: 'png' }]);
    const rgba = await decodedAlpha(rendition!);
    expect(rgba[3], 'top-left corner alpha').to.equal(0);
  });

  it('is deterministic: the same SVG gives the same bytes', async () => {
    const specs = [...renditionSpecsFor('icon-set'), { size: 600, format: 'webp' as const }];
    const first = await renderRenditions(icon, specs);
    const second = await renderRenditions(icon, specs);
    expect(second.map((r) => r.bytes.toString('base64'))).to.deep.equal(first.map((r) => r.bytes.toString('base64')));
  });

  it('draws at the target size: a 256 px rendition of a 24-unit icon has crisp edges, a 72 dpi upscale does not', async () => {
    const [rendition] = await renderRenditions(icon, [{ size: 256, format: 'png' }]);
    const crisp = edgeBlur(await decodedAlpha(rendition!));
    // The naive path: a 24 px bitmap at librsvg's default 72 dpi, enlarged. (sharp alone would rasterise an
    // SVG at the resize target, so the bitmap is made first.)
    const bitmap = await sharp(icon).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const upscaled = edgeBlur(
      await sharp(bitmap.data, { raw: { width: bitmap.info.width, height: bitmap.info.height, channels: 4 } })
        .resize(256, 256, { kernel: 'lanczos3' })
        .raw()
        .toBuffer(),
    );
    // A 1.5-unit stroke is 16 px wide at 256 px; antialiasing touches ~1 px per side.
    expect(crisp).to.be.below(0.2);
    expect(upscaled, 'the check itself must catch a blurry upscale').to.be.above(0.3);
  });

  it('ends with exactly the encoder step: encoding the same rasters gives the same bytes', async () => {
    const specs = renditionSpecsFor('illustration-set');
    const rasters = await rasteriseForSpecs(illustration, specs);
    const encoded = await encodeRenditionsFromPixels(rasters, specs);
    const rendered = await renderRenditions(illustration, specs);
    expect(encoded.map((r) => r.bytes.equals(rendered[encoded.indexOf(r)]!.bytes))).to.deep.equal(specs.map(() => true));
  });

  it('enforces the pixel limit for an SVG declaring a huge size', async () => {
    const huge = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10000000" height="10000000" viewBox="0 0 10000000 10000000"><rect width="100%" height="100%" fill="red"/></svg>',
    );
    const error = await renderRenditions(huge, [{ size: 32, format: 'png' }]).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(RenderError);
    expect((error as Error).message).to.match(/pixel limit/i);
  });

  it('fails a render that exceeds its timeout instead of holding the worker', async () => {
    // librsvg draws the document in one call, so sharp can only fail the render once that call returns:
    // 400 near-full-canvas translucent paths at 4096 px take ~2 s, over the 1 s allowed here.
    const paths = Array.from(
      { length: 400 },
      (_, i) => `<path d="M0 ${i % 100} C 400 ${i % 700} 200 900 1000 ${1000 - (i % 100)} L 0 1000Z" fill-opacity="0.02"/>`,
    ).join('');
    const heavy = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000">${paths}</svg>`);
    const error = await renderRenditions(heavy, [{ size: 4096, format: 'png' }], { timeoutSeconds: 1 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(RenderError);
    expect((error as Error).message).to.match(/timeout/i);
  });

  it('rejects invalid specs and non-SVG input with a reason', async () => {
    const badSpec = await renderRenditions(icon, [{ size: 0, format: 'png' }]).catch((e: unknown) => e);
    expect(badSpec).to.be.instanceOf(TypeError);
    const png = await sharp({ create: { width: 4, height: 4, channels: 4, background: '#000' } }).png().toBuffer();
    const notSvg = await renderRenditions(png, [{ size: 32, format: 'png' }]).catch((e: unknown) => e);
    expect(notSvg).to.be.instanceOf(RenderError);
    expect((notSvg as Error).message).to.match(/expected an SVG/);
  });
});

describe('core/render renditionSpecsFor', () => {
  it('gives each kind its sizes in both formats, largest first, and honours overrides', () => {
    expect(renditionSpecsFor('icon-set').map((s) => `${s.size}.${s.format}`)).to.deep.equal([
      '256.png', '256.webp', '128.png', '128.webp', '64.png', '64.webp', '32.png', '32.webp',
    ]);
    expect(renditionSpecsFor('illustration-set', { sizes: [100, 200, 100], formats: ['webp'] })).to.deep.equal([
      { size: 200, format: 'webp' },
      { size: 100, format: 'webp' },
    ]);
  });
});

describe('core/render renderFamilyPreview', () => {
  it('composites a deterministic 1200x630 grid on a light background', async () => {
    const svgs = Array.from({ length: 12 }, (_, i) => Buffer.from(iconSvg(i)));
    const first = await renderFamilyPreview(svgs, { kind: 'icon-set' });
    expect([first.width, first.height]).to.deep.equal([1200, 630]);
    const png = await sharp(first.png).metadata();
    const webp = await sharp(first.webp).metadata();
    expect([png.format, png.width, png.height]).to.deep.equal(['png', 1200, 630]);
    expect([webp.format, webp.width, webp.height]).to.deep.equal(['webp', 1200, 630]);
    const { data } = await sharp(first.png).raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[1], data[2], data[3]], 'corner is the opaque light background').to.deep.equal([246, 247, 249, 255]);
    const stats = await sharp(first.png).stats();
    expect(stats.channels[0]!.min, 'dark icon strokes are drawn').to.be.below(100);
    const again = await renderFamilyPreview(svgs, { kind: 'icon-set' });
    expect(again.png.equals(first.png) && again.webp.equals(first.webp)).to.equal(true);
  });

  it('takes a custom size and illustrations, and refuses an empty or oversized sample', async () => {
    const svgs = [0, 1, 2].map((i) => Buffer.from(illustrationSvg(i)));
    const preview = await renderFamilyPreview(svgs, { kind: 'illustration-set', width: 600, height: 400 });
    expect((await sharp(preview.png).metadata()).width).to.equal(600);
    await renderFamilyPreview([], { kind: 'icon-set' }).then(
      () => expect.fail('empty sample accepted'),
      (e: unknown) => expect(e).to.be.instanceOf(RangeError),
    );
    const tooMany = Array.from({ length: MAX_FAMILY_PREVIEW_ITEMS + 1 }, () => icon);
    await renderFamilyPreview(tooMany, { kind: 'icon-set' }).then(
      () => expect.fail('oversized sample accepted'),
      (e: unknown) => expect(e).to.be.instanceOf(RangeError),
    );
  });

  it('never draws an image larger than its public preview limit, even in a family of one or two', async () => {
    /** Longest edge of what differs from the card's background. */
    async function drawnBox(png: Buffer): Promise<{ width: number; height: number }> {
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      let [minX, minY, maxX, maxY] = [info.width, info.height, -1, -1];
      for (let y = 0; y < info.height; y++) {
        for (let x = 0; x < info.width; x++) {
          const i = (y * info.width + x) * info.channels;
          if (Math.abs(data[i]! - 246) + Math.abs(data[i + 1]! - 247) + Math.abs(data[i + 2]! - 249) > 12) {
            [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
          }
        }
      }
      return { width: maxX - minX + 1, height: maxY - minY + 1 };
    }
    const drawnEdge = async (png: Buffer) => Math.max(...Object.values(await drawnBox(png)));
    const square = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" fill="#123456"/></svg>');
    const landscape = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300"><rect width="400" height="300" fill="#123456"/></svg>');
    // Uncapped, one icon filled ~359 px of its cell and one illustration ~711 px.
    expect(await drawnEdge((await renderFamilyPreview([square], { kind: 'icon-set' })).png)).to.equal(PREVIEW_MAX_EDGE['icon-set']);
    expect(await drawnEdge((await renderFamilyPreview([landscape], { kind: 'illustration-set' })).png)).to.equal(PREVIEW_MAX_EDGE['illustration-set']);
    // Two icons side by side (uncapped ~348 px each): each 256 px tall.
    expect((await drawnBox((await renderFamilyPreview([square, square], { kind: 'icon-set' })).png)).height).to.equal(PREVIEW_MAX_EDGE['icon-set']);
  });
});
