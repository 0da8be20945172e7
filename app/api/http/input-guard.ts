/**
 * Refuses a NUL character anywhere in a request's query or JSON body, naming the field. PostgreSQL cannot
 * store or even compare U+0000 in text (it fails the statement), so a NUL that reached a query was a 500;
 * no field of this API has a use for one. Runs before every route, so no schema can forget it.
 */
import type { RequestHandler } from 'express';
import { ApiError, type ErrorIssue } from './errors.ts';

const NUL = '\u0000';

/** Paths (`body.email`, `query.q`, `body.tags.2`) of strings, or object keys, holding a NUL. */
function nulPaths(value: unknown, path: string, found: ErrorIssue[]): void {
  if (typeof value === 'string') {
    if (value.includes(NUL)) found.push({ path, message: 'must not contain U+0000 (NUL)' });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => nulPaths(item, `${path}.${index}`, found));
  } else if (value !== null && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) {
      if (name.includes(NUL)) found.push({ path: `${path}.${name.replaceAll(NUL, '\\0')}`, message: 'must not contain U+0000 (NUL)' });
      else nulPaths(item, `${path}.${name}`, found);
    }
  }
}

export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  const found: ErrorIssue[] = [];
  nulPaths(req.query, 'query', found);
  nulPaths(req.body, 'body', found);
  if (found.length > 0) throw new ApiError(400, 'validation_failed', 'The request is not valid.', found);
  next();
};
