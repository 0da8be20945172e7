/** Validation shared by every key function: only lower-case UUIDs, positive sizes and known formats enter a key. */
import type { ImageFormat } from '../render/config.ts';

/** Lower-case RFC 4122 form, as `randomUUID()` and `core/ids.ts` produce. */
export const ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ID_PATTERN = new RegExp(`^${ID}$`);
const FORMATS: readonly ImageFormat[] = ['png', 'webp'];

export function assertId(name: string, value: string): void {
  if (!ID_PATTERN.test(value)) throw new TypeError(`${name} must be a lower-case UUID, got ${JSON.stringify(value)}`);
}

export function assertFormat(format: ImageFormat): void {
  if (!FORMATS.includes(format)) throw new TypeError(`format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
}

export function assertSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`size must be a positive integer, got ${size}`);
}
