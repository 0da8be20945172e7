/**
 * The SVG sanitiser: only what it returns may leave the private uploads area.
 *
 * It copies allowed nodes into a fresh document instead of deleting bad ones from the parsed
 * one, so anything the allowlists do not name — an unexpected node type, a namespace trick —
 * is left behind by construction.
 */
import { DOMImplementation, XMLSerializer } from '@xmldom/xmldom';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { MAX_SVG_NESTING_DEPTH } from '../limits.ts';
import {
  ALLOWED_ATTRIBUTES,
  ALLOWED_ELEMENTS,
  ALLOWED_XML_ATTRIBUTES,
  HREF_ELEMENTS,
  PRESENTATION_ATTRIBUTES,
  SVG_NS,
  TEXT_CONTENT_ELEMENTS,
  TEXT_ONLY_ELEMENTS,
  URL_VALUED_ATTRIBUTES,
  XLINK_NS,
  XML_NS,
  XMLNS_NS,
  isAriaAttribute,
} from './allowlist.ts';
import { sanitizePresentationValue, sanitizeStyleAttribute, sanitizeStylesheet } from './css.ts';
import type { SanitizedCss } from './css.ts';
import { localFragmentId } from './fragment.ts';
import { assertXmlCharacters, parseSvgDocument, tooDeep } from './parse.ts';
import { checkUseExpansion } from './references.ts';
import { RemovalLog } from './removal-log.ts';
import { SvgRejection } from './rejection.ts';
import { intrinsicSize } from './size.ts';

export type SanitizeResult =
  | {
      ok: true;
      /** The sanitised SVG, UTF-8, without XML declaration. Same input, same bytes. */
      svg: Buffer;
      /** Intrinsic size in user units (width/height attributes, else the viewBox). */
      width: number;
      height: number;
      /** What was dropped, in words, for logs. */
      removed: string[];
    }
  | {
      ok: false;
      /** Completes the sentence "<file name> …", e.g. "is not well-formed XML (…)". */
      reason: string;
    };

/** Sanitises one uploaded SVG. Never throws for bad input: it says why in `reason`. */
export function sanitizeSvg(input: Buffer): SanitizeResult {
  try {
    const { document, root } = parseSvgDocument(input);
    const { width, height } = intrinsicSize(root);
    const log = new RemovalLog();
    logNodesOutsideRoot(document, log);

    const output = new DOMImplementation().createDocument(SVG_NS, 'svg', null);
    const copier = new Copier(output, log);
    copier.copyAttributes(root, output.documentElement!);
    copier.copyChildren(root, output.documentElement!, 1);
    if (copier.usesXlink) output.documentElement!.setAttributeNS(XMLNS_NS, 'xmlns:xlink', XLINK_NS);

    checkUseExpansion(output.documentElement!);
    const svg = serialize(output);
    return { ok: true, svg: Buffer.from(svg, 'utf8'), width, height, removed: log.entries() };
  } catch (error) {
    if (error instanceof SvgRejection) return { ok: false, reason: error.reason };
    throw error;
  }
}

/**
 * The output is built from checked values only, so this should never fail; if xmldom still
 * finds something it cannot write as well-formed XML, the file is rejected, not half-written.
 */
function serialize(output: Document): string {
  try {
    return new XMLSerializer().serializeToString(output, { requireWellFormed: true });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new SvgRejection(`could not be written back as well-formed XML (${detail}); re-export it as a plain SVG`);
  }
}

function memo<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    cache.set(key, value);
  }
  return value;
}

/** xmldom types `localName` as nullable for all nodes; an element always has one. */
const localNameOf = (element: Element): string => element.localName ?? element.nodeName;

function logNodesOutsideRoot(document: Document, log: RemovalLog): void {
  for (let node = document.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.DOCUMENT_TYPE_NODE) log.add('DOCTYPE');
    else if (node.nodeType === node.COMMENT_NODE) log.add('comment');
    else if (node.nodeType === node.PROCESSING_INSTRUCTION_NODE && node.nodeName !== 'xml') {
      log.add(`<?${node.nodeName}?> processing instruction`);
    }
  }
}

/** Copies the allowed part of a parsed SVG into the output document. */
class Copier {
  /** Whether an `xlink:href` was kept, so the root must declare the xlink namespace. */
  usesXlink = false;
  /** Editors repeat the same style strings thousands of times; each is checked once per file. */
  private readonly styleCache = new Map<string, SanitizedCss>();
  private readonly valueCache = new Map<string, ReturnType<typeof sanitizePresentationValue>>();

  constructor(
    private readonly output: Document,
    private readonly log: RemovalLog,
  ) {}

  copyChildren(source: Element, target: Element, depth: number): void {
    for (let node: Node | null = source.firstChild; node; node = node.nextSibling) {
      switch (node.nodeType) {
        case node.ELEMENT_NODE:
          this.copyElement(node as Element, target, depth);
          break;
        case node.TEXT_NODE:
        case node.CDATA_SECTION_NODE:
          // Text only means something inside text content; elsewhere it is indentation.
          if (TEXT_CONTENT_ELEMENTS.has(localNameOf(target))) target.appendChild(this.text(node.nodeValue ?? ''));
          break;
        case node.COMMENT_NODE:
          this.log.add('comment');
          break;
        case node.PROCESSING_INSTRUCTION_NODE:
          this.log.add(`<?${node.nodeName}?> processing instruction`);
          break;
        default:
          this.log.add(`${node.nodeName} node`);
      }
    }
  }

