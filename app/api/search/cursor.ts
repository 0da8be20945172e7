/**
 * Cursors of ranked search pages: the offset of the next page, bound to the search that gave it out. They
 * use the catalog's cursor encoding (app/api/catalog/cursor.ts) with the offset as the key and, as the id, a
 * digest of the search (type, words, exact, filters): a cursor is accepted only by the search it came from
 * and only at an offset that search can give out, so a hand-made or reused one is a clear 400, never a
 * deep page (ranked pages cost more the deeper they go, MAX_SEARCH_OFFSET).
 */
import { createHash } from 'node:crypto';
import { MAX_SEARCH_OFFSET } from '../../../core/limits.ts';
import { decodeCursor, encodeCursor } from '../catalog/cursor.ts';
import { ApiError } from '../http/errors.ts';

/** What a search is, for binding its cursors: every value that changes its results. */
export type SearchScope = Record<string, string | boolean | undefined>;

function digestOf(scope: SearchScope): string {
  const entries = Object.entries(scope)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `s1.${createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 22)}`;
}

/** The cursor of the page at `offset`, or null when the search gives out no page there. */
export function encodeSearchCursor(offset: number, scope: SearchScope): string | null {
  if (offset > MAX_SEARCH_OFFSET) return null;
  return encodeCursor({ k: offset, id: digestOf(scope) });
}

/** The offset a cursor of this search stands for (0 without one); a 400 for any other cursor. */
export function decodeSearchCursor(text: string | undefined, scope: SearchScope): number {
  const cursor = decodeCursor(text, 'position');
  if (cursor === undefined) return 0;
  const offset = cursor.k;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 1 || offset > MAX_SEARCH_OFFSET || cursor.id !== digestOf(scope)) {
    throw new ApiError(400, 'validation_failed', 'The request is not valid.', [
      { path: 'query.cursor', message: 'is not a cursor this search gave out' },
    ]);
  }
  return offset;
}
