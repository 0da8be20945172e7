/**
 * `core/svg`: the SVG sanitiser. Only bytes returned by `sanitizeSvg` with `ok: true` may
 * leave the private uploads area.
 */
export { sanitizeSvg } from './sanitize.ts';
export type { SanitizeResult } from './sanitize.ts';
