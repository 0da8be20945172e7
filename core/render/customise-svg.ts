/**
 * Recolouring and stroke width as a transformation of the sanitised SVG's DOM (xmldom), never of text: the
 * document is parsed, paint and stroke declarations are rewritten through the DOM and css-tree, and the
 * serialiser escapes what it writes. Only values this module built (a normalised `#rrggbb`, a number) are
 * ever written.
 *
 * What counts as customisable:
 * - colour: every shape paints with one concrete colour (fill and stroke, `currentColor` resolved, the
 *   default black fill included) and nothing else decides colours (no gradients, patterns, filters, masks,
 *   embedded images, `<style>` sheets or `url()` paints).
 * - stroke: at least one shape is stroked, every `stroke-width` in the file is one plain number (or none is
 *   set, i.e. 1), and no `<style>` sheet can override it.
 */
import { XMLSerializer } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import * as csstree from 'css-tree';
import type { Declaration, DeclarationList } from 'css-tree';
import { parseSvgDocument } from '../svg/parse.ts';
import type { SanitisedSvg } from '../storage/sanitised.ts';

export interface Customisability {
  colour: { ok: true } | { ok: false; reason: string };
  stroke: { ok: true } | { ok: false; reason: string };
}

export interface SvgCustomisation {
  /** `#rrggbb`, lower-case. */
  colour?: string;
  /** In the SVG's user units. */
  strokeWidth?: number;
}

/** Thrown when an option does not apply to this SVG; `option` names it, `reason` completes "cannot …". */
export class NotCustomisableError extends Error {
  constructor(
    readonly option: 'colour' | 'strokeWidth',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'NotCustomisableError';
  }
}

/** Elements that paint with fill and stroke. */
const SHAPES: ReadonlySet<string> = new Set(['path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon', 'text', 'tspan', 'textPath']);
/** Elements that decide colours in ways a single replacement cannot follow. */
const COLOUR_BLOCKERS: ReadonlyMap<string, string> = new Map([
  ['linearGradient', 'it uses a gradient'],
  ['radialGradient', 'it uses a gradient'],
  ['pattern', 'it uses a pattern'],
  ['filter', 'it uses a filter'],
  ['mask', 'it uses a mask'],
  ['image', 'it embeds a bitmap'],
  ['style', 'it has a <style> sheet'],
]);
const PAINT_PROPERTIES = ['fill', 'stroke', 'color'] as const;
type PaintProperty = (typeof PAINT_PROPERTIES)[number];
const NAMED: Readonly<Record<string, string>> = { black: '#000000', white: '#ffffff' };
const PLAIN_NUMBER = /^\+?(\d+\.?\d*|\.\d+)(px)?$/;

const localName = (element: Element): string => element.localName ?? element.nodeName;

function childElements(element: Element): Element[] {
  const children: Element[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE) children.push(node as Element);
  }
  return children;
}

/** A style attribute as css-tree declarations (the sanitiser generated it, so it parses). */
function styleDeclarations(element: Element): { list: DeclarationList; declarations: Declaration[] } | null {
  const text = element.getAttribute('style');
  if (!text) return null;
  const list = csstree.parse(text, { context: 'declarationList', positions: false }) as DeclarationList;
  const declarations: Declaration[] = [];
  list.children.forEach((node) => {
    if (node.type === 'Declaration') declarations.push(node);
  });
  return { list, declarations };
}

/** The element's own value for a property: the style attribute beats the presentation attribute. */
function ownValue(element: Element, property: string, style: ReturnType<typeof styleDeclarations>): string | null {
  const declared = style?.declarations.filter((d) => d.property.toLowerCase() === property).at(-1);
  if (declared) return csstree.generate(declared.value).trim();
  const attribute = element.getAttribute(property);
  return attribute === null ? null : attribute.trim();
}

