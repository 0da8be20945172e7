/**
 * Guards against `<use>` bombs: `<use>` copies the element it points at, so ten levels of ten
 * `<use>` each draw 10^10 shapes from a few kilobytes, and a `<use>` that points at its own
 * ancestor never ends. svg-sanitizer (PHP) rejects the same two patterns.
 */
import type { Element } from '@xmldom/xmldom';
import { MAX_SVG_EXPANDED_ELEMENTS, MAX_SVG_NESTING_DEPTH } from '../limits.ts';
import { XLINK_NS } from './allowlist.ts';
import { localFragmentId } from './fragment.ts';
import { SvgRejection } from './rejection.ts';

/** Counts the elements `root` draws with every `<use>` expanded; throws `SvgRejection` past the limits. */
export function checkUseExpansion(root: Element): number {
  const byId = new Map<string, Element>();
  for (const element of descendantsAndSelf(root)) {
    const id = element.getAttribute('id');
    if (id !== null && !byId.has(id)) byId.set(id, element); // the first wins, as in getElementById
  }

  const expanded = new Map<Element, number>();
  const inProgress = new Set<Element>();

  // Recursion is bounded: tree depth is capped before we get here, and reference chains are
  // capped below by the same depth limit.
  const count = (element: Element, depth: number): number => {
    const known = expanded.get(element);
    if (known !== undefined) return known;
    if (inProgress.has(element)) {
      throw new SvgRejection(
        'has a <use> element that refers to itself, directly or through other elements; remove the loop',
      );
    }
    if (depth > MAX_SVG_NESTING_DEPTH) {
      throw new SvgRejection(
        `nests <use> references more than ${MAX_SVG_NESTING_DEPTH} levels deep; flatten the drawing`,
      );
    }
    inProgress.add(element);
    let total = 1;
    for (const child of childElements(element)) total += count(child, depth + 1);
    if (element.localName === 'use') {
      const id = localFragmentId(element.getAttribute('href') ?? element.getAttributeNS(XLINK_NS, 'href') ?? '');
      const target = id === null ? undefined : byId.get(id);
      if (target) total += count(target, depth + 1);
    }
    inProgress.delete(element);
    if (total > MAX_SVG_EXPANDED_ELEMENTS) {
      throw new SvgRejection(
        `would draw more than ${MAX_SVG_EXPANDED_ELEMENTS.toLocaleString('en')} elements once its <use> references are expanded; simplify the drawing`,
      );
    }
    expanded.set(element, total);
    return total;
  };
  return count(root, 0);
}

function* childElements(element: Element): Generator<Element> {
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE) yield node as Element;
  }
}

function* descendantsAndSelf(element: Element): Generator<Element> {
  const stack: Element[] = [element];
  while (stack.length > 0) {
    const next = stack.pop()!;
    yield next;
    for (const child of childElements(next)) stack.push(child);
  }
}
