/**
 * Turns uploaded bytes into an XML document, or a reason why they are not an SVG we accept.
 * Malformed XML is rejected, never repaired: a document the parser had to guess at is a
 * document a browser may read differently.
 */
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import { MAX_SVG_BYTES, MAX_SVG_NESTING_DEPTH } from '../limits.ts';
import { SVG_NS } from './allowlist.ts';
import { SvgRejection } from './rejection.ts';

const MiB = 1024 * 1024;

/** Magic numbers of files that contributors zip up by mistake, for a clearer reason. */
const BINARY_SIGNATURES: ReadonlyArray<{ bytes: number[]; kind: string }> = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], kind: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], kind: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], kind: 'a GIF image' },
  { bytes: [0x25, 0x50, 0x44, 0x46], kind: 'a PDF document' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], kind: 'a ZIP archive' },
  { bytes: [0x1f, 0x8b], kind: 'a gzip-compressed file (an .svgz); upload the uncompressed .svg' },
];

/**
 * Characters outside the XML 1.0 `Char` production: C0 controls other than tab/LF/CR,
 * U+FFFE/U+FFFF and unpaired surrogates.
 */
const NON_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Throws unless `value` is made of XML characters only. The raw text is checked before
 * parsing; values are checked again after it, because character references (`&#1;`) decode
 * to characters the raw text did not show.
 */
export function assertXmlCharacters(value: string): void {
  if (NON_XML_CHAR.test(value)) {
    throw new SvgRejection('contains control characters that XML does not allow; re-export it as a plain SVG');
  }
}

/** Parses `input` as an SVG document; throws `SvgRejection` with a reason otherwise. */
export function parseSvgDocument(input: Buffer): { document: Document; root: Element } {
  if (input.length === 0) throw new SvgRejection('is empty');
  if (input.length > MAX_SVG_BYTES) {
    throw new SvgRejection(
      `is ${(input.length / MiB).toFixed(1)} MiB; an SVG may be at most ${MAX_SVG_BYTES / MiB} MiB, so simplify or split it`,
    );
  }
  const binary = BINARY_SIGNATURES.find(({ bytes }) => bytes.every((byte, i) => input[i] === byte));
  if (binary) throw new SvgRejection(`is ${binary.kind}, not an SVG`);

  const text = decode(input);
  assertXmlCharacters(text);
  const markup = blankCommentsCdataAndInstructions(text);
  rejectWhatXmldomRepairs(markup);
  rejectDeepNesting(markup);

  let firstProblem: string | null = null;
  const parser = new DOMParser({
    onError(level, message, context: { locator?: { lineNumber?: number; columnNumber?: number } }) {
      // Every warning xmldom raises is a repair of broken markup (a missing quote, a bad end
      // tag) except this one, which only flags U+FFFD as a possible encoding problem.
      if (level === 'warning' && message.startsWith('Unicode replacement character')) return;
      const where = context?.locator?.lineNumber
        ? ` at line ${context.locator.lineNumber}, column ${context.locator.columnNumber ?? 0}`
        : '';
      firstProblem ??= `${message}${where}`;
      throw new Error(firstProblem); // stop parsing: xmldom turns this into a ParseError
    },
  });

  let document: Document;
  try {
    // The SVG media type makes `svg` without xmlns an SVG element, as browsers do for
    // `image/svg+xml`; many tools omit the declaration.
    document = parser.parseFromString(text, 'image/svg+xml');
  } catch (error) {
    // xmldom stops at the first use of a declared entity, before we could look at the DOCTYPE.
    if (/<!DOCTYPE[^>[]*\[/i.test(text)) rejectInternalSubset();
    const detail = firstProblem ?? (error instanceof Error ? error.message : String(error));
    throw new SvgRejection(`is not well-formed XML (${detail}); open it in an editor and save it again as SVG`);
  }

  rejectDangerousDoctype(document);
  const root = document.documentElement;
  if (!root || root.localName !== 'svg' || root.namespaceURI !== SVG_NS) {
    const found = root ? `<${root.nodeName}>` : 'no element';
    throw new SvgRejection(`is not an SVG image: its root element is ${found}, not <svg>`);
  }
  return { document, root };
}

function decode(input: Buffer): string {
  // A BOM decides the encoding; TextDecoder drops it. Without one, SVG is UTF-8.
  const encoding =
    input[0] === 0xff && input[1] === 0xfe ? 'utf-16le' : input[0] === 0xfe && input[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(input);
  } catch {
    throw new SvgRejection('is not UTF-8 text; save it as an SVG with UTF-8 encoding');
  }
}

/**
 * An internal subset can declare entities (billion laughs) or external entities (XXE). We
 * reject the file rather than strip the subset, because its entities may already be used.
 */
function rejectDangerousDoctype(document: Document): void {
  const doctype = document.doctype;
  if (doctype && doctype.internalSubset && doctype.internalSubset.trim() !== '') rejectInternalSubset();
}

function rejectInternalSubset(): never {
  throw new SvgRejection(
    'declares entities in its DOCTYPE, which is not allowed because they can be used for XML entity attacks; remove the <!DOCTYPE …[ … ]> block',
  );
}

/**
 * xmldom passes two well-formedness errors through silently: an `&` that starts no complete reference
 * (`a & b`, `&#;`) and `]]>` in text. Both are found here, in markup whose comments, CDATA
 * and processing instructions (where they are legal) have been blanked.
 */
function rejectWhatXmldomRepairs(markup: string): void {
  const problem = /&(?!(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9A-Fa-f]+);)|\]\]>/.exec(markup);
  if (!problem) return;
  const line = markup.slice(0, problem.index).split('\n').length;
  const what = problem[0] === '&' ? 'an "&" that is not written as &amp;' : 'a "]]>" outside a CDATA section';
  throw new SvgRejection(`is not well-formed XML (${what} at line ${line}); open it in an editor and save it again as SVG`);
}

/** Replaces comments, CDATA sections and processing instructions by spaces, keeping line breaks. */
function blankCommentsCdataAndInstructions(text: string): string {
  const blank = (match: string) => match.replace(/[^\n]/g, ' ');
  return text
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, blank)
    .replace(/<\?[\s\S]*?\?>/g, blank);
}

/**
 * xmldom slows down sharply with nesting depth (about 18 s for 600,000 nested `<g>` in 4 MiB),
 * so absurd nesting is rejected by counting tags before parsing. The count only ever rejects
 * early; the sanitiser checks depth again on the parsed tree.
 */
function rejectDeepNesting(markup: string): void {
  let depth = 0;
  for (const [tag, closing] of markup.matchAll(/<(\/?)[A-Za-z_:](?:[^>"']|"[^"]*"|'[^']*')*>/g)) {
    if (closing) depth--;
    else if (!/\/\s*>$/.test(tag) && ++depth > MAX_SVG_NESTING_DEPTH + 1) throw tooDeep();
  }
}

/** The root is level 0: its children may nest `MAX_SVG_NESTING_DEPTH` levels below it. */
export function tooDeep(): SvgRejection {
  return new SvgRejection(`nests elements more than ${MAX_SVG_NESTING_DEPTH} levels deep; flatten its groups`);
}
