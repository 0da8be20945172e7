/**
 * Exact 2:1 box downscale on premultiplied alpha: each output pixel is the mean of the 2x2 pixels it covers.
 *
 * Why this is as crisp as drawing at the smaller size: librsvg (cairo) antialiases by area coverage, and the
 * coverage of a pixel is the mean of the coverage of its four half-size sub-pixels. So halving a raster drawn
 * at twice the size is the same drawing with 4x supersampling (8x8 for three halvings), not a resample: no
 * ringing or halo, unlike the lanczos3 downscale that made small sizes soft (config.ts). The pipeline test
 * (test/core/render-halving.test.ts) compares halved sizes against direct draws pixel by pixel.
 *
 * Halved rasters stay premultiplied and unrounded (Float32: every value is an exact binary fraction up to four
 * halvings), so a chain 256 -> 128 -> 64 -> 32 rounds once per output, as an 8x8 box of the 256 px raster would.
 */
import type { RawImage } from './raster.ts';

/** Premultiplied RGBA means: (r·a, g·a, b·a, a) per pixel, with r, g, b, a in 0..255. */
export interface PremultipliedRaster {
  width: number;
  height: number;
  data: Float32Array;
}

/** Whether `source` is exactly twice `target` in both edges (only then is a halving exact). */
export function isExactHalf(source: { width: number; height: number }, target: { width: number; height: number }): boolean {
  return source.width === target.width * 2 && source.height === target.height * 2;
}

/** Halves straight-alpha RGBA pixels (sharp's raw output) into premultiplied means. */
export function halveRaw(source: RawImage): PremultipliedRaster {
  const { width, height, data: src } = source;
  assertEven(width, height);
  const w = width / 2;
  const h = height / 2;
  const out = new Float32Array(w * h * 4);
  const row = width * 4;
  let o = 0;
  for (let y = 0; y < h; y++) {
    let i = 2 * y * row;
    for (let x = 0; x < w; x++, i += 8, o += 4) {
      const a0 = src[i + 3]!;
      const a1 = src[i + 7]!;
      const a2 = src[i + row + 3]!;
      const a3 = src[i + row + 7]!;
      // Icons are mostly transparent: a block of four transparent pixels stays all zeros (the array's initial value).
      if ((a0 | a1 | a2 | a3) === 0) continue;
      out[o] = (src[i]! * a0 + src[i + 4]! * a1 + src[i + row]! * a2 + src[i + row + 4]! * a3) / 4;
      out[o + 1] = (src[i + 1]! * a0 + src[i + 5]! * a1 + src[i + row + 1]! * a2 + src[i + row + 5]! * a3) / 4;
      out[o + 2] = (src[i + 2]! * a0 + src[i + 6]! * a1 + src[i + row + 2]! * a2 + src[i + row + 6]! * a3) / 4;
      out[o + 3] = (a0 + a1 + a2 + a3) / 4;
    }
  }
  return { width: w, height: h, data: out };
}

/** Halves premultiplied means again. */
export function halve(source: PremultipliedRaster): PremultipliedRaster {
  const { width, height, data: src } = source;
  assertEven(width, height);
  const w = width / 2;
  const h = height / 2;
  const out = new Float32Array(w * h * 4);
  const row = width * 4;
  let o = 0;
  for (let y = 0; y < h; y++) {
    let i = 2 * y * row;
    for (let x = 0; x < w; x++, i += 8, o += 4) {
      // Premultiplied: where the four alphas are 0, so is every channel, and the output stays zeros.
      if (src[i + 3] === 0 && src[i + 7] === 0 && src[i + row + 3] === 0 && src[i + row + 7] === 0) continue;
      for (let c = 0; c < 4; c++) out[o + c] = (src[i + c]! + src[i + 4 + c]! + src[i + row + c]! + src[i + row + 4 + c]!) / 4;
    }
  }
  return { width: w, height: h, data: out };
}

/** Back to straight-alpha 8-bit RGBA (what sharp encodes); a fully transparent pixel is (0, 0, 0, 0). */
export function toStraight(source: PremultipliedRaster): RawImage {
  const { width, height, data: src } = source;
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    const alpha = src[i + 3]!;
    const a = Math.round(alpha);
    if (a === 0) continue;
    data[i] = Math.min(255, Math.round(src[i]! / alpha));
    data[i + 1] = Math.min(255, Math.round(src[i + 1]! / alpha));
    data[i + 2] = Math.min(255, Math.round(src[i + 2]! / alpha));
    data[i + 3] = a;
  }
  return { data, width, height, channels: 4 };
}

function assertEven(width: number, height: number): void {
  if (width % 2 !== 0 || height % 2 !== 0) throw new RangeError(`a ${width}x${height} raster cannot be halved exactly`);
}
