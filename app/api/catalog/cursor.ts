/**
 * Opaque keyset cursors: the sort key and id of the last row a page showed, as base64url JSON.
 * Clients must not build them; a cursor that does not decode is a validation error, not a 500.
 */
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';

const cursorSchema = z.object({ k: z.union([z.string(), z.number()]), id: z.string() });
export type Cursor = z.infer<typeof cursorSchema>;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (text === undefined) return undefined;
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new ApiError(400, 'validation_failed', 'The request is not valid.', [
      { path: 'query.cursor', message: 'is not a cursor this API gave out' },
    ]);
  }
}

/** Fetches one row more than the page holds to know whether another page follows. */
export function pageFrom<T>(rows: T[], limit: number, keyOf: (row: T) => Cursor): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: encodeCursor(keyOf(page.at(-1)!)) };
}
