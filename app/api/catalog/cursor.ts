/**
 * Opaque keyset cursors: the sort key and id of the last row a page showed, as base64url JSON with an
 * HMAC-SHA256 tag, so only cursors this API gave out are accepted. Every cursor is also checked for the
 * shape its listing casts in SQL (a timestamp, a position, a title): with a leaked or default secret a forged
 * cursor still gets a 400, never a failed cast and a 500. The secret is shared by every API host
 * (CURSOR_SECRET), or a cursor from one host would be refused by the next.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';

/** What a listing's sort key is: `time` for created_at (PostgreSQL's text of a timestamptz), `position` for an index or offset, `text` for a title. */
export type CursorKind = 'time' | 'position' | 'text';

/** `2026-12-02 01:58:08.123456+00`, as PostgreSQL prints a timestamptz (ISO DateStyle). */
const PG_TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2}(?::\d{2}(?::\d{2})?)?|Z)$/;

const timestampText = z.string().refine((text) => {
  const match = PG_TIMESTAMPTZ.exec(text);
  if (!match) return false;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year!, month! - 1, day!, hour, minute, second));
  // Date.UTC rolls 30 February over into March: a real calendar date survives the round trip.
  return date.getUTCMonth() === month! - 1 && date.getUTCDate() === day! && hour! < 24 && minute! < 60 && second! < 60;
});

const cursorSchemas = {
  time: z.object({ k: timestampText, id: z.uuid() }),
  position: z.object({ k: z.number().int().min(0).max(1_000_000), id: z.string().max(64) }),
  text: z.object({ k: z.string().max(1_000), id: z.uuid() }),
} as const;

export interface Cursor {
  k: string | number;
  id: string;
}

/** For local runs and tests only: production sets CURSOR_SECRET (a default secret lets anyone forge cursors). */
export const LOCAL_CURSOR_SECRET = 'local-cursor-secret-not-for-production';

let key: Buffer = Buffer.from(LOCAL_CURSOR_SECRET);

/** Sets the HMAC key of every cursor this process issues and accepts (createApp, from CURSOR_SECRET). */
export function useCursorSecret(secret: string): void {
  key = Buffer.from(secret);
}

function tag(payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, 16);
}

export function encodeCursor(cursor: Cursor): string {
  const payload = Buffer.from(JSON.stringify({ k: cursor.k, id: cursor.id })).toString('base64url');
  return `${payload}.${tag(payload).toString('base64url')}`;
}

/** The cursor a client sent back, or a 400 naming `query.cursor` when this API did not issue it for this kind of listing. */
export function decodeCursor(text: string | undefined, kind: CursorKind = 'time'): Cursor | undefined {
  if (text === undefined) return undefined;
  const [payload, mac, extra] = text.split('.');
  const given = Buffer.from(mac ?? '', 'base64url');
  const expected = tag(payload ?? '');
  if (extra !== undefined || !payload || given.length !== expected.length || !timingSafeEqual(given, expected)) throw badCursor();
  try {
    return cursorSchemas[kind].parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw badCursor();
  }
}

function badCursor(): ApiError {
  return new ApiError(400, 'validation_failed', 'The request is not valid.', [
    { path: 'query.cursor', message: 'is not a cursor this API gave out for this listing' },
  ]);
}

/** Fetches one row more than the page holds to know whether another page follows. */
export function pageFrom<T>(rows: T[], limit: number, keyOf: (row: T) => Cursor): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: encodeCursor(keyOf(page.at(-1)!)) };
}
