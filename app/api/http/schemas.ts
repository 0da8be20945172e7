/** Shapes every route shares: the error body, pagination, ids. */
import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../core/limits.ts';
import { ERROR_CODES } from './errors.ts';

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      action: z.object({ label: z.string(), href: z.string() }).optional(),
    }),
  })
  .meta({ id: 'Error' });

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorBodySchema } },
});

/** The error responses every route may give, added to its OpenAPI entry. */
export function errorResponses(needsSession: boolean, hasInput: boolean) {
  return {
    ...(hasInput ? { 400: errorResponse('Invalid input: every issue is listed.') } : {}),
    ...(needsSession
      ? { 401: errorResponse('Not signed in.'), 403: errorResponse('Signed in, but not allowed.') }
      : {}),
    500: errorResponse('Server error.'),
  };
}

export const uuid = z.uuid();

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(500).optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const emptyBody = z.object({}).strict().optional();

/** Query booleans arrive as text. */
export const queryBoolean = z.enum(['true', 'false']).transform((value) => value === 'true');
