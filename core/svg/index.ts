export { sanitizeSvg } from './sanitize.ts';
export type { SanitizeResult } from './sanitize.ts';
