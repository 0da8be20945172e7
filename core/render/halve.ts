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

/** resvg's raster in the two forms the renditions need (see `fromPremultipliedBytes`). */
export interface FromPremultiplied {
  /** Straight-alpha 8-bit RGBA: what sharp encodes. */
  straight: RawImage;
  /** Its exact half as premultiplied means (what `halve` and `toStraight` read), when both edges are even. */
  half?: PremultipliedRaster;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let unpremultiplyTable: Uint8Array | undefined;
/** round(channel · 255 / alpha), at most 255, at [alpha · 256 + channel]: three look-ups per edge pixel instead of divisions. */
function unpremultiplied(): Uint8Array {
  if (!unpremultiplyTable) {
    unpremultiplyTable = new Uint8Array(256 * 256);
    for (let a = 1; a < 256; a++) for (let c = 0; c < 256; c++) unpremultiplyTable[a * 256 + c] = Math.min(255, Math.round((c * 255) / a));
  }
  return unpremultiplyTable;
}

/**
 * From 8-bit premultiplied RGBA (resvg's raster: channel = round(colour · alpha / 255)): the straight-alpha raster
 * and its first halving, in one pass over 2x2 blocks read as 32-bit words, skipping the blocks that are all
 * transparent (three in four of an icon's). The half's means are on `halveRaw`'s scale (colour · alpha).
 * The straight pixels are written over the input's (it is consumed): only edge pixels change, and a 256 KB
 * buffer less per icon is that much less external memory drawing V8's full collections.
 */
export function fromPremultipliedBytes(source: RawImage): FromPremultiplied {
  const { width, height, data } = source;
  if (!LITTLE_ENDIAN) throw new Error('fromPremultipliedBytes reads RGBA as little-endian 32-bit words');
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  const table = unpremultiplied();
  // Opaque pixels are the same in both forms, transparent ones all zeros; a translucent one is looked up.
  const unpremultiply = (p: number, word: number): void => {
    const a = word >>> 24;
    if (a === 255) return;
    if (a === 0) {
      if (word !== 0) words[p] = 0;
      return;
    }
    const row = a << 8;
    words[p] = (table[row + (word & 255)]! | (table[row + ((word >>> 8) & 255)]! << 8) | (table[row + ((word >>> 16) & 255)]! << 16) | (a << 24)) >>> 0;
  };
  if (width % 2 !== 0 || height % 2 !== 0) {
    for (let p = 0; p < words.length; p++) unpremultiply(p, words[p]!);
    return { straight: source };
  }
  const w = width / 2;
  const h = height / 2;
  const out = new Float32Array(w * h * 4);
  let o = 0;
  for (let y = 0; y < h; y++) {
    let p = 2 * y * width;
    for (let x = 0; x < w; x++, p += 2, o += 4) {
      // All four words are read before any is rewritten.
      const v0 = words[p]!;
      const v1 = words[p + 1]!;
      const v2 = words[p + width]!;
      const v3 = words[p + width + 1]!;
      // Premultiplied: a transparent pixel is all zeros, and so is the mean of four of them.
      if ((v0 | v1 | v2 | v3) === 0) continue;
      unpremultiply(p, v0);
      unpremultiply(p + 1, v1);
      unpremultiply(p + width, v2);
      unpremultiply(p + width + 1, v3);
      out[o] = (((v0 & 255) + (v1 & 255) + (v2 & 255) + (v3 & 255)) * 255) / 4;
      out[o + 1] = ((((v0 >>> 8) & 255) + ((v1 >>> 8) & 255) + ((v2 >>> 8) & 255) + ((v3 >>> 8) & 255)) * 255) / 4;
      out[o + 2] = ((((v0 >>> 16) & 255) + ((v1 >>> 16) & 255) + ((v2 >>> 16) & 255) + ((v3 >>> 16) & 255)) * 255) / 4;
      out[o + 3] = ((v0 >>> 24) + (v1 >>> 24) + (v2 >>> 24) + (v3 >>> 24)) / 4;
    }
  }
  return { straight: source, half: { width: w, height: h, data: out } };
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
