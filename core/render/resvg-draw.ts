/**
 * The icons' one draw (their largest size, which the smaller ones are halved from) by resvg instead of librsvg:
 * ~0.65 ms of CPU for a 256 px Tabler or Material icon against ~1.8 ms through sharp and librsvg.
 *
 * Only for documents both renderers read the same way, otherwise `undefined` and librsvg draws:
 * - no text: resvg is given no fonts (loading or scanning the system's would cost more than the draw), so it
 *   would leave text out; librsvg draws it with fontconfig's fonts;
 * - no filter: a 2 KB document of 20 blurred rectangles with large filter regions took resvg 52 s at 256 px and
 *   librsvg 7 s (neither draw can be interrupted; the Lambda's time-out is the bound), and icons have none;
 * - a plain declared size (declared-size.ts: width and height in user units, or only a viewBox) of whole units,
 *   so resvg's integer canvas is exactly that size, and a raster exactly the target size (checked after the draw);
 * - a small canvas (at most HALVE_MAX_EDGE a side) and a small document: resvg's draw has no time-out (sharp's
 *   fails a librsvg draw only once it returns), so it is given only work bounded by these.
 * Nothing outside the document is read: the sanitiser keeps no `image` and only `#fragment` hrefs, and no
 * resources directory or font files are given to resvg.
 */
import { renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import { HALVE_MAX_EDGE } from './config.ts';
import type { DeclaredSize } from './declared-size.ts';
import type { Dimensions, RawImage } from './raster.ts';

/** Larger documents go to librsvg, whose draw has the pipeline's time-out. Icons are a few KB. */
export const RESVG_MAX_DOCUMENT_BYTES = 64 * 1024;

/** `text`, `tspan`, `textPath` and `filter`, with or without a namespace prefix: left to librsvg (above). */
const LIBRSVG_ELEMENT = /<(?:[A-Za-z_][\w.-]*:)?(?:text|tspan|textPath|filter)[\s/>]/;

/** Whether resvg may draw this document at `target` (see above). */
export function resvgCanDraw(svg: Buffer, intrinsic: DeclaredSize, target: Dimensions): boolean {
  return (
    intrinsic.plain &&
    svg.length <= RESVG_MAX_DOCUMENT_BYTES &&
    Number.isInteger(intrinsic.width) &&
    Number.isInteger(intrinsic.height) &&
    Math.max(target.width, target.height) <= HALVE_MAX_EDGE &&
    !LIBRSVG_ELEMENT.test(svg.toString('utf8'))
  );
}

/**
 * The document drawn at `target` as premultiplied RGBA (resvg's own form, which the halvings read directly), or
 * undefined when resvg's raster is not exactly `target` (librsvg then draws it).
 */
export async function drawWithResvg(svg: Buffer, target: Dimensions): Promise<RawImage | undefined> {
  const options: ResvgRenderOptions = {
    fitTo: { mode: 'width', value: target.width },
    font: { loadSystemFonts: false },
    logLevel: 'off',
  };
  const image = await renderAsync(svg, options);
  if (image.width !== target.width || image.height !== target.height) return undefined;
  return { data: image.pixels, width: image.width, height: image.height, channels: 4 };
}