  private copyElement(source: Element, target: Element, depth: number): void {
    if (depth > MAX_SVG_NESTING_DEPTH) {
      throw tooDeep();
    }
    if (TEXT_ONLY_ELEMENTS.has(localNameOf(target))) {
      this.log.add(`<${source.nodeName}> in <${target.localName}>`);
      return;
    }
    const isSvg = source.namespaceURI === SVG_NS;
    const name = localNameOf(source);
    if (isSvg && name === 'a') return this.unwrapLink(source, target, depth);
    if (!isSvg || !ALLOWED_ELEMENTS.has(name)) {
      this.log.add(`<${source.nodeName}>`);
      return;
    }
    const copy = this.output.createElementNS(SVG_NS, name);
    this.copyAttributes(source, copy);
    if (name === 'style') {
      if (!this.copyStylesheet(source, copy)) return;
    } else {
      this.copyChildren(source, copy, depth + 1);
    }
    target.appendChild(copy);
  }

  /**
   * A link is never kept, but what it contains was drawn by the designer. Its styling
   * attributes (fill, transform…) are inherited by its children, so it becomes a `<g>` that
   * keeps them; inside text, where `<g>` is not allowed, its content moves up instead.
   */
  private unwrapLink(source: Element, target: Element, depth: number): void {
    this.log.add('<a> link (content kept)');
    const group = this.output.createElementNS(SVG_NS, 'g');
    this.copyAttributes(source, group);
    if (TEXT_CONTENT_ELEMENTS.has(localNameOf(target)) || group.attributes.length === 0) {
      this.copyChildren(source, target, depth);
      return;
    }
    this.copyChildren(source, group, depth + 1);
    target.appendChild(group);
  }

  /** Returns false when no CSS survived, so the empty `<style>` is left out. */
  private copyStylesheet(source: Element, copy: Element): boolean {
    let text = '';
    for (let node: Node | null = source.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === node.TEXT_NODE || node.nodeType === node.CDATA_SECTION_NODE) text += node.nodeValue ?? '';
      else if (node.nodeType === node.ELEMENT_NODE) this.log.add(`<${node.nodeName}> in <style>`);
    }
    const { css, removed } = sanitizeStylesheet(text);
    for (const what of removed) this.log.add(`${what} in <style>`);
    if (css === '') return false;
    copy.appendChild(this.text(css));
    return true;
  }

  private text(value: string) {
    assertXmlCharacters(value);
    return this.output.createTextNode(value);
  }

  copyAttributes(source: Element, copy: Element): void {
    const element = `<${source.nodeName}>`;
    for (const attribute of Array.from(source.attributes)) {
      const { namespaceURI, name, value } = attribute;
      assertXmlCharacters(value);
      const localName = attribute.localName ?? name;
      if (namespaceURI === XMLNS_NS) continue; // namespace declarations are re-made on output
      if (localName === 'href' && (namespaceURI === null || namespaceURI === XLINK_NS)) {
        this.copyHref(source, copy, namespaceURI === XLINK_NS, value);
        continue;
      }
      if (namespaceURI === XML_NS && ALLOWED_XML_ATTRIBUTES.has(localName)) {
        copy.setAttributeNS(XML_NS, `xml:${localName}`, value);
        continue;
      }
      if (namespaceURI !== null) {
        this.log.add(`${name} attribute on ${element}`);
        continue;
      }
      if (localName === 'style') {
        const { css, removed } = memo(this.styleCache, value, () => sanitizeStyleAttribute(value));
        for (const what of removed) this.log.add(`${what} in style attribute on ${element}`);
        if (css !== '') copy.setAttribute('style', css);
        continue;
      }
      if (URL_VALUED_ATTRIBUTES.has(localName)) {
        const checked = memo(this.valueCache, `${localName}:${value}`, () => sanitizePresentationValue(localName, value));
        if (checked.ok) copy.setAttribute(localName, checked.value);
        else this.log.add(`${name} attribute on ${element} (${checked.problem})`);
        continue;
      }
      const allowed = ALLOWED_ATTRIBUTES.has(localName) || PRESENTATION_ATTRIBUTES.has(localName) || isAriaAttribute(localName);
      if (!allowed) {
        this.log.add(`${name} attribute on ${element}`);
      } else if (/url\s*\(/i.test(value)) {
        // No other kept attribute takes a url(); one that has it is not what it claims to be.
        this.log.add(`${name} attribute on ${element} (url() is not allowed there)`);
      } else {
        copy.setAttribute(localName, value);
      }
    }
  }

  private copyHref(source: Element, copy: Element, isXlink: boolean, value: string): void {
    const element = `<${source.nodeName}>`;
    if (!HREF_ELEMENTS.has(localNameOf(source))) {
      if (localNameOf(source) !== 'a') this.log.add(`href on ${element}`);
      return;
    }
    const id = localFragmentId(value);
    if (id === null) {
      this.log.add(`external href on ${element}`);
      return;
    }
    if (isXlink) {
      copy.setAttributeNS(XLINK_NS, 'xlink:href', `#${id}`);
      this.usesXlink = true;
    } else {
      copy.setAttribute('href', `#${id}`);
    }
  }
}
