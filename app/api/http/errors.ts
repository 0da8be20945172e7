import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';

export const ERROR_CODES = [
  'validation_failed',
  'invalid_json',
  'unauthenticated',
  'invalid_credentials',
  'invalid_token',
  'forbidden',
  'not_found',
  'conflict',
  'invalid_state',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal',
  'not_ready',
  'payment_required',
  'payments_unavailable',
  'busy',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorIssue {
  path: string;
  message: string;
}

/** What the client can do about an error: a link for a person (e.g. the set page with its Buy button). */
export interface ErrorAction {
  label: string;
  href: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: ErrorIssue[]; action?: ErrorAction };
}

/** An error the client caused (or may see); anything else becomes a 500 that says nothing. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ErrorIssue[],
    readonly action?: ErrorAction,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}), ...(this.action ? { action: this.action } : {}) },
    };
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found.`);
export const forbidden = (message = 'You may not do this.') => new ApiError(403, 'forbidden', message);
export const invalidState = (message: string) => new ApiError(409, 'invalid_state', message);

/** zod issues as `{ path: 'body.email', message }`, every one of them. */
export function issuesFrom(where: 'body' | 'query' | 'params', error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
};

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Last middleware: the error body of ROUTES.md for everything, logged with the request's id. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const apiError = toApiError(error);
  if (apiError.status >= 500) req.log.error({ err: error }, 'request failed');
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(apiError.status).json(apiError.body());
};

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const parserError = error as BodyParserError;
  // body-parser (express.json) signals its failures by `type`.
  if (parserError.type === 'entity.parse.failed') return new ApiError(400, 'invalid_json', 'The body is not valid JSON.');
  if (parserError.type === 'entity.too.large') {
    return new ApiError(413, 'payload_too_large', 'The body is larger than this API accepts.');
  }
  if (parserError.type === 'encoding.unsupported' || parserError.type === 'charset.unsupported') {
    return new ApiError(415, 'unsupported_media_type', 'Send the body as UTF-8 JSON.');
  }
  return new ApiError(500, 'internal', 'Something went wrong on our side.');
}
