/**
 * Only sanitised SVG may leave the uploads bucket. The brand makes that a type error, and the WeakSet
 * makes it a runtime error too: a raw upload Buffer cast to `SanitisedSvg` is still refused.
 */
declare const sanitisedBrand: unique symbol;
export type SanitisedSvg = Buffer & { readonly [sanitisedBrand]: true };

const vouched = new WeakSet<Buffer>();

/** Takes the sanitiser's success result (`sanitizeSvg(...)` with `ok: true`), not loose bytes. */
export function sanitisedSvgFrom(result: { ok: true; svg: Buffer }): SanitisedSvg {
  vouched.add(result.svg);
  return result.svg as SanitisedSvg;
}

export function isSanitisedSvg(value: Buffer): value is SanitisedSvg {
  return vouched.has(value);
}
