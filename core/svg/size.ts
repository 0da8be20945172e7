/**
 * The intrinsic size of an SVG in user units, as a renderer would take it: `width`/`height`
 * when they are plain numbers or px, otherwise the `viewBox`.
 */
import { MAX_SVG_DIMENSION } from '../limits.ts';
import { SvgRejection } from './rejection.ts';

export interface SvgSize {
  width: number;
  height: number;
}

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const USER_LENGTH = new RegExp(String.raw`^\s*(${NUMBER})\s*(?:px)?\s*$`);
const VIEWBOX = new RegExp(String.raw`^\s*(${NUMBER})(?:\s*,\s*|\s+)(${NUMBER})(?:\s*,\s*|\s+)(${NUMBER})(?:\s*,\s*|\s+)(${NUMBER})\s*$`);

/** What the size rule reads of the root `<svg>`: an xmldom element, or the renderer's start-tag reader. */
export interface SvgRootAttributes {
  getAttribute(name: string): string | null;
}

/** Reads and checks the declared size of the root `<svg>`; throws `SvgRejection` when unusable. */
export function intrinsicSize(root: SvgRootAttributes): SvgSize {
  const width = userLength(root, 'width');
  const height = userLength(root, 'height');
  const viewBox = parseViewBox(root.getAttribute('viewBox'));

  for (const [name, value] of [['width', width], ['height', height], ['viewBox width', viewBox?.width], ['viewBox height', viewBox?.height]] as const) {
    if (value !== undefined && value > MAX_SVG_DIMENSION) {
      throw new SvgRejection(
        `declares a ${name} of ${value}, more than the ${MAX_SVG_DIMENSION.toLocaleString('en')} allowed; scale the drawing down`,
      );
    }
  }

  if (width !== undefined && height !== undefined) return { width, height };
  if (viewBox) {
    // One plain dimension plus a viewBox: the other follows the viewBox's aspect ratio.
    if (width !== undefined) return { width, height: (width * viewBox.height) / viewBox.width };
    if (height !== undefined) return { width: (height * viewBox.width) / viewBox.height, height };
    return viewBox;
  }
  throw new SvgRejection(
    'has no width, height or viewBox, so its size is unknown; add a viewBox (e.g. viewBox="0 0 24 24") to the <svg> element',
  );
}

/** Whether a width/height value is a plain number or px (a user length), which every renderer reads alike. */
export function isUserLength(raw: string): boolean {
  return USER_LENGTH.test(raw);
}

/** A width/height in user units, or undefined when absent or in other units (%, mm, em…). */
function userLength(root: SvgRootAttributes, name: 'width' | 'height'): number | undefined {
  const raw = root.getAttribute(name);
  if (raw === null) return undefined;
  const match = USER_LENGTH.exec(raw);
  if (!match) return undefined;
  const value = Number(match[1]);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new SvgRejection(`declares ${name}="${raw}"; width and height must be positive numbers`);
  }
  return value;
}

function parseViewBox(raw: string | null): SvgSize | undefined {
  if (raw === null) return undefined;
  const match = VIEWBOX.exec(raw);
  if (!match) throw new SvgRejection(`has an invalid viewBox "${raw}"; it must be four numbers: min-x min-y width height`);
  const width = Number(match[3]);
  const height = Number(match[4]);
  if (!(width > 0 && height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new SvgRejection(`has a viewBox "${raw}" with a zero or negative size; its width and height must be positive`);
  }
  return { width, height };
}
