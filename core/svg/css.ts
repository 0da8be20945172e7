/**
 * CSS sanitising for `style` attributes, `<style>` elements and url-valued presentation
 * attributes, with css-tree as the parser.
 *
 * The output is always re-generated from the parsed tree, never copied from the input, so a
 * browser reads exactly what we checked (no parser differential through escapes such as
 * `u\72l(`, comments or stray braces). A declaration that holds anything forbidden is dropped
 * whole; the rest of the block is kept.
 */
import * as csstree from 'css-tree';
import type { CssNode, Declaration, List, ParseOptions } from 'css-tree';
import { ALLOWED_CSS_FUNCTIONS, ALLOWED_CSS_PROPERTIES } from './allowlist.ts';
import { localFragmentId } from './fragment.ts';

export interface SanitizedCss {
  /** Generated CSS, safe to embed. Empty when nothing survived. */
  css: string;
  /** What was dropped, in words (e.g. `CSS property "behavior"`). */
  removed: string[];
}

/** At-rules that only group rules and load nothing. Everything else (`@import`, `@font-face`…) goes. */
const ALLOWED_AT_RULES: ReadonlySet<string> = new Set(['media']);

/**
 * Text that must never reach a browser inside CSS, even as a string or identifier.
 * (`behavior` and `-moz-binding` are properties, kept out by the property allowlist.)
 */
const FORBIDDEN_TEXT = /javascript:|vbscript:|expression\(/i;

const PLAIN_VALUE = /^[#\w\s.,%+-]*$/;

type CssContext = 'declarationList' | 'stylesheet' | 'value';

// Recoverable errors leave Raw nodes behind, which the checks below drop.
const parseOptions = (context: CssContext): ParseOptions => ({
  context,
  parseCustomProperty: true,
  positions: false,
  onParseError: () => {},
});
const PARSE_OPTIONS: Record<CssContext, ParseOptions> = {
  declarationList: parseOptions('declarationList'),
  stylesheet: parseOptions('stylesheet'),
  value: parseOptions('value'),
};

/** Sanitises the value of a `style="…"` attribute. */
export function sanitizeStyleAttribute(text: string): SanitizedCss {
  const removed: string[] = [];
  const ast = parseOrNull(text, 'declarationList');
  if (!ast || ast.type !== 'DeclarationList') return { css: '', removed: ['unparseable CSS'] };
  ast.children = keepSafeDeclarations(ast.children, removed);
  return { css: csstree.generate(ast), removed };
}

/** Sanitises the text of a `<style>` element. */
export function sanitizeStylesheet(text: string): SanitizedCss {
  const removed: string[] = [];
  const ast = parseOrNull(text, 'stylesheet');
  if (!ast || ast.type !== 'StyleSheet') return { css: '', removed: ['unparseable CSS'] };
  ast.children = keepSafeRules(ast.children, removed);
  return { css: csstree.generate(ast), removed };
}

/**
 * Checks a presentation attribute that may hold `url()` (fill, stroke, mask…), read as the CSS
 * value of the property with the same name. Returns the value to write back, re-generated
 * from the parse, or the problem that drops the attribute.
 */
export function sanitizePresentationValue(
  property: string,
  value: string,
): { ok: true; value: string } | { ok: false; problem: string } {
  // Most values are a colour or keyword (`#1d3557`, `none`, `currentColor`): with no
  // parentheses, quotes, colons, slashes or escapes they cannot reference anything, and
  // skipping the parser for them keeps large illustrations fast.
  if (PLAIN_VALUE.test(value)) return { ok: true, value };
  const ast = parseOrNull(value, 'value');
  if (!ast) return { ok: false, problem: 'unparseable value' };
  const problem = valueProblem(property, ast);
  return problem ? { ok: false, problem } : { ok: true, value: csstree.generate(ast) };
}

function parseOrNull(text: string, context: CssContext): CssNode | null {
  // Only a value that cannot be parsed at all throws.
  try {
    return csstree.parse(text, PARSE_OPTIONS[context]);
  } catch {
    return null;
  }
}

function keepSafeRules(rules: List<CssNode>, removed: string[]): List<CssNode> {
  return rules.filter((node) => {
    switch (node.type) {
      case 'Rule':
        if (node.prelude.type === 'Raw') {
          removed.push('unparseable CSS selector');
          return false;
        }
        node.block.children = keepSafeDeclarations(node.block.children, removed);
        return !node.block.children.isEmpty; // a rule emptied by the checks is noise
      case 'Atrule':
        if (!ALLOWED_AT_RULES.has(node.name.toLowerCase()) || !node.block) {
          removed.push(`CSS @${node.name} rule`);
          return false;
        }
        if (node.prelude && valueProblem(`@${node.name}`, node.prelude)) {
          removed.push(`CSS @${node.name} rule with an unsafe condition`);
          return false;
        }
        node.block.children = keepSafeRules(node.block.children, removed);
        return !node.block.children.isEmpty;
      case 'CDO':
      case 'CDC':
        return false; // `<!--`/`-->` are legacy no-ops; dropping them keeps `<!--` out of the XML
      default:
        removed.push('unparseable CSS');
        return false;
    }
  });
}

function keepSafeDeclarations(declarations: List<CssNode>, removed: string[]): List<CssNode> {
  return declarations.filter((node) => {
    if (node.type !== 'Declaration') {
      removed.push('unparseable CSS');
      return false;
    }
    const problem = declarationProblem(node);
    if (problem) removed.push(problem);
    return problem === null;
  });
}

function declarationProblem(declaration: Declaration): string | null {
  const property = declaration.property.toLowerCase();
  if (!property.startsWith('--') && !ALLOWED_CSS_PROPERTIES.has(property)) {
    return `CSS property "${declaration.property}"`;
  }
  return valueProblem(declaration.property, declaration.value);
}

/** The first forbidden thing in a parsed CSS value, described in words, or null. */
function valueProblem(property: string, value: CssNode): string | null {
  let problem: string | null = null;
  csstree.walk(value, (node) => {
    if (problem) return;
    switch (node.type) {
      case 'Raw':
        problem = `unparseable CSS value in "${property}"`;
        break;
      case 'Url':
        if (localFragmentId(node.value) === null) problem = `external url() in "${property}"`;
        break;
      case 'Function':
        if (!ALLOWED_CSS_FUNCTIONS.has(node.name.toLowerCase())) problem = `CSS ${node.name}() in "${property}"`;
        break;
      case 'String':
      case 'Identifier':
        if (FORBIDDEN_TEXT.test(node.type === 'String' ? node.value : node.name)) {
          problem = `script-like text in "${property}"`;
        }
        break;
      default:
        break;
    }
  });
  return problem;
}