/** A concrete colour in one spelling (`#abc` and `#aabbcc`, `black` and `#000` compare equal), or null for keywords. */
function concreteColour(value: string): string | null {
  const lower = value.toLowerCase();
  if (lower === 'none' || lower === 'currentcolor' || lower === 'inherit' || lower === 'transparent') return null;
  if (NAMED[lower]) return NAMED[lower];
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(lower);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`;
  return lower;
}

interface Paint {
  fill: string;
  stroke: string;
  color: string;
}

/** Reads which colours and stroke widths the document uses. */
export function analyseSvg(svg: SanitisedSvg): Customisability {
  const { root } = parseSvgDocument(svg);
  const colours = new Set<string>();
  const strokeWidths = new Set<string>();
  let colourBlocker: string | null = null;
  let stroked = false;
  let strokeBlocker: string | null = null;

  const visit = (element: Element, inherited: Paint) => {
    const name = localName(element);
    const blocker = COLOUR_BLOCKERS.get(name);
    if (blocker) colourBlocker ??= blocker;
    if (name === 'style') strokeBlocker ??= 'it has a <style> sheet';
    const style = styleDeclarations(element);
    const paint = { ...inherited };
    for (const property of PAINT_PROPERTIES) {
      const value = ownValue(element, property, style);
      if (value === null || value.toLowerCase() === 'inherit') continue;
      if (/url\(/i.test(value)) colourBlocker ??= `its ${property} refers to a paint server`;
      paint[property] = value;
    }
    const width = ownValue(element, 'stroke-width', style);
    if (width !== null) {
      if (!PLAIN_NUMBER.test(width)) strokeBlocker ??= `its stroke width "${width}" is not a plain number`;
      strokeWidths.add(String(Number.parseFloat(width)));
    }
    if (SHAPES.has(name)) {
      for (const used of [paint.fill, paint.stroke]) {
        const resolved = used.toLowerCase() === 'currentcolor' ? paint.color : used;
        const colour = concreteColour(resolved);
        if (colour) colours.add(colour);
      }
      if (concreteColour(paint.stroke.toLowerCase() === 'currentcolor' ? paint.color : paint.stroke)) stroked = true;
    }
    for (const child of childElements(element)) visit(child, paint);
  };
  // Initial values: fill black, stroke none, color black (what a renderer uses when nothing is said).
  visit(root, { fill: 'black', stroke: 'none', color: 'black' });

  const colour: Customisability['colour'] = colourBlocker
    ? { ok: false, reason: colourBlocker }
    : colours.size === 1
      ? { ok: true }
      : { ok: false, reason: colours.size === 0 ? 'it paints nothing' : `it uses ${colours.size} colours` };
  const stroke: Customisability['stroke'] = strokeBlocker
    ? { ok: false, reason: strokeBlocker }
    : !stroked
      ? { ok: false, reason: 'it has no strokes (a filled icon)' }
      : strokeWidths.size > 1
        ? { ok: false, reason: `it uses ${strokeWidths.size} different stroke widths` }
        : { ok: true };
  return { colour, stroke };
}

function setStyleValue(declaration: Declaration, value: string): void {
  declaration.value = csstree.parse(value, { context: 'value', positions: false }) as Declaration['value'];
}

/**
 * The SVG with the options applied: every concrete fill, stroke and color declaration becomes `colour` and
 * the root's `color` (what `currentColor` means) and, when it sets none, its `fill` (the default black) are
 * set to it; every stroke-width becomes `strokeWidth`, set on the root too. Throws NotCustomisableError when
 * an option does not apply (see analyseSvg).
 */
export function customiseSvg(svg: SanitisedSvg, options: SvgCustomisation): Buffer {
  // The API validates options with zod first; this guard keeps any other caller from writing anything else.
  if (options.colour !== undefined && !/^#[0-9a-f]{6}$/.test(options.colour)) {
    throw new TypeError(`colour must be "#rrggbb" in lower case, got ${JSON.stringify(options.colour)}`);
  }
  if (options.strokeWidth !== undefined && !(Number.isFinite(options.strokeWidth) && options.strokeWidth > 0)) {
    throw new TypeError(`strokeWidth must be a positive number, got ${String(options.strokeWidth)}`);
  }
  const analysis = analyseSvg(svg);
  if (options.colour !== undefined && !analysis.colour.ok) throw new NotCustomisableError('colour', `cannot be recoloured: ${analysis.colour.reason}`);
  if (options.strokeWidth !== undefined && !analysis.stroke.ok) {
    throw new NotCustomisableError('strokeWidth', `has no adjustable stroke width: ${analysis.stroke.reason}`);
  }
  const { document, root } = parseSvgDocument(svg);
  const colour = options.colour;
  const strokeWidth = options.strokeWidth === undefined ? undefined : String(options.strokeWidth);

  const rewrite = (element: Element) => {
    const style = styleDeclarations(element);
    if (colour !== undefined) {
      for (const property of PAINT_PROPERTIES) {
        const attribute = element.getAttribute(property);
        if (attribute !== null && concreteColour(attribute.trim())) element.setAttribute(property, colour);
        for (const declaration of style?.declarations ?? []) {
          if (declaration.property.toLowerCase() === property && concreteColour(csstree.generate(declaration.value).trim())) setStyleValue(declaration, colour);
        }
      }
    }
    if (strokeWidth !== undefined) {
      if (element.getAttribute('stroke-width') !== null) element.setAttribute('stroke-width', strokeWidth);
      for (const declaration of style?.declarations ?? []) {
        if (declaration.property.toLowerCase() === 'stroke-width') setStyleValue(declaration, strokeWidth);
      }
    }
    if (style) element.setAttribute('style', csstree.generate(style.list));
    for (const child of childElements(element)) rewrite(child);
  };
  rewrite(root);
  if (colour !== undefined) {
    root.setAttribute('color', colour);
    if (root.getAttribute('fill') === null && ownValue(root, 'fill', styleDeclarations(root)) === null) root.setAttribute('fill', colour);
  }
  if (strokeWidth !== undefined) root.setAttribute('stroke-width', strokeWidth);
  return Buffer.from(new XMLSerializer().serializeToString(document, { requireWellFormed: true }), 'utf8');
}
