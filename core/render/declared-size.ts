/**
 * The SVG's intrinsic size read from its root start tag in JavaScript, by the sanitiser's own rule
 * (core/svg/size.ts: plain or px width/height, else the viewBox), instead of asking librsvg twice.
 * Each librsvg load parses the whole document (~1.3 ms for a small icon), and the two size probes were
 * a third of an icon's rasterising. The renderer still checks librsvg's answer (raster.ts): a size librsvg
 * reads differently makes it fall back to the probes, so this is only ever a shortcut.
 */
import { intrinsicSize, isUserLength, type SvgSize } from '../svg/size.ts';

/** Optional BOM, XML declaration and whitespace before the root: what the sanitiser or an editor writes. */
const PROLOG = /^\uFEFF?\s*(?:<\?xml\s[^?]*\?>\s*)?/;
/** The root start tag with quoted attributes only; anything else (comments, DOCTYPE, entities) is left to librsvg. */
const ROOT_TAG = /^<svg((?:\s+[A-Za-z_:][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*\/?>/;
const ATTRIBUTE = /([A-Za-z_:][\w:.-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;
const SIZE_ATTRIBUTES = new Set(['width', 'height', 'viewBox']);
/** Only the start of the document is read: a root tag longer than this is unusual enough for the probes. */
const HEAD_BYTES = 4096;

export interface DeclaredSize extends SvgSize {
  /**
   * Whether the size needs no reading of units or aspect ratios: width and height both plain user lengths, or
   * neither present (the viewBox's size). Any renderer then takes exactly this size; otherwise (a width in em
   * or %, one of the two missing) renderers may differ, and only librsvg, whose draw is checked, is trusted.
   */
  plain: boolean;
}

/** The size the sanitiser would give this SVG, or undefined when the start tag is not plain enough to read here. */
export function declaredSize(svg: Buffer): DeclaredSize | undefined {
  const head = svg.subarray(0, HEAD_BYTES).toString('utf8');
  const prolog = PROLOG.exec(head)?.[0].length ?? 0;
  const tag = ROOT_TAG.exec(head.slice(prolog));
  if (!tag) return undefined;
  const attributes = new Map<string, string>();
  for (const [, name, double, single] of tag[1]!.matchAll(ATTRIBUTE)) {
    // A repeated attribute is not well-formed XML: librsvg would refuse the document, so let it say so.
    if (attributes.has(name!)) return undefined;
    const value = double ?? single ?? '';
    // An entity in a size attribute is decoded by librsvg, not here: let the probes read it.
    if (value.includes('&') && SIZE_ATTRIBUTES.has(name!)) return undefined;
    attributes.set(name!, value);
  }
  const width = attributes.get('width');
  const height = attributes.get('height');
  const plain =
    width === undefined && height === undefined
      ? attributes.has('viewBox')
      : width !== undefined && height !== undefined && isUserLength(width) && isUserLength(height);
  try {
    return { ...intrinsicSize({ getAttribute: (name) => attributes.get(name) ?? null }), plain };
  } catch {
    return undefined; // unusable here: the probes report librsvg's own reason
  }
}
