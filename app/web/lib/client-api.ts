/**
 * Browser-side calls to the API on the same origin (`/api/*`, proxied by nginx or Next's dev rewrites).
 * Mutations are JSON, which together with SameSite=Lax cookies is the API's CSRF defence.
 */
import type { z } from 'zod';
import { apiErrorSchema } from './api-types.ts';

export class ClientApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Field-level messages from `validation_failed`, keyed by the body field (`email`, `password`...). */
    readonly fieldIssues: Record<string, string>,
    /** A link for the person (e.g. "Buy this set"), when the API gave one. */
    readonly action?: { label: string; href: string },
  ) {
    super(message);
    this.name = 'ClientApiError';
  }
}

export async function apiRequest<S extends z.ZodType>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  schema: S,
  body?: unknown,
): Promise<z.infer<S>> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (method !== 'GET') {
    init.headers = { ...init.headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  const payload: unknown = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const parsed = apiErrorSchema.safeParse(payload);
    if (!parsed.success) throw new ClientApiError(response.status, 'unknown', `The server answered ${response.status}.`, {});
    const fieldIssues: Record<string, string> = {};
    for (const issue of parsed.data.error.issues ?? []) {
      const field = issue.path.replace(/^(body|query|params)\.?/, '') || 'form';
      fieldIssues[field] ??= issue.message;
    }
    throw new ClientApiError(response.status, parsed.data.error.code, parsed.data.error.message, fieldIssues, parsed.data.error.action);
  }
  return schema.parse(payload);
}
